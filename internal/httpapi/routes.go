package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/auth"
)

// routes builds the router: every route Parley serves over HTTP is here.
// Parley's own JSON routes get the API security headers; the socket, the
// sign-in flows and the web apps set their own.
func (a *API) routes() http.Handler {
	mux := http.NewServeMux()
	mount := func(pattern string, h http.Handler) { mux.Handle(pattern, recordRoute(h)) }
	handle := func(pattern string, h http.Handler) { mount(pattern, withSecurityHeaders(h)) }

	// The landing page: which services this node runs.
	handle("GET /{$}", http.HandlerFunc(a.home))

	// Operations.
	handle("GET /healthz", http.HandlerFunc(a.healthz))
	handle("GET /readyz", http.HandlerFunc(a.readyz))
	if a.cfg.Metrics != nil {
		handle("GET /metrics", a.cfg.Metrics.Handler())
	}

	// User API: access token (Bearer or cookie) of the path's tenant.
	const t = "/api/v1/t/{tenant}"
	handle("GET "+t+"/me", a.user(a.getMe))
	handle("GET "+t+"/me/rooms", a.user(a.getMyRooms))
	handle("GET "+t+"/rooms", a.user(a.listRooms))
	handle("POST "+t+"/rooms", a.user(a.createRoom))
	handle("GET "+t+"/rooms/{room}", a.user(a.getRoom))
	handle("POST "+t+"/rooms/{room}/join", a.user(a.joinRoom))
	handle("POST "+t+"/rooms/{room}/leave", a.user(a.leaveRoom))
	handle("GET "+t+"/rooms/{room}/messages", a.user(a.listMessages))
	handle("POST "+t+"/rooms/{room}/messages", a.user(a.postMessage))
	handle("DELETE "+t+"/rooms/{room}/messages/{seq}", a.user(a.deleteMessage))

	// Server API: the host service, with the tenant's API key.
	handle("PUT "+t+"/server/rooms/{room}", a.host(a.putPrivateRoom))
	handle("PUT "+t+"/server/rooms/{room}/members/{user}", a.host(a.putMember))
	handle("DELETE "+t+"/server/rooms/{room}/members/{user}", a.host(a.deleteMember))
	handle("POST "+t+"/server/rooms/{room}/announcements", a.host(a.postAnnouncement))

	// Anything else under /api/ answers in JSON too.
	handle("/api/", http.HandlerFunc(a.notFound))

	// The WebSocket endpoint (internal/session).
	if a.cfg.Socket != nil {
		mount("GET /ws/{tenant}", a.cfg.Socket)
	}
	// Sign-in, refresh, sign-out and revoke (internal/auth).
	if a.cfg.Auth != nil {
		for _, pattern := range auth.Routes {
			mount(pattern, a.cfg.Auth)
		}
	}
	// The web apps (internal/webui) under /t/{tenant}/.
	if a.cfg.Web != nil {
		mount("/t/", a.cfg.Web)
	}

	return chain(mux,
		withRequestID,
		a.withAccessLog,
		a.withRecovery,
		withBodyLimit(a.cfg.MaxBodyBytes),
	)
}
