package auth

import (
	"errors"

	"github.com/parley-chat/parley/internal/protocol"
)

// Sign-in errors, tested with errors.Is. WireError maps them to wire
// codes; adapters wrap them with context.
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

// WireError maps an error of a sign-in flow or token check to its wire
// form: auth errors here, everything else through protocol.ErrorFrom. The
// HTTP status is protocol.HTTPStatus of its code.
func WireError(err error) *protocol.Error {
	switch {
	case errors.Is(err, ErrRefreshReused):
		return protocol.Errorf(protocol.CodeRefreshReused, "refresh token was already used; the session is revoked, sign in again")
	case errors.Is(err, ErrSessionRevoked), errors.Is(err, ErrHostSessionGone), errors.Is(err, ErrSessionNotFound):
		return protocol.Errorf(protocol.CodeSessionRevoked, "session ended; sign in again through the host service")
	case errors.Is(err, ErrRefreshInvalid):
		return protocol.Errorf(protocol.CodeUnauthenticated, "missing or unknown refresh token")
	case errors.Is(err, ErrNonceReplayed):
		return protocol.Errorf(protocol.CodeReplayed, "this credential was already used")
	case errors.Is(err, ErrRedirectNotAllowed):
		return protocol.Errorf(protocol.CodeRedirectNotAllowed, "%s", err)
	case errors.Is(err, ErrHostUnavailable):
		return protocol.Errorf(protocol.CodeHostUnavailable, "the host service did not answer in time; retry")
	case errors.Is(err, ErrHostRejected):
		return protocol.Errorf(protocol.CodeHostRejected, "the host service refused the sign-in")
	case errors.Is(err, ErrCredentialExpired), errors.Is(err, ErrTokenExpired):
		return protocol.Errorf(protocol.CodeTokenExpired, "%s", err)
	case errors.Is(err, ErrWrongTenant):
		return protocol.Errorf(protocol.CodeWrongTenant, "%s", err)
	case errors.Is(err, ErrCredentialInvalid), errors.Is(err, ErrTokenInvalid):
		return protocol.Errorf(protocol.CodeUnauthenticated, "%s", err)
	case errors.Is(err, ErrWrongRoom):
		return protocol.Errorf(protocol.CodeWrongRoom, "%s", err)
	case errors.Is(err, ErrWrongAdapter):
		return protocol.Errorf(protocol.CodeNotFound, "%s", err)
	}
	return protocol.ErrorFrom(err)
}
