package app

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/parley-chat/parley/internal/auth"
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
}

type socketDeps struct {
	rooms    *rooms.Service
	store    chat.Store
	broker   chat.Broker
	presence chat.Presence
	tenants  *tenant.Registry
	keys     *auth.Keys
	metrics  *httpapi.Metrics
	logger   *slog.Logger
}

// sessionSockets adapts *session.Server.
type sessionSockets struct{ s *session.Server }

func (w sessionSockets) handler() http.Handler                    { return w.s }
func (w sessionSockets) shutdown(ctx context.Context) error       { return w.s.Shutdown(ctx) }
func (w sessionSockets) CloseUser(tenantID, userID string, c int) { w.s.CloseUser(tenantID, userID, c) }

// newSockets starts the session server and exports its stats as metrics.
func newSockets(d socketDeps) (sockets, error) {
	s, err := session.NewServer(session.Config{
		Tenants:  d.tenants,
		Keys:     d.keys,
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
