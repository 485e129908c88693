package demohost

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"time"
)

// The endpoints Parley's server calls (docs/host-integration.md):
//
//	POST /api/exchange  {"code","tenant"}      -> 200 session | 401 invalid_client | 400 invalid_code
//	POST /api/refresh   {"sessionId","tenant"} -> 200 {"sessionId","expiresAt"} | 404 session_gone
//
// Both authenticate Parley with HTTP Basic client credentials.

// sessionAnswer is the exchange endpoint's answer.
type sessionAnswer struct {
	UserID    string    `json:"userId"`
	Nickname  string    `json:"nickname"`
	AvatarURL string    `json:"avatarUrl,omitempty"`
	SessionID string    `json:"sessionId"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// client authenticates the caller by its Basic credentials.
func (h *Host) client(r *http.Request) (Client, bool) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return Client{}, false
	}
	for _, c := range h.cfg.Clients {
		idOK := subtle.ConstantTimeCompare([]byte(id), []byte(c.ID)) == 1
		secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) == 1
		if idOK && secretOK {
			return c, true
		}
	}
	return Client{}, false
}

func apiError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// exchange trades a one-time code for the user's host session. The code is
// consumed by the first attempt, whatever its outcome, so a code can never
// be tried twice.
func (h *Host) exchange(w http.ResponseWriter, r *http.Request) {
	c, ok := h.client(r)
	if !ok {
		apiError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	var req struct {
		Code   string `json:"code"`
		Tenant string `json:"tenant"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil || req.Code == "" {
		apiError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	now := h.cfg.Clock()
	h.mu.Lock()
	code, found := h.codes[req.Code]
	delete(h.codes, req.Code)
	var s *hostSession
	if found {
		s = h.sessions[code.SessionID]
	}
	var ans sessionAnswer
	valid := found && now.Before(code.ExpiresAt) && code.Tenant == c.Tenant && req.Tenant == c.Tenant &&
		s != nil && now.Before(s.ExpiresAt)
	if valid {
		ans = sessionAnswer{UserID: s.UserID, Nickname: s.Nickname, SessionID: s.ID, ExpiresAt: s.ExpiresAt}
	}
	h.mu.Unlock()
	if !valid {
		h.log.Info("exchange refused", "client", c.ID)
		apiError(w, http.StatusBadRequest, "invalid_code")
		return
	}
	writeJSON(w, http.StatusOK, ans)
}

// refresh extends a live host session by SessionTTL.
func (h *Host) refresh(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.client(r); !ok {
		apiError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	var req struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil || req.SessionID == "" {
		apiError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	now := h.cfg.Clock()
	h.mu.Lock()
	s, ok := h.sessions[req.SessionID]
	var exp time.Time
	if ok && now.Before(s.ExpiresAt) {
		s.ExpiresAt = now.Add(h.cfg.SessionTTL)
		exp = s.ExpiresAt
	}
	h.mu.Unlock()
	if exp.IsZero() {
		apiError(w, http.StatusNotFound, "session_gone")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessionId": req.SessionID, "expiresAt": exp})
}
