package auth

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/tenant"
)

// Cookie names are per tenant ("parley_at_opentalk"), so that tenants
// served from one origin never overwrite each other's sign-in nor send one
// tenant's token to another's socket. Outside localhost the cookies are
// Secure and carry the __Host- (access: Path=/, no Domain) or __Secure-
// (refresh: path-limited, which __Host- forbids) prefix, so a sibling
// subdomain cannot plant them.
const (
	accessCookiePrefix  = "parley_at_"
	refreshCookiePrefix = "parley_rt_"
)

// AccessCookieName is the name of a tenant's access-token cookie; secure
// selects the __Host- form used outside localhost.
func AccessCookieName(tenantID string, secure bool) string {
	if secure {
		return "__Host-" + accessCookiePrefix + tenantID
	}
	return accessCookiePrefix + tenantID
}

// RefreshCookieName is the name of a tenant's refresh-token cookie.
func RefreshCookieName(tenantID string, secure bool) string {
	if secure {
		return "__Secure-" + refreshCookiePrefix + tenantID
	}
	return refreshCookiePrefix + tenantID
}

// AccessToken returns the access token a request carries for a tenant: the
// "Authorization: Bearer" header, else the tenant's access cookie. Empty if
// none.
func AccessToken(r *http.Request, tenantID string) string {
	if token := BearerToken(r); token != "" {
		return token
	}
	return cookieValue(r, AccessCookieName(tenantID, true), AccessCookieName(tenantID, false))
}

// BearerToken returns the credential of an "Authorization: Bearer" header
// (the scheme is case-insensitive, RFC 7235), or "".
func BearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

func refreshCookie(r *http.Request, tenantID string) string {
	return cookieValue(r, RefreshCookieName(tenantID, true), RefreshCookieName(tenantID, false))
}

// cookieValue returns the value of the first named cookie present.
func cookieValue(r *http.Request, names ...string) string {
	for _, name := range names {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			return c.Value
		}
	}
	return ""
}

// refreshPath limits the refresh cookie to the tenant's auth endpoints.
func refreshPath(tenantID string) string { return "/api/v1/t/" + tenantID + "/auth/" }

// secureRequest: cookies are Secure everywhere but on a loopback host,
// where the demo runs over plain HTTP.
func secureRequest(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return r.TLS != nil
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && ip.IsLoopback() {
		return r.TLS != nil
	}
	return true
}

func setSessionCookies(w http.ResponseWriter, r *http.Request, tenantID string, iss issued) {
	secure := secureRequest(r)
	http.SetCookie(w, &http.Cookie{
		Name: AccessCookieName(tenantID, secure), Value: iss.access, Path: "/", Expires: iss.accessExp,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
	setRefreshCookie(w, r, tenantID, iss)
}

func setRefreshCookie(w http.ResponseWriter, r *http.Request, tenantID string, iss issued) {
	if iss.refreshToken == "" {
		return
	}
	secure := secureRequest(r)
	http.SetCookie(w, &http.Cookie{
		Name: RefreshCookieName(tenantID, secure), Value: iss.refreshToken, Path: refreshPath(tenantID), Expires: iss.session.ExpiresAt,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode,
	})
}

func clearSessionCookies(w http.ResponseWriter, r *http.Request, tenantID string) {
	secure := secureRequest(r)
	at, rt := AccessCookieName(tenantID, secure), RefreshCookieName(tenantID, secure)
	http.SetCookie(w, &http.Cookie{Name: at, Path: "/", MaxAge: -1, Expires: time.Unix(0, 0), HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: rt, Path: refreshPath(tenantID), MaxAge: -1, Expires: time.Unix(0, 0), HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
}

// checkReturn accepts a same-origin absolute path ("/t/opentalk/") or an
// absolute URL on one of the tenant's origins, and nothing else: no
// scheme-relative "//evil", no backslashes, no user info. Empty means the
// tenant's chat home.
func checkReturn(t *tenant.Tenant, raw string) (string, error) {
	if raw == "" {
		return "/t/" + t.ID + "/", nil
	}
	bad := func(why string) (string, error) {
		return "", &redirectError{why: why}
	}
	if len(raw) > 2048 || strings.ContainsAny(raw, "\\") {
		return bad("too long or contains a backslash")
	}
	for _, c := range raw {
		if c < 0x20 || c == 0x7f {
			return bad("contains control characters")
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("not a URL")
	}
	if strings.HasPrefix(raw, "/") {
		if strings.HasPrefix(raw, "//") || u.Scheme != "" || u.Host != "" || u.User != nil {
			return bad("scheme-relative URL")
		}
		return raw, nil
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return bad("not an http(s) URL")
	}
	if !t.AllowsOrigin(u.Scheme + "://" + u.Host) {
		return bad("origin is not one of the tenant's origins")
	}
	return raw, nil
}

type redirectError struct{ why string }

func (e *redirectError) Error() string { return ErrRedirectNotAllowed.Error() + ": " + e.why }
func (e *redirectError) Unwrap() error { return ErrRedirectNotAllowed }

// originAllowed guards cookie-authenticated POSTs against cross-site
// requests: a browser's Origin must be Parley's own or one of the
// tenant's. Requests without Origin (servers, older clients) pass; the
// SameSite cookies still protect them.
func originAllowed(r *http.Request, t *tenant.Tenant) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return t.AllowsOrigin(o)
}
