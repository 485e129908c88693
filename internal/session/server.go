// Package session serves Parley's WebSocket endpoint: the upgrade, one
// session per connection (authentication, frame dispatch, the bounded
// outbound queue, heartbeat, token expiry) and resume without gap or
// duplicate through the hub. docs/protocol.md is the wire contract.
//
// # Connection model
//
// No goroutine waits on an idle connection and no buffer is held for one.
// The netpoll poller reports readability; a pool worker then reads the
// waiting frames with a pooled reader and dispatches them. Quick frames
// (send, typing, ping, refresh) are handled on the worker; frames that wait
// on the store (subscribe, history, join, leave, delete, unsubscribe) run on
// a goroutine of their own while reading from that connection pauses, which
// keeps each connection's frames in order and bounds its work in flight.
// Outbound frames are queued (bounded, shared read-only bytes) and written by
// a flush task on the pool, started when the queue goes non-empty, which
// writes everything waiting with one vectored write. One sweeper goroutine
// does heartbeats, auth deadlines and token expiry for all connections.
//
// # Known limit: trickled frames
//
// Once a frame's first byte arrives the worker reads the rest of that frame
// (and of a fragmented message) blocking, bounded by ReadTimeout (10 s). A
// client that sends a frame byte by byte therefore holds one pool worker for
// up to ReadTimeout, and the pool grows (up to Poller.MaxWorkers) to serve
// everyone else meanwhile; many such clients can exhaust it. Parsing frames
// incrementally from a per-connection buffer, re-arming between pieces,
// would remove this; it is not done yet.
//
// # Goroutines
//
// Owned by the Server and ended by Shutdown: the sweeper, the poller's poll
// goroutine and workers, operation goroutines (at most one per connection)
// and gap-repair goroutines (at most one per subscription, ending at the gap
// timeout or with the connection).
//
// # Locks
//
// Server.mu and conn.mu are never held together, and neither is held while
// calling the hub, the rooms service, the store, presence or the broker.
// The hub calls conn.Send with its own subscription lock held (hub lock
// order: Sub.mu, then conn.mu), so conn.mu is a leaf lock.
package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/hub"
	"github.com/parley-chat/parley/internal/netpoll"
	"github.com/parley-chat/parley/internal/protocol"
	"github.com/parley-chat/parley/internal/tenant"
)

// Rooms is what the session needs from the rooms service (internal/rooms
// satisfies it). Every method checks that u may do what it asks.
type Rooms interface {
	// Send stores a text message and calls done once, after the commit (or
	// the failure); done must not block.
	Send(ctx context.Context, u chat.User, roomID, text, clientMsgID string, done func(chat.AppendResult))
	// Delete tombstones the user's own message seq.
	Delete(ctx context.Context, u chat.User, roomID string, seq int64) (chat.Message, error)
	// Join makes u a member of an open room.
	Join(ctx context.Context, u chat.User, roomID string) (chat.Room, error)
	// Leave ends u's membership.
	Leave(ctx context.Context, u chat.User, roomID string) error
	// ReadFrom checks membership and returns the lowest seq u may read after.
	ReadFrom(ctx context.Context, u chat.User, roomID string) (int64, error)
	// History pages the room's messages that u may read.
	History(ctx context.Context, u chat.User, roomID string, opts chat.HistoryOptions) ([]chat.Message, error)
	// Room returns a room of the tenant.
	Room(ctx context.Context, tenantID, roomID string) (chat.Room, error)
	// PublishEphemeral fans an unstored event (typing, presence) out to the
	// room's subscribers on every node.
	PublishEphemeral(ctx context.Context, tenantID, roomID string, payload []byte) error
}

// TokenVerifier checks an access token for a tenant: signature, expiry and,
// for tokens bound to a sign-in session, that the session is still live.
// *auth.Service satisfies it (and *auth.Keys, without the session check).
type TokenVerifier interface {
	Verify(token, tenantID string) (auth.Claims, error)
}

// Config configures a Server. Zero durations and sizes get the defaults
// noted.
type Config struct {
	Tenants  *tenant.Registry
	Tokens   TokenVerifier
	Rooms    Rooms
	Store    chat.Store // catch-up reads go straight to the record of truth
	Broker   chat.Broker
	Presence chat.Presence
	Logger   *slog.Logger

	// PingInterval: a connection silent this long gets a ping, and one
	// silent twice as long is closed (4009); default 25 s.
	PingInterval time.Duration
	// AuthTimeout: an unauthenticated connection is closed (4001) after it;
	// default 10 s.
	AuthTimeout time.Duration
	// ExpiryWarning: "expiring" is sent this long before the token expires;
	// default 60 s.
	ExpiryWarning time.Duration
	// MaxFrame is the largest client message in bytes; default 64 KiB.
	MaxFrame int
	// QueueSize bounds a connection's outbound queue in frames; when it is
	// full the connection is closed (4008). Default 256.
	QueueSize int
	// MaxSubscriptions bounds the rooms one connection has subscribed at
	// once; a subscribe beyond it is forbidden. Default 100.
	MaxSubscriptions int
	// MaxPending bounds live events held per subscription while it catches
	// up; default 1024.
	MaxPending int
	// WriteTimeout bounds one flush to a peer; default 10 s.
	WriteTimeout time.Duration
	// ReadTimeout bounds reading the rest of a frame once it started
	// arriving; default 10 s.
	ReadTimeout time.Duration
	// OpTimeout bounds a store-backed request (history, join, ...); default
	// 10 s. Subscribe catch-up gets CatchUpTimeout (default 2 min).
	OpTimeout      time.Duration
	CatchUpTimeout time.Duration
	// FloodLimit: this many rate-limited sends in a row close the connection
	// (4029); default 50.
	FloodLimit int
	// TypingInterval: at most one typing event per room per connection per
	// interval; default 2 s.
	TypingInterval time.Duration
	// GapTimeout: how long a live subscription waits for a missing seq
	// before reading it from the store; default 1 s.
	GapTimeout time.Duration
	// ReconnectAfter is the back-off hint of the shutdown reconnect frame;
	// default 1 s.
	ReconnectAfter time.Duration
	// Linger bounds the wait for the peer's close after a close frame;
	// default 2 s.
	Linger time.Duration
	// Poller sizes the worker pool.
	Poller netpoll.Config
}

func (c *Config) defaults() error {
	switch {
	case c.Tenants == nil:
		return errors.New("session: Tenants is required")
	case c.Tokens == nil:
		return errors.New("session: Tokens is required")
	case c.Rooms == nil || c.Store == nil || c.Broker == nil || c.Presence == nil:
		return errors.New("session: Rooms, Store, Broker and Presence are required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.PingInterval, 25*time.Second)
	def(&c.AuthTimeout, 10*time.Second)
	def(&c.ExpiryWarning, 60*time.Second)
	def(&c.WriteTimeout, 10*time.Second)
	def(&c.ReadTimeout, 10*time.Second)
	def(&c.OpTimeout, 10*time.Second)
	def(&c.CatchUpTimeout, 2*time.Minute)
	def(&c.TypingInterval, 2*time.Second)
	def(&c.GapTimeout, time.Second)
	def(&c.ReconnectAfter, time.Second)
	def(&c.Linger, 2*time.Second)
	defInt(&c.MaxFrame, 64<<10)
	defInt(&c.QueueSize, 256)
	defInt(&c.MaxPending, 1024)
	defInt(&c.MaxSubscriptions, 100)
	defInt(&c.FloodLimit, 50)
	if c.QueueSize < 8 {
		return fmt.Errorf("session: QueueSize %d is below 8", c.QueueSize)
	}
	return nil
}

// Stats are the server's gauges and counters, for metrics.
type Stats struct {
	Connections   int   // open sockets
	Subscriptions int   // room subscriptions on this node
	Rooms         int   // rooms with subscribers on this node
	Deliveries    int64 // live frames queued to connections, total
	QueueDrops    int64 // frames refused because a queue was full or closing, total
	SlowConsumers int64 // connections closed with 4008, total
}

// Server serves WebSocket connections. Mount it at GET /ws/{tenant}.
type Server struct {
	cfg    Config
	log    *slog.Logger
	poller *netpoll.Poller
	hub    *hub.Hub

	ctx    context.Context // parent of every operation; cancelled by Shutdown
	cancel context.CancelFunc

	mu       sync.Mutex // guards conns, closing, empty
	conns    map[*conn]struct{}
	closing  bool
	empty    chan struct{} // closed when closing and conns is empty
	ops      sync.WaitGroup
	sweeper  sync.WaitGroup
	stopOnce sync.Once
	stop     chan struct{} // ends the sweeper

	slow atomic.Int64

	pingFrame []byte // shared by every connection
}

// NewServer starts a Server (its poller and sweeper).
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	p, err := netpoll.New(cfg.Poller)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	log := cfg.Logger.With("component", "session")
	s := &Server{
		cfg:       cfg,
		log:       log,
		poller:    p,
		hub:       hub.New(cfg.Broker, hub.Options{Encode: textFrame, MaxPending: cfg.MaxPending, Logger: cfg.Logger}),
		conns:     make(map[*conn]struct{}),
		empty:     make(chan struct{}),
		stop:      make(chan struct{}),
		pingFrame: jsonFrame(protocol.Ping{Type: protocol.TypePing}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.sweeper.Add(1)
	go s.sweep()
	return s, nil
}

// ServeHTTP upgrades GET /ws/{tenant}. It answers 404 for an unknown
// tenant, 403 for a foreign Origin (a missing Origin, as from a non-browser
// client, is allowed), 503 while shutting down.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tenantID := r.PathValue("tenant")
	if tenantID == "" {
		tenantID = strings.TrimPrefix(r.URL.Path, "/ws/")
	}
	ten, ok := s.cfg.Tenants.Get(tenantID)
	if !ok {
		http.Error(w, "unknown tenant", http.StatusNotFound)
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" && !ten.AllowsOrigin(origin) {
		s.log.Info("upgrade refused: foreign origin", "tenant", ten.ID, "origin", origin)
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	var claims auth.Claims
	var authErr error
	atUpgrade := false // a cookie or Authorization header carried a token
	if token := auth.AccessToken(r, ten.ID); token != "" {
		atUpgrade = true
		claims, authErr = s.cfg.Tokens.Verify(token, ten.ID)
	}
	nc, rw, _, err := ws.HTTPUpgrader{}.Upgrade(r, w)
	if err != nil {
		if nc != nil {
			nc.Close()
		}
		s.log.Debug("upgrade failed", "tenant", ten.ID, "err", err)
		return
	}
	c := newConn(s, nc, ten)
	if n := rw.Reader.Buffered(); n > 0 { // frames sent before the 101 arrived
		c.pre, _ = rw.Reader.Peek(n)
		c.pre = append([]byte(nil), c.pre...)
	}
	// Register (disarmed until the first rearm) before the connection is
	// visible to Shutdown and CloseUser, so c.h is set before any teardown
	// can read it.
	h, err := s.poller.Register(nc, c.turnFn)
	if err != nil {
		s.log.Warn("poller register failed", "err", err)
		nc.Close()
		return
	}
	c.h = h
	if !s.add(c) {
		h.Stop()
		nc.Close()
		return
	}
	switch {
	case atUpgrade && authErr != nil:
		c.refuseAuth("", authErr)
	case atUpgrade:
		c.authenticate(claims)
	}
	if len(c.pre) > 0 {
		s.poller.Submit(c.turnFn)
	} else {
		c.rearm()
	}
}

func (s *Server) add(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) remove(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if s.closing && len(s.conns) == 0 {
		select {
		case <-s.empty:
		default:
			close(s.empty)
		}
	}
	s.mu.Unlock()
}

func (s *Server) snapshot(dst []*conn) []*conn {
	s.mu.Lock()
	for c := range s.conns {
		dst = append(dst, c)
	}
	s.mu.Unlock()
	return dst
}

// CloseUser closes every live socket of the user in the tenant with code
// (protocol.CloseSessionRevoked when a session is revoked) and returns how
// many it closed.
func (s *Server) CloseUser(tenantID, userID string, code int) int {
	return s.closeWhere(code, func(c *conn) bool { return c.ten.ID == tenantID && c.user.ID == userID })
}

// CloseSession closes every live socket authenticated with the session id
// and returns how many it closed.
func (s *Server) CloseSession(sessionID string, code int) int {
	if sessionID == "" {
		return 0
	}
	return s.closeWhere(code, func(c *conn) bool { return c.sid == sessionID })
}

// EndMembership ends, silently, the subscriptions to the room of every
// socket of the user on this node, because the user is no longer a member
// (they left, or the host removed them). Wire it to
// rooms.Options.OnMembershipEnded. It returns how many subscriptions it
// ended. Connections on other nodes are not reached: they keep the
// subscription until they reconnect.
func (s *Server) EndMembership(tenantID, roomID, userID string) int {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), s.cfg.OpTimeout)
	defer cancel()
	n := 0
	for _, c := range s.snapshot(nil) {
		c.mu.Lock()
		ok := c.authed && c.ten.ID == tenantID && c.user.ID == userID
		c.mu.Unlock()
		if ok && c.dropSub(ctx, roomID) {
			n++
		}
	}
	return n
}

func (s *Server) closeWhere(code int, match func(*conn) bool) int {
	n := 0
	for _, c := range s.snapshot(nil) {
		c.mu.Lock()
		ok := c.authed && match(c)
		c.mu.Unlock()
		if ok {
			c.closeWith(code, closeReason(code), false)
			n++
		}
	}
	return n
}

// Stats returns current gauges and counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	hs := s.hub.Stats()
	return Stats{
		Connections:   n,
		Subscriptions: hs.Subscriptions,
		Rooms:         hs.Rooms,
		Deliveries:    hs.Deliveries,
		QueueDrops:    hs.Refused,
		SlowConsumers: s.slow.Load(),
	}
}

// Shutdown stops accepting upgrades, tells every client to reconnect
// ({"type":"reconnect"} then close 4000), waits for the queues to flush and
// the peers to close, and ends every goroutine of the Server. When ctx ends
// first the remaining sockets are closed at once and ctx's error returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	if len(s.conns) == 0 {
		select {
		case <-s.empty:
		default:
			close(s.empty)
		}
	}
	s.mu.Unlock()
	bye := jsonFrame(protocol.Reconnect{Type: protocol.TypeReconnect, Reason: "shutdown", AfterMs: int(s.cfg.ReconnectAfter.Milliseconds())})
	for _, c := range s.snapshot(nil) {
		c.closeWith(protocol.CloseReconnect, "server shutting down", false, bye)
	}
	var err error
	select {
	case <-s.empty:
	case <-ctx.Done():
		err = ctx.Err()
		for _, c := range s.snapshot(nil) {
			c.teardown()
		}
	}
	s.stopOnce.Do(func() { close(s.stop) })
	s.sweeper.Wait()
	s.cancel() // ends operations still waiting on the store or a queue
	// The poller goes first: once its workers are done no read turn can
	// start an operation, and every operation that did start holds a count
	// of s.ops until it ends.
	if perr := s.poller.Close(); perr != nil && err == nil {
		err = perr
	}
	s.ops.Wait()
	s.hub.Close()
	return err
}

// goOp runs f on an operation goroutine owned by the server.
func (s *Server) goOp(f func()) {
	s.ops.Add(1)
	go func() {
		defer s.ops.Done()
		f()
	}()
}

func closeReason(code int) string {
	switch code {
	case protocol.CloseReconnect:
		return "server restarting"
	case protocol.CloseAuthFailed:
		return "authentication failed"
	case protocol.CloseTokenExpired:
		return "token expired"
	case protocol.CloseSessionRevoked:
		return "session revoked"
	case protocol.CloseSlowConsumer:
		return "slow consumer"
	case protocol.CloseHeartbeatTimeout:
		return "heartbeat timeout"
	case protocol.CloseRateLimited:
		return "rate limited"
	case protocol.CloseTooBig:
		return "frame too large"
	case protocol.CloseProtocolError:
		return "protocol error"
	}
	return ""
}
