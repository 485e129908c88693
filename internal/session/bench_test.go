package session

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
)

// BenchmarkLiveDelivery measures end-to-end live delivery on one node:
// 1,000 loopback connections, 100 per room, each event published to the
// broker once (as the rooms service does after a commit) and written to
// every subscriber's socket. The clients run in the same process and read
// every frame, so they share the CPU with the server. The store is not in
// the path (catch-up and persistence are measured elsewhere). Allocations
// per op are per event: divide by 1,000 for per delivery.
func BenchmarkLiveDelivery(b *testing.B) {
	const rooms, perRoom = 10, 100
	e := newEnv(b, Config{}, nil)
	ids := make([]string, rooms)
	for i := range ids {
		ids[i] = e.room("owner" + strconv.Itoa(i))
		e.join("reader", ids[i])
	}
	tok := e.token("acme", "reader", time.Hour)
	dialer := ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"Cookie": {auth.AccessCookieName("acme", false) + "=" + tok}})}
	var got atomic.Int64
	var readers sync.WaitGroup
	defer readers.Wait()
	for r := range rooms {
		for range perRoom {
			c, br, _, err := dialer.Dial(context.Background(), e.url("acme"))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			var src io.Reader = c
			if br != nil {
				src = io.MultiReader(br, c)
			}
			rd := bufio.NewReader(src)
			if _, err := c.Write(textFrameMasked([]byte(`{"type":"subscribe","room":"` + ids[r] + `","after":-1}`))); err != nil {
				b.Fatal(err)
			}
			readUntilB(b, rd, "subscribed")
			readers.Add(1)
			go func() {
				defer readers.Done()
				hdr := make([]byte, 2, ws.MaxHeaderSize)
				for {
					h, err := ws.ReadHeaderBuffer(rd, hdr)
					if err != nil {
						return
					}
					if _, err := rd.Discard(int(h.Length)); err != nil {
						return
					}
					got.Add(1)
				}
			}()
		}
	}
	payload := []byte(`{"type":"message","room":"r","seq":1,"kind":"text","user":"u","name":"User","text":"hello, this is a chat message of ordinary size","cmid":"c-123456","at":1767222000123}`)
	ctx := context.Background()
	got.Store(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		for r := range rooms {
			if err := e.broker.Publish(ctx, chat.Event{Tenant: "acme", RoomID: ids[r], Seq: int64(i + 2), Payload: payload}); err != nil {
				b.Fatal(err)
			}
		}
		// Keep the pipeline bounded like a paced load generator would.
		for got.Load() < int64(i+1-64)*rooms*perRoom {
			time.Sleep(50 * time.Microsecond)
		}
	}
	want := int64(b.N) * rooms * perRoom
	deadline := time.Now().Add(30 * time.Second)
	for got.Load() < want && time.Now().Before(deadline) {
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	if n := got.Load(); n < want {
		b.Fatalf("delivered %d of %d (slow consumers: %d)", n, want, e.srv.Stats().SlowConsumers)
	}
	b.ReportMetric(float64(want)/b.Elapsed().Seconds(), "deliveries/s")
}

func readUntilB(b *testing.B, r *bufio.Reader, typ string) {
	b.Helper()
	for {
		f, err := ws.ReadFrame(r)
		if err != nil {
			b.Fatalf("waiting for %s: %v", typ, err)
		}
		if bytes.Contains(f.Payload, []byte(`"type":"`+typ+`"`)) {
			return
		}
	}
}
