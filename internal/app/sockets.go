package app

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/rooms"
	"github.com/parley-chat/parley/internal/session"
	"github.com/parley-chat/parley/internal/tenant"
)

// sockets is the WebSocket layer as the app starts and stops it.
type sockets interface {
	handler() http.Handler
	shutdown(ctx context.Context) error
	// CloseUser closes a user's sockets (auth.SocketCloser).
	CloseUser(tenantID, userID string, code int)
	// EndMembership stops delivering a room to a user's sockets
	// (rooms.Options.OnMembershipEnded).
	EndMembership(tenantID, roomID, userID string) int
}

type socketDeps struct {
	rooms    *rooms.Service
	store    chat.Store
	broker   chat.Broker
	presence chat.Presence
	tenants  *tenant.Registry
	tokens   session.TokenVerifier
	metrics  *httpapi.Metrics
	logger   *slog.Logger
}

// lateSockets lets the rooms and auth services, built before the socket
// server (which needs them), reach it once it is bound. Before that no
// socket can be open, so there is nothing to reach.
type lateSockets struct{ s atomic.Pointer[sockets] }

func (l *lateSockets) bind(s sockets) { l.s.Store(&s) }

// CloseUser closes the user's sockets (auth.SocketCloser).
func (l *lateSockets) CloseUser(tenantID, userID string, code int) {
	if s := l.s.Load(); s != nil {
		(*s).CloseUser(tenantID, userID, code)
	}
}

// EndMembership stops delivering the room to the user's sockets
// (rooms.Options.OnMembershipEnded).
func (l *lateSockets) EndMembership(tenantID, roomID, userID string) {
	if s := l.s.Load(); s != nil {
		(*s).EndMembership(tenantID, roomID, userID)
	}
}

// sessionSockets adapts *session.Server.
type sessionSockets struct{ s *session.Server }

func (w sessionSockets) handler() http.Handler                    { return w.s }
func (w sessionSockets) shutdown(ctx context.Context) error       { return w.s.Shutdown(ctx) }
func (w sessionSockets) CloseUser(tenantID, userID string, c int) { w.s.CloseUser(tenantID, userID, c) }
func (w sessionSockets) EndMembership(tenantID, roomID, userID string) int {
	return w.s.EndMembership(tenantID, roomID, userID)
}

// newSockets starts the session server and exports its stats as metrics.
func newSockets(d socketDeps) (sockets, error) {
	s, err := session.NewServer(session.Config{
		Tenants:  d.tenants,
		Tokens:   d.tokens,
		Rooms:    d.rooms,
		Store:    d.store,
		Broker:   d.broker,
		Presence: d.presence,
		Logger:   d.logger,
	})
	if err != nil {
		return nil, err
	}
	d.metrics.WatchSessions(func() httpapi.SessionStats {
		st := s.Stats()
		return httpapi.SessionStats{
			Connections:   st.Connections,
			Subscriptions: st.Subscriptions,
			Rooms:         st.Rooms,
			Deliveries:    st.Deliveries,
			QueueDrops:    st.QueueDrops,
			SlowConsumers: st.SlowConsumers,
		}
	})
	return sessionSockets{s}, nil
}
