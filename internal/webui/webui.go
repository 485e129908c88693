// Package webui serves Parley's built web apps (web/apps/*, embedded at build
// time) under /t/{tenant}/...: each tenant's main app with an SPA fallback,
// its app-WebView entry under /t/{tenant}/webview/, and its embeddable chat
// at /t/{tenant}/embed/{room}.
//
// The apps are built with relative asset URLs; every HTML page is served
// with a <base href> for its tenant and <meta> tags carrying the tenant id
// (and, for the embed, the room and the parent origins allowed to talk to it
// over postMessage), so one build serves any number of tenants. Pages get a
// strict Content-Security-Policy with no inline script; only the embed may be
// framed, and only by the tenant's own origins.
package webui

import (
	"bytes"
	"compress/gzip"
	"embed"
	"html"
	"io/fs"
	"maps"
	"mime"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/tenant"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the embedded build output: one directory per app
// (opentalk, gamechat), or only a placeholder before `npm run build`.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the directory is part of the binary
	}
	return sub
}

// Site is what one tenant serves.
type Site struct {
	// App is the app directory served at /t/{tenant}/ ("" for none).
	App string
	// Embed is the app directory served at /t/{tenant}/embed/{room} ("" for none).
	Embed string
	// Origins may frame the embed (frame-ancestors) and are the only
	// origins the embed accepts postMessage from.
	Origins []string
	// SignInURL is the host's sign-in page, where the app sends a user whose
	// session ended ("" reloads the app instead).
	SignInURL string
}

// Config configures the handler.
type Config struct {
	// Site returns what a tenant serves; false means the tenant is unknown.
	Site func(tenant string) (Site, bool)
	// FS holds the built apps; nil means the embedded Dist().
	FS fs.FS
}

// Sites maps each tenant of the registry to its apps: tenants with open rooms
// serve the "opentalk" app, tenants with private (host-made) rooms serve the
// "gamechat" embed, framed by the tenant's allowed origins. overrides replace
// that choice per tenant id (a new service with its own UI is a new app
// directory plus an entry here).
func Sites(reg *tenant.Registry, overrides map[string]Site) func(string) (Site, bool) {
	return func(id string) (Site, bool) {
		t, ok := reg.Get(id)
		if !ok {
			return Site{}, false
		}
		if s, ok := overrides[id]; ok {
			if s.Origins == nil {
				s.Origins = t.Origins
			}
			return s, true
		}
		s := Site{Origins: t.Origins, SignInURL: t.Auth.Settings["signInURL"]}
		if t.AllowsKind(chat.RoomOpen) {
			s.App = "opentalk"
		}
		if t.AllowsKind(chat.RoomPrivate) {
			s.Embed = "gamechat"
		}
		return s, true
	}
}

// Handler serves the web apps for every path under /t/. Mount it with
// mux.Handle("/t/", webui.Handler(cfg)).
func Handler(cfg Config) http.Handler {
	fsys := cfg.FS
	if fsys == nil {
		fsys = Dist()
	}
	return &handler{site: cfg.Site, fs: fsys}
}

type handler struct {
	site func(string) (Site, bool)
	fs   fs.FS
	gz   sync.Map // path -> []byte, gzip of immutable assets
}

var (
	tenantPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	roomPattern   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
)

// Content-Security-Policy of every page: scripts, styles and sockets from
// this origin only; nothing inline.
const cspBase = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'"

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/t/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	tenantID, sub, hasSlash := strings.Cut(rest, "/")
	if !tenantPattern.MatchString(tenantID) {
		http.NotFound(w, r)
		return
	}
	site, ok := h.site(tenantID)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if slices.Contains(strings.Split(sub, "/"), "..") {
		http.NotFound(w, r)
		return
	}
	if !hasSlash {
		http.Redirect(w, r, "/t/"+tenantID+"/", http.StatusMovedPermanently)
		return
	}
	if embedPath, ok := strings.CutPrefix(sub, "embed/"); ok && site.Embed != "" {
		h.serveEmbed(w, r, tenantID, site, embedPath)
		return
	}
	if site.App == "" {
		http.NotFound(w, r)
		return
	}
	h.serveApp(w, r, tenantID, site, sub)
}

func (h *handler) serveApp(w http.ResponseWriter, r *http.Request, tenantID string, site Site, sub string) {
	if h.serveFile(w, r, site.App, sub) {
		return
	}
	page := "index.html"
	switch {
	case sub == "webview" || sub == "webview.html" || strings.HasPrefix(sub, "webview/"):
		page = "webview.html"
	case sub == "index.html":
	case isAssetPath(sub):
		http.NotFound(w, r)
		return
	}
	meta := map[string]string{"parley-tenant": tenantID}
	if site.SignInURL != "" {
		meta["parley-sign-in"] = site.SignInURL
	}
	h.servePage(w, r, site.App, page, "/t/"+tenantID+"/", meta, "frame-ancestors 'none'")
}

func (h *handler) serveEmbed(w http.ResponseWriter, r *http.Request, tenantID string, site Site, sub string) {
	if h.serveFile(w, r, site.Embed, sub) {
		return
	}
	room := strings.TrimSuffix(sub, "/")
	if !roomPattern.MatchString(room) {
		http.NotFound(w, r)
		return
	}
	ancestors := "'none'"
	if len(site.Origins) > 0 {
		ancestors = strings.Join(site.Origins, " ")
	}
	meta := map[string]string{
		"parley-tenant":         tenantID,
		"parley-room":           room,
		"parley-parent-origins": strings.Join(site.Origins, " "),
	}
	h.servePage(w, r, site.Embed, "index.html", "/t/"+tenantID+"/embed/", meta, "frame-ancestors "+ancestors)
}

// serveFile serves a real file of the app (not index pages, which need
// rewriting); it reports false when there is none.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, app, sub string) bool {
	if sub == "" || strings.HasSuffix(sub, "/") || strings.HasSuffix(sub, ".html") {
		return false
	}
	name := path.Join(app, path.Clean("/" + sub)[1:])
	if !fs.ValidPath(name) {
		return false
	}
	data, err := fs.ReadFile(h.fs, name)
	if err != nil {
		return false
	}
	hdr := w.Header()
	hdr.Set("Content-Type", contentType(name))
	hdr.Set("X-Content-Type-Options", "nosniff")
	if strings.HasPrefix(sub, "assets/") {
		// Vite puts a content hash in every file name under assets/.
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hdr.Set("Cache-Control", "no-cache")
	}
	if compressible(name) && acceptsGzip(r) && len(data) > 1024 {
		hdr.Set("Content-Encoding", "gzip")
		hdr.Add("Vary", "Accept-Encoding")
		data = h.gzipped(name, data)
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	return true
}

func (h *handler) gzipped(name string, data []byte) []byte {
	if v, ok := h.gz.Load(name); ok {
		return v.([]byte)
	}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	_, _ = zw.Write(data)
	_ = zw.Close()
	v, _ := h.gz.LoadOrStore(name, b.Bytes())
	return v.([]byte)
}

// servePage serves an HTML entry with its <base href>, its <meta> config and
// the page's security headers.
func (h *handler) servePage(w http.ResponseWriter, r *http.Request, app, page, base string, meta map[string]string, frame string) {
	data, err := fs.ReadFile(h.fs, path.Join(app, page))
	if err != nil {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "web UI not built: run `make build-web` (npm run build in web/)", http.StatusServiceUnavailable)
		return
	}
	var head strings.Builder
	head.WriteString(`<base href="` + html.EscapeString(base) + `">`)
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		head.WriteString(`<meta name="` + k + `" content="` + html.EscapeString(meta[k]) + `">`)
	}
	out := injectHead(data, head.String())
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("Content-Security-Policy", cspBase+"; "+frame)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	if strings.Contains(frame, "'none'") {
		hdr.Set("X-Frame-Options", "DENY")
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(out)
	}
}

// injectHead puts extra right after the opening <head> tag.
func injectHead(page []byte, extra string) []byte {
	i := bytes.Index(page, []byte("<head>"))
	if i < 0 {
		return append([]byte(extra), page...)
	}
	i += len("<head>")
	out := make([]byte, 0, len(page)+len(extra))
	out = append(out, page[:i]...)
	out = append(out, extra...)
	return append(out, page[i:]...)
}

func isAssetPath(sub string) bool {
	return strings.HasPrefix(sub, "assets/") || path.Ext(sub) != ""
}

var types = map[string]string{
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".woff2":       "font/woff2",
	".webmanifest": "application/manifest+json",
	".txt":         "text/plain; charset=utf-8",
}

func contentType(name string) string {
	ext := path.Ext(name)
	if t, ok := types[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

func compressible(name string) bool {
	switch path.Ext(name) {
	case ".js", ".mjs", ".css", ".json", ".svg", ".map", ".txt":
		return true
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if enc, _, _ := strings.Cut(strings.TrimSpace(part), ";"); enc == "gzip" {
			return true
		}
	}
	return false
}
