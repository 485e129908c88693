package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parley-chat/parley/internal/httpapi"
)

func TestHealthAndReadiness(t *testing.T) {
	var storeDown atomic.Bool
	e := newEnv(t, func(c *httpapi.Config) {
		c.Ready = func(context.Context) error {
			if storeDown.Load() {
				return errors.New("store down")
			}
			return nil
		}
	})
	e.must(http.StatusOK, req{method: "GET", path: "/healthz"})
	e.must(http.StatusOK, req{method: "GET", path: "/readyz"})
	storeDown.Store(true)
	var st struct{ Status string }
	e.must(http.StatusServiceUnavailable, req{method: "GET", path: "/readyz"}).json(t, &st)
	if st.Status != "unavailable" {
		t.Fatalf("readyz with store down: %q", st.Status)
	}
	storeDown.Store(false)
	e.api.Drain()
	e.must(http.StatusServiceUnavailable, req{method: "GET", path: "/readyz"}).json(t, &st)
	if st.Status != "draining" {
		t.Fatalf("readyz while draining: %q", st.Status)
	}
	e.must(http.StatusOK, req{method: "GET", path: "/healthz"})
}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	alice := e.token("opentalk", "alice")
	room := e.createRoom(alice, "Metrics")
	e.must(http.StatusCreated, req{method: "POST", path: "/api/v1/t/opentalk/rooms/" + room.ID + "/messages", body: `{"text":"counted"}`, bearer: alice})
	e.must(http.StatusOK, req{method: "POST", path: "/api/v1/t/opentalk/rooms/" + room.ID + "/join", bearer: e.token("opentalk", "bob")})
	e.do(req{method: "GET", path: "/api/v1/t/opentalk/me"})

	body := string(e.must(http.StatusOK, req{method: "GET", path: "/metrics"}).body)
	for _, want := range []string{
		`parley_http_requests_total{code="201",route="POST /api/v1/t/{tenant}/rooms"} 1`,
		`parley_http_requests_total{code="401",route="GET /api/v1/t/{tenant}/me"} 1`,
		"parley_connections 0",
		"parley_subscriptions 0",
		"parley_rooms_active 0",
		"parley_messages_out_total 0",
		"parley_outbound_queue_drops_total 0",
		"parley_slow_consumer_closes_total 0",
		"parley_store_commit_seconds_bucket",
		"parley_store_commit_batch_size_bucket",
		"parley_messages_in_total 3", // the owner's join, the send, bob's join
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestResponseHeaders(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "GET", path: "/healthz", header: http.Header{"X-Request-Id": {"trace-42"}}})
	if got := r.header.Get("X-Request-ID"); got != "trace-42" {
		t.Errorf("X-Request-ID = %q, want the caller's", got)
	}
	r = e.do(req{method: "GET", path: "/api/v1/t/opentalk/me", header: http.Header{"X-Request-Id": {"bad id with spaces"}}})
	if got := r.header.Get("X-Request-ID"); got == "" || strings.Contains(got, " ") {
		t.Errorf("X-Request-ID = %q, want a fresh id", got)
	}
	for h, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-store",
		"Content-Type":           "application/json; charset=utf-8",
	} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if !strings.Contains(r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy = %q", r.header.Get("Content-Security-Policy"))
	}
}

func TestLogsCarryNoSecrets(t *testing.T) {
	e := newEnv(t)
	alice := e.token("opentalk", "alice")
	room := e.createRoom(alice, "Secrets")
	const secretText = "my-secret-message-text"
	e.must(http.StatusCreated, req{method: "POST", path: "/api/v1/t/opentalk/rooms/" + room.ID + "/messages?note=" + secretText,
		body: `{"text":"` + secretText + `"}`, cookie: alice})
	logs := e.logs.String()
	if !strings.Contains(logs, `"route":"POST /api/v1/t/{tenant}/rooms/{room}/messages"`) {
		t.Fatalf("no access log line for the send:\n%s", logs)
	}
	for _, secret := range []string{alice, secretText, "Bearer"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
}

func TestHomePageListsTenants(t *testing.T) {
	e := newEnv(t)
	res := e.must(http.StatusOK, req{method: "GET", path: "/"})
	body := string(res.body)
	for _, want := range []string{"/t/opentalk/", "/t/rps/", "Open Talk"} {
		if !strings.Contains(body, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	e.must(http.StatusNotFound, req{method: "GET", path: "/no-such-page"})
}
