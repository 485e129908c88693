package demohost

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeParley records the server API calls the demo host makes.
type fakeParley struct {
	mu    sync.Mutex
	calls []string // "METHOD path key body"
}

func (f *fakeParley) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path+" "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+" "+strings.TrimSpace(string(b)))
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (f *fakeParley) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

type fixture struct {
	host, parley *httptest.Server
	fake         *fakeParley
	now          time.Time
	t            *testing.T
	mu           sync.Mutex
}

func newFixture(t *testing.T) (*fixture, *http.Client) {
	t.Helper()
	f := &fixture{fake: &fakeParley{}, now: time.Unix(1_800_000_000, 0), t: t}
	f.parley = httptest.NewServer(f.fake)
	cfg := DefaultConfig()
	cfg.ParleyURL = f.parley.URL
	cfg.Clock = func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
	cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.host = httptest.NewServer(h)
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(func() {
		f.host.Close()
		f.parley.Close()
		b.CloseIdleConnections()
		cfg.HTTPClient.CloseIdleConnections()
	})
	return f, b
}

func (f *fixture) read(resp *http.Response, err error) string {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestPagesAndCodes(t *testing.T) {
	f, b := newFixture(t)
	page := f.read(b.Get(f.host.URL + "/"))
	if !strings.Contains(page, "T-ID") || !strings.Contains(page, "KakaoTalk") || !strings.Contains(page, "로그인") {
		t.Fatalf("sign-in page lacks the providers:\n%s", page)
	}
	// Signed out, "go to chat" asks to sign in first.
	resp, err := b.Get(f.host.URL + "/chat")
	f.read(resp, err)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/?next=") {
		t.Fatalf("/chat signed out = %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A cross-site sign-in post is refused.
	req, _ := http.NewRequest(http.MethodPost, f.host.URL+"/signin", strings.NewReader("provider=tid&nickname=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err = b.Do(req)
	f.read(resp, err)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site sign-in = %d", resp.StatusCode)
	}

	f.read(b.PostForm(f.host.URL+"/signin", url.Values{"provider": {"kakao"}, "nickname": {"민지"}}))
	if page := f.read(b.Get(f.host.URL + "/")); !strings.Contains(page, "민지") {
		t.Fatalf("home page does not greet the user:\n%s", page)
	}
	resp, err = b.Get(f.host.URL + "/chat")
	f.read(resp, err)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Path != "/t/opentalk/enter" || loc.Query().Get("code") == "" || loc.Query().Get("return") != "/t/opentalk/" {
		t.Fatalf("/chat = %d %q", resp.StatusCode, loc)
	}
	code := loc.Query().Get("code")

	exchange := func(id, secret, code, tenant string) (int, map[string]any) {
		body, _ := json.Marshal(map[string]string{"code": code, "tenant": tenant})
		req, _ := http.NewRequest(http.MethodPost, f.host.URL+"/api/exchange", strings.NewReader(string(body)))
		req.SetBasicAuth(id, secret)
		resp, err := http.DefaultClient.Do(req)
		var out map[string]any
		_ = json.Unmarshal([]byte(f.read(resp, err)), &out)
		return resp.StatusCode, out
	}
	if st, out := exchange(ChatClientID, "wrong", code, "opentalk"); st != http.StatusUnauthorized || out["error"] != "invalid_client" {
		t.Fatalf("wrong secret = %d %v", st, out)
	}
	st, out := exchange(ChatClientID, ChatClientSecret, code, "opentalk")
	if st != http.StatusOK || out["nickname"] != "민지" || !strings.HasPrefix(out["userId"].(string), "kakao-") || out["sessionId"] == "" {
		t.Fatalf("exchange = %d %v", st, out)
	}
	if st, out := exchange(ChatClientID, ChatClientSecret, code, "opentalk"); st != http.StatusBadRequest || out["error"] != "invalid_code" {
		t.Fatalf("reused code = %d %v", st, out)
	}

	// Sign-out revokes on Parley with the tenant API keys.
	f.read(b.Post(f.host.URL+"/signout", "application/x-www-form-urlencoded", nil))
	calls := strings.Join(f.fake.Calls(), "\n")
	if !strings.Contains(calls, "POST /api/v1/t/opentalk/server/sessions/revoke "+ChatAPIKey+` {"hostSession":"`+out["sessionId"].(string)+`"}`) {
		t.Fatalf("sign-out did not revoke on Parley; calls:\n%s", calls)
	}
}

func TestGamePage(t *testing.T) {
	f, b := newFixture(t)
	f.read(b.PostForm(f.host.URL+"/signin", url.Values{"provider": {"tid"}, "nickname": {"Ann"}}))
	resp, err := b.Get(f.host.URL + "/rps/arena-1")
	page := f.read(resp, err)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, f.parley.URL+"/t/rps/embed/arena-1\"") {
		t.Fatalf("game page = %d:\n%s", resp.StatusCode, page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-src "+f.parley.URL) {
		t.Fatalf("CSP = %q", csp)
	}
	if calls := f.fake.Calls(); len(calls) != 1 || !strings.HasPrefix(calls[0], "PUT /api/v1/t/rps/server/rooms/arena-1 rps-demo-api-key ") {
		t.Fatalf("room not created on Parley: %v", calls)
	}
	resp, err = b.Post(f.host.URL+"/rps/arena-1/assertion", "application/json", nil)
	var out struct{ Assertion string }
	_ = json.Unmarshal([]byte(f.read(resp, err)), &out)
	first, _, ok := strings.Cut(out.Assertion, ".")
	if !ok {
		t.Fatalf("assertion = %q", out.Assertion)
	}
	// The payload is what docs/host-integration.md says.
	var p assertionPayload
	raw, _ := base64Decode(first)
	if err := json.Unmarshal(raw, &p); err != nil || p.Tenant != "rps" || p.Room != "arena-1" || p.Name != "Ann" ||
		p.ExpiresAt-p.IssuedAt != 120 || len(p.Nonce) < 16 {
		t.Fatalf("payload = %+v (%v)", p, err)
	}
	resp, err = b.Post(f.host.URL+"/rps/arena-1/play", "application/json", strings.NewReader(`{"move":"rock"}`))
	var play map[string]string
	_ = json.Unmarshal([]byte(f.read(resp, err)), &play)
	if play["you"] != "rock" || beats[play["cpu"]] == "" || play["result"] == "" {
		t.Fatalf("play = %v", play)
	}
	// Signed out, no assertion.
	resp, err = http.Post(f.host.URL+"/rps/arena-1/assertion", "application/json", nil)
	f.read(resp, err)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("assertion signed out = %d", resp.StatusCode)
	}
}

func base64Decode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
