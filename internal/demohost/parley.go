package demohost

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// parleyCall makes one server API call to Parley with a tenant API key.
func (h *Host) parleyCall(ctx context.Context, method, path, apiKey string, body any) (int, error) {
	buf, err := json.Marshal(body)
	if err != nil {
		return 0, fmt.Errorf("encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.cfg.ParleyAPIURL+path, bytes.NewReader(buf))
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: Parley answered %d", method, path, resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// parleyRevoke revokes the Parley sessions made from a host session.
func (h *Host) parleyRevoke(ctx context.Context, hostSession string) error {
	_, err := h.parleyCall(ctx, http.MethodPost, "/api/v1/t/"+h.cfg.ChatTenant+"/server/sessions/revoke", h.cfg.ChatAPIKey,
		map[string]string{"hostSession": hostSession})
	return err
}

// parleyRevokeUser revokes every Parley session of a user in a tenant.
func (h *Host) parleyRevokeUser(ctx context.Context, tenantID, apiKey, user string) error {
	_, err := h.parleyCall(ctx, http.MethodPost, "/api/v1/t/"+tenantID+"/server/sessions/revoke", apiKey,
		map[string]string{"user": user})
	return err
}

// ensureRoom creates the game room's private chat room on Parley; it is
// idempotent (200 when it exists already).
func (h *Host) ensureRoom(ctx context.Context, room, title string) error {
	_, err := h.parleyCall(ctx, http.MethodPut, "/api/v1/t/"+h.cfg.GameTenant+"/server/rooms/"+url.PathEscape(room), h.cfg.GameAPIKey,
		map[string]string{"title": title})
	return err
}

// announce posts a system message to the game room's chat.
func (h *Host) announce(ctx context.Context, room, text string) error {
	_, err := h.parleyCall(ctx, http.MethodPost, "/api/v1/t/"+h.cfg.GameTenant+"/server/rooms/"+url.PathEscape(room)+"/announcements", h.cfg.GameAPIKey,
		map[string]string{"text": text})
	return err
}

// assertionPayload is what the game server vouches for.
type assertionPayload struct {
	Tenant    string `json:"tenant"`
	Sub       string `json:"sub"`
	Name      string `json:"name"`
	Room      string `json:"room"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
	Nonce     string `json:"nonce"`
}

// signAssertion builds base64url(JSON).base64url(HMAC-SHA256(secret,
// first part)), the format docs/host-integration.md specifies.
func signAssertion(secret []byte, p assertionPayload) string {
	payload, _ := json.Marshal(p) // a struct of strings and ints always encodes
	first := base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(first))
	return first + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// assertionFor signs an assertion for a signed-in user and a room.
func (h *Host) assertionFor(s *hostSession, room string) (string, time.Time) {
	now := h.cfg.Clock()
	exp := now.Add(h.cfg.AssertionTTL)
	return signAssertion([]byte(h.cfg.AssertionSecret), assertionPayload{
		Tenant: h.cfg.GameTenant, Sub: s.UserID, Name: s.Nickname, Room: room,
		IssuedAt: now.Unix(), ExpiresAt: exp.Unix(), Nonce: randomID(18),
	}), exp
}
