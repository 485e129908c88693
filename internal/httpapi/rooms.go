package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/protocol"
	"github.com/parley-chat/parley/internal/rooms"
)

// roomList is the body of room listings.
type roomList struct {
	Rooms []protocol.RoomInfo `json:"rooms"`
	Next  string              `json:"next,omitempty"` // cursor of the next page
}

// createRoomRequest is the body of POST /rooms.
type createRoomRequest struct {
	Title string   `json:"title"`
	Topic string   `json:"topic"`
	Tags  []string `json:"tags"`
}

// listRooms: GET /api/v1/t/{tenant}/rooms?q=&tag=&limit=&cursor=
func (a *API) listRooms(w http.ResponseWriter, r *http.Request, c *userCall) error {
	q := r.URL.Query()
	limit, err := intParam(q.Get("limit"), "limit", 0, 100)
	if err != nil {
		return err
	}
	page, err := a.cfg.Rooms.ListRooms(r.Context(), c.tenant.ID, chat.RoomQuery{
		Search: q.Get("q"),
		Tag:    q.Get("tag"),
		Limit:  int(limit),
		Cursor: q.Get("cursor"),
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, roomList{Rooms: a.roomInfos(r.Context(), c.tenant.ID, page.Rooms), Next: page.Next})
	return nil
}

// createRoom: POST /api/v1/t/{tenant}/rooms {title, topic, tags}
func (a *API) createRoom(w http.ResponseWriter, r *http.Request, c *userCall) error {
	var req createRoomRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	room, err := a.cfg.Rooms.CreateRoom(r.Context(), c.user, rooms.RoomSpec{Title: req.Title, Topic: req.Topic, Tags: req.Tags})
	if err != nil {
		return err
	}
	return a.writeRoom(w, r, http.StatusCreated, room)
}

// getRoom: GET /api/v1/t/{tenant}/rooms/{room}. Open rooms are visible to
// every user of the tenant; a private room only to its members, and to
// anyone else it does not exist.
func (a *API) getRoom(w http.ResponseWriter, r *http.Request, c *userCall) error {
	room, err := a.cfg.Rooms.RoomFor(r.Context(), c.user, r.PathValue("room"))
	if err != nil {
		return err
	}
	return a.writeRoom(w, r, http.StatusOK, room)
}

// joinRoom: POST /api/v1/t/{tenant}/rooms/{room}/join
func (a *API) joinRoom(w http.ResponseWriter, r *http.Request, c *userCall) error {
	room, err := a.cfg.Rooms.Join(r.Context(), c.user, r.PathValue("room"))
	if err != nil {
		return a.hidePrivate(r.Context(), c, r.PathValue("room"), err)
	}
	return a.writeRoom(w, r, http.StatusOK, room)
}

// leaveRoom: POST /api/v1/t/{tenant}/rooms/{room}/leave
func (a *API) leaveRoom(w http.ResponseWriter, r *http.Request, c *userCall) error {
	if err := a.cfg.Rooms.Leave(r.Context(), c.user, r.PathValue("room")); err != nil {
		return a.hidePrivate(r.Context(), c, r.PathValue("room"), err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getMe: GET /api/v1/t/{tenant}/me
func (a *API) getMe(w http.ResponseWriter, r *http.Request, c *userCall) error {
	writeJSON(w, http.StatusOK, meResponse{
		Tenant:    c.tenant.ID,
		ID:        c.user.ID,
		Name:      c.user.Name,
		ExpiresAt: c.claims.ExpiresAt.UnixMilli(),
		MaxText:   c.tenant.Policy.MaxMessageLength,
	})
	return nil
}

// meResponse is the body of GET /me.
type meResponse struct {
	Tenant    string `json:"tenant"`
	ID        string `json:"id"`
	Name      string `json:"name"`
	ExpiresAt int64  `json:"expiresAt"` // access token expiry, Unix ms
	MaxText   int    `json:"maxText"`   // the tenant's message length limit
}

// getMyRooms: GET /api/v1/t/{tenant}/me/rooms
func (a *API) getMyRooms(w http.ResponseWriter, r *http.Request, c *userCall) error {
	rooms, err := a.cfg.Rooms.UserRooms(r.Context(), c.tenant.ID, c.user.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, roomList{Rooms: a.roomInfos(r.Context(), c.tenant.ID, rooms)})
	return nil
}

// hidePrivate turns "not a member" (or "forbidden") answers about a private
// room into not_found, so that a user outside a private room cannot tell it
// exists — as GET .../rooms/{room} does. Open rooms keep the precise error.
func (a *API) hidePrivate(ctx context.Context, c *userCall, roomID string, err error) error {
	if !errors.Is(err, chat.ErrNotMember) && !errors.Is(err, chat.ErrForbidden) {
		return err
	}
	room, rerr := a.cfg.Rooms.Room(ctx, c.tenant.ID, roomID)
	if rerr != nil || room.Kind != chat.RoomPrivate {
		return err
	}
	if _, rerr := a.cfg.Rooms.RoomFor(ctx, c.user, roomID); rerr == nil {
		return err // a member: the precise error is theirs to see
	}
	return protocol.Errorf(protocol.CodeNotFound, "room %q not found", roomID)
}

func (a *API) writeRoom(w http.ResponseWriter, r *http.Request, status int, room chat.Room) error {
	writeJSON(w, status, a.roomInfos(r.Context(), room.Tenant, []chat.Room{room})[0])
	return nil
}

// roomInfos converts rooms to their wire form with online counts. A
// presence failure degrades to zero online rather than failing the listing.
func (a *API) roomInfos(ctx context.Context, tenantID string, rooms []chat.Room) []protocol.RoomInfo {
	infos := make([]protocol.RoomInfo, 0, len(rooms))
	var online map[string]int
	if a.cfg.Presence != nil && len(rooms) > 0 {
		ids := make([]string, len(rooms))
		for i, r := range rooms {
			ids[i] = r.ID
		}
		var err error
		if online, err = a.cfg.Presence.Online(ctx, tenantID, ids); err != nil {
			a.log.WarnContext(ctx, "online counts", "request_id", requestID(ctx), "err", err)
		}
	}
	for _, r := range rooms {
		infos = append(infos, protocol.FromRoom(r, online[r.ID]))
	}
	return infos
}

// intParam parses an optional integer query parameter in [lo, hi]; empty
// means 0.
func intParam(v, name string, lo, hi int64) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, protocol.Errorf(protocol.CodeBadRequest, "%s must be an integer in %d..%d", name, lo, hi)
	}
	return n, nil
}
