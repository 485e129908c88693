package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/chat"
)

// exchangeAdapter is the session exchange (open talk): the host hands the
// browser a one-time code, and Parley's server trades it with the host's
// exchange endpoint for the user's host session. See
// docs/host-integration.md for the wire contract.
//
// Settings: exchangeURL, refreshURL, clientID, clientSecret (required);
// timeout (default 5s); signInURL (optional, linked from error pages).
type exchangeAdapter struct {
	exchangeURL, refreshURL string
	clientID, clientSecret  string
	timeout                 time.Duration
	signInURL               string
	tenant                  string
	http                    *http.Client
	now                     chat.Clock
}

// DefaultHostTimeout bounds each call to a host service.
const DefaultHostTimeout = 5 * time.Second

func newExchangeAdapter(s Settings, d Deps) (Adapter, error) {
	if err := s.Known("exchangeURL", "refreshURL", "clientID", "clientSecret", "timeout", "signInURL"); err != nil {
		return nil, err
	}
	a := &exchangeAdapter{tenant: s.Tenant, http: d.HTTP, now: d.Clock}
	var err error
	if a.exchangeURL, err = s.URL("exchangeURL"); err != nil {
		return nil, err
	}
	if a.refreshURL, err = s.URL("refreshURL"); err != nil {
		return nil, err
	}
	if a.clientID, err = s.Required("clientID"); err != nil {
		return nil, err
	}
	if a.clientSecret, err = s.Required("clientSecret"); err != nil {
		return nil, err
	}
	if a.timeout, err = s.Duration("timeout", DefaultHostTimeout, 100*time.Millisecond, 30*time.Second); err != nil {
		return nil, err
	}
	if _, ok := s.m["signInURL"]; ok {
		if a.signInURL, err = s.URL("signInURL"); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (a *exchangeAdapter) Name() string { return "exchange" }

// SignInURL is where error pages send the user to start over.
func (a *exchangeAdapter) SignInURL() string { return a.signInURL }

// hostSessionAnswer is the host's answer to an exchange.
type hostSessionAnswer struct {
	UserID    string    `json:"userId"`
	Nickname  string    `json:"nickname"`
	AvatarURL string    `json:"avatarUrl"`
	SessionID string    `json:"sessionId"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func (a *exchangeAdapter) Enter(ctx context.Context, q url.Values) (Identity, error) {
	code := q.Get("code")
	if code == "" || len(code) > 512 {
		return Identity{}, fmt.Errorf("exchange: %w: missing or oversized code", ErrHostRejected)
	}
	var ans hostSessionAnswer
	status, err := a.call(ctx, a.exchangeURL, map[string]string{"code": code, "tenant": a.tenant}, &ans)
	if err != nil {
		return Identity{}, fmt.Errorf("exchange: %w", err)
	}
	if status != http.StatusOK {
		return Identity{}, fmt.Errorf("exchange: host answered %d: %w", status, ErrHostRejected)
	}
	if err := a.checkAnswer(ans); err != nil {
		return Identity{}, fmt.Errorf("exchange: %w: %v", ErrHostRejected, err)
	}
	return Identity{
		User:          chat.User{Tenant: a.tenant, ID: ans.UserID, Name: ans.Nickname, AvatarURL: ans.AvatarURL},
		HostSession:   ans.SessionID,
		HostExpiresAt: ans.ExpiresAt,
	}, nil
}

func (a *exchangeAdapter) checkAnswer(ans hostSessionAnswer) error {
	if err := chat.ValidateID("userId", ans.UserID); err != nil {
		return err
	}
	if err := chat.ValidateText(ans.Nickname, 64); err != nil {
		return fmt.Errorf("nickname: %w", err)
	}
	if ans.SessionID == "" || len(ans.SessionID) > 256 || !utf8.ValidString(ans.SessionID) {
		return errors.New("sessionId missing or too long")
	}
	if !ans.ExpiresAt.After(a.now()) {
		return errors.New("expiresAt missing or in the past")
	}
	if ans.AvatarURL != "" {
		u, err := url.Parse(ans.AvatarURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errors.New("avatarUrl is not an http(s) URL")
		}
	}
	return nil
}

func (a *exchangeAdapter) RefreshHost(ctx context.Context, s Session) (time.Time, error) {
	var ans struct {
		SessionID string    `json:"sessionId"`
		ExpiresAt time.Time `json:"expiresAt"`
	}
	status, err := a.call(ctx, a.refreshURL, map[string]string{"sessionId": s.HostSession, "tenant": a.tenant}, &ans)
	switch {
	case err != nil:
		return time.Time{}, fmt.Errorf("refresh host session: %w", err)
	case status == http.StatusNotFound || status == http.StatusGone:
		return time.Time{}, fmt.Errorf("refresh host session: %w", ErrHostSessionGone)
	case status != http.StatusOK:
		return time.Time{}, fmt.Errorf("refresh host session: host answered %d: %w", status, ErrHostRejected)
	case !ans.ExpiresAt.After(a.now()):
		return time.Time{}, fmt.Errorf("refresh host session: %w", ErrHostSessionGone)
	}
	return ans.ExpiresAt, nil
}

// call POSTs body as JSON with the client credentials, bounded by the
// adapter's timeout, and decodes a 200 answer into out. Transport errors,
// time-outs and 5xx answers are ErrHostUnavailable; other statuses are
// returned for the caller to judge.
func (a *exchangeAdapter) call(ctx context.Context, endpoint string, body any, out any) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	buf, err := json.Marshal(body)
	if err != nil {
		return 0, fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(buf))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(a.clientID, a.clientSecret)
	resp, err := a.http.Do(req)
	if err != nil {
		// The URL may carry nothing secret, but the error text is kept
		// generic anyway: it ends up in logs.
		return 0, fmt.Errorf("%w: %s", ErrHostUnavailable, transportReason(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 500 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return resp.StatusCode, fmt.Errorf("%w: host answered %d", ErrHostUnavailable, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return resp.StatusCode, nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(out); err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return 0, fmt.Errorf("%w: %s", ErrHostUnavailable, transportReason(err))
		}
		return 0, fmt.Errorf("%w: undecodable answer", ErrHostRejected)
	}
	return resp.StatusCode, nil
}

func transportReason(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	return "connection failed"
}
