package netpoll

import (
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pipe returns both ends of a loopback TCP connection.
func pipe(t testing.TB, ln net.Listener) (client, server net.Conn) {
	t.Helper()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	return client, server
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func newPoller(t testing.TB) *Poller {
	t.Helper()
	p, err := New(Config{MinWorkers: 2, MaxWorkers: 64})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

func TestReadinessOneShotAndRearm(t *testing.T) {
	p := newPoller(t)
	ln := listen(t)
	client, server := pipe(t, ln)
	defer client.Close()
	defer server.Close()

	ready := make(chan struct{}, 10)
	h, err := p.Register(server, func() { ready <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	defer h.Stop()
	if _, err := client.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ready:
		t.Fatal("ready before Rearm")
	case <-time.After(50 * time.Millisecond):
	}
	if err := h.Rearm(); err != nil {
		t.Fatal(err)
	}
	waitReady(t, ready)
	buf := make([]byte, 1)
	if _, err := io.ReadFull(server, buf); err != nil {
		t.Fatal(err)
	}
	if err := h.Rearm(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ready:
		t.Fatal("ready before any data")
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := client.Write([]byte("ab")); err != nil {
		t.Fatal(err)
	}
	waitReady(t, ready)
	// Disarmed until Rearm: more data must not notify again.
	if _, err := client.Write([]byte("c")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ready:
		t.Fatal("notified twice without Rearm")
	case <-time.After(50 * time.Millisecond):
	}
	buf = make([]byte, 3)
	if _, err := io.ReadFull(server, buf); err != nil || string(buf) != "abc" {
		t.Fatalf("read %q, %v", buf, err)
	}
	if err := h.Rearm(); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte("d")); err != nil {
		t.Fatal(err)
	}
	waitReady(t, ready)
	// Rearm with data still unread notifies again (level-triggered).
	if err := h.Rearm(); err != nil {
		t.Fatal(err)
	}
	waitReady(t, ready)
	h.Stop()
	if err := h.Rearm(); err != ErrClosed {
		t.Fatalf("Rearm after Stop = %v, want ErrClosed", err)
	}
}

func TestHangupIsReadable(t *testing.T) {
	p := newPoller(t)
	ln := listen(t)
	client, server := pipe(t, ln)
	defer server.Close()
	ready := make(chan struct{}, 1)
	h, err := p.Register(server, func() { ready <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	defer h.Stop()
	if err := h.Rearm(); err != nil {
		t.Fatal(err)
	}
	client.Close()
	waitReady(t, ready)
	if _, err := server.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read after hangup = %v, want EOF", err)
	}
}

func TestManyConnections(t *testing.T) {
	p := newPoller(t)
	ln := listen(t)
	const n = 200
	var got atomic.Int64
	var wg sync.WaitGroup
	wg.Add(n)
	type pair struct {
		c, s net.Conn
		h    *Handle
	}
	pairs := make([]pair, n)
	for i := range pairs {
		c, s := pipe(t, ln)
		var once sync.Once
		h, err := p.Register(s, func() {
			once.Do(func() { got.Add(1); wg.Done() })
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Rearm(); err != nil {
			t.Fatal(err)
		}
		pairs[i] = pair{c, s, h}
	}
	for _, pr := range pairs {
		if _, err := pr.c.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("only %d of %d connections reported ready", got.Load(), n)
	}
	for _, pr := range pairs {
		pr.h.Stop()
		pr.s.Close()
		pr.c.Close()
	}
}

func TestPoolRunsEveryTaskAndShrinks(t *testing.T) {
	pl := newPool(1, 8)
	var ran atomic.Int64
	block := make(chan struct{})
	// Blocked tasks must not stop later ones from running: the pool grows.
	for range 4 {
		pl.submit(func() { <-block; ran.Add(1) })
	}
	done := make(chan struct{})
	pl.submit(func() { close(done) })
	// The poller calls unstick periodically; a stalled queue grows the pool.
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	timeout := time.After(5 * time.Second)
wait:
	for {
		select {
		case <-done:
			break wait
		case <-tick.C:
			pl.unstick()
		case <-timeout:
			t.Fatal("task queued behind blocked ones never ran")
		}
	}
	close(block)
	pl.close()
	if ran.Load() != 4 {
		t.Fatalf("ran %d blocked tasks, want 4", ran.Load())
	}
	if pl.submit(func() {}) {
		t.Fatal("submit after close succeeded")
	}
}

func waitReady(t *testing.T, ready <-chan struct{}) {
	t.Helper()
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		t.Fatal("no readiness notification")
	}
}

// TestIdleCost measures what the poller adds per idle registered
// connection (heap and stacks, both ends of each loopback connection
// included) and checks that it starts no goroutine per connection.
func TestIdleCost(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,000 connections")
	}
	p := newPoller(t)
	ln := listen(t)
	const n = 2000
	conns := make([]net.Conn, 0, 2*n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()
	hs := make([]*Handle, 0, n)
	for range n {
		c, s := pipe(t, ln)
		conns = append(conns, c, s)
		h, err := p.Register(s, func() {})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Rearm(); err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	g1 := runtime.NumGoroutine()
	per := float64((after.HeapInuse+after.StackInuse)-(before.HeapInuse+before.StackInuse)) / n
	t.Logf("idle registered connection (both loopback ends): %.0f bytes heap+stack, goroutines %d -> %d", per, g0, g1)
	if perConnGoroutines && g1-g0 < n {
		t.Fatalf("portable poller should park a goroutine per connection")
	}
	if !perConnGoroutines && g1-g0 > 8 {
		t.Fatalf("goroutines grew from %d to %d for %d idle connections", g0, g1, n)
	}
	for _, h := range hs {
		h.Stop()
	}
	for _, c := range conns {
		c.Close()
	}
}
