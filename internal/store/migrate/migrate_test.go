package migrate

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_second.sql": {Data: []byte("two")},
		"m/0001_first.sql":  {Data: []byte("one")},
		"m/README.md":       {Data: []byte("ignored")},
	}
	steps, err := Load(fsys, "m")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := []Step{{1, "first", "one"}, {2, "second", "two"}}
	if !slices.Equal(steps, want) {
		t.Fatalf("Load = %+v, want %+v", steps, want)
	}

	for name, bad := range map[string]fstest.MapFS{
		"gap":       {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"duplicate": {"m/0001_a.sql": {}, "m/001_b.sql": {}},
		"no number": {"m/init.sql": {}},
		"zero":      {"m/0000_a.sql": {}},
		"no dir":    {},
	} {
		if _, err := Load(bad, "m"); err == nil {
			t.Errorf("Load(%s) succeeded, want an error", name)
		}
	}
}

// fakeTarget records steps in memory.
type fakeTarget struct {
	applied []int
	failAt  int
}

func (f *fakeTarget) Applied(context.Context) ([]int, error) { return slices.Clone(f.applied), nil }

func (f *fakeTarget) Apply(_ context.Context, s Step) (bool, error) {
	if s.Version == f.failAt {
		return false, errors.New("syntax error")
	}
	if slices.Contains(f.applied, s.Version) {
		return false, nil
	}
	f.applied = append(f.applied, s.Version)
	return true, nil
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	steps := []Step{{1, "a", ""}, {2, "b", ""}, {3, "c", ""}}

	target := &fakeTarget{applied: []int{1}}
	n, err := Run(ctx, target, steps, logger)
	if err != nil || n != 2 || !slices.Equal(target.applied, []int{1, 2, 3}) {
		t.Fatalf("Run = %d, %v; applied %v; want 2 new steps, 1..3 applied", n, err, target.applied)
	}
	if n, err := Run(ctx, target, steps, logger); err != nil || n != 0 {
		t.Fatalf("second Run = %d, %v; want nothing to do", n, err)
	}

	failing := &fakeTarget{failAt: 2}
	n, err = Run(ctx, failing, steps, logger)
	if err == nil || n != 1 || !slices.Equal(failing.applied, []int{1}) {
		t.Fatalf("Run with a failing step = %d, %v; applied %v; want it to stop after step 1", n, err, failing.applied)
	}

	newer := &fakeTarget{applied: []int{1, 2, 3, 4}}
	if n, err := Run(ctx, newer, steps, logger); err != nil || n != 0 {
		t.Fatalf("Run on a newer schema = %d, %v; want nothing to do", n, err)
	}
}
