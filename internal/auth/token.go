// Package auth issues and verifies Parley's own access tokens, and hosts the
// per-tenant sign-in adapters that trade a host service's proof of identity
// for them.
//
// An access token is a JWT (RFC 7519) signed with Ed25519 ("alg":"EdDSA"):
//
//	header  {"alg":"EdDSA","typ":"JWT","kid":"<key id>"}
//	claims  {"iss":"parley","aud":"<tenant>","sub":"<user id>","name":"<nickname>",
//	         "sid":"<session id>","iat":<unix>,"exp":<unix>,"jti":"<random>"}
//
// The signing key is a 32-byte Ed25519 seed kept in the data directory
// (token.key) or given by PARLEY_TOKEN_KEY, so every node of a cluster
// verifies every other node's tokens.
package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer is the iss claim of every Parley token.
const Issuer = "parley"

// Token errors, tested with errors.Is.
var (
	// ErrTokenInvalid: malformed, forged, wrong algorithm or wrong issuer.
	ErrTokenInvalid = errors.New("invalid token")
	// ErrTokenExpired: well formed and genuine, but past its expiry.
	ErrTokenExpired = errors.New("token expired")
	// ErrWrongTenant: genuine, but issued for another tenant.
	ErrWrongTenant = errors.New("token issued for another tenant")
)

// Claims are what an access token asserts.
type Claims struct {
	Tenant    string
	UserID    string
	Name      string
	SessionID string // server-side session, empty for tokens minted by `parley token`
	ExpiresAt time.Time
}

type jwtClaims struct {
	Name      string `json:"name"`
	SessionID string `json:"sid,omitempty"`
	jwt.RegisteredClaims
}

// Keys signs and verifies access tokens with one Ed25519 key pair.
type Keys struct {
	priv  ed25519.PrivateKey
	pub   ed25519.PublicKey
	kid   string
	now   func() time.Time
	parse *jwt.Parser
}

// NewKeys builds Keys from a 32-byte Ed25519 seed. now is the clock (nil
// means time.Now).
func NewKeys(seed []byte, now func() time.Time) (*Keys, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("token key: want %d-byte seed, got %d bytes", ed25519.SeedSize, len(seed))
	}
	if now == nil {
		now = time.Now
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	return &Keys{
		priv: priv,
		pub:  pub,
		kid:  hex.EncodeToString(sum[:8]),
		now:  now,
		parse: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
			jwt.WithIssuer(Issuer),
			jwt.WithExpirationRequired(),
			jwt.WithTimeFunc(now),
		),
	}, nil
}

// LoadOrCreateKeys reads the seed from PARLEY_TOKEN_KEY-style base64 value
// if given, else from dir/token.key, creating that file (mode 0600) with a
// random seed on first use.
func LoadOrCreateKeys(dir, base64Seed string) (*Keys, error) {
	if base64Seed != "" {
		seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(base64Seed))
		if err != nil {
			return nil, fmt.Errorf("token key: decode base64: %w", err)
		}
		return NewKeys(seed, nil)
	}
	path := filepath.Join(dir, "token.key")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, fmt.Errorf("token key: %w", err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("token key: %w", err)
		}
		enc := base64.StdEncoding.EncodeToString(seed) + "\n"
		if err := os.WriteFile(path, []byte(enc), 0o600); err != nil {
			return nil, fmt.Errorf("token key: %w", err)
		}
		return NewKeys(seed, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("token key: %w", err)
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("token key %s: decode base64: %w", path, err)
	}
	return NewKeys(seed, nil)
}

// Mint signs an access token for c, valid for ttl from now. c.ExpiresAt is
// ignored.
func (k *Keys) Mint(c Claims, ttl time.Duration) (string, time.Time, error) {
	if c.Tenant == "" || c.UserID == "" {
		return "", time.Time{}, errors.New("mint token: tenant and user are required")
	}
	now := k.now()
	exp := now.Add(ttl).Truncate(time.Second)
	jti := make([]byte, 12)
	if _, err := rand.Read(jti); err != nil {
		return "", time.Time{}, fmt.Errorf("mint token: %w", err)
	}
	claims := jwtClaims{
		Name:      c.Name,
		SessionID: c.SessionID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Audience:  jwt.ClaimStrings{c.Tenant},
			Subject:   c.UserID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        base64.RawURLEncoding.EncodeToString(jti),
		},
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = k.kid
	s, err := tok.SignedString(k.priv)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("mint token: %w", err)
	}
	return s, exp, nil
}

// Verify checks signature, algorithm, issuer and expiry, and that the token
// was issued for tenant (any tenant when tenant is empty). Errors wrap
// ErrTokenInvalid, ErrTokenExpired or ErrWrongTenant.
func (k *Keys) Verify(token, tenant string) (Claims, error) {
	var c jwtClaims
	_, err := k.parse.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return k.pub, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, ErrTokenExpired
	case err != nil:
		return Claims{}, fmt.Errorf("%w: %v", ErrTokenInvalid, err)
	}
	if len(c.Audience) != 1 || c.Subject == "" {
		return Claims{}, fmt.Errorf("%w: want one audience and a subject", ErrTokenInvalid)
	}
	if tenant != "" && c.Audience[0] != tenant {
		return Claims{}, ErrWrongTenant
	}
	return Claims{
		Tenant:    c.Audience[0],
		UserID:    c.Subject,
		Name:      c.Name,
		SessionID: c.SessionID,
		ExpiresAt: c.ExpiresAt.Time,
	}, nil
}
