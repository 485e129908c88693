// Package migrate applies a store's schema migrations: an append-only,
// ordered list of SQL steps embedded in the binary, each applied in its own
// transaction and recorded in a schema_migrations table. The dialect
// (store/sqlite, store/postgres) supplies the Target that knows how to run
// and record a step.
package migrate

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Step is one migration: Version counts from 1 without gaps.
type Step struct {
	Version int
	Name    string
	SQL     string
}

// Load reads the steps in dir of fsys: files named NNNN_name.sql, whose
// numbers must run 1, 2, 3... in order.
func Load(fsys fs.FS, dir string) ([]Step, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	var steps []Step
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, label, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("load migrations: %s: name must be NNNN_name.sql", name)
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("load migrations: %w", err)
		}
		steps = append(steps, Step{Version: v, Name: label, SQL: string(body)})
	}
	slices.SortFunc(steps, func(a, b Step) int { return a.Version - b.Version })
	for i, s := range steps {
		if s.Version != i+1 {
			return nil, fmt.Errorf("load migrations: expected version %d, found %d (%s)", i+1, s.Version, s.Name)
		}
	}
	return steps, nil
}

// Target is a database that steps are applied to.
type Target interface {
	// Applied creates schema_migrations if needed and returns the versions
	// recorded in it.
	Applied(ctx context.Context) ([]int, error)
	// Apply runs one step and records its version, in one transaction,
	// unless the version is recorded already (another process applied it
	// first); applied says which.
	Apply(ctx context.Context, s Step) (applied bool, err error)
}

// Run applies, in order, the steps that target has not recorded yet and
// returns how many it applied. A database that records versions this binary
// does not know (written by a newer release) is left alone with a warning:
// steps are append-only, so the older schema prefix is still the one this
// binary expects.
func Run(ctx context.Context, target Target, steps []Step, logger *slog.Logger) (int, error) {
	applied, err := target.Applied(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	done := make(map[int]bool, len(applied))
	for _, v := range applied {
		done[v] = true
		if v > len(steps) {
			logger.Warn("database has a newer schema than this binary", "version", v, "known", len(steps))
		}
	}
	n := 0
	for _, s := range steps {
		if done[s.Version] {
			continue
		}
		applied, err := target.Apply(ctx, s)
		if err != nil {
			return n, fmt.Errorf("migrate: step %d (%s): %w", s.Version, s.Name, err)
		}
		if applied {
			logger.Info("applied migration", "version", s.Version, "name", s.Name)
			n++
		}
	}
	return n, nil
}
