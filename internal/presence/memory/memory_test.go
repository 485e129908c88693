package memory_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/presence/memory"
)

func TestCountsDistinctUsers(t *testing.T) {
	ctx := context.Background()
	p := memory.New()
	steps := []struct {
		enter bool   // Enter, else Leave
		t     string // tenant
		room  string
		user  string
		want  int // online count returned
	}{
		{true, "a", "r", "alice", 1},
		{true, "a", "r", "alice", 1}, // second connection of alice
		{true, "a", "r", "bob", 2},
		{true, "b", "r", "carol", 1},  // same room id, other tenant
		{false, "a", "r", "alice", 2}, // alice still has one connection
		{false, "a", "r", "alice", 1},
		{false, "a", "r", "bob", 0},
		{true, "a", "r", "bob", 1},
	}
	for i, s := range steps {
		var got int
		var err error
		if s.enter {
			got, err = p.Enter(ctx, s.t, s.room, s.user)
		} else {
			got, err = p.Leave(ctx, s.t, s.room, s.user)
		}
		if err != nil || got != s.want {
			t.Fatalf("step %d (%+v): got %d, %v; want %d", i, s, got, err, s.want)
		}
	}
	online, err := p.Online(ctx, "a", []string{"r", "empty"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"r": 1, "empty": 0}; !maps.Equal(online, want) {
		t.Errorf("Online(a) = %v, want %v", online, want)
	}
	online, _ = p.Online(ctx, "b", []string{"r"})
	if online["r"] != 1 {
		t.Errorf("Online(b)[r] = %d, want 1", online["r"])
	}
}

func TestUnmatchedLeave(t *testing.T) {
	ctx := context.Background()
	p := memory.New()
	if _, err := p.Leave(ctx, "a", "r", "ghost"); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("Leave without Enter = %v, want ErrNotFound", err)
	}
	if _, err := p.Enter(ctx, "a", "r", "alice"); err != nil {
		t.Fatal(err)
	}
	if n, err := p.Leave(ctx, "a", "r", "ghost"); !errors.Is(err, chat.ErrNotFound) || n != 1 {
		t.Errorf("Leave of an absent user = %d, %v; want 1, ErrNotFound", n, err)
	}
}

func TestConcurrent(t *testing.T) {
	ctx := context.Background()
	p := memory.New()
	const users, conns = 20, 5
	var wg sync.WaitGroup
	for u := range users {
		for range conns {
			wg.Go(func() {
				if _, err := p.Enter(ctx, "a", "r", fmt.Sprint("u", u)); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	if online, _ := p.Online(ctx, "a", []string{"r"}); online["r"] != users {
		t.Fatalf("online = %d, want %d", online["r"], users)
	}
	for u := range users {
		for range conns {
			wg.Go(func() {
				if _, err := p.Leave(ctx, "a", "r", fmt.Sprint("u", u)); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	if online, _ := p.Online(ctx, "a", []string{"r"}); online["r"] != 0 {
		t.Fatalf("online after all left = %d, want 0", online["r"])
	}
}
