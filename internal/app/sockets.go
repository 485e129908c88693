package app

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/rooms"
	"github.com/parley-chat/parley/internal/tenant"
)

// sockets is the WebSocket layer as the app starts and stops it.
type sockets interface {
	handler() http.Handler // nil: no socket endpoint
	shutdown(ctx context.Context) error
}

type socketDeps struct {
	rooms    *rooms.Service
	broker   chat.Broker
	presence chat.Presence
	tenants  *tenant.Registry
	tokens   httpapi.Verifier
	metrics  *httpapi.Metrics
	logger   *slog.Logger
}

// noSockets stands in until internal/session lands.
type noSockets struct{}

func (noSockets) handler() http.Handler          { return nil }
func (noSockets) shutdown(context.Context) error { return nil }

func newSockets(socketDeps) (sockets, error) { return noSockets{}, nil }
