package session

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/broker/memory"
	"github.com/parley-chat/parley/internal/chat"
	presencemem "github.com/parley-chat/parley/internal/presence/memory"
	"github.com/parley-chat/parley/internal/rooms"
	"github.com/parley-chat/parley/internal/store/sqlite"
	"github.com/parley-chat/parley/internal/tenant"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const goodOrigin = "https://chat.example"

// env is a real server: SQLite store, memory broker and presence, the rooms
// service, behind httptest at /ws/{tenant}.
type env struct {
	t      testing.TB
	srv    *Server
	hs     *httptest.Server
	rooms  *rooms.Service
	keys   *auth.Keys
	store  chat.Store
	broker *memory.Broker
	dbPath string // the SQLite file behind store
}

func testTenants(t testing.TB, policy func(*tenant.Policy)) *tenant.Registry {
	t.Helper()
	p := tenant.Policy{MaxMessageLength: 50, HistoryForNewcomers: true, RoomKinds: []chat.RoomKind{chat.RoomOpen}, UserCreatesRooms: true, SendsPerSecond: 1000, SendBurst: 1000}
	if policy != nil {
		policy(&p)
	}
	reg, err := tenant.NewRegistry([]tenant.Tenant{
		{ID: "acme", Origins: []string{goodOrigin}, Policy: p},
		{ID: "other", Origins: []string{goodOrigin}, Policy: p},
	})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

var seed = make([]byte, ed25519.SeedSize)

func newEnv(t testing.TB, cfg Config, policy func(*tenant.Policy)) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	dbPath := filepath.Join(t.TempDir(), "parley.db")
	st, err := sqlite.Open(ctx, dbPath, log)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.NewKeys(seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	br := memory.New()
	reg := testTenants(t, policy)
	var srv *Server // bound below, before any connection exists
	rs := rooms.New(st, br, reg, log, rooms.Options{
		OnMembershipEnded: func(tenantID, roomID, userID string) { srv.EndMembership(tenantID, roomID, userID) },
	})
	cfg.Tenants, cfg.Tokens, cfg.Rooms, cfg.Store, cfg.Broker = reg, keys, rs, st, br
	if cfg.Presence == nil {
		cfg.Presence = presencemem.New()
	}
	srv, err = NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /ws/{tenant}", srv)
	hs := httptest.NewServer(mux)
	e := &env{t: t, srv: srv, hs: hs, rooms: rs, keys: keys, store: st, broker: br, dbPath: dbPath}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		hs.Close()
		rs.Close()
		br.Close()
		st.Close()
	})
	return e
}

func (e *env) token(tenantID, user string, ttl time.Duration) string {
	e.t.Helper()
	tok, _, err := e.keys.Mint(auth.Claims{Tenant: tenantID, UserID: user, Name: "N-" + user, SessionID: "s-" + user}, ttl)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// room creates an open room in acme owned by owner and returns its id.
func (e *env) room(owner string) string {
	e.t.Helper()
	r, err := e.rooms.CreateRoom(context.Background(), chat.User{Tenant: "acme", ID: owner, Name: "N-" + owner}, rooms.RoomSpec{Title: "room of " + owner})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.ID
}

func (e *env) join(user, room string) {
	e.t.Helper()
	if _, err := e.rooms.Join(context.Background(), chat.User{Tenant: "acme", ID: user, Name: "N-" + user}, room); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) url(tenantID string) string {
	return "ws" + strings.TrimPrefix(e.hs.URL, "http") + "/ws/" + tenantID
}

type dialOpt struct {
	origin string
	cookie string
	client *http.Client
}

// frame is every server frame's fields, for assertions.
type frame struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	Temporary bool   `json:"temporary"`
	Room      any    `json:"room"`
	Seq       int64  `json:"seq"`
	LastSeq   int64  `json:"lastSeq"`
	Online    int    `json:"online"`
	Kind      string `json:"kind"`
	Text      string `json:"text"`
	User      string `json:"user"`
	CMID      string `json:"cmid"`
	Duplicate bool   `json:"duplicate"`
	ExpiresAt int64  `json:"expiresAt"`
	Reason    string `json:"reason"`
	AfterMs   int    `json:"afterMs"`
	Messages  []struct {
		Seq  int64  `json:"seq"`
		Text string `json:"text"`
	} `json:"messages"`
}

type client struct {
	t  testing.TB
	ws *websocket.Conn
}

func (e *env) dialT(tenantID string, o dialOpt) (*client, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h := http.Header{}
	if o.origin != "" {
		h.Set("Origin", o.origin)
	}
	if o.cookie != "" {
		h.Set("Cookie", auth.AccessCookieName(tenantID, false)+"="+o.cookie)
	}
	c, resp, err := websocket.Dial(ctx, e.url(tenantID), &websocket.DialOptions{HTTPHeader: h, HTTPClient: o.client})
	if err != nil {
		return nil, resp, err
	}
	c.SetReadLimit(1 << 20)
	cl := &client{t: e.t, ws: c}
	e.t.Cleanup(func() { c.CloseNow() })
	return cl, resp, nil
}

func (e *env) dial(o dialOpt) *client {
	e.t.Helper()
	c, _, err := e.dialT("acme", o)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// login dials and authenticates with a first frame.
func (e *env) login(user string) *client {
	e.t.Helper()
	c := e.dial(dialOpt{})
	c.send(map[string]any{"type": "auth", "token": e.token("acme", user, time.Hour)})
	c.expect("welcome")
	return c
}

func (c *client) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(websocket.MessageText, b)
}

func (c *client) sendRaw(typ websocket.MessageType, b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, typ, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) read() (frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := c.ws.Read(ctx)
	if err != nil {
		return frame{}, err
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		return frame{}, fmt.Errorf("server frame %s: %w", b, err)
	}
	return f, nil
}

// expect reads frames until one of type typ, skipping presence, typing and
// ping frames unless asked for.
func (c *client) expect(typ string) frame {
	c.t.Helper()
	for {
		f, err := c.read()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", typ, err)
		}
		if f.Type == typ {
			return f
		}
		switch f.Type {
		case "presence", "typing", "ping":
			continue
		}
		c.t.Fatalf("got %+v, want a %s frame", f, typ)
	}
}

func (c *client) expectError(id, code string) frame {
	c.t.Helper()
	f := c.expect("error")
	if f.Code != code || f.ID != id {
		c.t.Fatalf("error %+v, want code %s id %q", f, code, id)
	}
	return f
}

// closed reads until the connection ends and returns the close code.
func (c *client) closed() int {
	c.t.Helper()
	for {
		_, err := c.read()
		if err != nil {
			code := int(websocket.CloseStatus(err))
			if code == -1 {
				c.t.Fatalf("connection ended without a close frame: %v", err)
			}
			return code
		}
	}
}

func (c *client) expectClose(code int) {
	c.t.Helper()
	if got := c.closed(); got != code {
		c.t.Fatalf("close code %d, want %d", got, code)
	}
}

// subscribe subscribes and collects the catch-up until subscribed.
func (c *client) subscribe(room string, after int64) (msgs []frame, sub frame) {
	c.t.Helper()
	c.send(map[string]any{"type": "subscribe", "id": "s-" + room, "room": room, "after": after})
	for {
		f, err := c.read()
		if err != nil {
			c.t.Fatalf("subscribe: %v", err)
		}
		switch f.Type {
		case "message":
			msgs = append(msgs, f)
		case "subscribed":
			return msgs, f
		case "presence", "typing", "ping":
		default:
			c.t.Fatalf("subscribe: unexpected %+v", f)
		}
	}
}

// rawDialer returns an HTTP client whose connections have a small receive
// buffer, for a client that stops reading.
func rawDialer(rcvbuf int) *http.Client {
	d := &net.Dialer{Control: setRcvbuf(rcvbuf)}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}
