package auth_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/demohost"
	"github.com/parley-chat/parley/internal/tenant"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is the shared, settable time of Parley and the demo host.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// closer records CloseUser calls, as the session server would act on them.
type closer struct {
	mu    sync.Mutex
	calls []string // "tenant/user/code"
}

func (c *closer) CloseUser(tenantID, userID string, code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, tenantID+"/"+userID+"/"+strconv.Itoa(code))
}

func (c *closer) Calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...)
}

// members plays the rooms service: rooms exist when listed.
type members struct {
	mu    sync.Mutex
	rooms map[string]bool
	added []string // "tenant/room/user"
}

func (m *members) AddMember(_ context.Context, tenantID, roomID string, u chat.User) (chat.Member, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.rooms[tenantID+"/"+roomID] {
		return chat.Member{}, chat.ErrNotFound
	}
	m.added = append(m.added, tenantID+"/"+roomID+"/"+u.ID)
	return chat.Member{Tenant: tenantID, RoomID: roomID, UserID: u.ID, Name: u.Name, Role: chat.RoleMember}, nil
}

// harness is Parley's auth service and the demo host, each a real HTTP
// server on loopback, sharing one clock.
type harness struct {
	t       *testing.T
	clock   *clock
	store   auth.SessionStore
	svc     *auth.Service
	keys    *auth.Keys
	parley  *httptest.Server
	host    *httptest.Server
	closer  *closer
	members *members
	client  *http.Client // Parley's client for host calls
	hang    *httptest.Server
	release chan struct{}
}

const (
	jwtSecret   = "jwt-shared-secret-0123456789abcdef"
	jwtIssuer   = "https://host.example"
	gameSecret  = demohost.AssertionSecret
	otherSecret = "other-client-secret"
)

type harnessOpt func(*demohost.Config, map[string]tenant.Tenant)

func newHarness(t *testing.T, opts ...harnessOpt) *harness {
	t.Helper()
	h := &harness{
		t:       t,
		clock:   &clock{t: time.Unix(1_800_000_000, 0).UTC()},
		store:   newStore(t),
		closer:  &closer{},
		members: &members{rooms: map[string]bool{"rps/arena-1": true, "rps/arena-2": true, "rps2/arena-1": true}},
		client:  &http.Client{},
		release: make(chan struct{}),
	}
	var parleyH, hostH http.Handler
	h.parley = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { parleyH.ServeHTTP(w, r) }))
	h.host = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hostH.ServeHTTP(w, r) }))
	// A host that accepts the call and never answers until the test ends.
	h.hang = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-h.release:
		}
	}))
	// A host that is down: a port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downURL := "http://" + ln.Addr().String()
	ln.Close()
	t.Cleanup(func() {
		close(h.release)
		h.hang.Close()
		h.parley.Close()
		h.host.Close()
		h.client.CloseIdleConnections()
	})

	hc := demohost.DefaultConfig()
	hc.PublicURL, hc.ParleyURL = h.host.URL, h.parley.URL
	hc.Clients = append(hc.Clients, demohost.Client{ID: "parley-other", Secret: otherSecret, Tenant: "other"})
	hc.Clock = h.clock.Now
	hc.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	t.Cleanup(hc.HTTPClient.CloseIdleConnections)

	setup := demohost.TenantAuth(h.host.URL)
	exchange := func(id string, settings map[string]string) tenant.Tenant {
		return tenant.Tenant{ID: id, Origins: []string{h.host.URL}, APIKey: id + "-api-key",
			Auth: tenant.Auth{Adapter: "exchange", Settings: settings}}
	}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	ot := setup["opentalk"]
	tenants := map[string]tenant.Tenant{
		"opentalk":  {ID: "opentalk", Origins: []string{h.host.URL}, APIKey: ot.APIKey, Auth: ot.Auth},
		"other":     exchange("other", with(ot.Auth.Settings, "clientID", "parley-other", "clientSecret", otherSecret)),
		"badclient": exchange("badclient", with(ot.Auth.Settings, "clientSecret", "not-the-secret")),
		"slow":      exchange("slow", with(ot.Auth.Settings, "exchangeURL", h.hang.URL+"/api/exchange", "timeout", "300ms")),
		"down":      exchange("down", with(ot.Auth.Settings, "exchangeURL", downURL+"/api/exchange")),
		"rps": {ID: "rps", Origins: []string{h.host.URL}, APIKey: tenant.DemoAPIKey, Auth: setup["rps"].Auth,
			Policy: tenant.Policy{RoomKinds: []chat.RoomKind{chat.RoomPrivate}}},
		"rps2": {ID: "rps2", Origins: []string{h.host.URL}, APIKey: "rps2-key", Auth: setup["rps"].Auth,
			Policy: tenant.Policy{RoomKinds: []chat.RoomKind{chat.RoomPrivate}}},
		"jwtt": {ID: "jwtt", Auth: tenant.Auth{Adapter: "jwt", Settings: map[string]string{"issuer": jwtIssuer, "hmacSecret": "env:JWT_SECRET"}}},
		"dev":  {ID: "dev"},
	}
	for _, o := range opts {
		o(&hc, tenants)
	}
	var list []tenant.Tenant
	for _, id := range []string{"opentalk", "other", "badclient", "slow", "down", "rps", "rps2", "jwtt", "dev", "jwks"} {
		if tn, ok := tenants[id]; ok {
			list = append(list, tn)
		}
	}
	reg, err := tenant.NewRegistry(list)
	if err != nil {
		t.Fatal(err)
	}
	host, err := demohost.New(hc)
	if err != nil {
		t.Fatal(err)
	}
	hostH = host
	h.keys, err = auth.NewKeys([]byte(strings.Repeat("k", 32)), h.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	h.svc, err = auth.New(auth.Config{
		Tenants: reg, Keys: h.keys, Sessions: h.store, Members: h.members, Sockets: h.closer,
		Clock: h.clock.Now, HTTPClient: h.client,
		Getenv: func(k string) string {
			if k == "JWT_SECRET" {
				return jwtSecret
			}
			return ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	parleyH = h.svc
	return h
}

// browser is a cookie-keeping client that does not follow redirects, so
// each hop can be inspected.
func (h *harness) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	h.t.Cleanup(c.CloseIdleConnections)
	return c
}

// signInOnHost signs a browser in on the demo host.
func (h *harness) signInOnHost(b *http.Client, nickname string) {
	h.t.Helper()
	resp, err := b.PostForm(h.host.URL+"/signin", url.Values{"provider": {"tid"}, "nickname": {nickname}})
	if err != nil {
		h.t.Fatal(err)
	}
	drain(resp)
	if resp.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("host sign-in: %d", resp.StatusCode)
	}
}

// entryURL follows the host's "go to chat" link to Parley's entry URL,
// which carries a fresh one-time code.
func (h *harness) entryURL(b *http.Client) string {
	h.t.Helper()
	resp, err := b.Get(h.host.URL + "/chat")
	if err != nil {
		h.t.Fatal(err)
	}
	drain(resp)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, h.parley.URL+"/t/opentalk/enter?") {
		h.t.Fatalf("go to chat: %d %q", resp.StatusCode, loc)
	}
	return loc
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cookie returns the named cookie a response set, or nil.
func cookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
