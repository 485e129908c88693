package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/parley-chat/parley/internal/demohost"
)

// DemoHostConfig configures `parley demo-host`, the reference host service.
type DemoHostConfig struct {
	Addr         string // --addr: listen address (default :8081)
	PublicURL    string // --public-url: the host as browsers see it
	ParleyURL    string // --parley-url: Parley as browsers see it
	ParleyAPIURL string // --parley-api-url: Parley as the host's server reaches it
}

// DefaultDemoHostConfig is the demo as `make run` starts it.
func DefaultDemoHostConfig() DemoHostConfig {
	d := demohost.DefaultConfig()
	return DemoHostConfig{Addr: ":" + DemoHostPort, PublicURL: d.PublicURL, ParleyURL: d.ParleyURL}
}

// RegisterFlags adds the demo host's flags to fs.
func (c *DemoHostConfig) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "the demo host's URL as browsers see it")
	fs.StringVar(&c.ParleyURL, "parley-url", c.ParleyURL, "Parley's URL as browsers see it")
	fs.StringVar(&c.ParleyAPIURL, "parley-api-url", c.ParleyAPIURL, "Parley's URL as this server reaches it (default --parley-url)")
}

// RunDemoHost serves the reference host service until ctx is cancelled. It
// is for localhost demos only: its credentials are public.
func RunDemoHost(ctx context.Context, c DemoHostConfig, logger *slog.Logger) error {
	cfg := demohost.DefaultConfig()
	cfg.PublicURL, cfg.ParleyURL, cfg.ParleyAPIURL = c.PublicURL, c.ParleyURL, c.ParleyAPIURL
	cfg.Logger = logger
	host, err := demohost.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("demo-host --addr: %w", err)
	}
	srv := &http.Server{Handler: host, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	logger.Info("demo host ready", "addr", ln.Addr().String(), "public_url", c.PublicURL, "parley_url", c.ParleyURL)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("demo host shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
