package auth

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

// Members is the consumer-side view of the rooms service: make sure a user
// vouched for by the host is a member of a (private) room. Already being a
// member is not an error. Returns chat.ErrNotFound if the room is missing.
type Members interface {
	AddMember(ctx context.Context, tenantID, roomID string, u chat.User) (chat.Member, error)
}

// Assertion is the payload a host server signs for the game-chat iframe.
// On the wire an assertion is
//
//	base64url(JSON payload) "." base64url(signature)
//
// without padding, where the signature covers the ASCII bytes of the first
// part: HMAC-SHA256 with the tenant's shared secret, or Ed25519 with the
// host's private key (the tenant configures the public key).
type Assertion struct {
	Tenant    string `json:"tenant"`
	UserID    string `json:"sub"`
	Name      string `json:"name"`
	Room      string `json:"room"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
	Nonce     string `json:"nonce"`
}

// MaxAssertionAge is the longest lifetime (exp - now) an assertion may
// claim.
const MaxAssertionAge = 5 * time.Minute

// clockSkew is tolerated between the host's clock and Parley's.
const clockSkew = 30 * time.Second

// assertionAdapter is the game-chat flow. Settings: secret (HMAC-SHA256,
// at least 32 bytes) or publicKey (base64 Ed25519 public key); maxAge
// (default and maximum 5m).
type assertionAdapter struct {
	tenant   string
	secret   []byte
	pub      ed25519.PublicKey
	maxAge   time.Duration
	members  Members
	sessions SessionStore
	now      chat.Clock
}

func newAssertionAdapter(s Settings, d Deps) (Adapter, error) {
	if err := s.Known("secret", "publicKey", "maxAge"); err != nil {
		return nil, err
	}
	a := &assertionAdapter{tenant: s.Tenant, members: d.Members, sessions: d.Sessions, now: d.Clock}
	secret, err := s.Get("secret", "")
	if err != nil {
		return nil, err
	}
	pub, err := s.Get("publicKey", "")
	if err != nil {
		return nil, err
	}
	switch {
	case secret != "" && pub != "":
		return nil, s.Errorf("secret", "set either secret or publicKey, not both")
	case secret != "":
		if len(secret) < 32 {
			return nil, s.Errorf("secret", "must be at least 32 bytes")
		}
		a.secret = []byte(secret)
	case pub != "":
		k, err := decodeB64(pub)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return nil, s.Errorf("publicKey", "want a base64 %d-byte Ed25519 public key", ed25519.PublicKeySize)
		}
		a.pub = k
	default:
		return nil, s.Errorf("secret", "required (or publicKey)")
	}
	if a.maxAge, err = s.Duration("maxAge", MaxAssertionAge, 10*time.Second, MaxAssertionAge); err != nil {
		return nil, err
	}
	if a.members == nil {
		return nil, s.Errorf("secret", "the assertion adapter needs the rooms service (Config.Members)")
	}
	return a, nil
}

func (a *assertionAdapter) Name() string { return "assertion" }

// SignIn takes {"assertion": "...", "room": "..."}: room, when given, is
// the room the iframe was opened for and must match the assertion's.
// Without it the user joins the assertion's room only.
func (a *assertionAdapter) SignIn(ctx context.Context, body []byte) (Identity, error) {
	var req struct {
		Assertion string `json:"assertion"`
		Room      string `json:"room"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return Identity{}, fmt.Errorf("assertion: %w: body is not JSON", chat.ErrInvalid)
	}
	p, err := a.verify(req.Assertion)
	if err != nil {
		return Identity{}, err
	}
	if req.Room != "" && req.Room != p.Room {
		return Identity{}, fmt.Errorf("assertion for room %q used in room %q: %w", p.Room, req.Room, ErrWrongRoom)
	}
	now := a.now()
	if err := a.sessions.UseNonce(ctx, a.tenant, "assertion:"+p.Nonce, time.Unix(p.ExpiresAt, 0).Add(clockSkew), now); err != nil {
		return Identity{}, fmt.Errorf("assertion: %w", err)
	}
	u := chat.User{Tenant: a.tenant, ID: p.UserID, Name: p.Name}
	if _, err := a.members.AddMember(ctx, a.tenant, p.Room, u); err != nil {
		return Identity{}, fmt.Errorf("assertion: join room: %w", err)
	}
	return Identity{User: u, Bearer: true, Room: p.Room}, nil
}

// verify checks signature, tenant, expiry and fields, but not the nonce.
func (a *assertionAdapter) verify(raw string) (Assertion, error) {
	payloadB64, sigB64, ok := strings.Cut(raw, ".")
	if !ok || len(raw) > 4096 {
		return Assertion{}, fmt.Errorf("assertion: %w: not payload.signature", ErrCredentialInvalid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(sigB64)
	if err != nil {
		return Assertion{}, fmt.Errorf("assertion: %w: bad signature encoding", ErrCredentialInvalid)
	}
	if a.secret != nil {
		mac := hmac.New(sha256.New, a.secret)
		mac.Write([]byte(payloadB64))
		if !hmac.Equal(sig, mac.Sum(nil)) {
			return Assertion{}, fmt.Errorf("assertion: %w: bad signature", ErrCredentialInvalid)
		}
	} else if !ed25519.Verify(a.pub, []byte(payloadB64), sig) {
		return Assertion{}, fmt.Errorf("assertion: %w: bad signature", ErrCredentialInvalid)
	}
	payload, err := base64.RawURLEncoding.DecodeString(payloadB64)
	if err != nil {
		return Assertion{}, fmt.Errorf("assertion: %w: bad payload encoding", ErrCredentialInvalid)
	}
	var p Assertion
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&p); err != nil {
		return Assertion{}, fmt.Errorf("assertion: %w: payload is not JSON", ErrCredentialInvalid)
	}
	now := a.now()
	exp := time.Unix(p.ExpiresAt, 0)
	switch {
	case p.Tenant != a.tenant:
		return Assertion{}, fmt.Errorf("assertion for tenant %q: %w", p.Tenant, ErrWrongTenant)
	case p.ExpiresAt == 0 || !now.Before(exp):
		return Assertion{}, fmt.Errorf("assertion: %w", ErrCredentialExpired)
	case exp.Sub(now) > a.maxAge+clockSkew:
		return Assertion{}, fmt.Errorf("assertion: %w: lifetime longer than %s", ErrCredentialInvalid, a.maxAge)
	case p.IssuedAt != 0 && time.Unix(p.IssuedAt, 0).After(now.Add(clockSkew)):
		return Assertion{}, fmt.Errorf("assertion: %w: issued in the future", ErrCredentialInvalid)
	case len(p.Nonce) < 16 || len(p.Nonce) > 128:
		return Assertion{}, fmt.Errorf("assertion: %w: nonce must be 16-128 characters", ErrCredentialInvalid)
	}
	if err := chat.ValidateID("sub", p.UserID); err != nil {
		return Assertion{}, fmt.Errorf("assertion: %w: %v", ErrCredentialInvalid, err)
	}
	if err := chat.ValidateID("room", p.Room); err != nil {
		return Assertion{}, fmt.Errorf("assertion: %w: %v", ErrCredentialInvalid, err)
	}
	if err := chat.ValidateText(p.Name, 64); err != nil {
		return Assertion{}, fmt.Errorf("assertion: %w: name: %v", ErrCredentialInvalid, err)
	}
	return p, nil
}

// decodeB64 accepts standard or URL base64, padded or not.
func decodeB64(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawURLEncoding.DecodeString(s)
}
