package auth_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/store/sqlite"
)

// newStore opens a real SQLite store under the test's temp dir.
func newStore(t *testing.T) auth.SessionStore {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "parley.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
