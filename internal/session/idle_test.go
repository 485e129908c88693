package session

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/parley-chat/parley/internal/auth"
)

// TestIdleConnectionMemory opens 2,000 authenticated, subscribed loopback
// connections that then sit idle, and reports the heap and stack bytes they
// add and the goroutines they start. Client ends are raw gobwas connections
// in the same process (no goroutine, a few hundred bytes each) and are
// included in the figure, so it overstates the server's share. Each
// connection costs two descriptors of the 20,000 allowed.
func TestIdleConnectionMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,000 connections")
	}
	const n = 2000
	e := newEnv(t, Config{}, nil)
	room := e.room("ann")
	tok := e.token("acme", "ann", time.Hour)
	dialer := ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"Cookie": {auth.AccessCookieName("acme", false) + "=" + tok}})}
	sub := textFrameMasked([]byte(`{"type":"subscribe","id":"s","room":"` + room + `","after":-1}`))
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	// Warm up pools and the room before measuring.
	open := func() {
		c, br, _, err := dialer.Dial(context.Background(), e.url("acme"))
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var src io.Reader = c
		if br != nil { // the welcome came with the handshake response
			src = io.MultiReader(br, c)
		}
		r := bufio.NewReaderSize(src, 512)
		readUntil(t, c, r, "welcome")
		if _, err := c.Write(sub); err != nil {
			t.Fatal(err)
		}
		readUntil(t, c, r, "subscribed")
		if br != nil {
			ws.PutReader(br)
		}
	}
	open()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()
	for range n {
		open()
	}
	// Let the last flushes and read turns finish: wait until every
	// connection is idle (no goroutine beyond the baseline pool).
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > g0+8 && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	g1 := runtime.NumGoroutine()
	per := float64(int64(after.HeapInuse+after.StackInuse)-int64(before.HeapInuse+before.StackInuse)) / n
	t.Logf("%d idle connections (authenticated, subscribed): %.0f bytes heap+stack each, client ends included; goroutines %d -> %d", n, per, g0, g1)
	if g1-g0 > 16 {
		t.Fatalf("goroutines grew from %d to %d: something waits per connection", g0, g1)
	}
	if per > 10<<10 {
		t.Fatalf("%.0f bytes per idle connection, budget 10 KiB", per)
	}
	if st := e.srv.Stats(); st.Connections != n+1 || st.Subscriptions != n+1 {
		t.Fatalf("stats %+v", st)
	}
}

// textFrameMasked builds a client (masked) text frame.
func textFrameMasked(p []byte) []byte {
	f := ws.MaskFrame(ws.NewTextFrame(p))
	b, err := ws.CompileFrame(f)
	if err != nil {
		panic(err)
	}
	return b
}

// readUntil reads server frames from a raw connection until one contains
// "type":"<typ>".
func readUntil(t *testing.T, c net.Conn, r *bufio.Reader, typ string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	want := `"type":"` + typ + `"`
	for {
		f, err := ws.ReadFrame(r)
		if err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		if bytes.Contains(f.Payload, []byte(want)) {
			return
		}
	}
}
