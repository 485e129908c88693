package httpapi

import (
	"net/http"
	"strings"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/protocol"
	"github.com/parley-chat/parley/internal/tenant"
)

// userCall is an authenticated user request.
type userCall struct {
	tenant *tenant.Tenant
	user   chat.User
	claims auth.Claims
}

// hostCall is an authenticated host-service (server API) request.
type hostCall struct {
	tenant *tenant.Tenant
}

type userHandler func(w http.ResponseWriter, r *http.Request, c *userCall) error
type hostHandler func(w http.ResponseWriter, r *http.Request, c *hostCall) error

// tenantOf finds the {tenant} of the path. An unknown tenant is not_found:
// the same answer as a room that does not exist.
func (a *API) tenantOf(r *http.Request) (*tenant.Tenant, error) {
	t, ok := a.cfg.Tenants.Get(r.PathValue("tenant"))
	if !ok {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no such tenant")
	}
	return t, nil
}

// user authenticates a user request: the access token comes from
// "Authorization: Bearer" or, for browsers, the tenant's access cookie
// (parley_at_{tenant}), and must
// be issued for the path's tenant. Cookie-authenticated requests that change
// state must not come from a foreign origin (CSRF).
func (a *API) user(h userHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.serveUser(w, r, h); err != nil {
			a.writeError(w, r, err)
		}
	})
}

func (a *API) serveUser(w http.ResponseWriter, r *http.Request, h userHandler) error {
	t, err := a.tenantOf(r)
	if err != nil {
		return err
	}
	token, fromCookie := auth.BearerToken(r), false
	if token == "" {
		token, fromCookie = auth.AccessToken(r, t.ID), true
	}
	if token == "" {
		return protocol.Errorf(protocol.CodeUnauthenticated, "no access token: send Authorization: Bearer or the %s cookie", auth.AccessCookieName(t.ID, false))
	}
	claims, err := a.cfg.Tokens.Verify(token, t.ID)
	if err != nil {
		return auth.WireError(err)
	}
	if fromCookie && !safeMethod(r.Method) && !sameSiteRequest(r, t) {
		return protocol.Errorf(protocol.CodeForbidden, "cross-origin request refused")
	}
	return h(w, r, &userCall{
		tenant: t,
		user:   chat.User{Tenant: t.ID, ID: claims.UserID, Name: claims.Name},
		claims: claims,
	})
}

// host authenticates a server API request by the tenant's API key in
// "Authorization: Bearer", compared in constant time.
func (a *API) host(h hostHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := a.tenantOf(r)
		if err == nil {
			if key := auth.BearerToken(r); key == "" || !t.CheckAPIKey(key) {
				err = protocol.Errorf(protocol.CodeUnauthenticated, "missing or wrong tenant API key")
			} else {
				err = h(w, r, &hostCall{tenant: t})
			}
		}
		if err != nil {
			a.writeError(w, r, err)
		}
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameSiteRequest decides whether a cookie-carrying, state-changing request
// may proceed. A present Origin must be one of the tenant's origins or this
// server's own; without Origin, a browser's Sec-Fetch-Site must not say
// cross-site; a request with neither header is not from a modern browser
// and cannot be a CSRF.
func sameSiteRequest(r *http.Request, t *tenant.Tenant) bool {
	if origin := r.Header.Get("Origin"); origin != "" {
		if t.AllowsOrigin(origin) {
			return true
		}
		_, host, ok := strings.Cut(origin, "://")
		return ok && strings.EqualFold(host, r.Host)
	}
	site := r.Header.Get("Sec-Fetch-Site")
	return site == "" || site == "same-origin" || site == "none"
}
