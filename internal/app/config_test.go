package app

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/auth"
)

func TestConfigPrecedence(t *testing.T) {
	env := map[string]string{
		"PARLEY_ADDR":             ":9000",
		"PARLEY_DATA":             "/var/lib/parley",
		"PARLEY_STORE":            "postgres://db/parley",
		"PARLEY_SHUTDOWN_TIMEOUT": "3s",
	}
	cfg, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{"--addr", "127.0.0.1:9001", "--log-level", "debug"}); err != nil {
		t.Fatal(err)
	}
	want := Config{
		Addr:            "127.0.0.1:9001", // flag over env
		DataDir:         "/var/lib/parley",
		Store:           "postgres://db/parley",
		LogLevel:        "debug",
		ShutdownTimeout: 3 * time.Second,
		DemoHostURL:     "http://localhost:8081",
	}
	if cfg != want {
		t.Fatalf("config = %+v\nwant      %+v", cfg, want)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := ConfigFromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":8080" || cfg.DataDir != "./data" || cfg.Store != "" || cfg.LogLevel != "info" || cfg.ShutdownTimeout != 15*time.Second {
		t.Fatalf("defaults = %+v", cfg)
	}
	reg, err := cfg.Tenants()
	if err != nil {
		t.Fatal(err)
	}
	rps, ok := reg.Get("rps")
	if !ok {
		t.Fatal("no demo tenant rps")
	}
	for _, o := range []string{"http://localhost:8080", "http://127.0.0.1:8080", "http://localhost:8081", "http://127.0.0.1:8081"} {
		if !rps.AllowsOrigin(o) {
			t.Errorf("demo tenants do not allow %s", o)
		}
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		key  string // the variable the error must name
	}{
		{"addr", func(c *Config) { c.Addr = "8080" }, "PARLEY_ADDR"},
		{"port", func(c *Config) { c.Addr = ":99999" }, "PARLEY_ADDR"},
		{"data", func(c *Config) { c.DataDir = "" }, "PARLEY_DATA"},
		{"store", func(c *Config) { c.Store = "mysql://x" }, "PARLEY_STORE"},
		{"log level", func(c *Config) { c.LogLevel = "loud" }, "PARLEY_LOG_LEVEL"},
		{"timeout", func(c *Config) { c.ShutdownTimeout = 0 }, "PARLEY_SHUTDOWN_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := ConfigFromEnv(func(string) string { return "" })
			tt.edit(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Fatalf("Validate() = %v, want an error naming %s", err, tt.key)
			}
		})
	}
	_, err := ConfigFromEnv(func(k string) string {
		if k == "PARLEY_SHUTDOWN_TIMEOUT" {
			return "soon"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "PARLEY_SHUTDOWN_TIMEOUT") {
		t.Fatalf("bad duration: %v", err)
	}
}

func TestMintToken(t *testing.T) {
	cfg, _ := ConfigFromEnv(func(string) string { return "" })
	cfg.DataDir = t.TempDir()
	tok, err := MintToken(cfg, TokenRequest{Tenant: "opentalk", UserID: "alice", TTL: time.Minute})
	if err != nil || strings.Count(tok, ".") != 2 {
		t.Fatalf("MintToken = %q, %v", tok, err)
	}
	// serve loads the same key from the data directory.
	keys, err := auth.LoadOrCreateKeys(cfg.DataDir, "")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := keys.Verify(tok, "opentalk"); err != nil || c.UserID != "alice" || c.Name != "alice" {
		t.Fatalf("Verify = %+v, %v", c, err)
	}
	for _, bad := range []TokenRequest{
		{Tenant: "nope", UserID: "alice", TTL: time.Minute},
		{Tenant: "opentalk", UserID: "a b", TTL: time.Minute},
		{Tenant: "opentalk", UserID: "alice"},
		{UserID: "alice", TTL: time.Minute},
	} {
		if _, err := MintToken(cfg, bad); err == nil {
			t.Errorf("MintToken(%+v) succeeded", bad)
		}
	}
}

func TestDemoHostURL(t *testing.T) {
	env := map[string]string{"PARLEY_ADDR": "127.0.0.1:9000", "PARLEY_DEMO_HOST_URL": "http://127.0.0.1:9100/"}
	cfg, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	reg, err := cfg.Tenants()
	if err != nil {
		t.Fatal(err)
	}
	ot, _ := reg.Get("opentalk")
	for _, o := range []string{"http://127.0.0.1:9000", "http://localhost:9000", "http://127.0.0.1:9100", "http://localhost:9100"} {
		if !ot.AllowsOrigin(o) {
			t.Errorf("demo tenants do not allow %s", o)
		}
	}
	if ot.AllowsOrigin("http://localhost:8081") {
		t.Error("demo tenants still allow the default demo host")
	}
	if got := ot.Auth.Settings["exchangeURL"]; got != "http://127.0.0.1:9100/api/exchange" {
		t.Errorf("exchangeURL = %q", got)
	}
	for _, bad := range []string{"localhost:9100", "ftp://x", "http://"} {
		cfg.DemoHostURL = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "PARLEY_DEMO_HOST_URL") {
			t.Errorf("Validate(%q) = %v, want an error naming PARLEY_DEMO_HOST_URL", bad, err)
		}
	}
}
