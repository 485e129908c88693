package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/protocol"
)

func TestRecoveryAnswers500(t *testing.T) {
	var logs bytes.Buffer
	a := &API{log: slog.New(slog.NewJSONHandler(&logs, nil))}
	h := chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }),
		withRequestID, a.withAccessLog, a.withRecovery)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Code != protocol.CodeInternal {
		t.Fatalf("body %s (%v), want code internal", rec.Body, err)
	}
	if !strings.Contains(logs.String(), "handler panic") || !strings.Contains(logs.String(), rec.Header().Get("X-Request-ID")) {
		t.Fatalf("panic not logged with the request id:\n%s", logs.String())
	}
}

func TestStatusFor(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{chat.ErrInvalid, 400},
		{protocol.Errorf(protocol.CodeInvalidText, "x"), 400},
		{protocol.Errorf(protocol.CodeUnauthenticated, "x"), 401},
		{protocol.Errorf(protocol.CodeTokenExpired, "x"), 401},
		{protocol.Errorf(protocol.CodeWrongTenant, "x"), 403},
		{chat.ErrForbidden, 403},
		{chat.ErrNotMember, 403},
		{chat.ErrNotFound, 404},
		{chat.ErrConflict, 409},
		{chat.ErrRoomFull, 409},
		{protocol.Errorf(protocol.CodeFrameTooLarge, "x"), 413},
		{chat.ErrTooLong, 422},
		{protocol.Errorf(protocol.CodeRateLimited, "x"), 429},
		{chat.ErrUnavailable, 503},
		{bytes.ErrTooLarge, 500},
	}
	for _, tt := range tests {
		if got := protocol.HTTPStatus(protocol.ErrorFrom(tt.err).Code); got != tt.want {
			t.Errorf("status for %v = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestChunkedBodyOverLimit(t *testing.T) {
	var got error
	h := withBodyLimit(16)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v map[string]string
		got = decodeJSON(r, &v)
	}))
	r := httptest.NewRequest("POST", "/x", strings.NewReader(`{"text":"`+strings.Repeat("a", 64)+`"}`))
	r.ContentLength = -1 // chunked: the limit is enforced while reading
	r.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if wire := protocol.ErrorFrom(got); wire.Code != protocol.CodeFrameTooLarge {
		t.Fatalf("decode of an oversize chunked body = %v, want frame_too_large", got)
	}
}
