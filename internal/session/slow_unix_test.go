//go:build unix

package session

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/protocol"
)

func setRcvbuf(n int) func(network, address string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
		}); err != nil {
			return err
		}
		return serr
	}
}

// TestSlowConsumerClosed4008 fills the queue of a client that stops
// reading; it is closed with 4008 while another member keeps receiving.
func TestSlowConsumerClosed4008(t *testing.T) {
	e := newEnv(t, Config{QueueSize: 16, WriteTimeout: 5 * time.Second}, nil)
	room := e.room("ann")
	e.join("bob", room)
	e.join("cat", room)
	slow, _, err := e.dialT("acme", dialOpt{cookie: e.token("acme", "bob", time.Hour), client: rawDialer(4096)})
	if err != nil {
		t.Fatal(err)
	}
	slow.expect("welcome")
	slow.subscribe(room, -1)
	good := e.login("cat")
	good.subscribe(room, -1)

	// Big ephemeral frames fill the socket buffers, then the queue.
	payload := `{"type":"typing","room":"` + room + `","user":"x","name":"` + strings.Repeat("x", 32<<10) + `"}`
	ctx := context.Background()
	received := 0
	for i := 0; e.srv.Stats().SlowConsumers == 0; i++ {
		if i == 10000 {
			t.Fatal("slow consumer never closed")
		}
		if err := e.rooms.PublishEphemeral(ctx, "acme", room, []byte(payload)); err != nil {
			t.Fatal(err)
		}
		good.expect("typing") // the good client keeps up
		received++
	}
	// The room goes on for the others.
	ann := e.login("ann")
	ann.send(map[string]any{"type": "send", "id": "m", "room": room, "text": "still here"})
	ann.expect("ack")
	if m := good.expectSkipping("message"); m.Text != "still here" {
		t.Fatalf("good client got %+v", m)
	}
	// The slow client, reading at last, finds the close after what was
	// already written.
	slow.expectClose(protocol.CloseSlowConsumer)
	t.Logf("slow consumer closed after %d frames of %d bytes", received, len(payload))
}
