package session

import (
	"context"
	"database/sql"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	presencemem "github.com/parley-chat/parley/internal/presence/memory"
	"github.com/parley-chat/parley/internal/protocol"
)

// readUntilPong reads frames until the pong with id and returns the message
// frames of room seen on the way.
func (c *client) readUntilPong(id string, room string) []frame {
	c.t.Helper()
	var msgs []frame
	for {
		f := c.expectAny()
		switch {
		case f.Type == "pong" && f.ID == id:
			return msgs
		case f.Type == "message" && f.Room == room:
			msgs = append(msgs, f)
		}
	}
}

// A user who leaves a room on one connection stops receiving it on every
// other connection too: they are no longer a member.
func TestLeaveEndsSubscriptionsOfOtherConnections(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	room := e.room("ann")
	e.join("bob", room)
	tab1 := e.login("bob")
	tab2 := e.login("bob")
	tab1.subscribe(room, -1)
	tab2.subscribe(room, -1)

	tab1.send(map[string]any{"type": "leave", "id": "l", "room": room})
	tab1.expectSkipping("reply")

	ann := e.login("ann")
	ann.send(map[string]any{"type": "send", "id": "m", "room": room, "text": "after bob left", "cmid": "x1"})
	ann.expectSkipping("ack") // published (synchronously, memory broker) before the ack
	tab2.send(map[string]any{"type": "ping", "id": "p"})
	for _, m := range tab2.readUntilPong("p", room) {
		if m.Kind == "text" {
			t.Fatalf("bob's other connection still receives the room after leaving: %+v", m)
		}
	}
	// The subscription is gone: typing says so.
	tab2.send(map[string]any{"type": "typing", "id": "t", "room": room})
	tab2.expectError("t", "not_subscribed")
}

// gatedPresence is the memory presence whose next Enter, once armed, waits
// for release.
type gatedPresence struct {
	*presencemem.Presence
	mu      sync.Mutex
	entered chan struct{}
	release chan struct{}
}

func (g *gatedPresence) arm() (entered <-chan struct{}, release func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.entered, g.release = make(chan struct{}), make(chan struct{})
	rel := g.release
	return g.entered, sync.OnceFunc(func() { close(rel) })
}

func (g *gatedPresence) Enter(ctx context.Context, tenant, roomID, userID string) (int, error) {
	g.mu.Lock()
	entered, release := g.entered, g.release
	g.entered, g.release = nil, nil
	g.mu.Unlock()
	if entered != nil {
		close(entered)
		<-release
	}
	return g.Presence.Enter(ctx, tenant, roomID, userID)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// A connection that ends while its subscribe is entering presence must not
// leave the user online in the room for good.
func TestPresenceNotLeakedWhenConnEndsDuringSubscribe(t *testing.T) {
	gp := &gatedPresence{Presence: presencemem.New()}
	e := newEnv(t, Config{Presence: gp, WriteTimeout: 20 * time.Millisecond, Linger: 20 * time.Millisecond}, nil)
	room := e.room("ann")
	e.join("bob", room)
	bob := e.login("bob")
	entered, release := gp.arm()
	defer release()
	bob.send(map[string]any{"type": "subscribe", "id": "s", "room": room, "after": 0})
	<-entered
	// Reading is paused while the operation runs; the close and the
	// sweeper's linger deadline end the connection meanwhile.
	e.srv.CloseUser("acme", "bob", protocol.CloseSessionRevoked)
	waitUntil(t, "the connection to be torn down", func() bool { return e.srv.Stats().Connections == 0 })
	release()
	e.srv.ops.Wait() // the subscribe operation has ended
	on, err := gp.Online(context.Background(), "acme", []string{room})
	if err != nil {
		t.Fatal(err)
	}
	if on[room] != 0 {
		t.Fatalf("online %d after the only connection ended, want 0", on[room])
	}
}

// A connection cannot grow its subscriptions (hub entries, presence,
// typing fan-out) without bound.
func TestSubscriptionsPerConnectionAreCapped(t *testing.T) {
	e := newEnv(t, Config{MaxSubscriptions: 2}, nil)
	var ids []string
	for range 3 {
		r := e.room("ann")
		e.join("bob", r)
		ids = append(ids, r)
	}
	bob := e.login("bob")
	bob.subscribe(ids[0], -1)
	bob.subscribe(ids[1], -1)
	bob.send(map[string]any{"type": "subscribe", "id": "s3", "room": ids[2], "after": -1})
	bob.expectError("s3", "forbidden")
	bob.send(map[string]any{"type": "unsubscribe", "id": "u", "room": ids[0]})
	bob.expectSkipping("reply")
	bob.subscribe(ids[2], -1)
}

// A room whose stored seqs start above the first catch-up window (older
// messages removed, e.g. by a retention job or a partial restore) still
// catches up from 0 without a gap.
func TestCatchUpFromZeroWhenSeqsStartAbove200(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	room := e.room("ann")
	e.join("bob", room)
	batch := make([]chat.NewMessage, 210)
	for i := range batch {
		batch[i] = chat.NewMessage{Tenant: "acme", RoomID: room, Kind: chat.KindText, AuthorID: "ann", AuthorName: "N-ann", Text: "m"}
	}
	res, err := e.store.AppendMessages(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	top := res[len(res)-1].Message.Seq
	db, err := sql.Open("sqlite", e.dbPath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM messages WHERE tenant = 'acme' AND room_id = ? AND seq <= 205`, room); err != nil {
		t.Fatal(err)
	}
	bob := e.login("bob")
	msgs, sub := bob.subscribe(room, 0)
	if len(msgs) != int(top-205) || msgs[0].Seq != 206 || sub.LastSeq != top {
		t.Fatalf("caught up seqs %v, subscribed at %d; want 206..%d", seqs(msgs), sub.LastSeq, top)
	}
}
