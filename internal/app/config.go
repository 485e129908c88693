// Package app wires Parley's parts into one server process: configuration,
// store, rooms service, session server, HTTP API, and the order in which
// they start and stop. cmd/parley parses the command line into a Config and
// calls New, Run and the tool functions here; only main prints and exits.
package app

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/demohost"
	"github.com/parley-chat/parley/internal/tenant"
)

// Config is the process configuration. Each field has a PARLEY_* variable
// and a flag; flags override the environment, which overrides the defaults.
type Config struct {
	Addr            string        // PARLEY_ADDR, --addr: listen address
	DataDir         string        // PARLEY_DATA, --data: SQLite database and token key
	TenantsFile     string        // PARLEY_CONFIG, --config: tenants JSON file; empty = demo tenants
	Store           string        // PARLEY_STORE, --store: empty = SQLite in DataDir; postgres://... = PostgreSQL
	TokenKey        string        // PARLEY_TOKEN_KEY: base64 Ed25519 seed; empty = DataDir/token.key
	LogLevel        string        // PARLEY_LOG_LEVEL, --log-level: debug, info, warn, error
	ShutdownTimeout time.Duration // PARLEY_SHUTDOWN_TIMEOUT, --shutdown-timeout
	// DemoHostURL is the reference host service (`parley demo-host`) as
	// browsers and this server reach it; only the demo tenants use it.
	DemoHostURL string // PARLEY_DEMO_HOST_URL, --demo-host-url
}

// Defaults.
const (
	DefaultAddr            = ":8080"
	DefaultDataDir         = "./data"
	DefaultLogLevel        = "info"
	DefaultShutdownTimeout = 15 * time.Second
	// DemoHostPort is where `parley demo-host` serves the reference host
	// service by default.
	DemoHostPort = "8081"
	// DefaultDemoHostURL is the demo host the demo tenants sign in through;
	// its origin is allowed for them.
	DefaultDemoHostURL = "http://localhost:" + DemoHostPort
)

// ConfigFromEnv returns the defaults overridden by PARLEY_* variables read
// with getenv (os.Getenv in main). A duration that does not parse is kept
// as an error for Validate, which names the key.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:            DefaultAddr,
		DataDir:         DefaultDataDir,
		LogLevel:        DefaultLogLevel,
		ShutdownTimeout: DefaultShutdownTimeout,
		DemoHostURL:     DefaultDemoHostURL,
	}
	set := func(dst *string, key string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	set(&c.Addr, "PARLEY_ADDR")
	set(&c.DataDir, "PARLEY_DATA")
	set(&c.TenantsFile, "PARLEY_CONFIG")
	set(&c.Store, "PARLEY_STORE")
	set(&c.TokenKey, "PARLEY_TOKEN_KEY")
	set(&c.LogLevel, "PARLEY_LOG_LEVEL")
	set(&c.DemoHostURL, "PARLEY_DEMO_HOST_URL")
	if v := getenv("PARLEY_SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return c, fmt.Errorf("PARLEY_SHUTDOWN_TIMEOUT: %q is not a duration (e.g. 15s)", v)
		}
		c.ShutdownTimeout = d
	}
	return c, nil
}

// RegisterFlags adds the server flags to fs with c's current values as
// defaults, so parsing fs applies flags over the environment.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (PARLEY_ADDR)")
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data directory: SQLite database, token key (PARLEY_DATA)")
	fs.StringVar(&c.TenantsFile, "config", c.TenantsFile, "tenants JSON file; empty uses the demo tenants (PARLEY_CONFIG)")
	fs.StringVar(&c.Store, "store", c.Store, "empty for SQLite in the data directory, or a postgres:// URL (PARLEY_STORE)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (PARLEY_LOG_LEVEL)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "graceful shutdown deadline (PARLEY_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&c.DemoHostURL, "demo-host-url", c.DemoHostURL, "the demo host the demo tenants sign in through; ignored with --config (PARLEY_DEMO_HOST_URL)")
}

// Validate checks the configuration; each error names the variable and flag.
func (c Config) Validate() error {
	var errs []error
	if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("PARLEY_ADDR (--addr): %q is not host:port", c.Addr))
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		errs = append(errs, fmt.Errorf("PARLEY_ADDR (--addr): port %q is not 0..65535", port))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("PARLEY_DATA (--data): must not be empty"))
	}
	if c.Store != "" && !strings.HasPrefix(c.Store, "postgres://") && !strings.HasPrefix(c.Store, "postgresql://") {
		errs = append(errs, errors.New("PARLEY_STORE (--store): must be empty (SQLite) or a postgres:// URL"))
	}
	if _, err := c.level(); err != nil {
		errs = append(errs, err)
	}
	if c.TenantsFile == "" {
		if _, err := demoHostOrigin(c.DemoHostURL); err != nil {
			errs = append(errs, err)
		}
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("PARLEY_SHUTDOWN_TIMEOUT (--shutdown-timeout): %s must be positive", c.ShutdownTimeout))
	}
	return errors.Join(errs...)
}

// Logger returns the JSON logger at the configured level.
func (c Config) Logger(w interface{ Write([]byte) (int, error) }) *slog.Logger {
	level, _ := c.level() // Validate reported a bad level; info then
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

func (c Config) level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return slog.LevelInfo, fmt.Errorf("PARLEY_LOG_LEVEL (--log-level): %q is not debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

// Tenants loads the tenants file, or without one the demo tenants: allowed
// on this server's local origins and the demo host's, and signing users in
// through the demo host (`parley demo-host`) at DemoHostURL.
func (c Config) Tenants() (*tenant.Registry, error) {
	if c.TenantsFile != "" {
		return tenant.LoadFile(c.TenantsFile)
	}
	_, port, err := net.SplitHostPort(c.Addr)
	if err != nil || port == "" || port == "0" {
		port = "8080"
	}
	host, err := demoHostOrigin(c.DemoHostURL)
	if err != nil {
		return nil, err
	}
	origins := []string{"http://localhost:" + port, "http://127.0.0.1:" + port, host.String()}
	// localhost and 127.0.0.1 are the same demo host to a person.
	if alias, ok := loopbackAlias(host); ok {
		origins = append(origins, alias.String())
	}
	tenants := tenant.Demo(origins...)
	setups := demohost.TenantAuth(host.String())
	for i, t := range tenants {
		if s, ok := setups[t.ID]; ok {
			tenants[i].Auth, tenants[i].APIKey = s.Auth, s.APIKey
		}
	}
	return tenant.NewRegistry(tenants)
}

// demoHostOrigin parses PARLEY_DEMO_HOST_URL down to its origin.
func demoHostOrigin(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("PARLEY_DEMO_HOST_URL (--demo-host-url): %q is not an http(s) origin", raw)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// loopbackAlias swaps localhost and 127.0.0.1 in a loopback origin.
func loopbackAlias(o *url.URL) (*url.URL, bool) {
	alias := map[string]string{"localhost": "127.0.0.1", "127.0.0.1": "localhost"}[o.Hostname()]
	if alias == "" {
		return nil, false
	}
	host := alias
	if p := o.Port(); p != "" {
		host = net.JoinHostPort(alias, p)
	}
	return &url.URL{Scheme: o.Scheme, Host: host}, true
}

func (c Config) storeKind() string {
	if c.Store != "" {
		return "postgres"
	}
	return "sqlite"
}
