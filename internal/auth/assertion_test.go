package auth_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/auth"
)

// gameAssertion asks the demo host's game server for an assertion, as the
// game page does before posting it to the iframe.
func (h *harness) gameAssertion(b *http.Client, room string) string {
	h.t.Helper()
	resp, out := post(h.t, b, h.host.URL+"/rps/"+room+"/assertion", "", nil)
	a, _ := out["assertion"].(string)
	if resp.StatusCode != http.StatusOK || a == "" {
		h.t.Fatalf("assertion from host = %d %v", resp.StatusCode, out)
	}
	return a
}

// signTest signs an arbitrary payload with the game tenant's secret, for
// cases the demo host would never produce.
func signTest(payload map[string]any) string {
	raw, _ := json.Marshal(payload)
	first := base64.RawURLEncoding.EncodeToString(raw)
	mac := hmac.New(sha256.New, []byte(gameSecret))
	mac.Write([]byte(first))
	return first + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func TestAssertionSignsIn(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	h.signInOnHost(b, "가위왕")
	resp, out := post(t, h.browser(), h.parley.URL+"/api/v1/t/rps/auth/assertion", h.parley.URL,
		map[string]string{"assertion": h.gameAssertion(b, "arena-1"), "room": "arena-1"})
	if resp.StatusCode != http.StatusOK || out["room"] != "arena-1" {
		t.Fatalf("assertion sign-in = %d %v", resp.StatusCode, out)
	}
	if len(resp.Cookies()) != 0 {
		t.Fatalf("assertion sign-in set cookies %v; the iframe keeps the token in memory", resp.Cookies())
	}
	c, err := h.svc.Authenticate(context.Background(), "rps", out["token"].(string))
	if err != nil || c.Name != "가위왕" {
		t.Fatalf("token = %+v, %v", c, err)
	}
	if want := "rps/arena-1/" + c.UserID; !slices.Contains(h.members.added, want) {
		t.Fatalf("members added = %v, want %s", h.members.added, want)
	}
	// The host revokes the user (sign-out): the token stops working.
	if users, err := h.store.Revoke(context.Background(), auth.RevokeFilter{Tenant: "rps", UserID: c.UserID}, h.clock.Now()); err != nil || len(users) != 1 {
		t.Fatalf("revoke = %v, %v", users, err)
	}
	if _, err := h.svc.Authenticate(context.Background(), "rps", out["token"].(string)); err == nil {
		t.Fatal("assertion token still valid after revoke")
	}
}

func TestAssertionRefusals(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	h.signInOnHost(b, "Mallory")
	url := h.parley.URL + "/api/v1/t/rps/auth/assertion"
	now := h.clock.Now()
	payload := func(over map[string]any) map[string]any {
		p := map[string]any{"tenant": "rps", "sub": "u1", "name": "Mal", "room": "arena-1",
			"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "nonce": "nonce-" + strings.Repeat("x", 16)}
		for k, v := range over {
			p[k] = v
		}
		return p
	}

	replayed := h.gameAssertion(b, "arena-1")
	resp, out := post(t, h.browser(), url, "", map[string]string{"assertion": replayed, "room": "arena-1"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("first use = %d %v", resp.StatusCode, out)
	}
	good := h.gameAssertion(b, "arena-1")
	first, sig, _ := strings.Cut(good, ".")
	forgedPayload := base64.RawURLEncoding.EncodeToString([]byte(`{"tenant":"rps","sub":"admin","name":"x","room":"arena-1","exp":9999999999,"nonce":"aaaaaaaaaaaaaaaaaa"}`))

	tests := []struct {
		name      string
		assertion string
		room      string
		tenant    string // default rps
		status    int
		code      string
	}{
		{"replayed", replayed, "arena-1", "", 401, "replayed"},
		{"tampered payload", forgedPayload + "." + sig, "arena-1", "", 401, "unauthenticated"},
		{"tampered signature", first + "." + sig[:len(sig)-2] + "AA", "arena-1", "", 401, "unauthenticated"},
		{"not an assertion", "garbage", "arena-1", "", 401, "unauthenticated"},
		{"wrong room", h.gameAssertion(b, "arena-1"), "arena-2", "", 403, "wrong_room"},
		{"other tenant with the same secret", h.gameAssertion(b, "arena-1"), "arena-1", "rps2", 403, "wrong_tenant"},
		{"expired", signTest(payload(map[string]any{"exp": now.Add(-time.Second).Unix()})), "arena-1", "", 401, "token_expired"},
		{"lifetime too long", signTest(payload(map[string]any{"exp": now.Add(time.Hour).Unix()})), "arena-1", "", 401, "unauthenticated"},
		{"short nonce", signTest(payload(map[string]any{"nonce": "abc"})), "arena-1", "", 401, "unauthenticated"},
		{"bad user id", signTest(payload(map[string]any{"sub": "a b"})), "arena-1", "", 401, "unauthenticated"},
		{"room does not exist", signTest(payload(map[string]any{"room": "nowhere"})), "nowhere", "", 404, "not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ten := tc.tenant
			if ten == "" {
				ten = "rps"
			}
			resp, out := post(t, h.browser(), h.parley.URL+"/api/v1/t/"+ten+"/auth/assertion", "",
				map[string]string{"assertion": tc.assertion, "room": tc.room})
			wantCode(t, resp, out, tc.status, tc.code)
			if out["token"] != nil {
				t.Fatal("refusal carried a token")
			}
		})
	}

	t.Run("expired after the fact", func(t *testing.T) {
		a := h.gameAssertion(b, "arena-1") // the demo host signs for 2 minutes
		h.clock.Advance(3 * time.Minute)
		resp, out := post(t, h.browser(), url, "", map[string]string{"assertion": a, "room": "arena-1"})
		wantCode(t, resp, out, 401, "token_expired")
	})
	t.Run("no room given joins the assertion's room", func(t *testing.T) {
		resp, out := post(t, h.browser(), url, "", map[string]string{"assertion": h.gameAssertion(b, "arena-2")})
		if resp.StatusCode != http.StatusOK || out["room"] != "arena-2" {
			t.Fatalf("= %d %v", resp.StatusCode, out)
		}
	})
	t.Run("foreign origin", func(t *testing.T) {
		resp, out := post(t, h.browser(), url, "https://evil.example", map[string]string{"assertion": h.gameAssertion(b, "arena-1"), "room": "arena-1"})
		wantCode(t, resp, out, 403, "forbidden")
	})
	t.Run("adapter the tenant does not use", func(t *testing.T) {
		resp, out := post(t, h.browser(), h.parley.URL+"/api/v1/t/opentalk/auth/assertion", "", map[string]string{"assertion": "x"})
		wantCode(t, resp, out, 404, "not_found")
	})
}

// TestDocumentedExample checks the worked example of
// docs/host-integration.md, byte for byte.
func TestDocumentedExample(t *testing.T) {
	h := newHarness(t) // the clock starts at 1800000000, the example's iat
	const example = "eyJ0ZW5hbnQiOiJycHMiLCJzdWIiOiJ0aWQtM2YyYTljMWI3ZDRlIiwibmFtZSI6IkFubiIsInJvb20iOiJhcmVuYS0xIiwiaWF0IjoxODAwMDAwMDAwLCJleHAiOjE4MDAwMDAxMjAsIm5vbmNlIjoicTNKWjZiMWNYMHk5VndBMmtMbU40cFFyIn0" +
		".cVzjCsce-ZTSkoSwk-JCoY0FxjMFt_i_stUe9lKGgRk"
	resp, out := post(t, h.browser(), h.parley.URL+"/api/v1/t/rps/auth/assertion", "", map[string]string{"assertion": example, "room": "arena-1"})
	if resp.StatusCode != http.StatusOK || out["user"] != "tid-3f2a9c1b7d4e" || out["name"] != "Ann" {
		t.Fatalf("documented example = %d %v", resp.StatusCode, out)
	}
}
