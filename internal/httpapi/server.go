package httpapi

import (
	"errors"
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/protocol"
)

// privateRoomRequest is the body of PUT .../server/rooms/{room}.
type privateRoomRequest struct {
	Title string `json:"title"`
}

// memberRequest is the body of PUT .../server/rooms/{room}/members/{user}.
type memberRequest struct {
	Name string `json:"name"`
}

// announceRequest is the body of POST .../server/rooms/{room}/announcements.
type announceRequest struct {
	Text string `json:"text"`
}

// memberInfo is a membership on the wire.
type memberInfo struct {
	Room      string `json:"room"`
	User      string `json:"user"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	JoinedSeq int64  `json:"joinedSeq"`
	JoinedAt  int64  `json:"joinedAt"` // Unix ms
}

// putPrivateRoom: PUT /api/v1/t/{tenant}/server/rooms/{room} {title}.
// Creates the private room (201). Hosts retry, so a repeat for a private
// room that exists answers 200 with it; an open room of that id is a
// conflict.
func (a *API) putPrivateRoom(w http.ResponseWriter, r *http.Request, c *hostCall) error {
	var req privateRoomRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	roomID := r.PathValue("room")
	room, err := a.cfg.Rooms.CreatePrivateRoom(r.Context(), c.tenant.ID, roomID, req.Title)
	if err == nil {
		return a.writeRoom(w, r, http.StatusCreated, room)
	}
	if !errors.Is(err, chat.ErrConflict) {
		return err
	}
	room, err = a.cfg.Rooms.Room(r.Context(), c.tenant.ID, roomID)
	if err != nil {
		return err
	}
	if room.Kind != chat.RoomPrivate {
		return protocol.Errorf(protocol.CodeConflict, "an open room with id %q exists", roomID)
	}
	return a.writeRoom(w, r, http.StatusOK, room)
}

// putMember: PUT /api/v1/t/{tenant}/server/rooms/{room}/members/{user} {name}
// — the host vouches for a member. Repeating it is harmless.
func (a *API) putMember(w http.ResponseWriter, r *http.Request, c *hostCall) error {
	var req memberRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	userID := r.PathValue("user")
	if err := chat.ValidateID("user", userID); err != nil {
		return err
	}
	m, err := a.cfg.Rooms.AddMember(r.Context(), c.tenant.ID, r.PathValue("room"),
		chat.User{Tenant: c.tenant.ID, ID: userID, Name: req.Name})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, memberInfo{
		Room:      m.RoomID,
		User:      m.UserID,
		Name:      m.Name,
		Role:      string(m.Role),
		JoinedSeq: m.JoinedSeq,
		JoinedAt:  m.JoinedAt.UnixMilli(),
	})
	return nil
}

// deleteMember: DELETE /api/v1/t/{tenant}/server/rooms/{room}/members/{user}.
// Idempotent for hosts: removing someone who is not a member is 204 too.
func (a *API) deleteMember(w http.ResponseWriter, r *http.Request, c *hostCall) error {
	err := a.cfg.Rooms.RemoveMember(r.Context(), c.tenant.ID, r.PathValue("room"), r.PathValue("user"))
	if err != nil && !errors.Is(err, chat.ErrNotMember) {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// postAnnouncement: POST /api/v1/t/{tenant}/server/rooms/{room}/announcements
// {text} — a system message from the host; 201 with the stored message.
func (a *API) postAnnouncement(w http.ResponseWriter, r *http.Request, c *hostCall) error {
	var req announceRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	m, err := a.cfg.Rooms.Announce(r.Context(), c.tenant.ID, r.PathValue("room"), req.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, protocol.FromMessage(m))
	return nil
}
