package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/demohost"
	"github.com/parley-chat/parley/internal/tenant"
)

// enter opens Parley's entry URL in the browser and returns the response.
func enter(t *testing.T, b *http.Client, entry string) *http.Response {
	t.Helper()
	resp, err := b.Get(entry)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// signedIn runs the whole exchange and returns the browser and the
// cookies Parley set.
func (h *harness) signedIn(nickname string) (*http.Client, *http.Cookie, *http.Cookie) {
	h.t.Helper()
	b := h.browser()
	h.signInOnHost(b, nickname)
	resp := enter(h.t, b, h.entryURL(b))
	drain(resp)
	at, rt := cookie(resp, auth.AccessCookieName("opentalk", false)), cookie(resp, auth.RefreshCookieName("opentalk", false))
	if resp.StatusCode != http.StatusSeeOther || at == nil || rt == nil {
		h.t.Fatalf("enter: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	return b, at, rt
}

func TestExchangeSignsIn(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	h.signInOnHost(b, "앤 Ann")
	resp := enter(t, b, h.entryURL(b))
	drain(resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/t/opentalk/" {
		t.Fatalf("enter = %d to %q, want 303 to /t/opentalk/", resp.StatusCode, resp.Header.Get("Location"))
	}
	at, rt := cookie(resp, auth.AccessCookieName("opentalk", false)), cookie(resp, auth.RefreshCookieName("opentalk", false))
	if at == nil || rt == nil {
		t.Fatalf("cookies = %v", resp.Cookies())
	}
	if !at.HttpOnly || at.SameSite != http.SameSiteLaxMode || at.Path != "/" {
		t.Errorf("access cookie = %+v, want HttpOnly, Lax, Path=/", at)
	}
	if !rt.HttpOnly || rt.SameSite != http.SameSiteStrictMode || rt.Path != "/api/v1/t/opentalk/auth/" {
		t.Errorf("refresh cookie = %+v, want HttpOnly, Strict, path-limited", rt)
	}
	if strings.Contains(resp.Header.Get("Location"), at.Value) || strings.Contains(resp.Header.Get("Location"), rt.Value) {
		t.Error("a token leaked into the redirect URL")
	}
	c, err := h.svc.Authenticate(context.Background(), "opentalk", at.Value)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "앤 Ann" || !strings.HasPrefix(c.UserID, "tid-") || c.SessionID == "" {
		t.Fatalf("claims = %+v", c)
	}
	if ttl := c.ExpiresAt.Sub(h.clock.Now()); ttl != auth.DefaultAccessTTL {
		t.Fatalf("access token lives %s, want %s", ttl, auth.DefaultAccessTTL)
	}
}

// refusedEntry asserts an error page with the code and no cookies.
func refusedEntry(t *testing.T, resp *http.Response, status int, code string) {
	t.Helper()
	page := body(t, resp)
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d; page:\n%s", resp.StatusCode, status, page)
	}
	if len(resp.Cookies()) != 0 {
		t.Fatalf("error response set cookies %v", resp.Cookies())
	}
	if !strings.Contains(page, code) || !strings.Contains(page, "lang=\"en\"") || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page does not show code %q in Korean and English:\n%s", code, page)
	}
}

func TestExchangeRefusals(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	h.signInOnHost(b, "Mallory")

	t.Run("reused code", func(t *testing.T) {
		entry := h.entryURL(b)
		drain(enter(t, b, entry))
		refusedEntry(t, enter(t, h.browser(), entry), http.StatusUnauthorized, "host_rejected")
	})
	t.Run("expired code", func(t *testing.T) {
		entry := h.entryURL(b)
		h.clock.Advance(61 * time.Second)
		refusedEntry(t, enter(t, b, entry), http.StatusUnauthorized, "host_rejected")
	})
	t.Run("code issued for another tenant", func(t *testing.T) {
		entry := strings.Replace(h.entryURL(b), "/t/opentalk/enter", "/t/other/enter", 1)
		refusedEntry(t, enter(t, b, entry), http.StatusUnauthorized, "host_rejected")
	})
	t.Run("wrong client secret", func(t *testing.T) {
		entry := strings.Replace(h.entryURL(b), "/t/opentalk/enter", "/t/badclient/enter", 1)
		refusedEntry(t, enter(t, b, entry), http.StatusUnauthorized, "host_rejected")
	})
	t.Run("no code", func(t *testing.T) {
		refusedEntry(t, enter(t, b, h.parley.URL+"/t/opentalk/enter"), http.StatusUnauthorized, "host_rejected")
	})
	t.Run("host down", func(t *testing.T) {
		entry := strings.Replace(h.entryURL(b), "/t/opentalk/enter", "/t/down/enter", 1)
		refusedEntry(t, enter(t, b, entry), http.StatusBadGateway, "host_unavailable")
	})
	t.Run("host slow", func(t *testing.T) {
		entry := strings.Replace(h.entryURL(b), "/t/opentalk/enter", "/t/slow/enter", 1)
		start := time.Now()
		resp := enter(t, b, entry)
		took := time.Since(start)
		refusedEntry(t, resp, http.StatusBadGateway, "host_unavailable")
		if took < 300*time.Millisecond || took > 2*time.Second {
			t.Fatalf("slow host answered after %s, want the 300ms timeout", took)
		}
	})
	t.Run("adapter without entry", func(t *testing.T) {
		refusedEntry(t, enter(t, b, h.parley.URL+"/t/rps/enter?code=x"), http.StatusNotFound, "not_found")
	})
}

func TestExchangeForgedHostAnswer(t *testing.T) {
	// A "host" that answers 200 with something Parley must not trust.
	answers := map[string]string{
		"bad user id":     `{"userId":"../admin","nickname":"x","sessionId":"s","expiresAt":"2030-01-01T00:00:00Z"}`,
		"expired session": `{"userId":"u1","nickname":"x","sessionId":"s","expiresAt":"2020-01-01T00:00:00Z"}`,
		"no session":      `{"userId":"u1","nickname":"x","expiresAt":"2030-01-01T00:00:00Z"}`,
		"not json":        `<html>`,
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			forged := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(answer))
			}))
			defer forged.Close()
			h := newHarness(t, func(_ *demohost.Config, ts map[string]tenant.Tenant) {
				ts["other"].Auth.Settings["exchangeURL"] = forged.URL
			})
			b := h.browser()
			h.signInOnHost(b, "Ann")
			entry := strings.Replace(h.entryURL(b), "/t/opentalk/enter", "/t/other/enter", 1)
			refusedEntry(t, enter(t, b, entry), http.StatusUnauthorized, "host_rejected")
		})
	}
}

func TestReturnURLChecked(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	h.signInOnHost(b, "Ann")
	bad := []string{
		"https://evil.example/",
		"//evil.example/",
		"/\\evil.example",
		"javascript:alert(1)",
		"http://127.0.0.1:1/", // loopback, but not one of the tenant's origins
		h.host.URL + "@evil.example/",
		"/t/opentalk/\r\nSet-Cookie: x=y",
	}
	for _, ret := range bad {
		t.Run(ret, func(t *testing.T) {
			u, _ := url.Parse(h.entryURL(b))
			q := u.Query()
			q.Set("return", ret)
			u.RawQuery = q.Encode()
			refusedEntry(t, enter(t, b, u.String()), http.StatusBadRequest, "redirect_not_allowed")
		})
	}
	t.Run("allowed origin", func(t *testing.T) {
		u, _ := url.Parse(h.entryURL(b))
		q := u.Query()
		q.Set("return", h.host.URL+"/back?x=1")
		u.RawQuery = q.Encode()
		resp := enter(t, b, u.String())
		drain(resp)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != h.host.URL+"/back?x=1" {
			t.Fatalf("= %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// post sends a POST with the browser's cookies and decodes the JSON body.
func post(t *testing.T, b *http.Client, u, origin string, payload any) (*http.Response, map[string]any) {
	t.Helper()
	var rd *strings.Reader
	if payload != nil {
		buf, _ := json.Marshal(payload)
		rd = strings.NewReader(string(buf))
	} else {
		rd = strings.NewReader("")
	}
	req, _ := http.NewRequest(http.MethodPost, u, rd)
	req.Header.Set("Content-Type", "application/json")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	_ = json.Unmarshal([]byte(body(t, resp)), &out)
	return resp, out
}

func wantCode(t *testing.T, resp *http.Response, out map[string]any, status int, code string) {
	t.Helper()
	if resp.StatusCode != status || out["code"] != code {
		t.Fatalf("= %d %v, want %d %s", resp.StatusCode, out, status, code)
	}
}

func TestRefreshRotatesAndReuseRevokes(t *testing.T) {
	h := newHarness(t)
	b, at, rt := h.signedIn("Ann")
	refresh := h.parley.URL + "/api/v1/t/opentalk/auth/refresh"
	h.clock.Advance(14 * time.Minute)

	resp, out := post(t, b, refresh, h.parley.URL, nil)
	if resp.StatusCode != http.StatusOK || out["token"] == "" || out["token"] == at.Value {
		t.Fatalf("refresh = %d %v", resp.StatusCode, out)
	}
	rt2 := cookie(resp, auth.RefreshCookieName("opentalk", false))
	if rt2 == nil || rt2.Value == rt.Value || cookie(resp, auth.AccessCookieName("opentalk", false)) == nil {
		t.Fatalf("refresh did not rotate cookies: %v", resp.Cookies())
	}
	access2 := out["token"].(string)
	if _, err := h.svc.Authenticate(context.Background(), "opentalk", access2); err != nil {
		t.Fatal(err)
	}

	// An attacker replays the first refresh token.
	thief := h.browser()
	u, _ := url.Parse(h.parley.URL + "/api/v1/t/opentalk/auth/")
	thief.Jar.SetCookies(u, []*http.Cookie{{Name: auth.RefreshCookieName("opentalk", false), Value: rt.Value}})
	resp, out = post(t, thief, refresh, "", nil)
	wantCode(t, resp, out, http.StatusUnauthorized, "refresh_reused")

	// The whole family is revoked: the owner's current token too, and the
	// access token stops working; the user's sockets were closed.
	resp, out = post(t, b, refresh, "", nil)
	wantCode(t, resp, out, http.StatusUnauthorized, "session_revoked")
	if _, err := h.svc.Authenticate(context.Background(), "opentalk", access2); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("access token after reuse: err = %v, want ErrSessionRevoked", err)
	}
	c, _ := h.keys.Verify(access2, "opentalk")
	if want := "opentalk/" + c.UserID + "/4003"; !slices.Contains(h.closer.Calls(), want) {
		t.Fatalf("sockets closed = %v, want %s", h.closer.Calls(), want)
	}
}

func TestRefreshRefusals(t *testing.T) {
	h := newHarness(t)
	b, _, _ := h.signedIn("Ann")
	refresh := h.parley.URL + "/api/v1/t/opentalk/auth/refresh"

	resp, out := post(t, b, refresh, "https://evil.example", nil)
	wantCode(t, resp, out, http.StatusForbidden, "forbidden")
	resp, out = post(t, h.browser(), refresh, "", nil)
	wantCode(t, resp, out, http.StatusUnauthorized, "unauthenticated")

	// Past the host session's end (30 minutes) the session is over.
	h.clock.Advance(31 * time.Minute)
	resp, out = post(t, b, refresh, "", nil)
	wantCode(t, resp, out, http.StatusUnauthorized, "session_revoked")
}

func TestRefreshExtendsHostSession(t *testing.T) {
	h := newHarness(t)
	b, at, _ := h.signedIn("Ann")
	c, _ := h.keys.Verify(at.Value, "opentalk")
	before, _ := h.store.Session(context.Background(), "opentalk", c.SessionID)

	// 20 of the host's 30 minutes gone: within the refresh window.
	h.clock.Advance(20 * time.Minute)
	resp, out := post(t, b, h.parley.URL+"/api/v1/t/opentalk/auth/refresh", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh = %d %v", resp.StatusCode, out)
	}
	after, _ := h.store.Session(context.Background(), "opentalk", c.SessionID)
	if want := h.clock.Now().Add(30 * time.Minute); !after.HostExpiresAt.Equal(want) || !after.ExpiresAt.Equal(want) {
		t.Fatalf("host expiry %v -> %v, want %v", before.HostExpiresAt, after.HostExpiresAt, want)
	}
}

func TestHostSessionGoneRevokes(t *testing.T) {
	// The host forgets the session without telling Parley (its revoke call
	// fails on a wrong API key); the next refresh in the window finds out.
	h := newHarness(t, func(c *demohost.Config, _ map[string]tenant.Tenant) { c.ChatAPIKey = "wrong" })
	b, at, _ := h.signedIn("Ann")
	c, _ := h.keys.Verify(at.Value, "opentalk")
	resp, err := b.Post(h.host.URL+"/signout", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	drain(resp)
	if _, err := h.svc.Authenticate(context.Background(), "opentalk", at.Value); err != nil {
		t.Fatalf("session revoked although the host could not say so: %v", err)
	}
	h.clock.Advance(20 * time.Minute)
	resp, out := post(t, b, h.parley.URL+"/api/v1/t/opentalk/auth/refresh", "", nil)
	wantCode(t, resp, out, http.StatusUnauthorized, "session_revoked")
	if want := "opentalk/" + c.UserID + "/4003"; !slices.Contains(h.closer.Calls(), want) {
		t.Fatalf("sockets closed = %v, want %s", h.closer.Calls(), want)
	}
}

func TestHostSignOutRevokes(t *testing.T) {
	h := newHarness(t)
	b, at, _ := h.signedIn("Ann")
	c, _ := h.keys.Verify(at.Value, "opentalk")
	// Signing out on the host makes it call Parley's revoke endpoint before
	// it answers; the sockets are closed by then.
	resp, err := b.Post(h.host.URL+"/signout", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	drain(resp)
	if want := "opentalk/" + c.UserID + "/4003"; !slices.Contains(h.closer.Calls(), want) {
		t.Fatalf("sockets closed = %v, want %s", h.closer.Calls(), want)
	}
	if _, err := h.svc.Authenticate(context.Background(), "opentalk", at.Value); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("request after revoke: err = %v, want ErrSessionRevoked", err)
	}
	if _, err := h.svc.Verify(at.Value, "opentalk"); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("Verify after revoke: err = %v, want ErrTokenInvalid", err)
	}
	resp, out := post(t, b, h.parley.URL+"/api/v1/t/opentalk/auth/refresh", "", nil)
	wantCode(t, resp, out, http.StatusUnauthorized, "session_revoked")
}

func TestRevokeEndpoint(t *testing.T) {
	h := newHarness(t)
	_, at, _ := h.signedIn("Ann")
	c, _ := h.keys.Verify(at.Value, "opentalk")
	revoke := h.parley.URL + "/api/v1/t/opentalk/server/sessions/revoke"
	call := func(key string, payload any) (*http.Response, map[string]any) {
		buf, _ := json.Marshal(payload)
		req, _ := http.NewRequest(http.MethodPost, revoke, strings.NewReader(string(buf)))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := h.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		_ = json.Unmarshal([]byte(body(t, resp)), &out)
		return resp, out
	}
	resp, out := call("wrong", map[string]string{"user": c.UserID})
	wantCode(t, resp, out, http.StatusUnauthorized, "unauthenticated")
	resp, out = call(demohost.ChatAPIKey, map[string]string{"user": c.UserID, "hostSession": "x"})
	wantCode(t, resp, out, http.StatusBadRequest, "bad_request")
	resp, out = call(demohost.ChatAPIKey, map[string]string{"user": c.UserID})
	if resp.StatusCode != http.StatusOK || out["revokedUsers"] != 1.0 {
		t.Fatalf("revoke = %d %v", resp.StatusCode, out)
	}
	if _, err := h.svc.Authenticate(context.Background(), "opentalk", at.Value); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("after revoke: %v", err)
	}
}

func TestLogout(t *testing.T) {
	h := newHarness(t)
	b, at, _ := h.signedIn("Ann")
	resp, _ := post(t, b, h.parley.URL+"/api/v1/t/opentalk/auth/logout", h.parley.URL, nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout = %d", resp.StatusCode)
	}
	if c := cookie(resp, auth.AccessCookieName("opentalk", false)); c == nil || c.MaxAge >= 0 {
		t.Fatalf("access cookie not cleared: %v", resp.Cookies())
	}
	if _, err := h.svc.Authenticate(context.Background(), "opentalk", at.Value); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("after logout: %v", err)
	}
}
