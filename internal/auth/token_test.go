package auth

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func testKeys(t *testing.T, seedByte byte, now func() time.Time) *Keys {
	t.Helper()
	k, err := NewKeys(bytes.Repeat([]byte{seedByte}, 32), now)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestMintVerifyRoundTrip(t *testing.T) {
	k := testKeys(t, 1, nil)
	tok, exp, err := k.Mint(Claims{Tenant: "opentalk", UserID: "u1", Name: "Ann", SessionID: "s1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := k.Verify(tok, "opentalk")
	if err != nil {
		t.Fatal(err)
	}
	want := Claims{Tenant: "opentalk", UserID: "u1", Name: "Ann", SessionID: "s1", ExpiresAt: exp}
	if !c.ExpiresAt.Equal(exp) || c.Tenant != want.Tenant || c.UserID != want.UserID || c.Name != want.Name || c.SessionID != want.SessionID {
		t.Fatalf("claims = %+v, want %+v", c, want)
	}
}

func TestVerifyRejects(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	k := testKeys(t, 1, func() time.Time { return now })
	other := testKeys(t, 2, func() time.Time { return now })
	good, _, _ := k.Mint(Claims{Tenant: "opentalk", UserID: "u1"}, time.Minute)
	forged, _, _ := other.Mint(Claims{Tenant: "opentalk", UserID: "u1"}, time.Minute)
	expired, _, _ := k.Mint(Claims{Tenant: "opentalk", UserID: "u1"}, -time.Minute)
	// alg "none" with the same claims: header {"alg":"none","typ":"JWT"}.
	parts := strings.Split(good, ".")
	none := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]

	tests := []struct {
		name   string
		token  string
		tenant string // tenant the verifier expects
		want   error
	}{
		{"wrong tenant", good, "rps", ErrWrongTenant},
		{"forged signature", forged, "opentalk", ErrTokenInvalid},
		{"expired", expired, "opentalk", ErrTokenExpired},
		{"alg none", none, "opentalk", ErrTokenInvalid},
		{"tampered claims", tampered, "opentalk", ErrTokenInvalid},
		{"garbage", "not-a-token", "opentalk", ErrTokenInvalid},
		{"empty", "", "opentalk", ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := k.Verify(tt.token, tt.tenant); !errors.Is(err, tt.want) {
				t.Fatalf("Verify err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLoadOrCreateKeysPersists(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadOrCreateKeys(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	tok, _, _ := k1.Mint(Claims{Tenant: "rps", UserID: "u"}, time.Minute)
	k2, err := LoadOrCreateKeys(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k2.Verify(tok, "rps"); err != nil {
		t.Fatalf("second load cannot verify first key's token: %v", err)
	}
}
