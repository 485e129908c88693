package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// postgresDSN returns a DSN whose search_path is a fresh schema, dropped
// when the test ends; it skips without PARLEY_TEST_POSTGRES_DSN (fails when
// PARLEY_TEST_REQUIRE_SERVICES=1).
func postgresDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("PARLEY_TEST_POSTGRES_DSN")
	if base == "" {
		if os.Getenv("PARLEY_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("PARLEY_TEST_POSTGRES_DSN is not set and PARLEY_TEST_REQUIRE_SERVICES=1")
		}
		t.Skip("PARLEY_TEST_POSTGRES_DSN is not set")
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("PARLEY_TEST_POSTGRES_DSN must be a postgres:// URL")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "parley_e2e_" + hex.EncodeToString(b[:])
	exec := func(sql string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connect to PostgreSQL: %v", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("CREATE SCHEMA " + schema)
	t.Cleanup(func() { exec("DROP SCHEMA " + schema + " CASCADE") })
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestPostgresNode runs `parley migrate` and `parley serve` on PostgreSQL
// and checks that messages survive a restart of the node.
func TestPostgresNode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dsn := postgresDSN(t)
	bin := buildParley(t)
	data := t.TempDir()

	migrate := exec.Command(bin, "migrate", "--store", dsn, "--data", data)
	migrate.Env = cleanEnv()
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("parley migrate: %v\n%s", err, out)
	}
	// Both nodes keep the token key in data, so a token stays valid.
	start := func() *node {
		n := startNode(t, bin, "--store", dsn, "--data", data)
		n.data = data
		return n
	}

	n := start()
	tok := n.token("opentalk", "alice", "Alice")
	var room struct{ ID string }
	n.rest("POST", "/api/v1/t/opentalk/rooms", tok, `{"title":"On PostgreSQL"}`, http.StatusCreated, &room)
	for i := range 3 {
		n.rest("POST", "/api/v1/t/opentalk/rooms/"+room.ID+"/messages", tok, fmt.Sprintf(`{"text":"pg %d","cmid":"m%d"}`, i, i), http.StatusCreated, nil)
	}
	stopNode(t, n)

	// A second node on the same database sees everything.
	n2 := start()
	var hist struct {
		Messages []struct {
			Kind, Text string
			Seq        int64
		} `json:"messages"`
	}
	n2.rest("GET", "/api/v1/t/opentalk/rooms/"+room.ID+"/messages", tok, "", http.StatusOK, &hist)
	var texts []string
	for _, m := range hist.Messages {
		if m.Kind == "text" {
			texts = append(texts, m.Text)
		}
	}
	if fmt.Sprint(texts) != "[pg 0 pg 1 pg 2]" {
		t.Fatalf("history after restart: %+v", hist.Messages)
	}
	stopNode(t, n2)
}

// stopNode sends SIGTERM and requires exit status 0 within 15 s.
func stopNode(t *testing.T, n *node) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-n.done:
		if n.err != nil {
			t.Fatalf("parley serve exited with %v after SIGTERM\n%s", n.err, n.logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("parley serve did not exit within 15s of SIGTERM")
	}
}
