// Package demohost is the reference host service: a small web site that
// plays the part of a service that plugs Parley in. It signs users in with
// two fake providers, keeps its own session cookie, hands Parley one-time
// codes and answers Parley's exchange and refresh calls (the open-talk
// tenant), and serves a rock-paper-scissors game page whose server creates
// the private room on Parley and signs assertions for the embedded game
// chat (the rps tenant). docs/host-integration.md walks through it.
//
// Everything is in memory and there are no background goroutines: expired
// codes and sessions are swept when new ones are issued.
package demohost

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/parley-chat/parley/internal/tenant"
)

// Demo credentials. They are public: the demo is for localhost only.
const (
	// ChatClientID and ChatClientSecret are what Parley presents to the
	// exchange and refresh endpoints for the open-talk tenant.
	ChatClientID     = "parley-opentalk"
	ChatClientSecret = "opentalk-demo-client-secret"
	// ChatAPIKey is the open-talk tenant's API key, which the demo host
	// uses to revoke sessions on sign-out.
	ChatAPIKey = "opentalk-demo-api-key"
	// AssertionSecret signs game-chat assertions (HMAC-SHA256).
	AssertionSecret = "rps-demo-assertion-secret-change-me-0123456789"
)

// Client is a Parley deployment allowed to call the exchange and refresh
// endpoints, for one tenant.
type Client struct {
	ID, Secret, Tenant string
}

// Config configures the demo host.
type Config struct {
	// PublicURL is the demo host's own origin as browsers see it.
	PublicURL string
	// ParleyURL is Parley as browsers see it; ParleyAPIURL is Parley as
	// this server reaches it (default ParleyURL).
	ParleyURL, ParleyAPIURL string
	// Clients may call /api/exchange and /api/refresh.
	Clients []Client
	// ChatTenant is the open-talk tenant and ChatAPIKey its API key.
	ChatTenant, ChatAPIKey string
	// GameTenant is the game-chat tenant, GameAPIKey its API key and
	// AssertionSecret the HMAC key its assertions are signed with.
	GameTenant, GameAPIKey, AssertionSecret string
	// SessionTTL is the host session length (default 30m); CodeTTL the
	// one-time code lifetime (default 60s); AssertionTTL the assertion
	// lifetime (default 2m).
	SessionTTL, CodeTTL, AssertionTTL time.Duration
	Clock                             func() time.Time
	Logger                            *slog.Logger
	// HTTPClient calls Parley's server API (default: 5s timeout).
	HTTPClient *http.Client
}

// DefaultConfig is the demo as `make run` starts it: the host on :8081,
// Parley on :8080, the built-in opentalk and rps tenants.
func DefaultConfig() Config {
	return Config{
		PublicURL:       "http://localhost:8081",
		ParleyURL:       "http://localhost:8080",
		Clients:         []Client{{ID: ChatClientID, Secret: ChatClientSecret, Tenant: "opentalk"}},
		ChatTenant:      "opentalk",
		ChatAPIKey:      ChatAPIKey,
		GameTenant:      "rps",
		GameAPIKey:      tenant.DemoAPIKey,
		AssertionSecret: AssertionSecret,
	}
}

// TenantAuth is the Parley side of DefaultConfig: the auth settings (and
// API keys) that the built-in demo tenants need to work with a demo host
// at hostURL as Parley's server reaches it. cmd/parley applies it to
// tenant.Demo.
func TenantAuth(hostURL string) map[string]TenantSetup {
	hostURL = strings.TrimSuffix(hostURL, "/")
	return map[string]TenantSetup{
		"opentalk": {APIKey: ChatAPIKey, Auth: tenant.Auth{Adapter: "exchange", Settings: map[string]string{
			"exchangeURL":  hostURL + "/api/exchange",
			"refreshURL":   hostURL + "/api/refresh",
			"clientID":     ChatClientID,
			"clientSecret": ChatClientSecret,
			"signInURL":    hostURL + "/",
		}}},
		"rps": {APIKey: tenant.DemoAPIKey, Auth: tenant.Auth{Adapter: "assertion", Settings: map[string]string{
			"secret": AssertionSecret,
		}}},
	}
}

// TenantSetup is what one Parley tenant needs to work with the demo host.
type TenantSetup struct {
	Auth   tenant.Auth
	APIKey string
}

// Host is the demo host service.
type Host struct {
	cfg          Config
	log          *slog.Logger
	parleyOrigin string
	mux          *http.ServeMux

	mu       sync.Mutex
	sessions map[string]*hostSession
	codes    map[string]*oneTimeCode
}

type hostSession struct {
	ID, UserID, Nickname, Provider string
	ExpiresAt                      time.Time
}

type oneTimeCode struct {
	SessionID, Tenant string
	ExpiresAt         time.Time
}

// New builds the demo host; it serves its pages and API as an http.Handler.
func New(cfg Config) (*Host, error) {
	if cfg.ParleyAPIURL == "" {
		cfg.ParleyAPIURL = cfg.ParleyURL
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 30 * time.Minute
	}
	if cfg.CodeTTL <= 0 {
		cfg.CodeTTL = 60 * time.Second
	}
	if cfg.AssertionTTL <= 0 {
		cfg.AssertionTTL = 2 * time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	pu, err := url.Parse(cfg.ParleyURL)
	if err != nil || pu.Scheme == "" || pu.Host == "" {
		return nil, fmt.Errorf("demohost: ParleyURL %q is not an absolute URL", cfg.ParleyURL)
	}
	if u, err := url.Parse(cfg.PublicURL); err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("demohost: PublicURL %q is not an absolute URL", cfg.PublicURL)
	}
	if len(cfg.AssertionSecret) < 32 {
		return nil, errors.New("demohost: AssertionSecret must be at least 32 bytes")
	}
	h := &Host{
		cfg:          cfg,
		log:          cfg.Logger.With("component", "demohost"),
		parleyOrigin: pu.Scheme + "://" + pu.Host,
		sessions:     map[string]*hostSession{},
		codes:        map[string]*oneTimeCode{},
	}
	h.mux = h.routes()
	return h, nil
}

// ServeHTTP serves the demo host.
func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Host) routes() *http.ServeMux {
	mux := http.NewServeMux()
	// Pages a person sees.
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("POST /signin", h.signIn)
	mux.HandleFunc("POST /signout", h.signOut)
	mux.HandleFunc("GET /chat", h.goToChat)
	mux.HandleFunc("GET /rps", h.rpsLobby)
	mux.HandleFunc("GET /rps/{room}", h.rpsRoom)
	mux.HandleFunc("POST /rps/{room}/assertion", h.rpsAssertion)
	mux.HandleFunc("POST /rps/{room}/play", h.rpsPlay)
	// Parley's server-to-server calls.
	mux.HandleFunc("POST /api/exchange", h.exchange)
	mux.HandleFunc("POST /api/refresh", h.refresh)
	return mux
}

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// userID derives a stable user id from provider and nickname, standing in
// for the id an OAuth provider would return.
func userID(provider, nickname string) string {
	sum := sha256.Sum256([]byte(provider + "\x00" + nickname))
	return provider + "-" + hex.EncodeToString(sum[:6])
}

const sessionCookie = "demo_host_session"

// session returns the signed-in user's live host session, or nil.
func (h *Host) session(r *http.Request) *hostSession {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.sessions[c.Value]
	if !ok || !h.cfg.Clock().Before(s.ExpiresAt) {
		return nil
	}
	cp := *s
	return &cp
}

// sweep drops expired codes and sessions; h.mu must be held.
func (h *Host) sweep(now time.Time) {
	for k, c := range h.codes {
		if !now.Before(c.ExpiresAt) {
			delete(h.codes, k)
		}
	}
	for k, s := range h.sessions {
		if !now.Before(s.ExpiresAt) {
			delete(h.sessions, k)
		}
	}
}

// sameOrigin guards the demo host's own form posts against cross-site
// requests.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return r.Header.Get("Sec-Fetch-Site") != "cross-site"
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}
