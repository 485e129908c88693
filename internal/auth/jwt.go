package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parley-chat/parley/internal/chat"
)

// jwtAdapter lets a host backend sign a short-lived JWT that Parley trades
// for its own session, with no server-to-server call per sign-in.
//
// Settings: issuer (required); audience (default "parley"); either jwksURL
// (EdDSA or ES256 keys, fetched and cached) or hmacSecret (HS256, at least
// 32 bytes); maxAge (longest exp - now accepted, default 5m, at most 15m);
// sessionTTL (Parley session length, default 12h); timeout (JWKS fetch,
// default 5s); jwksCacheTTL (default 10m).
//
// Required claims: iss, aud, sub, exp, jti (single use) and tenant (the
// Parley tenant id). Optional: name, picture, iat.
type jwtAdapter struct {
	tenant     string
	parser     *jwt.Parser
	hmacSecret []byte
	jwks       *jwksCache
	maxAge     time.Duration
	sessionTTL time.Duration
	sessions   SessionStore
	now        chat.Clock
}

type hostJWTClaims struct {
	Tenant  string `json:"tenant"`
	Name    string `json:"name"`
	Picture string `json:"picture"`
	jwt.RegisteredClaims
}

func newJWTAdapter(s Settings, d Deps) (Adapter, error) {
	if err := s.Known("issuer", "audience", "jwksURL", "hmacSecret", "maxAge", "sessionTTL", "timeout", "jwksCacheTTL"); err != nil {
		return nil, err
	}
	a := &jwtAdapter{tenant: s.Tenant, sessions: d.Sessions, now: d.Clock}
	issuer, err := s.Required("issuer")
	if err != nil {
		return nil, err
	}
	audience, err := s.Get("audience", "parley")
	if err != nil {
		return nil, err
	}
	secret, err := s.Get("hmacSecret", "")
	if err != nil {
		return nil, err
	}
	_, hasJWKS := s.m["jwksURL"]
	var methods []string
	switch {
	case secret != "" && hasJWKS:
		return nil, s.Errorf("hmacSecret", "set either jwksURL or hmacSecret, not both")
	case secret != "":
		if len(secret) < 32 {
			return nil, s.Errorf("hmacSecret", "must be at least 32 bytes")
		}
		a.hmacSecret = []byte(secret)
		methods = []string{jwt.SigningMethodHS256.Alg()}
	case hasJWKS:
		u, err := s.URL("jwksURL")
		if err != nil {
			return nil, err
		}
		timeout, err := s.Duration("timeout", DefaultHostTimeout, 100*time.Millisecond, 30*time.Second)
		if err != nil {
			return nil, err
		}
		ttl, err := s.Duration("jwksCacheTTL", 10*time.Minute, time.Minute, 24*time.Hour)
		if err != nil {
			return nil, err
		}
		a.jwks = &jwksCache{url: u, http: d.HTTP, timeout: timeout, ttl: ttl, now: d.Clock}
		methods = []string{jwt.SigningMethodEdDSA.Alg(), jwt.SigningMethodES256.Alg()}
	default:
		return nil, s.Errorf("jwksURL", "required (or hmacSecret)")
	}
	if a.maxAge, err = s.Duration("maxAge", 5*time.Minute, 10*time.Second, 15*time.Minute); err != nil {
		return nil, err
	}
	if a.sessionTTL, err = s.Duration("sessionTTL", 12*time.Hour, time.Minute, 30*24*time.Hour); err != nil {
		return nil, err
	}
	a.parser = jwt.NewParser(
		jwt.WithValidMethods(methods),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(clockSkew),
		jwt.WithTimeFunc(d.Clock),
	)
	return a, nil
}

func (a *jwtAdapter) Name() string { return "jwt" }

// SignIn takes {"token": "<JWT>"}.
func (a *jwtAdapter) SignIn(ctx context.Context, body []byte) (Identity, error) {
	var req struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Token == "" || len(req.Token) > 8192 {
		return Identity{}, fmt.Errorf("jwt: %w: want {\"token\": \"<JWT>\"}", chat.ErrInvalid)
	}
	var c hostJWTClaims
	_, err := a.parser.ParseWithClaims(req.Token, &c, func(t *jwt.Token) (any, error) {
		if a.hmacSecret != nil {
			return a.hmacSecret, nil
		}
		kid, _ := t.Header["kid"].(string)
		return a.jwks.key(ctx, kid)
	})
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Identity{}, fmt.Errorf("jwt: %w", ErrCredentialExpired)
	case errors.Is(err, ErrHostUnavailable):
		return Identity{}, fmt.Errorf("jwt: %w", ErrHostUnavailable)
	case err != nil:
		return Identity{}, fmt.Errorf("jwt: %w: %v", ErrCredentialInvalid, err)
	}
	now := a.now()
	switch {
	case c.Tenant != a.tenant:
		return Identity{}, fmt.Errorf("jwt for tenant %q: %w", c.Tenant, ErrWrongTenant)
	case c.ExpiresAt.Sub(now) > a.maxAge+clockSkew:
		return Identity{}, fmt.Errorf("jwt: %w: lifetime longer than %s", ErrCredentialInvalid, a.maxAge)
	case len(c.ID) < 8 || len(c.ID) > 128:
		return Identity{}, fmt.Errorf("jwt: %w: jti must be 8-128 characters", ErrCredentialInvalid)
	}
	if err := chat.ValidateID("sub", c.Subject); err != nil {
		return Identity{}, fmt.Errorf("jwt: %w: %v", ErrCredentialInvalid, err)
	}
	name := c.Name
	if name == "" {
		name = c.Subject
	}
	if err := chat.ValidateText(name, 64); err != nil {
		return Identity{}, fmt.Errorf("jwt: %w: name: %v", ErrCredentialInvalid, err)
	}
	if err := a.sessions.UseNonce(ctx, a.tenant, "jwt:"+c.ID, c.ExpiresAt.Add(clockSkew), now); err != nil {
		return Identity{}, fmt.Errorf("jwt: %w", err)
	}
	return Identity{
		User:       chat.User{Tenant: a.tenant, ID: c.Subject, Name: name, AvatarURL: c.Picture},
		SessionTTL: a.sessionTTL,
	}, nil
}

// jwksCache fetches a JSON Web Key Set and keeps it for ttl. An unknown
// key id triggers at most one refetch per minute, so a flood of forged kids
// cannot turn Parley into a load generator against the host.
type jwksCache struct {
	url     string
	http    *http.Client
	timeout time.Duration
	ttl     time.Duration
	now     chat.Clock

	mu        sync.Mutex
	keys      map[string]any
	fetchedAt time.Time
}

func (c *jwksCache) key(ctx context.Context, kid string) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	age := now.Sub(c.fetchedAt)
	k, ok := c.keys[kid]
	if ok && age < c.ttl {
		return k, nil
	}
	if c.keys == nil || age >= c.ttl || age >= time.Minute {
		keys, err := c.fetch(ctx)
		if err != nil {
			if ok {
				return k, nil // serve a stale key while the host is down
			}
			return nil, err
		}
		c.keys, c.fetchedAt = keys, now
	}
	if k, ok := c.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("no JWKS key with kid %q", kid)
}

type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	Kid string `json:"kid"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

func (c *jwksCache) fetch(ctx context.Context) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w: %s", ErrHostUnavailable, transportReason(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: %w: host answered %d", ErrHostUnavailable, resp.StatusCode)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 256<<10)).Decode(&set); err != nil {
		return nil, fmt.Errorf("jwks: %w: undecodable key set", ErrHostUnavailable)
	}
	keys := make(map[string]any, len(set.Keys))
	for _, k := range set.Keys {
		switch {
		case k.Kty == "OKP" && k.Crv == "Ed25519":
			x, err := decodeB64(k.X)
			if err == nil && len(x) == ed25519.PublicKeySize {
				keys[k.Kid] = ed25519.PublicKey(x)
			}
		case k.Kty == "EC" && k.Crv == "P-256":
			x, errX := decodeB64(k.X)
			y, errY := decodeB64(k.Y)
			if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
				continue
			}
			pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
			if err == nil {
				keys[k.Kid] = pub
			}
		}
	}
	return keys, nil
}
