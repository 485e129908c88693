// Package chat holds Parley's domain: tenants' rooms, members and messages,
// the errors every layer speaks, and the ports (Store, Broker, Presence) that
// concrete implementations satisfy. It imports no other Parley package.
package chat

import "time"

// RoomKind says who can find and join a room.
type RoomKind string

// Room kinds.
const (
	// RoomOpen is public within its tenant: listed, searchable, joinable by
	// any signed-in user of the tenant.
	RoomOpen RoomKind = "open"
	// RoomPrivate is created by the host service through the server API;
	// its members are whoever the host vouches for. It is never listed.
	RoomPrivate RoomKind = "private"
)

// Valid reports whether k is a known room kind.
func (k RoomKind) Valid() bool { return k == RoomOpen || k == RoomPrivate }

// Room is a conversation inside one tenant. (Tenant, ID) is its identity:
// the same ID in two tenants names two unrelated rooms.
type Room struct {
	Tenant       string
	ID           string
	Kind         RoomKind
	Title        string
	Topic        string
	Tags         []string
	OwnerID      string
	MemberCount  int
	LastSeq      int64     // seq of the newest message; 0 for an empty room
	LastActivity time.Time // time of the newest message, or creation
	CreatedAt    time.Time
}

// Role is a member's standing in a room.
type Role string

// Member roles.
const (
	RoleOwner  Role = "owner"
	RoleMember Role = "member"
)

// Member is one user's membership in one room.
type Member struct {
	Tenant string
	RoomID string
	UserID string
	Name   string
	Role   Role
	// JoinedSeq is the room's LastSeq when the user joined. When a tenant
	// hides history from newcomers, the member sees only seq > JoinedSeq.
	JoinedSeq int64
	JoinedAt  time.Time
}

// MessageKind says how a client renders a message.
type MessageKind string

// Message kinds.
const (
	// KindText is a user's text message.
	KindText MessageKind = "text"
	// KindSystem is written by the platform or the host: Event says which
	// (join, leave, announce); Text carries an announcement.
	KindSystem MessageKind = "system"
	// KindDelete records that the message with seq Ref was deleted by its
	// author. Deletions live in the room's sequence so that a client that
	// resumes from a seq learns of them exactly once and in order.
	KindDelete MessageKind = "delete"
)

// System message events.
const (
	EventJoin     = "join"
	EventLeave    = "leave"
	EventAnnounce = "announce"
)

// Message is one entry of a room's sequence.
type Message struct {
	Tenant     string
	RoomID     string
	Seq        int64 // assigned by the Store, per room, only increasing
	Kind       MessageKind
	Event      string // for KindSystem: EventJoin, EventLeave, EventAnnounce
	AuthorID   string // empty for platform system messages
	AuthorName string
	Text       string // empty once deleted
	// ClientMsgID is the sender's idempotency key: a retried send with the
	// same (room, author, ClientMsgID) returns the stored message.
	ClientMsgID string
	Ref         int64 // for KindDelete: the seq of the deleted message
	Deleted     bool  // the message was deleted; Text is empty
	CreatedAt   time.Time
}

// User is a signed-in person as the platform knows them.
type User struct {
	Tenant    string
	ID        string
	Name      string
	AvatarURL string
}
