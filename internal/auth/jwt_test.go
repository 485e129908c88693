package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/demohost"
	"github.com/parley-chat/parley/internal/tenant"
)

// jwksHost serves a JSON Web Key Set with one Ed25519 and one P-256 key.
type jwksHost struct {
	*httptest.Server
	ed    ed25519.PrivateKey
	ec    *ecdsa.PrivateKey
	fetch atomic.Int32
}

func newJWKSHost(t *testing.T) *jwksHost {
	t.Helper()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	j := &jwksHost{ed: ed, ec: ec}
	b64 := base64.RawURLEncoding.EncodeToString
	pub, _ := ec.PublicKey.Bytes() // 0x04 || X || Y
	set := map[string]any{"keys": []map[string]string{
		{"kty": "OKP", "crv": "Ed25519", "kid": "ed1", "x": b64(ed.Public().(ed25519.PublicKey))},
		{"kty": "EC", "crv": "P-256", "kid": "ec1", "x": b64(pub[1:33]), "y": b64(pub[33:])},
	}}
	j.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j.fetch.Add(1)
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(j.Close)
	return j
}

func withJWKS(j *jwksHost) harnessOpt {
	return func(_ *demohost.Config, ts map[string]tenant.Tenant) {
		ts["jwks"] = tenant.Tenant{ID: "jwks", Auth: tenant.Auth{Adapter: "jwt", Settings: map[string]string{
			"issuer": jwtIssuer, "audience": "parley-jwks", "jwksURL": j.URL}}}
	}
}

func claims(now time.Time, over map[string]any) jwt.MapClaims {
	c := jwt.MapClaims{"iss": jwtIssuer, "aud": "parley", "sub": "u42", "name": "Jo", "tenant": "jwtt",
		"iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(), "jti": "jti-" + strings.Repeat("z", 10)}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func hs256(c jwt.MapClaims, secret string) string {
	s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
	return s
}

func TestJWTSignsIn(t *testing.T) {
	h := newHarness(t)
	resp, out := post(t, h.browser(), h.parley.URL+"/api/v1/t/jwtt/auth/jwt", "", map[string]string{"token": hs256(claims(h.clock.Now(), nil), jwtSecret)})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("jwt sign-in = %d %v", resp.StatusCode, out)
	}
	if cookie(resp, auth.AccessCookieName("jwtt", false)) == nil || cookie(resp, auth.RefreshCookieName("jwtt", false)) == nil {
		t.Fatalf("jwt sign-in should set session cookies like the exchange: %v", resp.Cookies())
	}
	c, err := h.svc.Authenticate(context.Background(), "jwtt", out["token"].(string))
	if err != nil || c.UserID != "u42" || c.Name != "Jo" {
		t.Fatalf("token = %+v, %v", c, err)
	}
}

func TestJWTRefusals(t *testing.T) {
	h := newHarness(t)
	now := h.clock.Now()
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims(now, map[string]any{"jti": "none-jti-1234"})).SignedString(jwt.UnsafeAllowNoneSignatureType)
	replayed := hs256(claims(now, map[string]any{"jti": "replayed-jti-1"}), jwtSecret)
	resp, out := post(t, h.browser(), h.parley.URL+"/api/v1/t/jwtt/auth/jwt", "", map[string]string{"token": replayed})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("first use = %d %v", resp.StatusCode, out)
	}
	tests := []struct {
		name   string
		token  string
		status int
		code   string
	}{
		{"alg none", none, 401, "unauthenticated"},
		{"wrong secret", hs256(claims(now, nil), "another-secret-0123456789abcdefgh"), 401, "unauthenticated"},
		{"wrong audience", hs256(claims(now, map[string]any{"aud": "someone-else"}), jwtSecret), 401, "unauthenticated"},
		{"wrong issuer", hs256(claims(now, map[string]any{"iss": "https://evil.example"}), jwtSecret), 401, "unauthenticated"},
		{"wrong tenant", hs256(claims(now, map[string]any{"tenant": "opentalk"}), jwtSecret), 403, "wrong_tenant"},
		{"no tenant", hs256(claims(now, map[string]any{"tenant": nil}), jwtSecret), 403, "wrong_tenant"},
		{"expired", hs256(claims(now, map[string]any{"exp": now.Add(-time.Minute).Unix()}), jwtSecret), 401, "token_expired"},
		{"no expiry", hs256(claims(now, map[string]any{"exp": nil}), jwtSecret), 401, "unauthenticated"},
		{"lifetime too long", hs256(claims(now, map[string]any{"exp": now.Add(24 * time.Hour).Unix()}), jwtSecret), 401, "unauthenticated"},
		{"no jti", hs256(claims(now, map[string]any{"jti": nil}), jwtSecret), 401, "unauthenticated"},
		{"replayed", replayed, 401, "replayed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, out := post(t, h.browser(), h.parley.URL+"/api/v1/t/jwtt/auth/jwt", "", map[string]string{"token": tc.token})
			wantCode(t, resp, out, tc.status, tc.code)
			if len(resp.Cookies()) != 0 {
				t.Fatalf("refusal set cookies %v", resp.Cookies())
			}
		})
	}
}

func TestJWTWithJWKS(t *testing.T) {
	j := newJWKSHost(t)
	h := newHarness(t, withJWKS(j))
	now := h.clock.Now()
	base := func(jti string) jwt.MapClaims {
		return claims(now, map[string]any{"aud": "parley-jwks", "tenant": "jwks", "jti": jti})
	}
	sign := func(m jwt.SigningMethod, kid string, key any, c jwt.MapClaims) string {
		tok := jwt.NewWithClaims(m, c)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	signIn := func(token string) (*http.Response, map[string]any) {
		return post(t, h.browser(), h.parley.URL+"/api/v1/t/jwks/auth/jwt", "", map[string]string{"token": token})
	}
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"EdDSA", sign(jwt.SigningMethodEdDSA, "ed1", j.ed, base("jwks-jti-ed"))},
		{"ES256", sign(jwt.SigningMethodES256, "ec1", j.ec, base("jwks-jti-ec"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if resp, out := signIn(tc.token); resp.StatusCode != http.StatusOK {
				t.Fatalf("= %d %v", resp.StatusCode, out)
			}
		})
	}
	if n := j.fetch.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want once (cached)", n)
	}
	t.Run("HS256 with the public key as secret", func(t *testing.T) {
		pub := []byte(j.ed.Public().(ed25519.PublicKey))
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, base("jwks-jti-hs"))
		tok.Header["kid"] = "ed1"
		s, _ := tok.SignedString(pub)
		resp, out := signIn(s)
		wantCode(t, resp, out, 401, "unauthenticated")
	})
	t.Run("unknown kid", func(t *testing.T) {
		_, other, _ := ed25519.GenerateKey(rand.Reader)
		resp, out := signIn(sign(jwt.SigningMethodEdDSA, "nope", other, base("jwks-jti-unknown")))
		wantCode(t, resp, out, 401, "unauthenticated")
	})
	t.Run("right kid, wrong key", func(t *testing.T) {
		_, other, _ := ed25519.GenerateKey(rand.Reader)
		resp, out := signIn(sign(jwt.SigningMethodEdDSA, "ed1", other, base("jwks-jti-forged")))
		wantCode(t, resp, out, 401, "unauthenticated")
	})
}
