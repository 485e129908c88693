package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/broker/memory"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/httpapi"
	presencemem "github.com/parley-chat/parley/internal/presence/memory"
	"github.com/parley-chat/parley/internal/rooms"
	"github.com/parley-chat/parley/internal/store/postgres"
	"github.com/parley-chat/parley/internal/store/sqlite"
	"github.com/parley-chat/parley/internal/webui"
)

// App is one running Parley node.
type App struct {
	cfg     Config
	log     *slog.Logger
	store   chat.Store
	broker  chat.Broker
	rooms   *rooms.Service
	sockets sockets
	api     *httpapi.API
	srv     *http.Server
	ln      net.Listener
}

// New opens the store (running its migrations), builds every component and
// listens on cfg.Addr, so that Addr is known before Run. On error everything
// opened so far is closed.
func New(ctx context.Context, cfg Config, logger *slog.Logger, version string) (_ *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: logger}
	defer func() {
		if err != nil {
			a.closeAll()
		}
	}()
	tenants, err := cfg.Tenants()
	if err != nil {
		return nil, err
	}
	keys, err := auth.LoadOrCreateKeys(cfg.DataDir, cfg.TokenKey)
	if err != nil {
		return nil, err
	}
	if a.store, err = openStore(ctx, cfg, logger); err != nil {
		return nil, err
	}
	metrics := httpapi.NewMetrics()
	presence := presencemem.New()
	a.broker = memory.New()
	// The rooms and auth services reach the socket server (which needs
	// them first) through late: ending memberships, closing revoked users.
	late := &lateSockets{}
	a.rooms = rooms.New(a.store, a.broker, tenants, logger, rooms.Options{
		OnCommit:          metrics.ObserveCommit,
		OnMembershipEnded: late.EndMembership,
	})

	sessions, ok := a.store.(auth.SessionStore)
	if !ok {
		return nil, fmt.Errorf("store %s keeps no sign-in sessions", cfg.storeKind())
	}
	// The socket server verifies tokens with the auth service, so a revoked
	// session cannot open a new socket.
	authSvc, err := auth.New(auth.Config{
		Tenants:  tenants,
		Keys:     keys,
		Sessions: sessions,
		Members:  a.rooms,
		Sockets:  late,
		Logger:   logger,
	})
	if err != nil {
		return nil, err
	}
	if a.sockets, err = newSockets(socketDeps{
		rooms: a.rooms, store: a.store, broker: a.broker, presence: presence,
		tenants: tenants, tokens: authSvc, metrics: metrics, logger: logger,
	}); err != nil {
		return nil, err
	}
	late.bind(a.sockets)
	a.api, err = httpapi.New(httpapi.Config{
		Rooms:    a.rooms,
		Tenants:  tenants,
		Tokens:   authSvc,
		Presence: presence,
		Socket:   a.sockets.handler(),
		Auth:     authSvc,
		Web:      webui.Handler(webui.Config{Site: webui.Sites(tenants, nil)}),
		Ready:    storeReady(a.store),
		Metrics:  metrics,
		Logger:   logger,
	})
	if err != nil {
		return nil, err
	}
	a.srv = &http.Server{
		Handler:           a.api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if a.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, fmt.Errorf("PARLEY_ADDR (--addr): %w", err)
	}
	logger.Info("parley ready", "version", version, "addr", a.ln.Addr().String(),
		"store", cfg.storeKind(), "tenants", len(tenants.All()))
	return a, nil
}

// Addr is the address the node listens on.
func (a *App) Addr() net.Addr { return a.ln.Addr() }

// Run serves until ctx is cancelled, then shuts down gracefully within
// cfg.ShutdownTimeout: /readyz turns 503, the listener closes, WebSocket
// clients are told to reconnect and closed with 4000, in-flight requests
// finish, the rooms service flushes its committer, and the store closes.
// It returns nil after a clean shutdown.
func (a *App) Run(ctx context.Context) error {
	serveDone := make(chan error, 1)
	go func() { serveDone <- a.srv.Serve(a.ln) }()

	var serveErr error
	select {
	case <-ctx.Done():
		a.log.Info("shutting down", "deadline", a.cfg.ShutdownTimeout.String())
	case serveErr = <-serveDone:
		a.log.Error("http server stopped", "err", serveErr)
	}
	return errors.Join(serveErr, a.shutdown())
}

// shutdown stops everything in dependency order within the deadline.
func (a *App) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	start := time.Now()
	a.api.Drain()

	// Shutdown closes the listener first and then runs the OnShutdown hooks,
	// so clients told to reconnect cannot land on this node again.
	socketsDone := make(chan error, 1)
	a.srv.RegisterOnShutdown(func() { socketsDone <- a.sockets.shutdown(ctx) })
	var errs []error
	if err := a.srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("http shutdown: %w", err))
	}
	select {
	case err := <-socketsDone:
		if err != nil {
			errs = append(errs, fmt.Errorf("socket shutdown: %w", err))
		}
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("socket shutdown: %w", ctx.Err()))
	}
	// Close flushes the committer: sends already accepted are stored and
	// acknowledged before the store goes away.
	roomsDone := make(chan error, 1)
	go func() { roomsDone <- a.rooms.Close() }()
	select {
	case err := <-roomsDone:
		if err != nil {
			errs = append(errs, fmt.Errorf("rooms close: %w", err))
		}
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("rooms close: %w", ctx.Err()))
	}
	errs = append(errs, a.closeStore())
	err := errors.Join(errs...)
	if err != nil {
		a.log.Error("shutdown incomplete", "took", time.Since(start).String(), "err", err)
	} else {
		a.log.Info("shut down", "took", time.Since(start).String())
	}
	return err
}

// closeAll releases what New opened when New fails.
func (a *App) closeAll() {
	if a.ln != nil {
		_ = a.ln.Close()
	}
	if a.sockets != nil {
		ctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
		_ = a.sockets.shutdown(ctx)
		cancel()
	}
	if a.rooms != nil {
		_ = a.rooms.Close()
	}
	_ = a.closeStore()
}

// closeStore closes the broker and the store, the last things to go.
func (a *App) closeStore() error {
	var errs []error
	if a.broker != nil {
		if err := a.broker.Close(); err != nil {
			errs = append(errs, fmt.Errorf("broker close: %w", err))
		}
		a.broker = nil
	}
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("store close: %w", err))
		}
		a.store = nil
	}
	return errors.Join(errs...)
}

// Migrate opens the configured store, which applies every pending
// migration, and closes it.
func Migrate(ctx context.Context, cfg Config, logger *slog.Logger) error {
	s, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	logger.Info("migrations applied", "store", cfg.storeKind())
	return s.Close()
}

// openStore opens SQLite under DataDir, or PostgreSQL when Store is a URL;
// both run their embedded migrations on open.
func openStore(ctx context.Context, cfg Config, logger *slog.Logger) (chat.Store, error) {
	if cfg.Store != "" {
		s, err := postgres.Open(ctx, cfg.Store, logger)
		if err != nil {
			return nil, fmt.Errorf("PARLEY_STORE (--store): %w", err)
		}
		return s, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("PARLEY_DATA (--data): %w", err)
	}
	s, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "parley.db"), logger)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	return s, nil
}

// storeReady is the readiness probe: the store's Ping when it has one, else
// a lookup of a room that cannot exist, which a reachable store answers
// with ErrNotFound.
func storeReady(s chat.Store) func(ctx context.Context) error {
	if p, ok := s.(interface{ Ping(context.Context) error }); ok {
		return p.Ping
	}
	return func(ctx context.Context) error {
		_, err := s.Room(ctx, "-", "-")
		if errors.Is(err, chat.ErrNotFound) {
			return nil
		}
		if err == nil {
			return errors.New("readiness probe found a room that cannot exist")
		}
		return err
	}
}
