package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// Session is Parley's server-side record of one sign-in. Its ID is also the
// refresh-token rotation family: every refresh token minted for the session
// belongs to it, and the reuse of any old one revokes the session.
type Session struct {
	ID        string
	Tenant    string
	UserID    string
	UserName  string
	AvatarURL string
	// Adapter is the sign-in flow that created the session.
	Adapter string
	// HostSession is the host service's own session id (exchange adapter);
	// empty when the adapter has none.
	HostSession string
	// HostExpiresAt is when the host session ends unless refreshed; zero
	// when there is no host session.
	HostExpiresAt time.Time
	// ExpiresAt is when the session (and its refresh token) ends unless
	// extended.
	ExpiresAt time.Time
	CreatedAt time.Time
	// RevokedAt is zero while the session is live.
	RevokedAt time.Time
}

// Live reports whether the session is neither revoked nor expired at now.
func (s Session) Live(now time.Time) bool {
	return s.RevokedAt.IsZero() && now.Before(s.ExpiresAt)
}

// RevokeFilter selects the sessions to revoke: all live sessions of one
// tenant matching exactly one of SessionID, UserID, HostSession or
// RefreshHash (the session that any of its refresh tokens, current or
// rotated away, belongs to).
type RevokeFilter struct {
	Tenant      string
	SessionID   string
	UserID      string
	HostSession string
	RefreshHash string
}

// SessionStore persists sessions, refresh-token hashes and used nonces.
// Every method is scoped by tenant and safe for concurrent use. Refresh
// tokens are never stored, only their SHA-256 hashes (HashToken).
type SessionStore interface {
	// CreateSession stores a new session with its first refresh-token hash.
	// Returns chat.ErrConflict if the id exists.
	CreateSession(ctx context.Context, s Session, refreshHash string) error
	// Session returns one session, revoked or not. Returns
	// ErrSessionNotFound if there is none in that tenant.
	Session(ctx context.Context, tenant, id string) (Session, error)
	// RotateRefresh atomically replaces the session's current refresh
	// token (oldHash) with newHash and returns the session. If oldHash is a
	// token of the session that was already rotated away, it revokes the
	// session (the whole family) and returns it with ErrRefreshReused, so
	// the caller can close the user's sockets; of two
	// concurrent rotations with the same token exactly one succeeds. Returns
	// ErrRefreshInvalid for an unknown hash and ErrSessionRevoked if the
	// session is revoked or expired at now.
	RotateRefresh(ctx context.Context, tenant, oldHash, newHash string, now time.Time) (Session, error)
	// ExtendSession sets a live session's host expiry and expiry. Returns
	// ErrSessionRevoked if it is revoked, ErrSessionNotFound if missing.
	ExtendSession(ctx context.Context, tenant, id string, hostExpiresAt, expiresAt time.Time) error
	// Revoke revokes every live session matching f at now and returns the
	// distinct user ids whose sessions it revoked (none is not an error).
	Revoke(ctx context.Context, f RevokeFilter, now time.Time) ([]string, error)
	// UseNonce records that nonce was used, remembering it until expiresAt.
	// Returns ErrNonceReplayed if it was recorded before and has not yet
	// expired at now. It may forget nonces that expired before now.
	UseNonce(ctx context.Context, tenant, nonce string, expiresAt, now time.Time) error
}

// HashToken is how a refresh token is stored: hex SHA-256.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// randomToken returns n random bytes, base64url without padding.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
