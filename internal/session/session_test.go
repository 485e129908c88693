package session

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/protocol"
	"github.com/parley-chat/parley/internal/rooms"
	"github.com/parley-chat/parley/internal/tenant"
)

func TestAuthByFirstFrameAndByCookie(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	c := e.dial(dialOpt{origin: goodOrigin})
	c.send(map[string]any{"type": "auth", "token": e.token("acme", "ann", time.Hour)})
	w := c.expect("welcome")
	if w.User != "ann" {
		t.Fatalf("welcome %+v", w)
	}
	// A second auth is refused but the connection stays.
	c.send(map[string]any{"type": "auth", "id": "a2", "token": e.token("acme", "ann", time.Hour)})
	c.expectError("a2", "bad_request")

	ck := e.dial(dialOpt{cookie: e.token("acme", "bob", time.Hour)})
	if w := ck.expect("welcome"); w.User != "bob" {
		t.Fatalf("cookie welcome %+v", w)
	}
	ck.send(map[string]any{"type": "ping", "id": "p"})
	if f := ck.expect("pong"); f.ID != "p" {
		t.Fatalf("pong %+v", f)
	}
}

func TestAuthFailuresClose4001(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	past, err := auth.NewKeys(seed, func() time.Time { return time.Now().Add(-2 * time.Hour) })
	if err != nil {
		t.Fatal(err)
	}
	expired, _, err := past.Mint(auth.Claims{Tenant: "acme", UserID: "ann"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	otherSeed := make([]byte, 32)
	otherSeed[0] = 1
	forger, err := auth.NewKeys(otherSeed, nil)
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := forger.Mint(auth.Claims{Tenant: "acme", UserID: "ann"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		frame  map[string]any // first frame, or nil for cookie
		cookie string
		code   string // expected error code
	}{
		{"expired token", map[string]any{"type": "auth", "id": "1", "token": expired}, "", "token_expired"},
		{"wrong tenant", map[string]any{"type": "auth", "id": "1", "token": e.token("other", "ann", time.Hour)}, "", "wrong_tenant"},
		{"forged token", map[string]any{"type": "auth", "id": "1", "token": forged}, "", "unauthenticated"},
		{"garbage token", map[string]any{"type": "auth", "id": "1", "token": "x.y.z"}, "", "unauthenticated"},
		{"frame before auth", map[string]any{"type": "subscribe", "id": "1", "room": "r"}, "", "unauthenticated"},
		{"expired cookie", nil, expired, "token_expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.dial(dialOpt{cookie: tt.cookie})
			id := ""
			if tt.frame != nil {
				c.send(tt.frame)
				id = "1"
			}
			c.expectError(id, tt.code)
			c.expectClose(protocol.CloseAuthFailed)
		})
	}
}

func TestNoAuthInTimeCloses4001(t *testing.T) {
	e := newEnv(t, Config{AuthTimeout: 100 * time.Millisecond}, nil)
	c := e.dial(dialOpt{})
	c.expectError("", "unauthenticated")
	c.expectClose(protocol.CloseAuthFailed)
}

func TestUpgradeChecksTenantAndOrigin(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	tests := []struct {
		tenant string
		origin string
		status int // 0: upgraded
	}{
		{"acme", goodOrigin, 0},
		{"acme", "", 0}, // non-browser client
		{"acme", "https://evil.example", http.StatusForbidden},
		{"nope", goodOrigin, http.StatusNotFound},
	}
	for _, tt := range tests {
		c, resp, err := e.dialT(tt.tenant, dialOpt{origin: tt.origin})
		if tt.status == 0 {
			if err != nil {
				t.Fatalf("%s from %q: %v", tt.tenant, tt.origin, err)
			}
			c.ws.CloseNow()
			continue
		}
		if err == nil || resp == nil || resp.StatusCode != tt.status {
			t.Fatalf("%s from %q: err %v, response %v; want status %d", tt.tenant, tt.origin, err, resp, tt.status)
		}
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t, Config{MaxFrame: 1024}, nil)
	room := e.room("ann")
	otherRoom, err := e.rooms.CreateRoom(context.Background(), chat.User{Tenant: "other", ID: "zed", Name: "Z"}, roomSpec("theirs"))
	if err != nil {
		t.Fatal(err)
	}
	c := e.login("ann")
	c.sendRaw(websocket.MessageText, []byte(`{"type":`))
	c.expectError("", "bad_request")
	c.send(map[string]any{"type": "dance", "id": "d1"})
	c.expectError("d1", "unknown_type")
	c.send(map[string]any{"type": "subscribe", "id": "s1", "room": otherRoom.ID})
	c.expectError("s1", "not_found")
	c.send(map[string]any{"type": "subscribe", "id": "s2", "room": "bad room"})
	c.expectError("s2", "bad_request")
	c.send(map[string]any{"type": "send", "id": "m1", "room": room, "text": strings.Repeat("a", 51), "cmid": "c1"})
	c.expectError("m1", "message_too_long")
	c.send(map[string]any{"type": "subscribe", "id": "s3", "room": room, "after": 99})
	c.expectError("s3", "resume_ahead")
	c.send(map[string]any{"type": "typing", "id": "t1", "room": room})
	c.expectError("t1", "not_subscribed")
	c.send(map[string]any{"type": "unsubscribe", "id": "u1", "room": room})
	c.expectError("u1", "not_subscribed")

	bob := e.login("bob")
	bob.send(map[string]any{"type": "send", "id": "m2", "room": room, "text": "hi", "cmid": "c2"})
	bob.expectError("m2", "not_member")
	bob.send(map[string]any{"type": "subscribe", "id": "s4", "room": room, "after": 0})
	bob.expectError("s4", "not_member")

	// Still usable after all that.
	c.send(map[string]any{"type": "ping", "id": "p"})
	c.expect("pong")

	// Oversize: error then 1009.
	c.send(map[string]any{"type": "send", "id": "big", "room": room, "text": strings.Repeat("a", 2000)})
	c.expectError("", "frame_too_large")
	c.expectClose(protocol.CloseTooBig)

	// Binary frames: error then 1002.
	bob.sendRaw(websocket.MessageBinary, []byte{1, 2, 3})
	bob.expectError("", "bad_request")
	bob.expectClose(protocol.CloseProtocolError)
}

func TestTwoClientsExchangeInRealTime(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	room := e.room("ann")
	ann := e.login("ann")
	bob := e.login("bob")
	bob.send(map[string]any{"type": "join", "id": "j", "room": room})
	if f := bob.expect("reply"); f.ID != "j" {
		t.Fatalf("join reply %+v", f)
	}
	_, sa := ann.subscribe(room, 0)
	_, sb := bob.subscribe(room, 0)
	if sa.Online < 1 || sb.Online != 2 {
		t.Fatalf("online counts %d, %d", sa.Online, sb.Online)
	}
	ann.send(map[string]any{"type": "send", "id": "m1", "room": room, "text": "hello bob", "cmid": "c1"})
	ack := ann.expectSkipping("ack") // the sender's own message may come first
	if ack.ID != "m1" || ack.Seq == 0 || ack.CMID != "c1" {
		t.Fatalf("ack %+v", ack)
	}
	m := bob.expect("message")
	if m.Text != "hello bob" || m.Seq != ack.Seq || m.User != "ann" {
		t.Fatalf("bob got %+v", m)
	}
	// Idempotent retry.
	ann.send(map[string]any{"type": "send", "id": "m2", "room": room, "text": "hello bob", "cmid": "c1"})
	if a := ann.expectSkipping("ack"); a.Seq != ack.Seq || !a.Duplicate {
		t.Fatalf("retry ack %+v, want duplicate of %d", a, ack.Seq)
	}
	// Typing reaches the other subscriber; a second one within 2 s is dropped.
	bob.send(map[string]any{"type": "typing", "room": room})
	bob.send(map[string]any{"type": "typing", "room": room})
	if f := ann.expectTyping(); f.User != "bob" {
		t.Fatalf("typing %+v", f)
	}
	bob.send(map[string]any{"type": "send", "id": "m3", "room": room, "text": "hi ann", "cmid": "c3"})
	if f := ann.expectSkipping("message"); f.Text != "hi ann" {
		t.Fatalf("ann got %+v", f)
	}
	// History over the socket.
	ann.send(map[string]any{"type": "history", "id": "h", "room": room, "limit": 10})
	h := ann.expectSkipping("reply")
	if h.ID != "h" || len(h.Messages) < 2 {
		t.Fatalf("history %+v", h)
	}
	// Delete own message: the tombstone is delivered live.
	ann.send(map[string]any{"type": "delete", "id": "del", "room": room, "seq": ack.Seq})
	ann.expectSkipping("reply")
	for {
		f := bob.expectSkipping("message")
		if f.Kind == "delete" {
			break
		}
		if f.Text != "hi ann" {
			t.Fatalf("bob got %+v, want the delete", f)
		}
	}
	// Presence: bob leaves, ann sees online drop to 1.
	bob.ws.CloseNow()
	for {
		f := ann.expectAny()
		if f.Type == "presence" && f.Online == 1 {
			break
		}
	}
}

func (c *client) expectAny() frame {
	c.t.Helper()
	f, err := c.read()
	if err != nil {
		c.t.Fatal(err)
	}
	return f
}

// expectSkipping reads until a frame of type typ, skipping any other.
func (c *client) expectSkipping(typ string) frame {
	c.t.Helper()
	for {
		if f := c.expectAny(); f.Type == typ {
			return f
		}
	}
}

func (c *client) expectTyping() frame { c.t.Helper(); return c.expect("typing") }

func TestResumeAfterDropExactlyOnceInOrder(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	room := e.room("ann")
	e.join("bob", room)
	bob := e.login("bob")
	_, sub := bob.subscribe(room, 0)
	last := sub.LastSeq
	ann := e.login("ann")
	send := func(text string) {
		ann.send(map[string]any{"type": "send", "room": room, "text": text})
		ann.expect("ack")
	}
	for i := range 5 {
		send("before " + string(rune('a'+i)))
	}
	for range 3 {
		last = bob.expect("message").Seq
	}
	bob.ws.CloseNow() // mid-stream
	for i := range 5 {
		send("after " + string(rune('a'+i)))
	}
	bob2 := e.login("bob")
	msgs, sub2 := bob2.subscribe(room, last)
	for i, m := range msgs {
		if m.Seq != last+int64(i)+1 {
			t.Fatalf("resumed seqs %v after %d", seqs(msgs), last)
		}
	}
	if len(msgs) != 7 || sub2.LastSeq != msgs[len(msgs)-1].Seq {
		t.Fatalf("resumed %d messages (seqs %v), subscribed at %d; want 7", len(msgs), seqs(msgs), sub2.LastSeq)
	}
	send("live")
	if m := bob2.expect("message"); m.Seq != sub2.LastSeq+1 || m.Text != "live" {
		t.Fatalf("live %+v", m)
	}
}

func seqs(fs []frame) []int64 {
	out := make([]int64, len(fs))
	for i, f := range fs {
		out[i] = f.Seq
	}
	return out
}

// TestResumeRace keeps a sender busy while readers drop and resume over
// and over; every reader must see 1..N exactly once, in order.
func TestResumeRace(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	room := e.room("ann")
	const readers, total = 3, 300
	for i := range readers {
		e.join(readerName(i), room)
	}
	ctx := context.Background()
	// Seq 1 is ann's room creation or nothing: find where we start.
	r, err := e.rooms.Room(ctx, "acme", room)
	if err != nil {
		t.Fatal(err)
	}
	start := r.LastSeq
	var sender sync.WaitGroup
	sender.Add(1)
	go func() {
		defer sender.Done()
		u := chat.User{Tenant: "acme", ID: "ann", Name: "Ann"}
		for i := range total {
			if _, err := e.rooms.SendWait(ctx, u, room, "m", "c"+itoa(i)); err != nil {
				t.Errorf("send %d: %v", i, err)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for i := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := start
			target := start + total
			for round := 0; last < target; round++ {
				c := e.login(readerName(i))
				msgs, sub := c.subscribe(room, last)
				for _, m := range msgs {
					if m.Seq != last+1 {
						t.Errorf("reader %d round %d: seq %d after %d", i, round, m.Seq, last)
						return
					}
					last = m.Seq
				}
				if sub.LastSeq != last {
					t.Errorf("reader %d: subscribed at %d, last message %d", i, sub.LastSeq, last)
					return
				}
				// Read a few live messages, then drop.
				for k := 0; k < 1+round%7 && last < target; k++ {
					m := c.expectSkipping("message")
					if m.Seq != last+1 {
						t.Errorf("reader %d round %d live: seq %d after %d", i, round, m.Seq, last)
						return
					}
					last = m.Seq
				}
				c.ws.CloseNow()
			}
		}()
	}
	wg.Wait()
	sender.Wait()
}

func readerName(i int) string { return "reader" + itoa(i) }

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func TestFloodRateLimitedThen4029(t *testing.T) {
	e := newEnv(t, Config{FloodLimit: 5}, func(p *tenant.Policy) { p.SendsPerSecond, p.SendBurst = 0.001, 1 })
	room := e.room("ann")
	c := e.login("ann")
	c.send(map[string]any{"type": "send", "id": "m0", "room": room, "text": "x"})
	c.expectSkipping("ack")
	for i := 1; i <= 5; i++ {
		c.send(map[string]any{"type": "send", "id": "m" + itoa(i), "room": room, "text": "x"})
	}
	limited := 0
	for {
		f, err := c.read()
		if err != nil {
			if code := websocket.CloseStatus(err); code != protocol.CloseRateLimited {
				t.Fatalf("closed with %d (%v), want %d", code, err, protocol.CloseRateLimited)
			}
			break
		}
		switch {
		case f.Type == "error" && f.Code == "rate_limited" && f.Temporary && f.ID == "m"+itoa(limited+1):
			limited++
		case f.Type == "message" || f.Type == "presence":
		default:
			t.Fatalf("unexpected %+v", f)
		}
	}
	if limited != 5 {
		t.Fatalf("%d rate_limited errors before the close, want 5", limited)
	}
}

func TestHeartbeat(t *testing.T) {
	e := newEnv(t, Config{PingInterval: 50 * time.Millisecond}, nil)
	// A client that answers pings stays.
	alive := e.login("ann")
	for range 4 {
		alive.expect("ping")
		alive.send(map[string]any{"type": "pong"})
	}
	alive.send(map[string]any{"type": "ping", "id": "still"})
	alive.expect("pong")
	// A silent client is dropped with 4009 (its pings go unanswered).
	silent := e.login("bob")
	silent.expectClose(protocol.CloseHeartbeatTimeout)
}

func TestShutdownSendsReconnectAnd4000(t *testing.T) {
	e := newEnv(t, Config{ReconnectAfter: 1500 * time.Millisecond}, nil)
	c := e.login("ann")
	idle := e.dial(dialOpt{}) // not authenticated yet: told too
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- e.srv.Shutdown(ctx)
	}()
	for _, cl := range []*client{c, idle} {
		f := cl.expect("reconnect")
		if f.Reason != "shutdown" || f.AfterMs != 1500 {
			t.Fatalf("reconnect %+v", f)
		}
		cl.expectClose(protocol.CloseReconnect)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.dialT("acme", dialOpt{}); err == nil {
		t.Fatal("upgrade accepted after shutdown")
	}
}

func TestCloseUserAndSession(t *testing.T) {
	e := newEnv(t, Config{}, nil)
	a1, a2, b := e.login("ann"), e.login("ann"), e.login("bob")
	if n := e.srv.CloseUser("acme", "ann", protocol.CloseSessionRevoked); n != 2 {
		t.Fatalf("closed %d sockets, want 2", n)
	}
	a1.expectClose(protocol.CloseSessionRevoked)
	a2.expectClose(protocol.CloseSessionRevoked)
	if n := e.srv.CloseSession("s-bob", protocol.CloseSessionRevoked); n != 1 {
		t.Fatalf("closed %d sockets by session, want 1", n)
	}
	b.expectClose(protocol.CloseSessionRevoked)
}

func TestTokenExpiryWarningRefreshAndClose(t *testing.T) {
	e := newEnv(t, Config{ExpiryWarning: time.Hour}, nil)
	c := e.dial(dialOpt{})
	c.send(map[string]any{"type": "auth", "token": e.token("acme", "ann", 30*time.Minute)})
	c.expect("welcome")
	c.expect("expiring") // expires within the warning window
	c.send(map[string]any{"type": "refresh", "id": "r1", "token": e.token("acme", "bob", 2*time.Hour)})
	c.expectError("r1", "forbidden")
	c.send(map[string]any{"type": "refresh", "id": "r2", "token": e.token("acme", "ann", 2*time.Hour)})
	if f := c.expect("reply"); f.ID != "r2" || f.ExpiresAt < time.Now().Add(time.Hour).UnixMilli() {
		t.Fatalf("refresh reply %+v", f)
	}
	// A token that runs out on an open socket closes it with 4002.
	short := e.dial(dialOpt{})
	short.send(map[string]any{"type": "auth", "token": e.token("acme", "bob", time.Second)})
	short.expect("welcome")
	// "expiring" may or may not come first, depending on the sweep.
	if f := short.expectSkipping("error"); f.Code != "token_expired" {
		t.Fatalf("error %+v, want token_expired", f)
	}
	short.expectClose(protocol.CloseTokenExpired)
}

func roomSpec(title string) rooms.RoomSpec { return rooms.RoomSpec{Title: title} }
