// Package e2e starts whole Parley nodes as processes and speaks to them only
// over the public protocol: REST (docs/api.md) and WebSocket
// (docs/protocol.md).
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// node is one `parley serve` process.
type node struct {
	t    *testing.T
	bin  string
	data string
	cmd  *exec.Cmd
	addr string        // host:port it listens on
	done chan struct{} // closed when the process has exited
	err  error         // cmd.Wait's result, set before done closes
	logs *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// buildParley compiles the binary into a temporary directory.
func buildParley(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "parley")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/parley")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startNode runs `parley serve` on a free loopback port with its own data
// directory and waits until it logs the address it listens on.
// extra are more serve flags.
func startNode(t *testing.T, bin string, extra ...string) *node {
	t.Helper()
	n := &node{t: t, bin: bin, data: t.TempDir(), done: make(chan struct{}), logs: &lockedBuffer{}}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", n.data, "--shutdown-timeout", "10s"}, extra...)
	n.cmd = exec.Command(bin, args...)
	n.cmd.Env = cleanEnv()
	stderr, err := n.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrCh := make(chan string, 1)
	go func() {
		// Copy every log line; report the listen address from the
		// "parley ready" line.
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			_, _ = n.logs.Write(append(line, '\n'))
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "parley ready" {
				addrCh <- rec.Addr
			}
		}
		n.err = n.cmd.Wait()
		close(n.done)
	}()
	t.Cleanup(func() {
		select {
		case <-n.done:
		default:
			_ = n.cmd.Process.Kill()
			<-n.done
		}
		if t.Failed() {
			t.Logf("node logs:\n%s", n.logs.String())
		}
	})
	select {
	case n.addr = <-addrCh:
	case <-n.done:
		t.Fatalf("parley serve exited before it was ready: %v\n%s", n.err, n.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("parley serve did not get ready\n%s", n.logs.String())
	}
	return n
}

// cleanEnv is the test's environment without PARLEY_* settings, so the node
// uses its flags and defaults.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARLEY_") {
			env = append(env, kv)
		}
	}
	return env
}

// token mints an access token with `parley token` against the node's key.
func (n *node) token(tenantID, user, name string) string {
	n.t.Helper()
	cmd := exec.Command(n.bin, "token", "--data", n.data, "--tenant", tenantID, "--user", user, "--name", name, "--ttl", "1h")
	cmd.Env = cleanEnv()
	out, err := cmd.Output()
	if err != nil {
		n.t.Fatalf("parley token: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// rest calls the REST API and decodes the JSON answer into out.
func (n *node) rest(method, path, token, body string, wantStatus int, out any) {
	n.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+n.addr+path, rd)
	if err != nil {
		n.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != wantStatus {
		n.t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, wantStatus, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			n.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// frame is any server frame, decoded loosely.
type frame struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Room    string `json:"room"`
	Seq     int64  `json:"seq"`
	Kind    string `json:"kind"`
	User    string `json:"user"`
	Text    string `json:"text"`
	CMID    string `json:"cmid"`
	LastSeq int64  `json:"lastSeq"`
}

// client is one WebSocket connection; a goroutine reads its frames into a
// channel until the connection ends, answering pings on the way.
type client struct {
	t      *testing.T
	name   string
	conn   *websocket.Conn
	frames chan frame
	closed chan struct{} // closed when the read loop ends
	status websocket.StatusCode
	cancel context.CancelFunc
	held   []frame // frames read but not yet asked for, in arrival order
}

func dial(t *testing.T, n *node, tenantID, token, name string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// No Origin header: this is not a browser.
	conn, _, err := websocket.Dial(ctx, "ws://"+n.addr+"/ws/"+tenantID, nil)
	if err != nil {
		t.Fatalf("%s: dial: %v", name, err)
	}
	readCtx, readCancel := context.WithCancel(context.Background())
	c := &client{t: t, name: name, conn: conn, frames: make(chan frame, 1024), closed: make(chan struct{}), cancel: readCancel}
	go c.readLoop(readCtx)
	t.Cleanup(c.drop)
	c.send(map[string]any{"type": "auth", "token": token})
	if f := c.next(func(f frame) bool { return true }); f.Type != "welcome" {
		t.Fatalf("%s: first frame %+v, want welcome", name, f)
	}
	return c
}

func (c *client) readLoop(ctx context.Context) {
	defer close(c.closed)
	defer close(c.frames)
	for {
		_, data, err := c.conn.Read(ctx)
		if err != nil {
			c.status = websocket.CloseStatus(err)
			return
		}
		var f frame
		if err := json.Unmarshal(data, &f); err != nil {
			c.t.Errorf("%s: undecodable frame %q: %v", c.name, data, err)
			continue
		}
		if f.Type == "ping" {
			c.send(map[string]any{"type": "pong"})
			continue
		}
		c.frames <- f
	}
}

func (c *client) send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Errorf("%s: write: %v", c.name, err)
	}
}

// next returns the first frame, in arrival order, that match accepts,
// failing on error frames it does not accept and after a deadline. Frames it passes over are
// held for later calls.
func (c *client) next(match func(frame) bool) frame {
	c.t.Helper()
	for i, f := range c.held {
		if match(f) {
			c.held = append(c.held[:i], c.held[i+1:]...)
			return f
		}
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				c.t.Fatalf("%s: connection ended (close status %d) while waiting", c.name, c.status)
			}
			if match(f) {
				return f
			}
			if f.Type == "error" {
				c.t.Fatalf("%s: error frame %+v", c.name, f)
			}
			c.held = append(c.held, f)
		case <-deadline:
			c.t.Fatalf("%s: no matching frame within 10s", c.name)
		}
	}
}

// subscribe subscribes to a room after seq and returns the catch-up
// messages received before "subscribed".
func (c *client) subscribe(room string, after int64) []frame {
	c.t.Helper()
	id := fmt.Sprintf("sub-%d", after)
	c.send(map[string]any{"type": "subscribe", "id": id, "room": room, "after": after})
	var got []frame
	for {
		f := c.next(func(f frame) bool { return f.Type == "message" || f.Type == "subscribed" })
		if f.Type == "subscribed" {
			return got
		}
		got = append(got, f)
	}
}

// say sends a text message and waits for its ack. Like a real client, it
// retries a rate-limited send after a pause, with the same cmid.
func (c *client) say(room, text string) int64 {
	c.t.Helper()
	cmid := "c-" + strings.ReplaceAll(text, " ", "-")
	for attempt := 0; ; attempt++ {
		c.send(map[string]any{"type": "send", "id": cmid, "room": room, "text": text, "cmid": cmid})
		f := c.next(func(f frame) bool {
			return (f.Type == "ack" && f.CMID == cmid) || (f.Type == "error" && f.ID == cmid && f.Code == "rate_limited")
		})
		if f.Type == "ack" {
			return f.Seq
		}
		if attempt == 20 {
			c.t.Fatalf("%s: still rate limited after %d attempts", c.name, attempt)
		}
		time.Sleep(250 * time.Millisecond) // back-off, as docs/protocol.md asks of clients
	}
}

// drop closes the connection abruptly, as a lost network would.
func (c *client) drop() {
	c.cancel()
	<-c.closed
	_ = c.conn.CloseNow()
}

// inbox collects a client's room messages, checking order and uniqueness.
type inbox struct {
	t     *testing.T
	name  string
	last  int64
	texts []string
}

func (b *inbox) add(f frame) {
	b.t.Helper()
	if f.Seq != b.last+1 {
		b.t.Fatalf("%s: got seq %d after %d: a gap or a duplicate", b.name, f.Seq, b.last)
	}
	b.last = f.Seq
	if f.Kind == "text" {
		b.texts = append(b.texts, f.Text)
	}
}

// until reads live messages of the room until it holds text.
func (b *inbox) until(c *client, room, text string) {
	b.t.Helper()
	for len(b.texts) == 0 || b.texts[len(b.texts)-1] != text {
		b.add(c.next(func(f frame) bool { return f.Type == "message" && f.Room == room }))
	}
}

func TestChatEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	n := startNode(t, buildParley(t))
	aliceTok := n.token("opentalk", "alice", "Alice")
	bobTok := n.token("opentalk", "bob", "Bob")

	var room struct{ ID string }
	n.rest("POST", "/api/v1/t/opentalk/rooms", aliceTok, `{"title":"E2E","topic":"end to end","tags":["e2e"]}`, http.StatusCreated, &room)
	n.rest("POST", "/api/v1/t/opentalk/rooms/"+room.ID+"/join", bobTok, "", http.StatusOK, nil)

	alice := dial(t, n, "opentalk", aliceTok, "alice")
	bob := dial(t, n, "opentalk", bobTok, "bob")
	aliceBox := &inbox{t: t, name: "alice"}
	bobBox := &inbox{t: t, name: "bob"}
	for _, f := range alice.subscribe(room.ID, 0) {
		aliceBox.add(f)
	}
	for _, f := range bob.subscribe(room.ID, 0) {
		bobBox.add(f)
	}

	// Exchange messages in real time.
	var want []string
	for i := range 5 {
		a, b := fmt.Sprintf("alice %d", i), fmt.Sprintf("bob %d", i)
		alice.say(room.ID, a)
		bob.say(room.ID, b)
		want = append(want, a, b)
	}
	aliceBox.until(alice, room.ID, want[len(want)-1])
	bobBox.until(bob, room.ID, want[len(want)-1])

	// Bob's network drops; alice goes on talking; bob comes back and
	// resumes from the last seq he saw.
	bob.drop()
	for i := range 5 {
		text := fmt.Sprintf("while bob is away %d", i)
		alice.say(room.ID, text)
		want = append(want, text)
	}
	bob = dial(t, n, "opentalk", bobTok, "bob again")
	for _, f := range bob.subscribe(room.ID, bobBox.last) {
		bobBox.add(f)
	}
	alice.say(room.ID, "welcome back")
	want = append(want, "welcome back")
	bobBox.until(bob, room.ID, "welcome back")
	aliceBox.until(alice, room.ID, "welcome back")
	for name, got := range map[string][]string{"alice": aliceBox.texts, "bob": bobBox.texts} {
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("%s saw %q\nwant %q", name, got, want)
		}
	}

	// The history over REST matches what the sockets delivered.
	var hist struct {
		Messages []frame `json:"messages"`
	}
	n.rest("GET", fmt.Sprintf("/api/v1/t/opentalk/rooms/%s/messages?after=0&limit=500", room.ID), bobTok, "", http.StatusOK, &hist)
	if len(hist.Messages) == 0 || hist.Messages[len(hist.Messages)-1].Seq != bobBox.last {
		t.Fatalf("REST history ends at %+v, sockets at seq %d", hist.Messages, bobBox.last)
	}

	// SIGTERM: every client is told to reconnect and closed with 4000, and
	// the process exits 0.
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{alice, bob} {
		sawReconnect := false
		for _, f := range c.held {
			sawReconnect = sawReconnect || f.Type == "reconnect"
		}
		deadline := time.After(15 * time.Second)
	drain:
		for {
			select {
			case f, ok := <-c.frames:
				if !ok {
					break drain
				}
				sawReconnect = sawReconnect || f.Type == "reconnect"
			case <-deadline:
				t.Fatalf("%s: connection still open 15s after SIGTERM", c.name)
			}
		}
		if !sawReconnect || c.status != 4000 {
			t.Errorf("%s: reconnect frame %v, close status %d; want a reconnect frame and 4000", c.name, sawReconnect, c.status)
		}
	}
	select {
	case <-n.done:
		if n.err != nil {
			t.Fatalf("parley serve exited with %v after SIGTERM", n.err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("parley serve did not exit within 15s of SIGTERM")
	}
	if logs := n.logs.String(); strings.Contains(logs, aliceTok) || strings.Contains(logs, "while bob is away") {
		t.Fatal("the node logged a token or message text")
	}
}
