package httpapi

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/parley-chat/parley/internal/protocol"
)

// reqInfo travels in the request context from the outermost middleware to
// the innermost, so the access log and metrics can see what the router and
// handlers decided (route pattern) without cloning the request.
type reqInfo struct {
	id    string
	route string
}

type ctxKey struct{}

func infoOf(ctx context.Context) *reqInfo {
	if ri, ok := ctx.Value(ctxKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// requestID returns the request's id ("" outside the middleware).
func requestID(ctx context.Context) string { return infoOf(ctx).id }

// routeOf returns the matched route pattern, or "unmatched".
func routeOf(r *http.Request) string {
	if ri := infoOf(r.Context()); ri.route != "" {
		return ri.route
	}
	return "unmatched"
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequestID gives every request an id: the caller's X-Request-ID when
// it looks like one, else a random one. It is echoed in the response and
// logged, so a client's report can be matched with the server's log.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !requestIDPattern.MatchString(id) {
			var b [8]byte
			_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-ID", id)
		ri := &reqInfo{id: id}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, ri)))
	})
}

// recordRoute notes the pattern the mux matched; it wraps every route.
func recordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		infoOf(r.Context()).route = r.Pattern
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status and size of a response. It keeps
// Hijack and Flush reachable (the WebSocket upgrade needs them) through
// Unwrap and explicit methods.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(p)
	s.bytes += int64(n)
	return n, err
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusWriter) Flush() { _ = http.NewResponseController(s.ResponseWriter).Flush() }

func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err == nil && s.status == 0 {
		s.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

// withAccessLog logs one line per request and records request metrics. It
// logs the method, route, path, status, size, duration and request id —
// never headers (Authorization, Cookie), the query or the body, which can
// carry tokens or message text.
func (a *API) withAccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		d := time.Since(start)
		route := routeOf(r)
		if a.cfg.Metrics != nil {
			a.cfg.Metrics.observeHTTP(route, sw.status, d)
		}
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		a.log.LogAttrs(r.Context(), level, "http request",
			slog.String("request_id", requestID(r.Context())),
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Int64("bytes", sw.bytes),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

// withRecovery turns a handler panic into a logged 500 JSON error instead
// of a dropped connection. http.ErrAbortHandler is passed on: it is the
// documented way to abort a response.
func (a *API) withRecovery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw, ok := w.(*statusWriter)
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, isErr := v.(error); isErr && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			a.log.ErrorContext(r.Context(), "handler panic", "request_id", requestID(r.Context()),
				"route", routeOf(r), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if ok && sw.status != 0 {
				panic(http.ErrAbortHandler) // too late for a clean answer
			}
			writeJSON(w, http.StatusInternalServerError,
				errorBody{Code: protocol.CodeInternal, Message: "internal error"})
		}()
		next.ServeHTTP(w, r)
	})
}

// withBodyLimit caps request bodies; reading past the cap fails with
// *http.MaxBytesError, which decodeJSON reports as frame_too_large.
func withBodyLimit(limit int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > limit {
				writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Code: protocol.CodeFrameTooLarge,
					Message: fmt.Sprintf("request body is larger than %d bytes", limit)})
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			next.ServeHTTP(w, r)
		})
	}
}

// withSecurityHeaders sets headers that make JSON responses inert in a
// browser: not sniffed as HTML, not framed, not cached, no referrer.
func withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// chain applies middleware so that the first one is outermost.
func chain(h http.Handler, mw ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}
