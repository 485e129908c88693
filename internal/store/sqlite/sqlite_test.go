package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store/migrate"
	"github.com/parley-chat/parley/internal/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openTest(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, quiet())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) chat.Store {
		return openTest(t, filepath.Join(t.TempDir(), "parley.db"))
	})
}

func TestPragmas(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "data", "parley.db"))
	tests := []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.write, "journal_mode", "wal"},
		{s.write, "synchronous", "2"}, // FULL
		{s.write, "foreign_keys", "1"},
		{s.write, "busy_timeout", "10000"},
		{s.read, "synchronous", "2"},
		{s.read, "foreign_keys", "1"},
		{s.read, "query_only", "1"},
	}
	for _, tt := range tests {
		var got string
		if err := tt.db.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tt.pragma, err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
		}
	}
}

// TestReopen checks that data outlives the process's handle and that
// migrations run once.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parley.db")
	s, err := Open(ctx, path, quiet())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := s.CreateRoom(ctx, chat.Room{Tenant: "t", ID: "r", Kind: chat.RoomOpen, Title: "R"}); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	res, err := s.AppendMessages(ctx, []chat.NewMessage{{Tenant: "t", RoomID: "r", Kind: chat.KindText, AuthorID: "u", Text: "kept", ClientMsgID: "c"}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("AppendMessages: %v %v", err, res)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openTest(t, path)
	var versions int
	if err := s.read.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&versions); err != nil || versions != stepCount(t) {
		t.Fatalf("schema_migrations has %d rows (%v), want %d", versions, err, stepCount(t))
	}
	msgs, err := s.History(ctx, "t", "r", chat.HistoryOptions{})
	if err != nil || len(msgs) != 1 || msgs[0].Text != "kept" {
		t.Fatalf("History after reopen = %+v, %v", msgs, err)
	}
	res, err = s.AppendMessages(ctx, []chat.NewMessage{{Tenant: "t", RoomID: "r", Kind: chat.KindText, AuthorID: "u", Text: "kept", ClientMsgID: "c"}})
	if err != nil || !res[0].Duplicate || res[0].Message.Seq != 1 {
		t.Fatalf("retry after reopen = %+v, %v; want the stored message", res, err)
	}
}

func TestOpenBadPath(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db", "a.db?mode=ro"} {
		if s, err := Open(context.Background(), path, quiet()); err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		}
	}
}

// TestClosedIsUnavailable checks that infrastructure failures say so.
func TestClosedIsUnavailable(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "parley.db"), quiet())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, err = s.AppendMessages(context.Background(), []chat.NewMessage{{Tenant: "t", RoomID: "r", Kind: chat.KindText}})
	if !errors.Is(err, chat.ErrUnavailable) {
		t.Fatalf("AppendMessages on a closed store: %v, want ErrUnavailable", err)
	}
	_, err = s.Room(context.Background(), "t", "r")
	if !errors.Is(err, chat.ErrUnavailable) {
		t.Fatalf("Room on a closed store: %v, want ErrUnavailable", err)
	}
}

func benchStore(b *testing.B) chat.Store { return openTest(b, filepath.Join(b.TempDir(), "parley.db")) }

func BenchmarkAppendMessages(b *testing.B) { storetest.BenchmarkAppendMessages(b, benchStore) }

func BenchmarkHistory(b *testing.B) { storetest.BenchmarkHistory(b, benchStore) }

// stepCount is the number of embedded migration steps.
func stepCount(t *testing.T) int {
	t.Helper()
	steps, err := migrate.Load(migrations, "migrations")
	if err != nil {
		t.Fatalf("load migrations: %v", err)
	}
	return len(steps)
}
