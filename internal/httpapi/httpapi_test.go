package httpapi_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/broker/memory"
	"github.com/parley-chat/parley/internal/httpapi"
	presencemem "github.com/parley-chat/parley/internal/presence/memory"
	"github.com/parley-chat/parley/internal/rooms"
	"github.com/parley-chat/parley/internal/store/sqlite"
	"github.com/parley-chat/parley/internal/tenant"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncBuffer is a log sink the handler goroutines and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is one API over a real SQLite store and rooms service.
type env struct {
	t    *testing.T
	url  string
	api  *httpapi.API
	keys *auth.Keys
	seed []byte
	logs *syncBuffer
}

const testOrigin = "http://localhost:8080"

// newEnv starts the API; opts adjust its Config.
func newEnv(t *testing.T, opts ...func(*httpapi.Config)) *env {
	t.Helper()
	ctx := context.Background()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"), logger)
	if err != nil {
		t.Fatal(err)
	}
	tenants, err := tenant.NewRegistry(tenant.Demo(testOrigin))
	if err != nil {
		t.Fatal(err)
	}
	seed := bytes.Repeat([]byte{7}, ed25519.SeedSize)
	keys, err := auth.NewKeys(seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	broker := memory.New()
	metrics := httpapi.NewMetrics()
	svc := rooms.New(store, broker, tenants, logger, rooms.Options{OnCommit: metrics.ObserveCommit})
	cfg := httpapi.Config{
		Rooms:    svc,
		Tenants:  tenants,
		Tokens:   keys,
		Presence: presencemem.New(),
		Metrics:  metrics,
		Logger:   logger,
		Ready:    func(context.Context) error { return nil },
	}
	for _, o := range opts {
		o(&cfg)
	}
	api, err := httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() {
		srv.Close()
		if err := svc.Close(); err != nil {
			t.Errorf("rooms close: %v", err)
		}
		if err := broker.Close(); err != nil {
			t.Errorf("broker close: %v", err)
		}
		if err := store.Close(); err != nil {
			t.Errorf("store close: %v", err)
		}
	})
	return &env{t: t, url: srv.URL, api: api, keys: keys, seed: seed, logs: logs}
}

// token mints a valid access token.
func (e *env) token(tenantID, user string) string {
	e.t.Helper()
	tok, _, err := e.keys.Mint(auth.Claims{Tenant: tenantID, UserID: user, Name: strings.ToUpper(user)}, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// req describes one request; zero fields are left out.
type req struct {
	method string
	path   string // after the server URL
	body   string // JSON; sent with Content-Type application/json
	bearer string // Authorization: Bearer
	cookie string // the access cookie of the path's tenant
	origin string
	header http.Header
}

// resp is a decoded response.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errCode returns the code of a JSON error body, checking its shape.
func (r resp) errCode(t *testing.T) string {
	t.Helper()
	var e map[string]any
	r.json(t, &e)
	if _, ok := e["message"].(string); !ok {
		t.Fatalf("error body %s has no message", r.body)
	}
	if _, ok := e["temporary"].(bool); !ok {
		t.Fatalf("error body %s has no temporary flag", r.body)
	}
	code, _ := e["code"].(string)
	return code
}

func (e *env) do(rq req) resp {
	e.t.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r, err := http.NewRequest(rq.method, e.url+rq.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if rq.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range rq.header {
		r.Header[k] = v
	}
	if rq.bearer != "" {
		r.Header.Set("Authorization", "Bearer "+rq.bearer)
	}
	if rq.cookie != "" {
		r.AddCookie(&http.Cookie{Name: auth.AccessCookieName(tenantOfPath(rq.path), false), Value: rq.cookie})
	}
	if rq.origin != "" {
		r.Header.Set("Origin", rq.origin)
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// must does rq and fails unless the status is want.
func (e *env) must(want int, rq req) resp {
	e.t.Helper()
	r := e.do(rq)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", rq.method, rq.path, r.status, want, r.body)
	}
	return r
}

// fail does rq and checks the error status and code.
func (e *env) fail(status int, code string, rq req) {
	e.t.Helper()
	r := e.do(rq)
	if r.status != status {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", rq.method, rq.path, r.status, status, r.body)
	}
	if got := r.errCode(e.t); got != code {
		e.t.Fatalf("%s %s: code %q, want %q; body %s", rq.method, rq.path, got, code, r.body)
	}
}

type roomInfo struct {
	ID      string   `json:"id"`
	Kind    string   `json:"kind"`
	Title   string   `json:"title"`
	Topic   string   `json:"topic"`
	Tags    []string `json:"tags"`
	Owner   string   `json:"owner"`
	Members int      `json:"members"`
	Online  int      `json:"online"`
	LastSeq int64    `json:"lastSeq"`
}

type roomList struct {
	Rooms []roomInfo `json:"rooms"`
	Next  string     `json:"next"`
}

type message struct {
	Room    string `json:"room"`
	Seq     int64  `json:"seq"`
	Kind    string `json:"kind"`
	Event   string `json:"event"`
	User    string `json:"user"`
	Name    string `json:"name"`
	Text    string `json:"text"`
	CMID    string `json:"cmid"`
	Ref     int64  `json:"ref"`
	Deleted bool   `json:"deleted"`
}

func (e *env) createRoom(tok, title string, tags ...string) roomInfo {
	e.t.Helper()
	b, _ := json.Marshal(map[string]any{"title": title, "topic": "about " + title, "tags": tags})
	var room roomInfo
	e.must(http.StatusCreated, req{method: "POST", path: "/api/v1/t/opentalk/rooms", body: string(b), bearer: tok}).json(e.t, &room)
	return room
}

func (e *env) history(tok, tenantID, roomID, query string) []message {
	e.t.Helper()
	var h struct {
		Messages []message `json:"messages"`
	}
	e.must(http.StatusOK, req{method: "GET", path: "/api/v1/t/" + tenantID + "/rooms/" + roomID + "/messages" + query, bearer: tok}).json(e.t, &h)
	return h.Messages
}

// tenantOfPath is the {tenant} of an /api/v1/t/{tenant}/... path.
func tenantOfPath(path string) string {
	rest, _ := strings.CutPrefix(path, "/api/v1/t/")
	tenant, _, _ := strings.Cut(rest, "/")
	return tenant
}
