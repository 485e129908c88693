package chat

import (
	"context"
	"time"
)

// Store is the record of truth: rooms, members and messages, always scoped
// by tenant. Every method is safe for concurrent use. No method returns a
// zero value with a nil error for something that does not exist: it returns
// ErrNotFound (wrapped).
type Store interface {
	// CreateRoom stores a new room with MemberCount 0, LastSeq 0 and
	// LastActivity = CreatedAt = now, and returns it as stored. Returns
	// ErrConflict if (Tenant, ID) exists.
	CreateRoom(ctx context.Context, r Room) (Room, error)
	// Room returns one room. Returns ErrNotFound if it does not exist in
	// that tenant.
	Room(ctx context.Context, tenant, roomID string) (Room, error)
	// ListRooms returns open rooms of one tenant matching q, most recently
	// active first. Private rooms are never listed.
	ListRooms(ctx context.Context, tenant string, q RoomQuery) (RoomPage, error)
	// UserRooms returns the rooms the user is a member of, most recently
	// active first.
	UserRooms(ctx context.Context, tenant, userID string) ([]Room, error)

	// AddMember makes the user a member and bumps the room's MemberCount.
	// JoinedSeq and JoinedAt are set by the store. If the user is already a
	// member it returns the existing membership and created=false. Returns
	// ErrNotFound if the room is missing and ErrRoomFull if the room already
	// has maxMembers members (maxMembers <= 0 means no limit).
	AddMember(ctx context.Context, m Member, maxMembers int) (_ Member, created bool, _ error)
	// RemoveMember ends a membership and lowers MemberCount. Returns
	// ErrNotMember if the user was not a member.
	RemoveMember(ctx context.Context, tenant, roomID, userID string) error
	// Member returns one membership; ErrNotMember if there is none
	// (ErrNotFound if the room itself is missing).
	Member(ctx context.Context, tenant, roomID, userID string) (Member, error)

	// AppendMessages stores a batch of messages in one transaction (group
	// commit) and returns one result per input, in order. Each new message
	// gets the next seq of its room: seqs only increase, never repeat, and
	// are assigned by the store so that several nodes sharing one database
	// never hand out the same one. The room's LastSeq and LastActivity
	// follow. Idempotent on (Tenant, RoomID, AuthorID, ClientMsgID) when
	// ClientMsgID is not empty: a repeat returns the stored message with
	// Duplicate=true, also within one batch. A per-item problem (ErrNotFound
	// for a missing room) is reported in that item's Err and does not fail
	// the others. A returned error means the whole batch was not stored:
	// nothing in it may be acknowledged.
	AppendMessages(ctx context.Context, batch []NewMessage) ([]AppendResult, error)
	// DeleteMessage tombstones message seq (clears its text, sets Deleted)
	// and appends a KindDelete message with Ref=seq authored by userID, in
	// one transaction; it returns the KindDelete message. Returns ErrNotFound
	// if there is no such text message or it is already deleted, and
	// ErrForbidden if userID is not its author.
	DeleteMessage(ctx context.Context, tenant, roomID string, seq int64, userID string) (Message, error)
	// History returns messages of one room by seq, ascending. See
	// HistoryOptions. Returns ErrNotFound if the room is missing.
	History(ctx context.Context, tenant, roomID string, opts HistoryOptions) ([]Message, error)

	// Close releases the store's resources.
	Close() error
}

// RoomQuery filters and pages ListRooms.
type RoomQuery struct {
	Search string // case-insensitive substring of the title, or an exact tag
	Tag    string // exact tag
	Limit  int    // 1..100; 0 means 20
	Cursor string // opaque, from RoomPage.Next; empty for the first page
}

// RoomPage is one page of rooms.
type RoomPage struct {
	Rooms []Room
	Next  string // cursor of the next page; empty on the last page
}

// NewMessage is a message to append; the store assigns Seq and CreatedAt.
type NewMessage struct {
	Tenant      string
	RoomID      string
	Kind        MessageKind
	Event       string
	AuthorID    string
	AuthorName  string
	Text        string
	ClientMsgID string
}

// AppendResult is the outcome of one NewMessage in a batch.
type AppendResult struct {
	Message   Message
	Duplicate bool  // ClientMsgID was seen before; Message is the stored one
	Err       error // per-item failure; Message is zero
}

// HistoryOptions pages History. With After > 0 it returns the first Limit
// messages with seq > After (for catching up); otherwise the last Limit
// messages with seq < Before (Before 0 means from the newest), still in
// ascending order.
type HistoryOptions struct {
	Before int64
	After  int64
	Limit  int // 1..500; 0 means 50
}

// Event is what travels through a Broker: one encoded server frame for all
// recipients, and the metadata the hub needs to order and route it without
// decoding it.
type Event struct {
	Tenant  string
	RoomID  string
	Seq     int64  // the message seq; 0 for ephemeral events (typing, presence)
	Payload []byte // an encoded server frame, shared read-only by all recipients
}

// Broker fans events out to every node that has subscribers for a room. It
// is never the record of truth: a message is in the Store before it is
// published, and a subscriber that misses events catches up from the Store.
type Broker interface {
	// Publish sends ev to the subscribers of its room on every node.
	Publish(ctx context.Context, ev Event) error
	// Subscribe calls handle for every event of the room published from
	// now on, in publish order per publisher, until the subscription is
	// cancelled. handle must not block for long.
	Subscribe(ctx context.Context, tenant, roomID string, handle func(Event)) (Subscription, error)
	// Close stops all subscriptions.
	Close() error
}

// Subscription is a live Broker subscription.
type Subscription interface {
	// Unsubscribe stops delivery; handle is not called after it returns.
	Unsubscribe() error
}

// Presence counts who is online in each room.
type Presence interface {
	// Enter records that one connection of user is online in the room and
	// returns the room's online count (distinct users).
	Enter(ctx context.Context, tenant, roomID, userID string) (int, error)
	// Leave undoes one Enter and returns the new online count.
	Leave(ctx context.Context, tenant, roomID, userID string) (int, error)
	// Online returns the online counts of the given rooms.
	Online(ctx context.Context, tenant string, roomIDs []string) (map[string]int, error)
}

// Clock is now; injectable for tests of expiry.
type Clock func() time.Time
