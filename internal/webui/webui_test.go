package webui

import (
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/parley-chat/parley/internal/tenant"
)

const page = `<!doctype html><html><head><meta charset="utf-8"><script type="module" src="./assets/app-1a2b.js"></script></head><body></body></html>`

func testHandler(t *testing.T) http.Handler {
	t.Helper()
	reg, err := tenant.NewRegistry(tenant.Demo("http://localhost:8080", "http://localhost:8081"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"opentalk/index.html":          {Data: []byte(page)},
		"opentalk/webview.html":        {Data: []byte(strings.Replace(page, "app-1a2b", "webview-9z", 1))},
		"opentalk/assets/app-1a2b.js":  {Data: []byte(strings.Repeat("console.log(1);", 200))},
		"opentalk/assets/app-1a2b.css": {Data: []byte("body{}")},
		"opentalk/favicon.svg":         {Data: []byte("<svg/>")},
		"gamechat/index.html":          {Data: []byte(page)},
		"gamechat/assets/embed-77.js":  {Data: []byte("x")},
	}
	return Handler(Config{Site: Sites(reg, nil), FS: fsys})
}

func get(t *testing.T, h http.Handler, target string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	r := io.Reader(res.Body)
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRoutes(t *testing.T) {
	h := testHandler(t)
	tests := []struct {
		path        string // request path
		status      int    // want status
		contentType string // want Content-Type prefix ("" = any)
		contains    string // want in body ("" = any)
	}{
		{"/t/opentalk/", 200, "text/html", `<base href="/t/opentalk/">`},
		{"/t/opentalk/r/room-1", 200, "text/html", `app-1a2b.js`},           // SPA fallback
		{"/t/opentalk/webview", 200, "text/html", `webview-9z.js`},          // app-WebView entry
		{"/t/opentalk/webview/r/room-1", 200, "text/html", `webview-9z.js`}, // its fallback
		{"/t/opentalk/assets/app-1a2b.js", 200, "text/javascript", "console.log"},
		{"/t/opentalk/assets/app-1a2b.css", 200, "text/css", "body{}"},
		{"/t/opentalk/favicon.svg", 200, "image/svg+xml", "<svg/>"},
		{"/t/opentalk/assets/missing-000.js", 404, "", ""}, // no HTML for a missing asset
		{"/t/opentalk/index.html", 200, "text/html", `<meta name="parley-tenant" content="opentalk">`},
		{"/t/opentalk", 301, "", ""},
		{"/t/nobody/", 404, "", ""},
		{"/t/Bad!/", 404, "", ""},
		{"/t/rps/embed/game-42", 200, "text/html", `<meta name="parley-room" content="game-42">`},
		{"/t/rps/embed/game-42", 200, "text/html", `<meta name="parley-parent-origins" content="http://localhost:8080 http://localhost:8081">`},
		{"/t/rps/embed/assets/embed-77.js", 200, "text/javascript", "x"},
		{"/t/rps/embed/a/b", 404, "", ""},
		{"/t/rps/embed/%3Cx%3E", 404, "", ""},
		{"/t/rps/", 404, "", ""},             // rps has no main app
		{"/t/opentalk/embed/x", 200, "", ""}, // opentalk has no embed: SPA route
		{"/t/opentalk/../../etc/passwd", 404, "", ""},
	}
	for _, tt := range tests {
		res := get(t, h, tt.path, "Accept-Encoding", "gzip")
		if res.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.path, res.StatusCode, tt.status)
			continue
		}
		if tt.contentType != "" && !strings.HasPrefix(res.Header.Get("Content-Type"), tt.contentType) {
			t.Errorf("%s: Content-Type %q, want %q", tt.path, res.Header.Get("Content-Type"), tt.contentType)
		}
		if tt.contains != "" && !strings.Contains(body(t, res), tt.contains) {
			t.Errorf("%s: body lacks %q", tt.path, tt.contains)
		}
	}
}

func TestSecurityAndCachingHeaders(t *testing.T) {
	h := testHandler(t)
	res := get(t, h, "/t/opentalk/r/x")
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("app CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("app CSP allows inline code: %q", csp)
	}
	if res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("app page headers: %v", res.Header)
	}

	res = get(t, h, "/t/rps/embed/game-1")
	csp = res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors http://localhost:8080 http://localhost:8081") {
		t.Errorf("embed CSP %q does not let the tenant's origins frame it", csp)
	}
	if res.Header.Get("X-Frame-Options") != "" {
		t.Error("embed must not send X-Frame-Options DENY")
	}

	res = get(t, h, "/t/opentalk/assets/app-1a2b.js", "Accept-Encoding", "br, gzip;q=0.9")
	if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("hashed asset Cache-Control %q", got)
	}
	if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(body(t, res), "console.log(1);") {
		t.Error("large JS is not served gzipped")
	}
	res = get(t, h, "/t/opentalk/assets/app-1a2b.js")
	if res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent to a client that did not ask for it")
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	h := testHandler(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/t/opentalk/", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/t/opentalk/", nil))
	if rec.Code != 200 || rec.Body.Len() != 0 {
		t.Fatalf("HEAD: %d with %d bytes", rec.Code, rec.Body.Len())
	}
}

func TestPlaceholderBuildExplainsItself(t *testing.T) {
	reg, err := tenant.NewRegistry(tenant.Demo())
	if err != nil {
		t.Fatal(err)
	}
	h := Handler(Config{Site: Sites(reg, nil), FS: fstest.MapFS{".placeholder": {Data: []byte("x")}}})
	res := get(t, h, "/t/opentalk/")
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body(t, res), "make build-web") {
		t.Fatalf("unbuilt UI: %d", res.StatusCode)
	}
}

func TestEmbeddedDistIsReadable(t *testing.T) {
	entries, err := fs.ReadDir(Dist(), ".")
	if err != nil || len(entries) == 0 {
		t.Fatalf("embedded dist: %v entries, %v", len(entries), err)
	}
}

func TestAppPageNamesTheHostSignIn(t *testing.T) {
	demo := tenant.Demo("http://localhost:8080")
	demo[0].Auth.Settings = map[string]string{"signInURL": "http://localhost:8081/"}
	reg, err := tenant.NewRegistry(demo)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"opentalk/index.html": {Data: []byte("<!doctype html><html><head></head><body></body></html>")}}
	h := Handler(Config{Site: Sites(reg, nil), FS: fsys})
	if got := body(t, get(t, h, "/t/opentalk/")); !strings.Contains(got, `<meta name="parley-sign-in" content="http://localhost:8081/">`) {
		t.Fatalf("app page lacks the sign-in meta tag:\n%s", got)
	}
}
