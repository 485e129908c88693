package httpapi

import (
	"math"
	"net/http"
	"strconv"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/protocol"
)

// messageList is the body of GET .../messages.
type messageList struct {
	Messages []protocol.Message `json:"messages"`
}

// sendRequest is the body of POST .../messages.
type sendRequest struct {
	Text        string `json:"text"`
	ClientMsgID string `json:"cmid"` // optional idempotency key
}

// listMessages: GET /api/v1/t/{tenant}/rooms/{room}/messages?before=&after=&limit=
// — members only.
func (a *API) listMessages(w http.ResponseWriter, r *http.Request, c *userCall) error {
	q := r.URL.Query()
	before, err := intParam(q.Get("before"), "before", 0, math.MaxInt64)
	if err != nil {
		return err
	}
	after, err := intParam(q.Get("after"), "after", 0, math.MaxInt64)
	if err != nil {
		return err
	}
	limit, err := intParam(q.Get("limit"), "limit", 0, 500)
	if err != nil {
		return err
	}
	if before > 0 && after > 0 {
		return protocol.Errorf(protocol.CodeBadRequest, "give before or after, not both")
	}
	msgs, err := a.cfg.Rooms.History(r.Context(), c.user, r.PathValue("room"),
		chat.HistoryOptions{Before: before, After: after, Limit: int(limit)})
	if err != nil {
		return a.hidePrivate(r.Context(), c, r.PathValue("room"), err)
	}
	out := make([]protocol.Message, len(msgs))
	for i, m := range msgs {
		out[i] = protocol.FromMessage(m)
	}
	writeJSON(w, http.StatusOK, messageList{Messages: out})
	return nil
}

// postMessage: POST /api/v1/t/{tenant}/rooms/{room}/messages {text, cmid}.
// Answers 201 with the stored message once it is durable; a retry with the
// same cmid answers 200 with the message stored the first time.
func (a *API) postMessage(w http.ResponseWriter, r *http.Request, c *userCall) error {
	var req sendRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.ClientMsgID != "" {
		if err := chat.ValidateID("cmid", req.ClientMsgID); err != nil {
			return err
		}
	}
	res, err := a.cfg.Rooms.SendWait(r.Context(), c.user, r.PathValue("room"), req.Text, req.ClientMsgID)
	if err == nil {
		err = res.Err
	}
	if err != nil {
		return a.hidePrivate(r.Context(), c, r.PathValue("room"), err)
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	writeJSON(w, status, protocol.FromMessage(res.Message))
	return nil
}

// deleteMessage: DELETE /api/v1/t/{tenant}/rooms/{room}/messages/{seq} —
// the author tombstones their message; answers with the delete entry.
func (a *API) deleteMessage(w http.ResponseWriter, r *http.Request, c *userCall) error {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		return protocol.Errorf(protocol.CodeBadRequest, "seq must be a positive integer")
	}
	m, err := a.cfg.Rooms.Delete(r.Context(), c.user, r.PathValue("room"), seq)
	if err != nil {
		return a.hidePrivate(r.Context(), c, r.PathValue("room"), err)
	}
	writeJSON(w, http.StatusOK, protocol.FromMessage(m))
	return nil
}
