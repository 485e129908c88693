// Package memory is an in-process chat.Presence for a single node: it counts
// the distinct users with at least one connection in each room.
package memory

import (
	"context"
	"fmt"
	"sync"

	"github.com/parley-chat/parley/internal/chat"
)

var _ chat.Presence = (*Presence)(nil)

type roomKey struct{ tenant, room string }

// Presence counts online users per room. Rooms and users with no connection
// left are forgotten, so memory follows what is online, not what ever was.
// Its methods never fail except for an unmatched Leave.
type Presence struct {
	mu sync.Mutex
	// rooms maps a room to its online users and each user's connection
	// count (always >= 1).
	rooms map[roomKey]map[string]int
}

// New returns an empty Presence.
func New() *Presence {
	return &Presence{rooms: make(map[roomKey]map[string]int)}
}

// Enter records one more connection of userID in the room and returns the
// number of distinct users online there.
func (p *Presence) Enter(_ context.Context, tenant, roomID, userID string) (int, error) {
	k := roomKey{tenant, roomID}
	p.mu.Lock()
	defer p.mu.Unlock()
	users := p.rooms[k]
	if users == nil {
		users = make(map[string]int)
		p.rooms[k] = users
	}
	users[userID]++
	return len(users), nil
}

// Leave records that one connection of userID left the room and returns the
// number of distinct users still online; the user stays online while they
// have another connection there. A Leave without a matching Enter is a bug
// in the caller and returns an error wrapping chat.ErrNotFound.
func (p *Presence) Leave(_ context.Context, tenant, roomID, userID string) (int, error) {
	k := roomKey{tenant, roomID}
	p.mu.Lock()
	defer p.mu.Unlock()
	users := p.rooms[k]
	n, ok := users[userID]
	if !ok {
		return len(users), fmt.Errorf("presence leave: user has no connection in room %q: %w", roomID, chat.ErrNotFound)
	}
	if n > 1 {
		users[userID] = n - 1
		return len(users), nil
	}
	delete(users, userID)
	if len(users) == 0 {
		delete(p.rooms, k)
	}
	return len(users), nil
}

// Online returns the online count of each of the rooms, 0 for rooms nobody
// is in; every requested id is a key of the result.
func (p *Presence) Online(_ context.Context, tenant string, roomIDs []string) (map[string]int, error) {
	out := make(map[string]int, len(roomIDs))
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range roomIDs {
		out[id] = len(p.rooms[roomKey{tenant, id}])
	}
	return out, nil
}
