package auth_test

import (
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/tenant"
)

func TestSettingsValidatedAtStartup(t *testing.T) {
	exchange := map[string]string{"exchangeURL": "http://h/x", "refreshURL": "http://h/r", "clientID": "c", "clientSecret": "s"}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(out, kv[i])
			} else {
				out[kv[i]] = kv[i+1]
			}
		}
		return out
	}
	tests := []struct {
		name     string
		adapter  string
		settings map[string]string
		want     string // substring of the error; "" means valid
	}{
		{"exchange ok", "exchange", exchange, ""},
		{"missing exchangeURL", "exchange", with(exchange, "exchangeURL", ""), `tenant "t1" auth.settings.exchangeURL: required`},
		{"relative URL", "exchange", with(exchange, "refreshURL", "/refresh"), "auth.settings.refreshURL"},
		{"empty env secret", "exchange", with(exchange, "clientSecret", "env:PARLEY_TEST_UNSET_VAR"), "auth.settings.clientSecret: environment variable PARLEY_TEST_UNSET_VAR is empty"},
		{"env secret", "exchange", with(exchange, "clientSecret", "env:SECRET"), ""},
		{"typo", "exchange", with(exchange, "clientSecrte", "x"), "auth.settings.clientSecrte: unknown setting"},
		{"timeout out of range", "exchange", with(exchange, "timeout", "1h"), "auth.settings.timeout"},
		{"unknown adapter", "saml", nil, `tenant "t1" auth.adapter: unknown adapter "saml"`},
		{"assertion short secret", "assertion", map[string]string{"secret": "short"}, "auth.settings.secret: must be at least 32 bytes"},
		{"assertion no key", "assertion", map[string]string{}, "auth.settings.secret: required"},
		{"assertion bad public key", "assertion", map[string]string{"publicKey": "AAAA"}, "auth.settings.publicKey"},
		{"assertion public key", "assertion", map[string]string{"publicKey": strings.Repeat("A", 43) + "="}, ""},
		{"jwt no issuer", "jwt", map[string]string{"hmacSecret": strings.Repeat("s", 32)}, "auth.settings.issuer: required"},
		{"jwt both keys", "jwt", map[string]string{"issuer": "i", "hmacSecret": strings.Repeat("s", 32), "jwksURL": "http://h/jwks"}, "not both"},
		{"jwt no key", "jwt", map[string]string{"issuer": "i"}, "auth.settings.jwksURL: required"},
		{"token takes no settings", "token", map[string]string{"x": "y"}, "auth.settings.x: unknown setting"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg, err := tenant.NewRegistry([]tenant.Tenant{{ID: "t1", Auth: tenant.Auth{Adapter: tc.adapter, Settings: tc.settings}}})
			if err != nil {
				t.Fatal(err)
			}
			keys, _ := auth.NewKeys([]byte(strings.Repeat("k", 32)), nil)
			_, err = auth.New(auth.Config{
				Tenants: reg, Keys: keys, Sessions: newStore(t), Members: &members{},
				Getenv: func(k string) string {
					if k == "SECRET" {
						return "from-env"
					}
					return ""
				},
			})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// A fourth adapter plugs in through Config.Adapters without touching the
// others.
type fixedAdapter struct{}

func (fixedAdapter) Name() string { return "fixed" }

func TestCustomAdapter(t *testing.T) {
	reg, _ := tenant.NewRegistry([]tenant.Tenant{{ID: "t1", Auth: tenant.Auth{Adapter: "fixed"}}, {ID: "t2"}})
	keys, _ := auth.NewKeys([]byte(strings.Repeat("k", 32)), nil)
	factories := auth.Builtin()
	factories["fixed"] = func(s auth.Settings, _ auth.Deps) (auth.Adapter, error) { return fixedAdapter{}, s.Known() }
	if _, err := auth.New(auth.Config{Tenants: reg, Keys: keys, Sessions: newStore(t), Adapters: factories}); err != nil {
		t.Fatal(err)
	}
}
