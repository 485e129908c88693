// Package tenant holds the configuration of the host services Parley serves:
// who they are, which web origins may use the chat, how their users sign in,
// and the policies their rooms follow. Tenants come from a JSON file (or the
// built-in demo set) and are validated before the server starts.
package tenant

import (
	"crypto/subtle"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
)

// Tenant is one host service plugged into Parley.
type Tenant struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	// Origins are the web origins (scheme://host[:port]) allowed to open
	// sockets and embed the chat.
	Origins []string `json:"origins"`
	// APIKey authenticates the host's server-to-server calls (creating
	// private rooms, vouching for members, announcements). A value of the
	// form "env:NAME" is read from that environment variable.
	APIKey string `json:"apiKey"`
	Auth   Auth   `json:"auth"`
	Policy Policy `json:"policy"`
}

// Auth selects and configures how the tenant's users sign in. The auth
// adapters read their own settings from Settings.
type Auth struct {
	// Adapter names the sign-in flow: "token" (platform tokens minted by
	// `parley token`, for development) until the host adapters land.
	Adapter  string            `json:"adapter"`
	Settings map[string]string `json:"settings,omitempty"`
}

// Policy is what the tenant allows in its rooms.
type Policy struct {
	// MaxMessageLength is the longest text message, in Unicode code points.
	MaxMessageLength int `json:"maxMessageLength"`
	// HistoryForNewcomers lets a new member read messages sent before they
	// joined.
	HistoryForNewcomers bool `json:"historyForNewcomers"`
	// RoomKinds are the room kinds the tenant uses.
	RoomKinds []chat.RoomKind `json:"roomKinds"`
	// UserCreatesRooms lets any signed-in user create open rooms.
	UserCreatesRooms bool `json:"userCreatesRooms"`
	// MaxRoomMembers caps members per room; 0 means no cap.
	MaxRoomMembers int `json:"maxRoomMembers"`
	// SendsPerSecond and SendBurst rate-limit sends per connection.
	SendsPerSecond float64 `json:"sendsPerSecond"`
	SendBurst      int     `json:"sendBurst"`
}

// Defaults applied to zero policy fields.
const (
	DefaultMaxMessageLength = 2000
	DefaultSendsPerSecond   = 5
	DefaultSendBurst        = 10
)

var idPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// AllowsOrigin reports whether origin (as sent in the Origin header) is one
// of the tenant's allowed origins. The comparison is exact after
// lower-casing: no wildcards, no suffix matching.
func (t *Tenant) AllowsOrigin(origin string) bool {
	return slices.Contains(t.Origins, strings.ToLower(strings.TrimSuffix(origin, "/")))
}

// AllowsKind reports whether the tenant uses rooms of kind k.
func (t *Tenant) AllowsKind(k chat.RoomKind) bool { return slices.Contains(t.Policy.RoomKinds, k) }

// CheckAPIKey compares key with the tenant's API key in constant time. A
// tenant without an API key accepts none.
func (t *Tenant) CheckAPIKey(key string) bool {
	return t.APIKey != "" && subtle.ConstantTimeCompare([]byte(key), []byte(t.APIKey)) == 1
}

func (t *Tenant) applyDefaults() {
	if t.DisplayName == "" {
		t.DisplayName = t.ID
	}
	if t.Auth.Adapter == "" {
		t.Auth.Adapter = "token"
	}
	p := &t.Policy
	if p.MaxMessageLength == 0 {
		p.MaxMessageLength = DefaultMaxMessageLength
	}
	if len(p.RoomKinds) == 0 {
		p.RoomKinds = []chat.RoomKind{chat.RoomOpen}
	}
	if p.SendsPerSecond == 0 {
		p.SendsPerSecond = DefaultSendsPerSecond
	}
	if p.SendBurst == 0 {
		p.SendBurst = DefaultSendBurst
	}
	for i, o := range t.Origins {
		t.Origins[i] = strings.ToLower(strings.TrimSuffix(o, "/"))
	}
}

// Validate checks one tenant after defaults; errors name the field.
func (t *Tenant) Validate() error {
	if !idPattern.MatchString(t.ID) {
		return fmt.Errorf("id %q: must match %s", t.ID, idPattern)
	}
	for _, o := range t.Origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			return fmt.Errorf("origins: %q is not a scheme://host[:port] origin", o)
		}
	}
	p := t.Policy
	switch {
	case p.MaxMessageLength < 1 || p.MaxMessageLength > 100_000:
		return fmt.Errorf("policy.maxMessageLength: %d not in 1..100000", p.MaxMessageLength)
	case p.MaxRoomMembers < 0:
		return fmt.Errorf("policy.maxRoomMembers: %d is negative", p.MaxRoomMembers)
	case p.SendsPerSecond < 0 || p.SendBurst < 1:
		return fmt.Errorf("policy.sendsPerSecond/sendBurst: must be positive")
	}
	for _, k := range p.RoomKinds {
		if !k.Valid() {
			return fmt.Errorf("policy.roomKinds: unknown kind %q (open, private)", k)
		}
	}
	if t.AllowsKind(chat.RoomPrivate) && t.APIKey == "" {
		return fmt.Errorf("apiKey: required for tenants with private rooms (the host creates them)")
	}
	return nil
}
