package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

// Adapter is one tenant's sign-in flow: it proves who a user is from what
// the host service hands over, and leaves tokens, sessions and cookies to
// the Service. An adapter also implements one or more of Entrant, Poster
// and HostRefresher; the Service routes requests by what it implements.
type Adapter interface {
	// Name is the name the adapter is registered under ("exchange").
	Name() string
}

// Entrant signs users in through a browser navigation:
// GET /t/{tenant}/enter?...; the Service then sets session cookies and
// redirects to the checked return URL.
type Entrant interface {
	Adapter
	Enter(ctx context.Context, query url.Values) (Identity, error)
}

// Poster signs users in with a credential posted as JSON to
// POST /api/v1/t/{tenant}/auth/{name}.
type Poster interface {
	Adapter
	SignIn(ctx context.Context, body []byte) (Identity, error)
}

// HostRefresher extends a host session that is about to end. It returns
// the host session's new expiry, ErrHostSessionGone if the host says the
// session ended, or ErrHostUnavailable.
type HostRefresher interface {
	Adapter
	RefreshHost(ctx context.Context, s Session) (time.Time, error)
}

// Identity is what an adapter proved.
type Identity struct {
	User chat.User
	// HostSession and HostExpiresAt describe the host's own session, when
	// the adapter has one.
	HostSession   string
	HostExpiresAt time.Time
	// SessionTTL, when positive, bounds the Parley session for adapters
	// without a host session.
	SessionTTL time.Duration
	// Bearer asks for an access token in the response body only: no
	// refresh token, no cookies (the embedded iframe keeps it in memory).
	Bearer bool
	// Room is the room the identity was vouched into (assertion adapter).
	Room string
}

// Deps are what adapters may use; the Service fills them from its Config.
type Deps struct {
	HTTP     *http.Client
	Members  Members
	Sessions SessionStore
	Clock    chat.Clock
	Logger   *slog.Logger
}

// Factory builds an adapter for one tenant from its settings. It validates
// the settings and returns errors from Settings (which name tenant and key).
type Factory func(s Settings, d Deps) (Adapter, error)

// Factories maps adapter names to factories. Adding an adapter is one new
// file plus one entry in Builtin (or in Config.Adapters); no other adapter
// changes.
type Factories map[string]Factory

// Builtin returns the adapters Parley ships.
func Builtin() Factories {
	return Factories{
		"token":     newDevTokenAdapter,
		"exchange":  newExchangeAdapter,
		"assertion": newAssertionAdapter,
		"jwt":       newJWTAdapter,
	}
}

func (f Factories) names() string {
	n := make([]string, 0, len(f))
	for k := range f {
		n = append(n, k)
	}
	sort.Strings(n)
	return strings.Join(n, ", ")
}

// Settings are one tenant's auth.settings. Values of the form "env:NAME"
// are read from the environment. Errors name the tenant and the key.
type Settings struct {
	Tenant string
	m      map[string]string
	getenv func(string) string
}

// NewSettings wraps a tenant's settings map; getenv nil means os.Getenv.
func NewSettings(tenantID string, m map[string]string, getenv func(string) string) Settings {
	if getenv == nil {
		getenv = os.Getenv
	}
	return Settings{Tenant: tenantID, m: m, getenv: getenv}
}

// Errorf builds an error that names the tenant and the setting.
func (s Settings) Errorf(key, format string, args ...any) error {
	return fmt.Errorf("tenant %q auth.settings.%s: %s", s.Tenant, key, fmt.Sprintf(format, args...))
}

// Get returns a setting (resolved) or def when it is absent.
func (s Settings) Get(key, def string) (string, error) {
	v, ok := s.m[key]
	if !ok || v == "" {
		return def, nil
	}
	if name, isEnv := strings.CutPrefix(v, "env:"); isEnv {
		ev := s.getenv(name)
		if ev == "" {
			return "", s.Errorf(key, "environment variable %s is empty", name)
		}
		return ev, nil
	}
	return v, nil
}

// Required returns a setting that must be present.
func (s Settings) Required(key string) (string, error) {
	v, err := s.Get(key, "")
	if err == nil && v == "" {
		err = s.Errorf(key, "required")
	}
	return v, err
}

// URL returns a required absolute http(s) URL setting.
func (s Settings) URL(key string) (string, error) {
	v, err := s.Required(key)
	if err != nil {
		return "", err
	}
	u, perr := url.Parse(v)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", s.Errorf(key, "%q is not an absolute http(s) URL", v)
	}
	return v, nil
}

// Duration returns a duration setting ("5s") or def, checked against
// [lo, hi].
func (s Settings) Duration(key string, def, lo, hi time.Duration) (time.Duration, error) {
	v, err := s.Get(key, "")
	if err != nil || v == "" {
		return def, err
	}
	d, perr := time.ParseDuration(v)
	if perr != nil || d < lo || d > hi {
		return 0, s.Errorf(key, "%q is not a duration between %s and %s", v, lo, hi)
	}
	return d, nil
}

// Known rejects settings keys the adapter does not read, so a typo fails
// at startup instead of being silently ignored.
func (s Settings) Known(keys ...string) error {
	for k := range s.m {
		found := false
		for _, want := range keys {
			found = found || k == want
		}
		if !found {
			return s.Errorf(k, "unknown setting (known: %s)", strings.Join(keys, ", "))
		}
	}
	return nil
}

// devTokenAdapter is the development flow: tokens are minted out of band by
// `parley token`; it has no sign-in endpoint.
type devTokenAdapter struct{}

func newDevTokenAdapter(s Settings, _ Deps) (Adapter, error) {
	if err := s.Known(); err != nil {
		return nil, err
	}
	return devTokenAdapter{}, nil
}

func (devTokenAdapter) Name() string { return "token" }
