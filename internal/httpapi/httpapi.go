// Package httpapi serves Parley's REST API: the user API that the web
// clients call with an access token, the server API that host services call
// with their tenant API key, and the operations endpoints (health,
// readiness, Prometheus metrics). All routes are in routes.go; each resource
// has its own file of handlers; errors are JSON bodies built by
// protocol.ErrorFrom with the HTTP status chosen by statusFor.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/rooms"
	"github.com/parley-chat/parley/internal/tenant"
)

// Rooms is the part of the rooms service (*rooms.Service) the API uses;
// it applies the tenants' policies and membership rules.
type Rooms interface {
	SendWait(ctx context.Context, u chat.User, roomID, text, clientMsgID string) (chat.AppendResult, error)
	Delete(ctx context.Context, u chat.User, roomID string, seq int64) (chat.Message, error)
	Join(ctx context.Context, u chat.User, roomID string) (chat.Room, error)
	Leave(ctx context.Context, u chat.User, roomID string) error
	History(ctx context.Context, u chat.User, roomID string, opts chat.HistoryOptions) ([]chat.Message, error)
	CreateRoom(ctx context.Context, u chat.User, spec rooms.RoomSpec) (chat.Room, error)
	CreatePrivateRoom(ctx context.Context, tenantID, roomID, title string) (chat.Room, error)
	AddMember(ctx context.Context, tenantID, roomID string, u chat.User) (chat.Member, error)
	RemoveMember(ctx context.Context, tenantID, roomID, userID string) error
	Announce(ctx context.Context, tenantID, roomID, text string) (chat.Message, error)
	Room(ctx context.Context, tenantID, roomID string) (chat.Room, error)
	RoomFor(ctx context.Context, u chat.User, roomID string) (chat.Room, error)
	ListRooms(ctx context.Context, tenantID string, q chat.RoomQuery) (chat.RoomPage, error)
	UserRooms(ctx context.Context, tenantID, userID string) ([]chat.Room, error)
}

// Verifier checks access tokens; *auth.Keys is one.
type Verifier interface {
	Verify(token, tenant string) (auth.Claims, error)
}

// DefaultMaxBodyBytes is the request body limit when Config.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 64 << 10

// Config is what the API needs. Rooms, Tenants, Tokens and Logger are
// required.
type Config struct {
	Rooms    Rooms
	Tenants  *tenant.Registry
	Tokens   Verifier
	Presence chat.Presence // online counts; nil reports 0 online
	// Socket serves GET /ws/{tenant} (the session server); nil leaves the
	// route out.
	Socket http.Handler
	// Auth serves the sign-in routes listed in auth.Routes (*auth.Service);
	// nil leaves them out.
	Auth http.Handler
	// Web serves the web apps under /t/ (internal/webui); nil leaves them
	// out.
	Web http.Handler
	// Ready reports whether the node can serve: the store answers. nil
	// means always ready (until Drain).
	Ready   func(ctx context.Context) error
	Metrics *Metrics // nil disables /metrics and request metrics
	Logger  *slog.Logger
	// MaxBodyBytes limits request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// ReadyTimeout bounds one readiness probe; 0 means 2s.
	ReadyTimeout time.Duration
}

// API is Parley's HTTP surface. Create it with New and serve Handler().
type API struct {
	cfg      Config
	log      *slog.Logger
	handler  http.Handler
	draining atomic.Bool
}

// New validates cfg and builds the API with its routes and middleware.
func New(cfg Config) (*API, error) {
	switch {
	case cfg.Rooms == nil:
		return nil, errors.New("httpapi: Config.Rooms is required")
	case cfg.Tenants == nil:
		return nil, errors.New("httpapi: Config.Tenants is required")
	case cfg.Tokens == nil:
		return nil, errors.New("httpapi: Config.Tokens is required")
	case cfg.Logger == nil:
		return nil, errors.New("httpapi: Config.Logger is required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 2 * time.Second
	}
	a := &API{cfg: cfg, log: cfg.Logger.With("component", "httpapi")}
	a.handler = a.routes()
	return a, nil
}

// Handler returns the root handler: every route behind the middleware.
func (a *API) Handler() http.Handler { return a.handler }

// Drain marks the node as shutting down: /readyz answers 503 from now on so
// load balancers stop sending new clients. It does not stop serving.
func (a *API) Drain() { a.draining.Store(true) }
