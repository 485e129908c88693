// Package store holds what Parley's chat.Store implementations
// (store/sqlite, store/postgres) share so that they behave the same: the
// ListRooms cursor, limits, input checks, how titles are folded for search
// and how times are kept. The conformance suite in store/storetest checks
// that they do.
//
// Conventions both implementations follow, beyond the chat.Store contract:
//   - Times are UTC, truncated to the millisecond, so they round-trip equal
//     through either database.
//   - Room.Tags is never nil: duplicates and empty tags are dropped, order
//     is kept. Returned slices (rooms, messages) are never nil.
//   - Negative limits, Before and After count as 0 (the defaults).
//   - AppendMessages accepts KindText and KindSystem; other kinds fail that
//     item with chat.ErrInvalid (deletions go through DeleteMessage).
//   - RemoveMember on a missing room returns chat.ErrNotFound.
//   - Infrastructure failures wrap chat.ErrUnavailable and the cause.
package store

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

// Limits of ListRooms and History, from the chat.Store contract.
const (
	DefaultRoomLimit    = 20
	MaxRoomLimit        = 100
	DefaultHistoryLimit = 50
	MaxHistoryLimit     = 500
)

// RoomLimit returns the page size ListRooms uses for a requested limit.
func RoomLimit(n int) int { return clamp(n, DefaultRoomLimit, MaxRoomLimit) }

// HistoryLimit returns the page size History uses for a requested limit.
func HistoryLimit(n int) int { return clamp(n, DefaultHistoryLimit, MaxHistoryLimit) }

func clamp(n, def, maxN int) int {
	switch {
	case n <= 0:
		return def
	case n > maxN:
		return maxN
	}
	return n
}

// Now returns the current time as the stores keep it: UTC, truncated to the
// millisecond.
func Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// FromMillis turns stored Unix milliseconds back into a time.
func FromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// Fold returns the form of a room title (and of a search string) that
// ListRooms compares, so that search is case-insensitive beyond ASCII and
// the same on every database whatever its collation.
func Fold(s string) string { return strings.ToLower(s) }

// Tags returns tags without empty strings or duplicates, in their first
// order; never nil.
func Tags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, tag := range tags {
		if tag == "" || contains(out, tag) {
			continue
		}
		out = append(out, tag)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Cursor is a position in the ListRooms order (LastActivity descending, then
// ID ascending): the next page starts after it.
type Cursor struct {
	LastActivity time.Time
	ID           string
}

// Encode returns the cursor as an opaque string for chat.RoomPage.Next.
func (c Cursor) Encode() string {
	raw := strconv.FormatInt(c.LastActivity.UnixMilli(), 10) + "." + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor parses a cursor made by Encode. Errors wrap chat.ErrInvalid.
func DecodeCursor(s string) (Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, fmt.Errorf("room cursor: %w", chat.ErrInvalid)
	}
	ms, id, ok := strings.Cut(string(raw), ".")
	if !ok || id == "" {
		return Cursor{}, fmt.Errorf("room cursor: %w", chat.ErrInvalid)
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return Cursor{}, fmt.Errorf("room cursor: %w", chat.ErrInvalid)
	}
	return Cursor{LastActivity: FromMillis(n), ID: id}, nil
}

// CheckRoom checks the fields of a new room that the store relies on.
// Errors wrap chat.ErrInvalid.
func CheckRoom(r chat.Room) error {
	switch {
	case r.Tenant == "":
		return fmt.Errorf("room tenant is empty: %w", chat.ErrInvalid)
	case r.ID == "":
		return fmt.Errorf("room id is empty: %w", chat.ErrInvalid)
	case !r.Kind.Valid():
		return fmt.Errorf("room kind %q is unknown: %w", r.Kind, chat.ErrInvalid)
	}
	return nil
}

// MemberRole returns the role a new membership is stored with: m.Role, or
// chat.RoleMember when empty. Errors wrap chat.ErrInvalid.
func MemberRole(m chat.Member) (chat.Role, error) {
	switch m.Role {
	case "":
		return chat.RoleMember, nil
	case chat.RoleOwner, chat.RoleMember:
		return m.Role, nil
	}
	return "", fmt.Errorf("member role %q is unknown: %w", m.Role, chat.ErrInvalid)
}

// CheckNewMessage checks one item of an AppendMessages batch. Errors wrap
// chat.ErrInvalid.
func CheckNewMessage(m chat.NewMessage) error {
	if m.Kind != chat.KindText && m.Kind != chat.KindSystem {
		return fmt.Errorf("message kind %q cannot be appended: %w", m.Kind, chat.ErrInvalid)
	}
	return nil
}

// RoomKey identifies a room.
type RoomKey struct{ Tenant, ID string }

// DedupKey identifies a message for idempotency: chat.NewMessage's
// (Tenant, RoomID, AuthorID, ClientMsgID).
type DedupKey struct{ Tenant, RoomID, AuthorID, ClientMsgID string }

// KeyOf returns m's idempotency key and whether it has one (a non-empty
// ClientMsgID).
func KeyOf(m chat.Message) (DedupKey, bool) {
	return DedupKey{m.Tenant, m.RoomID, m.AuthorID, m.ClientMsgID}, m.ClientMsgID != ""
}

// AppendPlan is the part of AppendMessages that does not depend on the
// database: checking items, finding repeats and handing out seqs. A store
// makes the plan, reads (and locks) Rooms in their order and looks up
// Keys, calls Assign, writes what it returns, and returns Results.
type AppendPlan struct {
	batch []chat.NewMessage
	// Results has one entry per item; items that failed the checks already
	// carry their error.
	Results []chat.AppendResult
	// Rooms are the rooms the batch appends to, sorted: reading and locking
	// them in this order keeps concurrent batches from deadlocking.
	Rooms []RoomKey
	// Keys are the distinct idempotency keys of the batch.
	Keys []DedupKey
}

// RoomSeq is a room's new last seq after a batch.
type RoomSeq struct {
	RoomKey
	LastSeq int64
}

// PlanAppend checks the items of a batch and collects its rooms and keys.
func PlanAppend(batch []chat.NewMessage) *AppendPlan {
	p := &AppendPlan{batch: batch, Results: make([]chat.AppendResult, len(batch))}
	seenKey := make(map[DedupKey]bool)
	seenRoom := make(map[RoomKey]bool)
	for i, in := range batch {
		if err := CheckNewMessage(in); err != nil {
			p.Results[i].Err = fmt.Errorf("append message: %w", err)
			continue
		}
		if rk := (RoomKey{in.Tenant, in.RoomID}); !seenRoom[rk] {
			seenRoom[rk] = true
			p.Rooms = append(p.Rooms, rk)
		}
		if k, ok := keyOfNew(in); ok && !seenKey[k] {
			seenKey[k] = true
			p.Keys = append(p.Keys, k)
		}
	}
	slices.SortFunc(p.Rooms, func(a, b RoomKey) int {
		return cmp.Or(strings.Compare(a.Tenant, b.Tenant), strings.Compare(a.ID, b.ID))
	})
	return p
}

func keyOfNew(m chat.NewMessage) (DedupKey, bool) {
	return DedupKey{m.Tenant, m.RoomID, m.AuthorID, m.ClientMsgID}, m.ClientMsgID != ""
}

// Assign fills Results given the rooms' current last seqs (a missing room
// is absent) and the stored messages with the plan's keys. Each new message
// gets its room's next seq, in batch order; a repeated key, in the store or
// earlier in the batch, returns that message with Duplicate set. It returns
// the messages to insert, in batch order, and the new last seq of each room
// that got one, in Rooms order.
func (p *AppendPlan) Assign(lastSeq map[RoomKey]int64, stored map[DedupKey]chat.Message, now time.Time) ([]chat.Message, []RoomSeq) {
	var insert []chat.Message
	first := make(map[DedupKey]int) // index of the batch's first item with a key
	next := make(map[RoomKey]int64, len(lastSeq))
	for i, in := range p.batch {
		if p.Results[i].Err != nil {
			continue
		}
		key, keyed := keyOfNew(in)
		if keyed {
			if j, ok := first[key]; ok {
				p.Results[i] = p.Results[j]
				p.Results[i].Duplicate = p.Results[j].Err == nil
				continue
			}
			first[key] = i
			if m, ok := stored[key]; ok {
				p.Results[i] = chat.AppendResult{Message: m, Duplicate: true}
				continue
			}
		}
		rk := RoomKey{in.Tenant, in.RoomID}
		seq, ok := next[rk]
		if !ok {
			if seq, ok = lastSeq[rk]; !ok {
				p.Results[i].Err = fmt.Errorf("append message: room %q: %w", in.RoomID, chat.ErrNotFound)
				continue
			}
		}
		seq++
		next[rk] = seq
		m := chat.Message{
			Tenant: in.Tenant, RoomID: in.RoomID, Seq: seq, Kind: in.Kind, Event: in.Event,
			AuthorID: in.AuthorID, AuthorName: in.AuthorName, Text: in.Text, ClientMsgID: in.ClientMsgID,
			CreatedAt: now,
		}
		p.Results[i].Message = m
		insert = append(insert, m)
	}
	var bumped []RoomSeq
	for _, rk := range p.Rooms {
		if seq, ok := next[rk]; ok {
			bumped = append(bumped, RoomSeq{rk, seq})
		}
	}
	return insert, bumped
}

// Unavailable wraps an infrastructure failure of operation op so that it
// matches both chat.ErrUnavailable and the cause.
func Unavailable(op string, err error) error {
	return fmt.Errorf("%s: %w: %w", op, chat.ErrUnavailable, err)
}

// Wrap adds op to err. Errors that already speak the domain (wrap a chat
// sentinel) keep their meaning; anything else is an infrastructure failure
// and wraps chat.ErrUnavailable too.
func Wrap(op string, err error) error {
	for _, domain := range []error{
		chat.ErrNotFound, chat.ErrConflict, chat.ErrNotMember, chat.ErrForbidden,
		chat.ErrRoomFull, chat.ErrInvalid, chat.ErrTooLong, chat.ErrUnavailable,
	} {
		if errors.Is(err, domain) {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	return Unavailable(op, err)
}
