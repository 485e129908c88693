package chat

import "errors"

// Errors shared by every layer. Implementations wrap them with context
// (fmt.Errorf("append message: %w", ErrNotFound)); callers test with
// errors.Is. internal/protocol maps them to wire codes in one place.
var (
	// ErrNotFound: the room, member or message does not exist in this
	// tenant. Rooms of other tenants are reported as not found too, so
	// their existence never leaks.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the thing being created already exists.
	ErrConflict = errors.New("already exists")
	// ErrNotMember: the user is not a member of the room.
	ErrNotMember = errors.New("not a member of the room")
	// ErrForbidden: the user may not do this (e.g. delete another user's
	// message, create a room kind the tenant does not allow).
	ErrForbidden = errors.New("forbidden")
	// ErrRoomFull: the room reached its tenant's max members.
	ErrRoomFull = errors.New("room is full")
	// ErrInvalid: the input breaks a rule (too long, bad characters,
	// missing field). Wrapped with a message that names the rule.
	ErrInvalid = errors.New("invalid input")
	// ErrInvalidText: a message text is empty, not UTF-8, or holds control
	// characters.
	ErrInvalidText = errors.New("invalid text")
	// ErrTooLong: a message text is longer than the tenant allows.
	ErrTooLong = errors.New("message too long")
	// ErrUnavailable: a dependency (store, broker) failed; the operation
	// did not happen and can be retried.
	ErrUnavailable = errors.New("temporarily unavailable")
)
