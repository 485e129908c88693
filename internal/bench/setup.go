package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/protocol"
)

// env is what every scenario needs: where the server is, how to mint its
// users' tokens, and an HTTP client that can only reach loopback.
type env struct {
	cfg    Config
	base   *url.URL
	keys   *auth.Keys
	http   *http.Client
	log    *slog.Logger
	ttl    time.Duration
	tokens []string // one per connection, user "bench-<i>"
}

func newEnv(cfg Config, logger *slog.Logger) (*env, error) {
	base, err := loopbackBase(cfg.Server)
	if err != nil {
		return nil, err
	}
	keys, err := loadKeys(cfg)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:               nil, // never through a proxy: loopback only
		DialContext:         loopbackDial,
		MaxIdleConnsPerHost: cfg.SetupWorkers,
		IdleConnTimeout:     30 * time.Second,
	}
	return &env{
		cfg:  cfg,
		base: base,
		keys: keys,
		http: &http.Client{
			Transport:     tr,
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		log: logger,
		// Long enough that no token expires (or gets an "expiring" warning)
		// during the run.
		ttl: cfg.SetupTimeout + cfg.Duration + cfg.Drain + cfg.Settle + time.Hour,
	}, nil
}

func (e *env) close() { e.http.CloseIdleConnections() }

// loadKeys reads the server's token key. Unlike auth.LoadOrCreateKeys on
// its own, a missing key file is an error: a fresh key would mint tokens
// the server refuses.
func loadKeys(cfg Config) (*auth.Keys, error) {
	if cfg.TokenKey == "" {
		path := filepath.Join(cfg.DataDir, "token.key")
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("token key: %w (point --data at the server's data directory or set PARLEY_TOKEN_KEY)", err)
		}
	}
	keys, err := auth.LoadOrCreateKeys(cfg.DataDir, cfg.TokenKey)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return keys, nil
}

// loopbackDial dials only loopback addresses, whatever a redirect or a
// resolver says.
func loopbackDial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("dial %s: refused: not a loopback address", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// userID names connection i's user. Users are reused across runs; rooms are
// new every run.
func userID(i int) string { return "bench-" + strconv.Itoa(i) }

// mintTokens signs one access token per connection.
func (e *env) mintTokens(n int) error {
	e.tokens = make([]string, n)
	for i := range e.tokens {
		tok, _, err := e.keys.Mint(auth.Claims{Tenant: e.cfg.Tenant, UserID: userID(i), Name: "bench " + strconv.Itoa(i)}, e.ttl)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		e.tokens[i] = tok
	}
	return nil
}

// wsURL is the tenant's WebSocket endpoint.
func (e *env) wsURL() string {
	return "ws://" + e.base.Host + "/ws/" + url.PathEscape(e.cfg.Tenant)
}

// healthz fails fast when nothing answers at the address.
func (e *env) healthz(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base.String()+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("healthz: %w", err)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return fmt.Errorf("server %s: %w", e.base, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("server %s: /healthz answered %s", e.base, resp.Status)
	}
	return nil
}

// call makes one user API request as user i and decodes the JSON answer
// into out (when not nil). An error answer becomes a *protocol.Error.
func (e *env) call(ctx context.Context, method, path string, user int, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.base.String()+"/api/v1/t/"+url.PathEscape(e.cfg.Tenant)+path, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var werr protocol.Error
		if json.Unmarshal(data, &werr) == nil && werr.Code != "" {
			return fmt.Errorf("%s %s: %w", method, path, &werr)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// layout says which room each connection belongs to: connection i is a
// member of room i/RoomSize, and the first SendersPerRoom members of a room
// send.
type layout struct {
	rooms    []string // room ids, created by the run
	roomSize int
}

func (l layout) roomOf(i int) int { return i / l.roomSize }

// createRooms creates the rooms (each by its first member, who is then a
// member) and joins every other member, all through the REST API.
func (e *env) createRooms(ctx context.Context) (layout, error) {
	l := layout{rooms: make([]string, e.cfg.rooms()), roomSize: e.cfg.RoomSize}
	run := strconv.FormatInt(time.Now().Unix(), 36)
	err := parallel(ctx, len(l.rooms), e.cfg.SetupWorkers, func(ctx context.Context, r int) error {
		var info protocol.RoomInfo
		body := map[string]any{"title": fmt.Sprintf("bench %s room %d", run, r), "tags": []string{"bench"}}
		if err := e.call(ctx, http.MethodPost, "/rooms", r*l.roomSize, body, &info); err != nil {
			return err
		}
		l.rooms[r] = info.ID
		return nil
	})
	if err != nil {
		return l, fmt.Errorf("create rooms: %w", err)
	}
	e.log.Info("bench: rooms created", "rooms", len(l.rooms))
	err = parallel(ctx, e.cfg.Conns, e.cfg.SetupWorkers, func(ctx context.Context, i int) error {
		if i%l.roomSize == 0 {
			return nil // the creator
		}
		return e.call(ctx, http.MethodPost, "/rooms/"+l.rooms[l.roomOf(i)]+"/join", i, nil, nil)
	})
	if err != nil {
		return l, fmt.Errorf("join rooms: %w", err)
	}
	e.log.Info("bench: members joined", "members", e.cfg.Conns)
	return l, nil
}

// parallel runs f(0..n-1) on at most workers goroutines and returns the
// first error; after an error the remaining items are skipped. It returns
// once every goroutine it started has ended.
func parallel(ctx context.Context, n, workers int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		next  = make(chan int)
	)
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case next <- i:
			continue
		case <-ctx.Done():
		}
		break
	}
	close(next)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		// Only the parent's cancellation can get here.
		return ctx.Err()
	}
	return first
}
