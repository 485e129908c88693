package bench_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/app"
	"github.com/parley-chat/parley/internal/bench"
)

// startServer runs a whole Parley node in process on a loopback port with
// its data (and token key) in a temporary directory, and stops it at the
// end of the test.
func startServer(t *testing.T) (base, dataDir string) {
	t.Helper()
	cfg, err := app.ConfigFromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.ShutdownTimeout = 5 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), "test")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server shutdown: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("server did not shut down")
		}
	})
	return "http://" + a.Addr().String(), cfg.DataDir
}

// TestFanoutAgainstServer runs a small fanout against a real node: 20
// connections in 2 rooms of 10, one sender per room at 4 msgs/s (within
// the demo tenant's 5/s limit) for 2 s. Every send must be acked, every
// acked message must reach all 10 members of its room exactly once, in
// seq order.
func TestFanoutAgainstServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and runs for seconds")
	}
	base, dir := startServer(t)
	cfg := bench.DefaultConfig()
	cfg.Server, cfg.DataDir, cfg.TokenKey = base, dir, ""
	cfg.Conns, cfg.RoomSize, cfg.SendersPerRoom = 20, 10, 1
	cfg.Rate, cfg.Duration, cfg.Drain = 8, 2*time.Second, 10*time.Second
	cfg.SetupWorkers = 4

	res, err := bench.Run(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if err := res.WriteSummary(&sb); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", sb.String())
	if err := res.Check(); err != nil {
		t.Fatal(err)
	}
	if res.Rooms != 2 || res.Senders != 2 {
		t.Errorf("rooms, senders = %d, %d; want 2, 2", res.Rooms, res.Senders)
	}
	if res.Sent < 10 || res.Acked != res.Sent {
		t.Errorf("sent %d, acked %d: want at least 10 sends, all acked", res.Sent, res.Acked)
	}
	if want := res.Acked * int64(cfg.RoomSize); res.Deliveries != want {
		t.Errorf("deliveries = %d, want %d (every acked message to all %d members)", res.Deliveries, want, cfg.RoomSize)
	}
	if res.DeliveriesPerSec <= 0 || res.Latency.Count != res.Deliveries || res.AckLatency.Count != res.Acked {
		t.Errorf("rates and latencies do not add up: %+v", res)
	}
	if len(res.Errors) != 0 || len(res.Disconnects) != 0 {
		t.Errorf("errors %v, disconnects %v: want none", res.Errors, res.Disconnects)
	}
}

// TestIdleAgainstServer opens idle connections to an in-process node and
// reads memory the way `parley bench --scenario idle` does: the server's
// pid is this test process.
func TestIdleAgainstServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	base, dir := startServer(t)
	cfg := bench.DefaultConfig()
	cfg.Scenario = bench.ScenarioIdle
	cfg.Server, cfg.DataDir, cfg.TokenKey = base, dir, ""
	cfg.Conns, cfg.RoomSize = 20, 10
	cfg.Settle, cfg.SetupWorkers = 0, 4
	if _, err := os.Stat("/proc/self/status"); err == nil {
		cfg.ServerPID = os.Getpid()
	}

	res, err := bench.Run(t.Context(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Check(); err != nil {
		t.Fatal(err)
	}
	m := res.Memory
	if m == nil || m.Conns != 20 {
		t.Fatalf("memory = %+v, want a reading with 20 open connections", m)
	}
	if m.RSSSource == "" || m.RSSAfter <= 0 {
		t.Errorf("no RSS reading: %+v", m)
	}
	if m.HeapAfter <= 0 || m.GoroutinesAfter <= 0 {
		t.Errorf("no /metrics reading: %+v", m)
	}
	if len(res.Disconnects) != 0 {
		t.Errorf("disconnects %v, want none", res.Disconnects)
	}
}

// TestRunRefusesWithoutKey: a data directory without the server's token
// key is an error before any connection, not a fresh key the server would
// refuse.
func TestRunRefusesWithoutKey(t *testing.T) {
	cfg := bench.DefaultConfig()
	cfg.DataDir, cfg.TokenKey = t.TempDir(), ""
	cfg.Conns = 1
	_, err := bench.Run(t.Context(), cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "token.key") {
		t.Fatalf("Run without a key = %v, want an error naming token.key", err)
	}
}
