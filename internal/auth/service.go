package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/protocol"
	"github.com/parley-chat/parley/internal/tenant"
)

// SocketCloser is the consumer-side view of the session server: close
// every live socket of a user with a close code. It must not block for long.
type SocketCloser interface {
	CloseUser(tenant, userID string, code int)
}

// Config is everything the Service needs.
type Config struct {
	Tenants  *tenant.Registry
	Keys     *Keys
	Sessions SessionStore
	// Members lets the assertion adapter add users to private rooms.
	Members Members
	// Sockets closes a user's sockets when their sessions are revoked;
	// nil closes none.
	Sockets SocketCloser
	Logger  *slog.Logger
	Clock   chat.Clock // nil means time.Now
	// HTTPClient calls host services; nil means a client with no overall
	// timeout (each call is bounded by its adapter's timeout).
	HTTPClient *http.Client
	// Adapters are the sign-in flows by name; nil means Builtin().
	Adapters Factories
	// Getenv resolves "env:NAME" settings; nil means os.Getenv.
	Getenv func(string) string
	// AccessTTL is the access token lifetime (default 15m).
	AccessTTL time.Duration
	// HostRefreshWindow: a refresh extends the host session when it ends
	// within this window (default AccessTTL).
	HostRefreshWindow time.Duration
}

// DefaultAccessTTL is the lifetime of Parley's access tokens.
const DefaultAccessTTL = 15 * time.Minute

// Service serves the sign-in, refresh, sign-out and revoke endpoints for
// every tenant, each through its configured adapter.
type Service struct {
	cfg      Config
	log      *slog.Logger
	now      chat.Clock
	adapters map[string]Adapter // by tenant id
	mux      *http.ServeMux
}

// New builds the adapters of every tenant and validates their settings.
// Errors name the tenant and the setting.
func New(cfg Config) (*Service, error) {
	if cfg.Tenants == nil || cfg.Keys == nil || cfg.Sessions == nil {
		return nil, errors.New("auth: Tenants, Keys and Sessions are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Adapters == nil {
		cfg.Adapters = Builtin()
	}
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = DefaultAccessTTL
	}
	if cfg.HostRefreshWindow <= 0 {
		cfg.HostRefreshWindow = cfg.AccessTTL
	}
	s := &Service{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "auth"),
		now:      cfg.Clock,
		adapters: make(map[string]Adapter),
	}
	deps := Deps{HTTP: cfg.HTTPClient, Members: cfg.Members, Sessions: cfg.Sessions, Clock: cfg.Clock, Logger: s.log}
	for _, t := range cfg.Tenants.All() {
		f, ok := cfg.Adapters[t.Auth.Adapter]
		if !ok {
			return nil, fmt.Errorf("tenant %q auth.adapter: unknown adapter %q (known: %s)", t.ID, t.Auth.Adapter, cfg.Adapters.names())
		}
		a, err := f(NewSettings(t.ID, t.Auth.Settings, cfg.Getenv), deps)
		if err != nil {
			return nil, err
		}
		s.adapters[t.ID] = a
	}
	s.mux = http.NewServeMux()
	s.Register(s.mux)
	return s, nil
}

// Routes are the patterns Register adds, for documentation and for routers
// that are not a ServeMux.
var Routes = []string{
	"GET /t/{tenant}/enter",
	"POST /api/v1/t/{tenant}/auth/refresh",
	"POST /api/v1/t/{tenant}/auth/logout",
	"POST /api/v1/t/{tenant}/auth/{adapter}",
	"POST /api/v1/t/{tenant}/server/sessions/revoke",
}

// Register adds the Service's routes to mux.
func (s *Service) Register(mux *http.ServeMux) {
	handlers := []http.HandlerFunc{s.enter, s.refresh, s.logout, s.signIn, s.revoke}
	for i, pattern := range Routes {
		mux.Handle(pattern, noStore(handlers[i]))
	}
}

// ServeHTTP serves the Service's routes (see Routes).
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Authenticate verifies an access token for a tenant and, when it belongs
// to a server-side session, that the session is still live. The socket and
// REST layers call it so that a revoked session stops working at once.
func (s *Service) Authenticate(ctx context.Context, tenantID, token string) (Claims, error) {
	c, err := s.cfg.Keys.Verify(token, tenantID)
	if err != nil {
		return Claims{}, err
	}
	if c.SessionID == "" {
		return c, nil
	}
	sess, err := s.cfg.Sessions.Session(ctx, c.Tenant, c.SessionID)
	switch {
	case errors.Is(err, ErrSessionNotFound):
		return Claims{}, fmt.Errorf("authenticate: %w: %w", ErrTokenInvalid, ErrSessionRevoked)
	case err != nil:
		return Claims{}, fmt.Errorf("authenticate: %w", err)
	case !sess.Live(s.now()):
		return Claims{}, fmt.Errorf("authenticate: %w: %w", ErrTokenInvalid, ErrSessionRevoked)
	}
	return c, nil
}

// Verify is Authenticate with a background context bounded to two
// seconds, so that the Service can stand in wherever a Keys-style verifier
// is expected (httpapi.Config.Tokens, the socket server). A revoked session
// is reported as ErrTokenInvalid wrapping ErrSessionRevoked.
func (s *Service) Verify(token, tenantID string) (Claims, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.Authenticate(ctx, tenantID, token)
}

// TokenResponse is the JSON body of a successful sign-in or refresh
// (IssuedToken in web/packages/core).
type TokenResponse struct {
	Token     string `json:"token"`
	ExpiresAt int64  `json:"expiresAt"` // Unix milliseconds
	User      string `json:"user"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatarUrl,omitempty"`
	Room      string `json:"room,omitempty"`
}

func tokenResponse(iss issued, room string) TokenResponse {
	s := iss.session
	return TokenResponse{Token: iss.access, ExpiresAt: iss.accessExp.UnixMilli(), User: s.UserID, Name: s.UserName, AvatarURL: s.AvatarURL, Room: room}
}

// issued is what startSession produced.
type issued struct {
	session      Session
	access       string
	accessExp    time.Time
	refreshToken string // empty for bearer sign-ins
}

// startSession stores a new session for id and mints its tokens.
func (s *Service) startSession(ctx context.Context, adapter string, id Identity) (issued, error) {
	now := s.now()
	sid, err := randomToken(16)
	if err != nil {
		return issued{}, err
	}
	rt, err := randomToken(32)
	if err != nil {
		return issued{}, err
	}
	sess := Session{
		ID: sid, Tenant: id.User.Tenant, UserID: id.User.ID, UserName: id.User.Name, AvatarURL: id.User.AvatarURL,
		Adapter: adapter, HostSession: id.HostSession, HostExpiresAt: id.HostExpiresAt, CreatedAt: now,
	}
	switch {
	case id.Bearer:
		sess.ExpiresAt = now.Add(s.cfg.AccessTTL)
	case !id.HostExpiresAt.IsZero():
		sess.ExpiresAt = id.HostExpiresAt
	case id.SessionTTL > 0:
		sess.ExpiresAt = now.Add(id.SessionTTL)
	default:
		return issued{}, errors.New("start session: adapter gave no lifetime")
	}
	// A bearer session still gets a refresh-token hash so that the store's
	// rows all have the same shape; the token itself is never handed out.
	if err := s.cfg.Sessions.CreateSession(ctx, sess, HashToken(rt)); err != nil {
		return issued{}, fmt.Errorf("start session: %w", err)
	}
	out := issued{session: sess}
	if !id.Bearer {
		out.refreshToken = rt
	}
	out.access, out.accessExp, err = s.mint(sess, now)
	return out, err
}

// mint signs an access token that ends no later than the session.
func (s *Service) mint(sess Session, now time.Time) (string, time.Time, error) {
	ttl := min(s.cfg.AccessTTL, sess.ExpiresAt.Sub(now))
	return s.cfg.Keys.Mint(Claims{Tenant: sess.Tenant, UserID: sess.UserID, Name: sess.UserName, SessionID: sess.ID}, ttl)
}

func (s *Service) tenantAdapter(r *http.Request) (*tenant.Tenant, Adapter, bool) {
	t, ok := s.cfg.Tenants.Get(r.PathValue("tenant"))
	if !ok {
		return nil, nil, false
	}
	return t, s.adapters[t.ID], true
}

// cookieRequest starts a cookie-authenticated POST (refresh, logout): the
// path's tenant must exist and a browser's Origin must be Parley's own or
// the tenant's. On false it has answered the request.
func (s *Service) cookieRequest(w http.ResponseWriter, r *http.Request) (*tenant.Tenant, Adapter, bool) {
	t, a, ok := s.tenantAdapter(r)
	if !ok {
		writeError(w, chat.ErrNotFound)
		return nil, nil, false
	}
	if !originAllowed(r, t) {
		writeError(w, fmt.Errorf("origin %q: %w", r.Header.Get("Origin"), chat.ErrForbidden))
		return nil, nil, false
	}
	return t, a, true
}

// enter is GET /t/{tenant}/enter: the browser arrives from the host.
func (s *Service) enter(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	t, a, ok := s.tenantAdapter(r)
	if !ok {
		s.errorPage(w, r, nil, chat.ErrNotFound)
		return
	}
	ent, ok := a.(Entrant)
	if !ok {
		s.errorPage(w, r, a, ErrWrongAdapter)
		return
	}
	ret, err := checkReturn(t, r.URL.Query().Get("return"))
	if err != nil {
		s.errorPage(w, r, a, err)
		return
	}
	id, err := ent.Enter(r.Context(), r.URL.Query())
	if err != nil {
		s.log.Warn("sign-in refused", "tenant", t.ID, "adapter", a.Name(), "err", err)
		s.errorPage(w, r, a, err)
		return
	}
	iss, err := s.startSession(r.Context(), a.Name(), id)
	if err != nil {
		s.log.Error("start session", "tenant", t.ID, "err", err)
		s.errorPage(w, r, a, err)
		return
	}
	setSessionCookies(w, r, t.ID, iss)
	s.log.Info("signed in", "tenant", t.ID, "adapter", a.Name(), "user", id.User.ID)
	http.Redirect(w, r, ret, http.StatusSeeOther)
}

// signIn is POST /api/v1/t/{tenant}/auth/{adapter}.
func (s *Service) signIn(w http.ResponseWriter, r *http.Request) {
	t, a, ok := s.tenantAdapter(r)
	if !ok {
		writeError(w, chat.ErrNotFound)
		return
	}
	p, ok := a.(Poster)
	if !ok || a.Name() != r.PathValue("adapter") {
		writeError(w, ErrWrongAdapter)
		return
	}
	if !originAllowed(r, t) {
		writeError(w, fmt.Errorf("origin %q: %w", r.Header.Get("Origin"), chat.ErrForbidden))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<10))
	if err != nil {
		writeError(w, fmt.Errorf("read body: %w", chat.ErrInvalid))
		return
	}
	id, err := p.SignIn(r.Context(), body)
	if err != nil {
		s.log.Warn("sign-in refused", "tenant", t.ID, "adapter", a.Name(), "err", err)
		writeError(w, err)
		return
	}
	iss, err := s.startSession(r.Context(), a.Name(), id)
	if err != nil {
		s.log.Error("start session", "tenant", t.ID, "err", err)
		writeError(w, err)
		return
	}
	if !id.Bearer {
		setSessionCookies(w, r, t.ID, iss)
	}
	s.log.Info("signed in", "tenant", t.ID, "adapter", a.Name(), "user", id.User.ID)
	writeJSON(w, http.StatusOK, tokenResponse(iss, id.Room))
}

// refresh is POST /api/v1/t/{tenant}/auth/refresh: rotate the refresh
// token, extend the host session when it is about to end, and mint a new
// access token.
func (s *Service) refresh(w http.ResponseWriter, r *http.Request) {
	t, a, ok := s.cookieRequest(w, r)
	if !ok {
		return
	}
	rt := refreshCookie(r, t.ID)
	if rt == "" {
		writeError(w, ErrRefreshInvalid)
		return
	}
	next, err := randomToken(32)
	if err != nil {
		writeError(w, err)
		return
	}
	now := s.now()
	sess, err := s.cfg.Sessions.RotateRefresh(r.Context(), t.ID, HashToken(rt), HashToken(next), now)
	if err != nil {
		if errors.Is(err, ErrRefreshReused) {
			s.log.Warn("refresh token reused; session revoked", "tenant", t.ID, "user", sess.UserID)
			s.closeSockets(t.ID, []string{sess.UserID})
		}
		clearSessionCookies(w, r, t.ID)
		writeError(w, err)
		return
	}
	iss := issued{session: sess, refreshToken: next}
	if hr, ok := a.(HostRefresher); ok && sess.HostSession != "" && sess.HostExpiresAt.Sub(now) < s.cfg.HostRefreshWindow {
		if err := s.refreshHost(r.Context(), hr, &iss.session, now); err != nil {
			if errors.Is(err, ErrSessionRevoked) {
				clearSessionCookies(w, r, t.ID)
			} else {
				// The rotated token stays valid: hand it over so a retry
				// is not mistaken for reuse.
				setRefreshCookie(w, r, t.ID, iss)
			}
			writeError(w, err)
			return
		}
	}
	if iss.access, iss.accessExp, err = s.mint(iss.session, now); err != nil {
		writeError(w, err)
		return
	}
	setSessionCookies(w, r, t.ID, iss)
	writeJSON(w, http.StatusOK, tokenResponse(iss, ""))
}

// refreshHost extends the host session of sess. When the host says the
// session is gone, Parley's session is revoked too. When the host cannot
// be reached, the session goes on until its current host expiry.
func (s *Service) refreshHost(ctx context.Context, hr HostRefresher, sess *Session, now time.Time) error {
	exp, err := hr.RefreshHost(ctx, *sess)
	switch {
	case errors.Is(err, ErrHostSessionGone):
		s.log.Info("host session ended; revoking", "tenant", sess.Tenant, "user", sess.UserID)
		users, rerr := s.cfg.Sessions.Revoke(ctx, RevokeFilter{Tenant: sess.Tenant, SessionID: sess.ID}, now)
		if rerr != nil {
			return fmt.Errorf("revoke after host session ended: %w", rerr)
		}
		s.closeSockets(sess.Tenant, users)
		return fmt.Errorf("refresh: %w", ErrSessionRevoked)
	case err != nil:
		s.log.Warn("host refresh failed", "tenant", sess.Tenant, "err", err)
		if sess.HostExpiresAt.After(now) {
			return nil
		}
		return fmt.Errorf("refresh: %w", err)
	}
	if err := s.cfg.Sessions.ExtendSession(ctx, sess.Tenant, sess.ID, exp, exp); err != nil {
		return fmt.Errorf("refresh: %w", err)
	}
	sess.HostExpiresAt, sess.ExpiresAt = exp, exp
	return nil
}

// logout is POST /api/v1/t/{tenant}/auth/logout: revoke the session of the
// refresh cookie (or of the access token) and clear the cookies.
func (s *Service) logout(w http.ResponseWriter, r *http.Request) {
	t, _, ok := s.cookieRequest(w, r)
	if !ok {
		return
	}
	f := RevokeFilter{Tenant: t.ID}
	if rt := refreshCookie(r, t.ID); rt != "" {
		f.RefreshHash = HashToken(rt)
	} else if c, err := s.cfg.Keys.Verify(AccessToken(r, t.ID), t.ID); err == nil && c.SessionID != "" {
		f.SessionID = c.SessionID
	}
	if f.RefreshHash != "" || f.SessionID != "" {
		if _, err := s.cfg.Sessions.Revoke(r.Context(), f, s.now()); err != nil {
			writeError(w, err)
			return
		}
	}
	clearSessionCookies(w, r, t.ID)
	w.WriteHeader(http.StatusNoContent)
}

// revoke is POST /api/v1/t/{tenant}/server/sessions/revoke, called by the
// host's server with the tenant API key: {"user": id} or
// {"hostSession": id}.
func (s *Service) revoke(w http.ResponseWriter, r *http.Request) {
	t, _, ok := s.tenantAdapter(r)
	if !ok {
		writeError(w, chat.ErrNotFound)
		return
	}
	key := BearerToken(r)
	if !t.CheckAPIKey(key) {
		writeError(w, protocol.Errorf(protocol.CodeUnauthenticated, "missing or wrong tenant API key"))
		return
	}
	var req struct {
		User        string `json:"user"`
		HostSession string `json:"hostSession"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil || (req.User == "") == (req.HostSession == "") {
		writeError(w, fmt.Errorf("want exactly one of user or hostSession: %w", chat.ErrInvalid))
		return
	}
	users, err := s.cfg.Sessions.Revoke(r.Context(), RevokeFilter{Tenant: t.ID, UserID: req.User, HostSession: req.HostSession}, s.now())
	if err != nil {
		writeError(w, err)
		return
	}
	if req.User != "" && len(users) == 0 {
		users = []string{req.User} // close sockets opened with tokens of no session too
	}
	s.closeSockets(t.ID, users)
	s.log.Info("sessions revoked by host", "tenant", t.ID, "users", len(users))
	writeJSON(w, http.StatusOK, map[string]int{"revokedUsers": len(users)})
}

func (s *Service) closeSockets(tenantID string, users []string) {
	if s.cfg.Sockets == nil {
		return
	}
	for _, u := range users {
		if u != "" {
			s.cfg.Sockets.CloseUser(tenantID, u, protocol.CloseSessionRevoked)
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	e := WireError(err)
	if e.Temporary {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, protocol.HTTPStatus(e.Code), e)
}

func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}
