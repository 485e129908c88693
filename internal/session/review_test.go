package session

import (
	"testing"
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
