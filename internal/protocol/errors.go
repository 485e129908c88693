package protocol

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
)

// Code is a stable, documented error code. The same codes are used in
// socket error frames and REST error bodies.
type Code string

// Error codes. Keep docs/protocol.md and the generated TypeScript in step
// (go generate ./internal/protocol/tsgen).
const (
	CodeBadRequest      Code = "bad_request"      // malformed JSON or an invalid field
	CodeUnknownType     Code = "unknown_type"     // frame type not in the protocol
	CodeFrameTooLarge   Code = "frame_too_large"  // frame bigger than the limit
	CodeUnauthenticated Code = "unauthenticated"  // no, bad, forged or expired token
	CodeTokenExpired    Code = "token_expired"    // the access token is past its expiry
	CodeWrongTenant     Code = "wrong_tenant"     // token issued for another tenant
	CodeForbidden       Code = "forbidden"        // not allowed (origin, author, room kind)
	CodeNotFound        Code = "not_found"        // no such room or message in this tenant
	CodeNotMember       Code = "not_member"       // join the room first
	CodeConflict        Code = "conflict"         // already exists
	CodeRoomFull        Code = "room_full"        // the room reached its member limit
	CodeMessageTooLong  Code = "message_too_long" // text longer than the tenant allows
	CodeInvalidText     Code = "invalid_text"     // empty, not UTF-8, or control characters
	CodeRateLimited     Code = "rate_limited"     // too many sends; retry after a pause
	CodeResumeAhead     Code = "resume_ahead"     // subscribe after a seq the room has not reached
	CodeNotSubscribed   Code = "not_subscribed"   // the frame needs a subscription first
	CodeUnavailable     Code = "unavailable"      // a dependency failed; retry
	CodeInternal        Code = "internal"         // a bug; reported, not retried

	// Sign-in codes (REST sign-in routes; session_revoked also on the socket).
	CodeSessionRevoked     Code = "session_revoked"      // the sign-in session ended: enter again through the host
	CodeRefreshReused      Code = "refresh_reused"       // a used refresh token came back; the session is revoked
	CodeRedirectNotAllowed Code = "redirect_not_allowed" // return URL not on the tenant's origins
	CodeHostUnavailable    Code = "host_unavailable"     // the host service is down or slow; retry
	CodeHostRejected       Code = "host_rejected"        // the host refused the code or Parley's credentials
	CodeReplayed           Code = "replayed"             // the assertion's nonce or the JWT's id was used before
	CodeWrongRoom          Code = "wrong_room"           // the assertion is for another room
)

// temporary reports whether retrying a request that failed with code may
// succeed.
func (c Code) temporary() bool {
	return c == CodeRateLimited || c == CodeUnavailable || c == CodeHostUnavailable
}

// HTTPStatus is the one table from wire codes to HTTP statuses, used by
// every REST route (documented in docs/api.md).
func HTTPStatus(code Code) int {
	switch code {
	case CodeBadRequest, CodeInvalidText, CodeUnknownType, CodeResumeAhead, CodeNotSubscribed, CodeRedirectNotAllowed:
		return http.StatusBadRequest
	case CodeUnauthenticated, CodeTokenExpired, CodeSessionRevoked, CodeRefreshReused, CodeHostRejected, CodeReplayed:
		return http.StatusUnauthorized
	case CodeForbidden, CodeWrongTenant, CodeNotMember, CodeWrongRoom:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeConflict, CodeRoomFull:
		return http.StatusConflict
	case CodeFrameTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeMessageTooLong:
		return http.StatusUnprocessableEntity
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeHostUnavailable:
		return http.StatusBadGateway
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// Error is the one wire error: a stable code, a human message and whether
// retrying the same request may succeed.
type Error struct {
	Type      string `json:"type,omitempty"` // "error" on the socket; omitted in REST
	ID        string `json:"id,omitempty"`   // the client frame's id, if any
	Code      Code   `json:"code"`
	Message   string `json:"message"`
	Temporary bool   `json:"temporary,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf builds a wire error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Temporary: code.temporary()}
}

// ErrorFrom maps any error to its wire form. This is the one place where
// domain errors become wire codes. Errors that are not known domain errors
// become CodeInternal with a generic message, so internals never leak.
func ErrorFrom(err error) *Error {
	var wire *Error
	switch {
	case errors.As(err, &wire):
		return wire
	case errors.Is(err, chat.ErrNotFound):
		return Errorf(CodeNotFound, "%s", err)
	case errors.Is(err, chat.ErrNotMember):
		return Errorf(CodeNotMember, "%s", err)
	case errors.Is(err, chat.ErrConflict):
		return Errorf(CodeConflict, "%s", err)
	case errors.Is(err, chat.ErrForbidden):
		return Errorf(CodeForbidden, "%s", err)
	case errors.Is(err, chat.ErrRoomFull):
		return Errorf(CodeRoomFull, "%s", err)
	case errors.Is(err, chat.ErrInvalidText):
		return Errorf(CodeInvalidText, "%s", err)
	case errors.Is(err, chat.ErrTooLong):
		return Errorf(CodeMessageTooLong, "%s", err)
	case errors.Is(err, chat.ErrInvalid):
		return Errorf(CodeBadRequest, "%s", err)
	case errors.Is(err, chat.ErrUnavailable):
		return Errorf(CodeUnavailable, "temporarily unavailable, retry")
	default:
		return Errorf(CodeInternal, "internal error")
	}
}

// WebSocket close codes sent by the server. 1000-1011 are RFC 6455's; the
// 4000 range is Parley's own.
const (
	CloseNormal           = 1000 // the client asked to close
	CloseGoingAway        = 1001 // the server stopped before the client reconnected
	CloseProtocolError    = 1002 // not a WebSocket text frame we can read
	CloseTooBig           = 1009 // frame larger than the limit
	CloseInternal         = 1011 // server bug
	CloseReconnect        = 4000 // server restart: reconnect with back-off and resume
	CloseAuthFailed       = 4001 // no valid auth frame in time, or a bad token
	CloseTokenExpired     = 4002 // access token expired and was not refreshed
	CloseSessionRevoked   = 4003 // the session was revoked: sign in again through the host
	CloseSlowConsumer     = 4008 // outbound queue overflowed: reconnect and resume
	CloseHeartbeatTimeout = 4009 // no frame from the client within the deadline
	CloseRateLimited      = 4029 // kept flooding after rate_limited errors
)
