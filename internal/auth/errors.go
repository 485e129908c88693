package auth

import (
	"errors"
	"net/http"

	"github.com/parley-chat/parley/internal/protocol"
)

// Sign-in errors, tested with errors.Is. wireError maps them to the wire
// codes below; adapters wrap them with context.
var (
	// ErrSessionNotFound: no session with that id in this tenant.
	ErrSessionNotFound = errors.New("session not found")
	// ErrSessionRevoked: the session was revoked (sign-out, host revoke,
	// refresh-token reuse) or has expired.
	ErrSessionRevoked = errors.New("session revoked")
	// ErrRefreshInvalid: the refresh token is missing or unknown.
	ErrRefreshInvalid = errors.New("refresh token invalid")
	// ErrRefreshReused: a refresh token was presented a second time; the
	// whole session family has been revoked.
	ErrRefreshReused = errors.New("refresh token reused")
	// ErrNonceReplayed: the nonce (or JWT id) was already used.
	ErrNonceReplayed = errors.New("nonce already used")
	// ErrRedirectNotAllowed: the return URL is neither a same-origin path
	// nor on one of the tenant's origins.
	ErrRedirectNotAllowed = errors.New("return URL not allowed")
	// ErrHostUnavailable: the host service did not answer in time, or
	// answered with a server error. Retrying may succeed.
	ErrHostUnavailable = errors.New("host service unavailable")
	// ErrHostRejected: the host refused (unknown, used or expired code,
	// wrong client credentials) or answered something Parley cannot use.
	ErrHostRejected = errors.New("host service refused the sign-in")
	// ErrHostSessionGone: the host says the user's host session has ended.
	ErrHostSessionGone = errors.New("host session ended")
	// ErrCredentialInvalid: an assertion or JWT is malformed, forged, uses a
	// refused algorithm or names the wrong audience or issuer.
	ErrCredentialInvalid = errors.New("credential invalid")
	// ErrCredentialExpired: an assertion or JWT is past its expiry, or
	// claims a lifetime longer than the adapter accepts.
	ErrCredentialExpired = errors.New("credential expired")
	// ErrWrongRoom: the assertion vouches for another room.
	ErrWrongRoom = errors.New("assertion is for another room")
	// ErrWrongAdapter: the tenant does not sign in with this adapter.
	ErrWrongAdapter = errors.New("tenant does not use this sign-in flow")
)

// Auth-specific wire codes, used in REST error bodies next to the protocol
// package's codes (unauthenticated, token_expired, wrong_tenant, ...).
const (
	CodeSessionRevoked     protocol.Code = "session_revoked"      // sign in again through the host
	CodeRefreshReused      protocol.Code = "refresh_reused"       // a used refresh token came back; session revoked
	CodeRedirectNotAllowed protocol.Code = "redirect_not_allowed" // return URL not on the tenant's origins
	CodeHostUnavailable    protocol.Code = "host_unavailable"     // the host is down or slow; retry
	CodeHostRejected       protocol.Code = "host_rejected"        // the host refused the code or Parley's credentials
	CodeAssertionReplayed  protocol.Code = "replayed"             // the assertion's nonce or JWT id was used before
	CodeWrongRoom          protocol.Code = "wrong_room"           // the assertion is for another room
)

// wireError maps an auth error to its wire form and HTTP status. Errors
// that are not auth errors go through protocol.ErrorFrom.
func wireError(err error) (*protocol.Error, int) {
	mk := func(code protocol.Code, msg string, status int) (*protocol.Error, int) {
		e := protocol.Errorf(code, "%s", msg)
		e.Temporary = code == CodeHostUnavailable || code == protocol.CodeUnavailable
		return e, status
	}
	switch {
	case errors.Is(err, ErrRefreshReused):
		return mk(CodeRefreshReused, "refresh token was already used; the session is revoked, sign in again", http.StatusUnauthorized)
	case errors.Is(err, ErrSessionRevoked), errors.Is(err, ErrHostSessionGone), errors.Is(err, ErrSessionNotFound):
		return mk(CodeSessionRevoked, "session ended; sign in again through the host service", http.StatusUnauthorized)
	case errors.Is(err, ErrRefreshInvalid):
		return mk(protocol.CodeUnauthenticated, "missing or unknown refresh token", http.StatusUnauthorized)
	case errors.Is(err, ErrNonceReplayed):
		return mk(CodeAssertionReplayed, "this credential was already used", http.StatusUnauthorized)
	case errors.Is(err, ErrRedirectNotAllowed):
		return mk(CodeRedirectNotAllowed, err.Error(), http.StatusBadRequest)
	case errors.Is(err, ErrHostUnavailable):
		return mk(CodeHostUnavailable, "the host service did not answer in time; retry", http.StatusBadGateway)
	case errors.Is(err, ErrHostRejected):
		return mk(CodeHostRejected, "the host service refused the sign-in", http.StatusUnauthorized)
	case errors.Is(err, ErrCredentialExpired), errors.Is(err, ErrTokenExpired):
		return mk(protocol.CodeTokenExpired, err.Error(), http.StatusUnauthorized)
	case errors.Is(err, ErrWrongTenant):
		return mk(protocol.CodeWrongTenant, err.Error(), http.StatusUnauthorized)
	case errors.Is(err, ErrCredentialInvalid), errors.Is(err, ErrTokenInvalid):
		return mk(protocol.CodeUnauthenticated, err.Error(), http.StatusUnauthorized)
	case errors.Is(err, ErrWrongRoom):
		return mk(CodeWrongRoom, err.Error(), http.StatusForbidden)
	case errors.Is(err, ErrWrongAdapter):
		return mk(protocol.CodeNotFound, err.Error(), http.StatusNotFound)
	}
	e := protocol.ErrorFrom(err)
	status := http.StatusInternalServerError
	switch e.Code {
	case protocol.CodeNotFound:
		status = http.StatusNotFound
	case protocol.CodeUnauthenticated, protocol.CodeTokenExpired, protocol.CodeWrongTenant:
		status = http.StatusUnauthorized
	case protocol.CodeRateLimited:
		status = http.StatusTooManyRequests
	case protocol.CodeBadRequest, protocol.CodeMessageTooLong, protocol.CodeInvalidText:
		status = http.StatusBadRequest
	case protocol.CodeForbidden, protocol.CodeNotMember:
		status = http.StatusForbidden
	case protocol.CodeRoomFull, protocol.CodeConflict:
		status = http.StatusConflict
	case protocol.CodeUnavailable:
		status = http.StatusServiceUnavailable
	}
	return e, status
}
