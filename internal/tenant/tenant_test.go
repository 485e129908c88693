package tenant

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tenants.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadFileAppliesDefaults(t *testing.T) {
	t.Setenv("PARLEY_TEST_KEY", "s3cret")
	path := writeFile(t, `{"tenants": [
  {"id": "shop", "origins": ["https://Shop.example/"], "apiKey": "env:PARLEY_TEST_KEY",
   "policy": {"roomKinds": ["open", "private"]}}
]}`)
	reg, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tn, ok := reg.Get("shop")
	if !ok {
		t.Fatal("tenant shop missing")
	}
	if tn.DisplayName != "shop" || tn.Auth.Adapter != "token" || tn.Policy.MaxMessageLength != DefaultMaxMessageLength {
		t.Errorf("defaults not applied: %+v", tn)
	}
	if !tn.AllowsOrigin("https://shop.example") || tn.AllowsOrigin("https://evil.example") || tn.AllowsOrigin("https://shop.example.evil") {
		t.Errorf("origin check wrong for %v", tn.Origins)
	}
	if !tn.CheckAPIKey("s3cret") || tn.CheckAPIKey("s3cre") || tn.CheckAPIKey("") {
		t.Error("API key check wrong")
	}
	if !tn.AllowsKind(chat.RoomPrivate) {
		t.Error("private rooms not allowed")
	}
	if _, ok := reg.Get("nope"); ok {
		t.Error("unknown tenant found")
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // substring of the error
	}{
		{"syntax error names the line", "{\"tenants\": [\n  {\"id\": \"a\",,}\n]}", "tenants.json:2:"},
		{"unknown field", `{"tenants": [{"id": "a", "colour": "red"}]}`, "unknown field"},
		{"bad id", `{"tenants": [{"id": "Bad Id"}]}`, "id \"Bad Id\""},
		{"duplicate id", `{"tenants": [{"id": "a"}, {"id": "a"}]}`, "duplicate id"},
		{"bad origin", `{"tenants": [{"id": "a", "origins": ["https://a.example/path"]}]}`, "origins"},
		{"bad kind", `{"tenants": [{"id": "a", "policy": {"roomKinds": ["secret"]}}]}`, "policy.roomKinds"},
		{"private needs api key", `{"tenants": [{"id": "a", "policy": {"roomKinds": ["private"]}}]}`, "apiKey"},
		{"missing env secret", `{"tenants": [{"id": "a", "apiKey": "env:PARLEY_TEST_UNSET_KEY"}]}`, "PARLEY_TEST_UNSET_KEY"},
		{"negative members", `{"tenants": [{"id": "a", "policy": {"maxRoomMembers": -1}}]}`, "policy.maxRoomMembers"},
		{"no tenants", `{"tenants": []}`, "no tenants"},
		{"trailing data", `{"tenants": [{"id": "a"}]} {}`, "trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadFile(writeFile(t, tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadFile error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestDemoTenantsAreValid(t *testing.T) {
	reg, err := NewRegistry(Demo("http://localhost:8080"))
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.All()) != 2 {
		t.Fatalf("want 2 demo tenants, got %d", len(reg.All()))
	}
}
