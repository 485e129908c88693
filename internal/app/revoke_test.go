package app

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/demohost"
	"github.com/parley-chat/parley/internal/protocol"
	"github.com/parley-chat/parley/internal/tenant"
)

// startNode runs a whole node in process on a free port and stops it when
// the test ends. It returns the node's base URL.
func startNode(t *testing.T) string {
	t.Helper()
	cfg, err := ConfigFromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.ShutdownTimeout = 5 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), "test")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node shutdown: %v", err)
		}
		http.DefaultClient.CloseIdleConnections()
	})
	return "http://" + a.Addr().String()
}

// signAssertion signs a game-chat assertion as the host's server does
// (docs/host-integration.md).
func signAssertion(t *testing.T, user, name, room string) string {
	t.Helper()
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	now := time.Now().Unix()
	payload, _ := json.Marshal(map[string]any{"tenant": "rps", "sub": user, "name": name, "room": room,
		"iat": now, "exp": now + 60, "nonce": hex.EncodeToString(nonce)})
	first := base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(demohost.AssertionSecret))
	mac.Write([]byte(first))
	return first + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func call(t *testing.T, method, url, bearer string, body any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// dialAuthed opens a socket to the rps tenant and authenticates with the
// first frame; it returns the connection and the first server frame.
func dialAuthed(t *testing.T, ctx context.Context, base, token string) (*websocket.Conn, map[string]any) {
	t.Helper()
	c, _, err := websocket.Dial(ctx, "ws"+base[len("http"):]+"/ws/rps", nil)
	if err != nil {
		t.Fatal(err)
	}
	auth, _ := json.Marshal(protocol.ClientFrame{Type: protocol.TypeAuth, Token: token})
	if err := c.Write(ctx, websocket.MessageText, auth); err != nil {
		t.Fatal(err)
	}
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read after auth: %v", err)
	}
	var frame map[string]any
	_ = json.Unmarshal(data, &frame)
	return c, frame
}

// readUntilClose reads frames until the server closes and returns the close
// code.
func readUntilClose(ctx context.Context, c *websocket.Conn) websocket.StatusCode {
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

// TestHostRevokeClosesSocketsAndRefusesNewOnes signs a game-chat user in
// with an assertion, then has the host revoke them: the open socket is
// closed with 4003, and the still-unexpired access token can open no new
// socket and call no REST route.
func TestHostRevokeClosesSocketsAndRefusesNewOnes(t *testing.T) {
	base := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	if code, body := call(t, "PUT", base+"/api/v1/t/rps/server/rooms/game-1", tenant.DemoAPIKey, map[string]string{"title": "Game 1"}); code != http.StatusCreated {
		t.Fatalf("create private room = %d %s", code, body)
	}
	code, body := call(t, "POST", base+"/api/v1/t/rps/auth/assertion", "", map[string]string{"assertion": signAssertion(t, "p1", "Player One", "game-1")})
	if code != http.StatusOK {
		t.Fatalf("assertion sign-in = %d %s", code, body)
	}
	var signedIn struct{ Token string }
	_ = json.Unmarshal(body, &signedIn)

	live, welcome := dialAuthed(t, ctx, base, signedIn.Token)
	defer live.CloseNow()
	if welcome["type"] != protocol.TypeWelcome {
		t.Fatalf("first frame = %v, want welcome", welcome)
	}

	if code, body := call(t, "POST", base+"/api/v1/t/rps/server/sessions/revoke", tenant.DemoAPIKey, map[string]string{"user": "p1"}); code/100 != 2 {
		t.Fatalf("revoke = %d %s", code, body)
	}
	if got := readUntilClose(ctx, live); got != protocol.CloseSessionRevoked {
		t.Fatalf("live socket closed with %d, want %d", got, protocol.CloseSessionRevoked)
	}

	again, frame := dialAuthed(t, ctx, base, signedIn.Token)
	defer again.CloseNow()
	if frame["type"] != protocol.TypeError || frame["code"] != string(protocol.CodeSessionRevoked) {
		t.Fatalf("new socket with a revoked token: first frame = %v, want session_revoked error", frame)
	}
	if got := readUntilClose(ctx, again); got != protocol.CloseSessionRevoked {
		t.Fatalf("new socket closed with %d, want %d", got, protocol.CloseSessionRevoked)
	}
	if code, _ := call(t, "GET", base+"/api/v1/t/rps/me", signedIn.Token, nil); code != http.StatusUnauthorized {
		t.Fatalf("REST with a revoked token = %d, want 401", code)
	}
	if err := ctx.Err(); errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("test ran out of time")
	}
}

// TestHostRemovalStopsDelivery has the host remove a game-chat member: the
// member's open socket stops receiving the room at once (the next host
// announcement does not reach it) and cannot subscribe again.
func TestHostRemovalStopsDelivery(t *testing.T) {
	base := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	key := tenant.DemoAPIKey
	if code, body := call(t, "PUT", base+"/api/v1/t/rps/server/rooms/game-2", key, map[string]string{"title": "Game 2"}); code != http.StatusCreated {
		t.Fatalf("create private room = %d %s", code, body)
	}
	_, body := call(t, "POST", base+"/api/v1/t/rps/auth/assertion", "", map[string]string{"assertion": signAssertion(t, "p2", "Player Two", "game-2")})
	var signedIn struct{ Token string }
	_ = json.Unmarshal(body, &signedIn)
	c, _ := dialAuthed(t, ctx, base, signedIn.Token)
	defer c.CloseNow()

	write := func(f protocol.ClientFrame) {
		t.Helper()
		b, _ := json.Marshal(f)
		if err := c.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	// readUntil returns the frames read up to and including the first of type typ.
	readUntil := func(typ string) []map[string]any {
		t.Helper()
		var frames []map[string]any
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			var f map[string]any
			_ = json.Unmarshal(data, &f)
			frames = append(frames, f)
			if f["type"] == typ {
				return frames
			}
		}
	}
	write(protocol.ClientFrame{Type: protocol.TypeSubscribe, ID: "s1", Room: "game-2"})
	readUntil(protocol.TypeSubscribed)

	if code, body := call(t, "DELETE", base+"/api/v1/t/rps/server/rooms/game-2/members/p2", key, nil); code != http.StatusNoContent {
		t.Fatalf("remove member = %d %s", code, body)
	}
	if code, body := call(t, "POST", base+"/api/v1/t/rps/server/rooms/game-2/announcements", key, map[string]string{"text": "round two"}); code != http.StatusCreated {
		t.Fatalf("announce = %d %s", code, body)
	}
	// The announcement was fanned out before the host's call returned; a
	// ping sent now is answered after anything queued for this socket.
	write(protocol.ClientFrame{Type: protocol.TypePing, ID: "p"})
	for _, f := range readUntil(protocol.TypePong) {
		if f["event"] == "announce" {
			t.Fatalf("removed member still received %v", f)
		}
	}
	write(protocol.ClientFrame{Type: protocol.TypeSubscribe, ID: "s2", Room: "game-2"})
	frames := readUntil(protocol.TypeError)
	if last := frames[len(frames)-1]; last["code"] != string(protocol.CodeNotMember) {
		t.Fatalf("subscribe after removal = %v, want not_member", last)
	}
}
