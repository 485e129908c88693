// Package protocol defines Parley's WebSocket wire format: the frames a
// client and the server exchange, the error codes and the close codes. It is
// shared by the server, the tests and the load generator, and is the source
// the TypeScript codes are generated from (see docs/protocol.md).
package protocol

import "github.com/parley-chat/parley/internal/chat"

// Version is the protocol version announced in the welcome frame.
const Version = 1

// Client frame types.
const (
	TypeAuth        = "auth"        // first frame when no cookie authenticated the upgrade
	TypeSubscribe   = "subscribe"   // receive a room's messages, resuming after a seq
	TypeUnsubscribe = "unsubscribe" // stop receiving a room
	TypeJoin        = "join"        // become a member of an open room
	TypeLeave       = "leave"       // end membership
	TypeSend        = "send"        // post a text message
	TypeDelete      = "delete"      // delete own message
	TypeTyping      = "typing"      // ephemeral "is typing"
	TypeHistory     = "history"     // page a room's history
	TypePing        = "ping"        // liveness, either direction
	TypePong        = "pong"        // answer to ping, either direction
	TypeRefresh     = "refresh"     // hand a fresh access token over the open socket
)

// Server frame types (besides TypePing and TypePong).
const (
	TypeWelcome    = "welcome"    // authenticated; carries session facts
	TypeReply      = "reply"      // success answer to a client frame with an id
	TypeError      = "error"      // failure answer, or a problem with no request
	TypeAck        = "ack"        // a send was stored: its seq
	TypeMessage    = "message"    // a room message (live or catch-up)
	TypeSubscribed = "subscribed" // catch-up finished; live from here on
	TypeTyping2    = TypeTyping   // someone is typing (server -> client reuses the name)
	TypePresence   = "presence"   // a room's online count changed
	TypeReconnect  = "reconnect"  // the server is going away: reconnect and resume
	TypeExpiring   = "expiring"   // the access token expires soon: send refresh
)

// ClientFrame is every frame a client sends; Type selects which fields count.
// Unknown fields are ignored; a frame with an unknown Type is answered with
// CodeUnknownType.
type ClientFrame struct {
	Type        string `json:"type"`
	ID          string `json:"id,omitempty"`    // echoed in the reply/error/ack
	Token       string `json:"token,omitempty"` // auth, refresh
	Room        string `json:"room,omitempty"`
	After       int64  `json:"after,omitempty"`  // subscribe, history
	Before      int64  `json:"before,omitempty"` // history
	Limit       int    `json:"limit,omitempty"`  // history
	Text        string `json:"text,omitempty"`   // send
	ClientMsgID string `json:"cmid,omitempty"`   // send: idempotency key
	Seq         int64  `json:"seq,omitempty"`    // delete
}

// Welcome is sent once the connection is authenticated.
type Welcome struct {
	Type        string `json:"type"` // "welcome"
	Version     int    `json:"version"`
	ConnID      string `json:"conn"`
	Tenant      string `json:"tenant"`
	UserID      string `json:"user"`
	Name        string `json:"name"`
	PingSeconds int    `json:"ping"`      // server pings when idle this long
	ExpiresAt   int64  `json:"expiresAt"` // access token expiry, Unix ms
	MaxText     int    `json:"maxText"`   // tenant's max message length in characters
}

// Reply answers a client frame that carried an id and succeeded.
type Reply struct {
	Type      string    `json:"type"` // "reply"
	ID        string    `json:"id"`
	Room      *RoomInfo `json:"room,omitempty"`      // join
	Messages  []Message `json:"messages,omitempty"`  // history
	ExpiresAt int64     `json:"expiresAt,omitempty"` // refresh
}

// Ack confirms a send: the message is stored durably with Seq.
type Ack struct {
	Type        string `json:"type"` // "ack"
	ID          string `json:"id,omitempty"`
	Room        string `json:"room"`
	Seq         int64  `json:"seq"`
	ClientMsgID string `json:"cmid,omitempty"`
	At          int64  `json:"at"`                  // stored time, Unix ms
	Duplicate   bool   `json:"duplicate,omitempty"` // a retry of a stored send
}

// Message carries one room message. The same struct is used in history
// replies, where Type is empty and omitted.
type Message struct {
	Type        string `json:"type,omitempty"` // "message"
	Room        string `json:"room"`
	Seq         int64  `json:"seq"`
	Kind        string `json:"kind"`            // text | system | delete
	Event       string `json:"event,omitempty"` // system: join | leave | announce
	User        string `json:"user,omitempty"`
	Name        string `json:"name,omitempty"`
	Text        string `json:"text,omitempty"`
	ClientMsgID string `json:"cmid,omitempty"`
	Ref         int64  `json:"ref,omitempty"` // delete: seq of the deleted message
	Deleted     bool   `json:"deleted,omitempty"`
	At          int64  `json:"at"` // Unix ms
}

// Subscribed says that catch-up for a room is complete: every message up to
// LastSeq was sent, and live messages follow.
type Subscribed struct {
	Type    string `json:"type"` // "subscribed"
	ID      string `json:"id,omitempty"`
	Room    string `json:"room"`
	LastSeq int64  `json:"lastSeq"`
	Online  int    `json:"online"`
}

// Typing says a user is typing in a room.
type Typing struct {
	Type string `json:"type"` // "typing"
	Room string `json:"room"`
	User string `json:"user"`
	Name string `json:"name"`
}

// Presence carries a room's online count (distinct users).
type Presence struct {
	Type   string `json:"type"` // "presence"
	Room   string `json:"room"`
	Online int    `json:"online"`
}

// Reconnect asks the client to reconnect after AfterMs (plus jitter) and
// resume every room from its last seq.
type Reconnect struct {
	Type    string `json:"type"` // "reconnect"
	Reason  string `json:"reason"`
	AfterMs int    `json:"afterMs"`
}

// Expiring warns that the access token expires at ExpiresAt (Unix ms); the
// client should send a refresh frame with a new token before then.
type Expiring struct {
	Type      string `json:"type"` // "expiring"
	ExpiresAt int64  `json:"expiresAt"`
}

// Ping and Pong frames: {"type":"ping"} / {"type":"pong"}.
type Ping struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
}

// RoomInfo describes a room on the wire (socket replies and REST).
type RoomInfo struct {
	ID           string   `json:"id"`
	Kind         string   `json:"kind"`
	Title        string   `json:"title"`
	Topic        string   `json:"topic,omitempty"`
	Tags         []string `json:"tags"`
	Owner        string   `json:"owner,omitempty"`
	Members      int      `json:"members"`
	Online       int      `json:"online"`
	LastSeq      int64    `json:"lastSeq"`
	LastActivity int64    `json:"lastActivity"` // Unix ms
	CreatedAt    int64    `json:"createdAt"`    // Unix ms
}

// FromMessage converts a stored message to its wire form (Type left empty).
func FromMessage(m chat.Message) Message {
	return Message{
		Room:        m.RoomID,
		Seq:         m.Seq,
		Kind:        string(m.Kind),
		Event:       m.Event,
		User:        m.AuthorID,
		Name:        m.AuthorName,
		Text:        m.Text,
		ClientMsgID: m.ClientMsgID,
		Ref:         m.Ref,
		Deleted:     m.Deleted,
		At:          m.CreatedAt.UnixMilli(),
	}
}

// FromRoom converts a room to its wire form with the given online count.
func FromRoom(r chat.Room, online int) RoomInfo {
	tags := r.Tags
	if tags == nil {
		tags = []string{}
	}
	return RoomInfo{
		ID:           r.ID,
		Kind:         string(r.Kind),
		Title:        r.Title,
		Topic:        r.Topic,
		Tags:         tags,
		Owner:        r.OwnerID,
		Members:      r.MemberCount,
		Online:       online,
		LastSeq:      r.LastSeq,
		LastActivity: r.LastActivity.UnixMilli(),
		CreatedAt:    r.CreatedAt.UnixMilli(),
	}
}
