package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store/migrate"
	"github.com/parley-chat/parley/internal/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testDSN returns PARLEY_TEST_POSTGRES_DSN, or skips (fails when
// PARLEY_TEST_REQUIRE_SERVICES=1) without one.
func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("PARLEY_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("PARLEY_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("PARLEY_TEST_POSTGRES_DSN is not set and PARLEY_TEST_REQUIRE_SERVICES=1")
		}
		t.Skip("PARLEY_TEST_POSTGRES_DSN is not set")
	}
	return dsn
}

// isolatedDSN creates a schema of its own for the test, dropped when it
// ends, and returns the DSN with that schema as search_path, so tests run
// in parallel with each other and with other packages.
func isolatedDSN(t testing.TB) string {
	t.Helper()
	base := testDSN(t)
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "parley_test_" + hex.EncodeToString(b[:])
	exec := func(sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connect to test database: %v", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("CREATE SCHEMA " + schema)
	t.Cleanup(func() { exec("DROP SCHEMA " + schema + " CASCADE") })
	return withSearchPath(t, base, schema)
}

func withSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("PARLEY_TEST_POSTGRES_DSN: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func openTest(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, quiet())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	testDSN(t)
	storetest.Run(t, func(t *testing.T) chat.Store { return openTest(t, isolatedDSN(t)) })
}

// TestTwoNodes runs two stores (two pools, as two nodes would have) on one
// schema: opening concurrently migrates once, and seqs appended through
// both never collide.
func TestTwoNodes(t *testing.T) {
	dsn := isolatedDSN(t)
	nodes := make([]*Store, 2)
	errs := make(chan error, len(nodes))
	for i := range nodes {
		go func() {
			s, err := Open(context.Background(), dsn, quiet())
			nodes[i] = s
			errs <- err
		}()
	}
	for range nodes {
		if err := <-errs; err != nil {
			t.Fatalf("Open: %v", err)
		}
	}
	for _, s := range nodes {
		t.Cleanup(func() { _ = s.Close() })
	}
	ctx := context.Background()
	var versions int
	if err := nodes[0].pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&versions); err != nil || versions != stepCount(t) {
		t.Fatalf("schema_migrations has %d rows (%v), want %d", versions, err, stepCount(t))
	}
	if _, err := nodes[0].CreateRoom(ctx, chat.Room{Tenant: "t", ID: "r", Kind: chat.RoomOpen, Title: "R"}); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	const perNode = 50
	seqs := make(chan int64, 2*perNode)
	for _, s := range nodes {
		go func() {
			for range perNode {
				res, err := s.AppendMessages(ctx, []chat.NewMessage{{Tenant: "t", RoomID: "r", Kind: chat.KindText, AuthorID: "u", Text: "x"}})
				if err != nil || res[0].Err != nil {
					errs <- errors.Join(err, res[0].Err)
					return
				}
				seqs <- res[0].Message.Seq
			}
			errs <- nil
		}()
	}
	for range nodes {
		if err := <-errs; err != nil {
			t.Fatalf("AppendMessages: %v", err)
		}
	}
	close(seqs)
	seen := make(map[int64]bool)
	for s := range seqs {
		if seen[s] || s < 1 || s > 2*perNode {
			t.Fatalf("seq %d handed out twice or out of 1..%d", s, 2*perNode)
		}
		seen[s] = true
	}
}

// TestUnavailable checks that a database that cannot be reached is
// reported as chat.ErrUnavailable, and a closed store too.
func TestUnavailable(t *testing.T) {
	dsn := isolatedDSN(t)
	ctx := context.Background()
	_, err := Open(ctx, "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", quiet())
	if !errors.Is(err, chat.ErrUnavailable) {
		t.Fatalf("Open of an unreachable database: %v, want ErrUnavailable", err)
	}
	s, err := Open(ctx, dsn, quiet())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	_ = s.Close()
	if _, err := s.Room(ctx, "t", "r"); !errors.Is(err, chat.ErrUnavailable) {
		t.Fatalf("Room on a closed store: %v, want ErrUnavailable", err)
	}
	if _, err := s.AppendMessages(ctx, []chat.NewMessage{{Tenant: "t", RoomID: "r", Kind: chat.KindText}}); !errors.Is(err, chat.ErrUnavailable) {
		t.Fatalf("AppendMessages on a closed store: %v, want ErrUnavailable", err)
	}
}

func benchStore(b *testing.B) chat.Store { return openTest(b, isolatedDSN(b)) }

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
