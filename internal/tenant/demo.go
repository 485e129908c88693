package tenant

import "github.com/parley-chat/parley/internal/chat"

// DemoAPIKey is the rps demo tenant's server API key. It is public: the demo
// tenants are for a first run on localhost, never for production.
const DemoAPIKey = "rps-demo-api-key"

// Demo returns the built-in tenants used when no tenants file is given:
// "opentalk" (public topic rooms) and "rps" (game-room chat embedded in the
// demo host's rock-paper-scissors page). origins are the local sites allowed
// to use them (Parley's own and the demo host's).
func Demo(origins ...string) []Tenant {
	return []Tenant{
		{
			ID:          "opentalk",
			DisplayName: "Open Talk",
			Origins:     origins,
			Policy: Policy{
				MaxMessageLength:    1000,
				HistoryForNewcomers: true,
				RoomKinds:           []chat.RoomKind{chat.RoomOpen},
				UserCreatesRooms:    true,
				MaxRoomMembers:      1000,
			},
		},
		{
			ID:          "rps",
			DisplayName: "Rock Paper Scissors",
			Origins:     origins,
			APIKey:      DemoAPIKey,
			Policy: Policy{
				MaxMessageLength:    200,
				HistoryForNewcomers: false,
				RoomKinds:           []chat.RoomKind{chat.RoomPrivate},
				MaxRoomMembers:      50,
			},
		},
	}
}
