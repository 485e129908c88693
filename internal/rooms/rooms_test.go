package rooms_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/parley-chat/parley/internal/broker/memory"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/protocol"
	"github.com/parley-chat/parley/internal/rooms"
	"github.com/parley-chat/parley/internal/store/sqlite"
	"github.com/parley-chat/parley/internal/tenant"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Test tenants, one per policy under test.
var testTenants = []tenant.Tenant{
	{ID: "open", Policy: tenant.Policy{ // open rooms, history for all
		MaxMessageLength: 50, HistoryForNewcomers: true, UserCreatesRooms: true,
		RoomKinds: []chat.RoomKind{chat.RoomOpen},
	}},
	{ID: "hidden", Policy: tenant.Policy{ // open rooms, newcomers see no history, 3 members
		MaxMessageLength: 50, HistoryForNewcomers: false, UserCreatesRooms: true, MaxRoomMembers: 3,
		RoomKinds: []chat.RoomKind{chat.RoomOpen},
	}},
	{ID: "nocreate", Policy: tenant.Policy{ // open rooms users may not create
		RoomKinds: []chat.RoomKind{chat.RoomOpen},
	}},
	{ID: "game", APIKey: "k", Policy: tenant.Policy{ // private rooms only, hidden history
		MaxMessageLength: 20, RoomKinds: []chat.RoomKind{chat.RoomPrivate},
	}},
}

var (
	alice = chat.User{Tenant: "open", ID: "alice", Name: "Alice"}
	bob   = chat.User{Tenant: "open", ID: "bob", Name: "Bob"}
	carol = chat.User{Tenant: "open", ID: "carol", Name: "Carol"}
)

func in(tenantID string, u chat.User) chat.User { u.Tenant = tenantID; return u }

// env is a Service on a real SQLite store in t.TempDir() and a memory broker.
type env struct {
	svc    *rooms.Service
	store  *gatedStore
	sqlite *sqlite.Store
	broker *memory.Broker

	mu      sync.Mutex
	commits []commit
}

type commit struct {
	size int
	err  error
}

func newEnv(t testing.TB, opts rooms.Options) *env {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "parley.db"), logger)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	reg, err := tenant.NewRegistry(testTenants)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{store: &gatedStore{Store: st}, sqlite: st, broker: memory.New()}
	opts.OnCommit = func(n int, _ time.Duration, err error) {
		e.mu.Lock()
		e.commits = append(e.commits, commit{n, err})
		e.mu.Unlock()
	}
	e.svc = rooms.New(e.store, e.broker, reg, logger, opts)
	t.Cleanup(func() {
		_ = e.svc.Close()
		_ = e.broker.Close()
		_ = st.Close() // some tests close it themselves
	})
	return e
}

func (e *env) commitLog() []commit {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.commits)
}

// gatedStore can hold the next AppendMessages until the test releases it,
// so tests can queue sends behind a commit in flight without timing.
type gatedStore struct {
	chat.Store
	mu   sync.Mutex
	gate *gate
}

type gate struct{ entered, release chan struct{} }

// holdNext makes the next AppendMessages close entered and then wait for
// release to be called.
func (g *gatedStore) holdNext() (entered <-chan struct{}, release func()) {
	h := &gate{entered: make(chan struct{}), release: make(chan struct{})}
	g.mu.Lock()
	g.gate = h
	g.mu.Unlock()
	return h.entered, sync.OnceFunc(func() { close(h.release) })
}

func (g *gatedStore) AppendMessages(ctx context.Context, batch []chat.NewMessage) ([]chat.AppendResult, error) {
	g.mu.Lock()
	h := g.gate
	g.gate = nil
	g.mu.Unlock()
	if h != nil {
		close(h.entered)
		<-h.release
	}
	return g.Store.AppendMessages(ctx, batch)
}

func waitFor[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func createRoom(t testing.TB, e *env, u chat.User, title string) chat.Room {
	t.Helper()
	r, err := e.svc.CreateRoom(context.Background(), u, rooms.RoomSpec{Title: title})
	if err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	return r
}

func join(t testing.TB, e *env, u chat.User, roomID string) chat.Room {
	t.Helper()
	r, err := e.svc.Join(context.Background(), u, roomID)
	if err != nil {
		t.Fatalf("Join(%s): %v", u.ID, err)
	}
	return r
}

func send(t testing.TB, e *env, u chat.User, roomID, text, cmid string) chat.AppendResult {
	t.Helper()
	r, err := e.svc.SendWait(context.Background(), u, roomID, text, cmid)
	if err != nil {
		t.Fatalf("SendWait(%q): %v", text, err)
	}
	return r
}

// sendAsync calls Send and returns a channel that gets its result; it fails
// the test if done is called more than once.
func sendAsync(t testing.TB, e *env, ctx context.Context, u chat.User, roomID, text, cmid string) <-chan chat.AppendResult {
	ch := make(chan chat.AppendResult, 2)
	var calls atomic.Int32
	e.svc.Send(ctx, u, roomID, text, cmid, func(r chat.AppendResult) {
		if calls.Add(1) > 1 {
			t.Errorf("done called twice for %q", text)
		}
		ch <- r
	})
	return ch
}

// events subscribes to a room and returns the channel of its events.
func events(t testing.TB, e *env, tenantID, roomID string) <-chan chat.Event {
	t.Helper()
	ch := make(chan chat.Event, 1024)
	sub, err := e.broker.Subscribe(context.Background(), tenantID, roomID, func(ev chat.Event) { ch <- ev })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return ch
}

func decode(t testing.TB, ev chat.Event) protocol.Message {
	t.Helper()
	var m protocol.Message
	if err := json.Unmarshal(ev.Payload, &m); err != nil {
		t.Fatalf("payload %q: %v", ev.Payload, err)
	}
	return m
}

func history(t testing.TB, e *env, u chat.User, roomID string, opts chat.HistoryOptions) []int64 {
	t.Helper()
	msgs, err := e.svc.History(context.Background(), u, roomID, opts)
	if err != nil {
		t.Fatalf("History(%s): %v", u.ID, err)
	}
	seqs := make([]int64, len(msgs))
	for i, m := range msgs {
		seqs[i] = m.Seq
	}
	return seqs
}

func TestSendValidation(t *testing.T) {
	e := newEnv(t, rooms.Options{})
	room := createRoom(t, e, alice, "lobby").ID
	tests := []struct {
		name string
		user chat.User
		room string
		text string
		cmid string
		want error         // sentinel
		code protocol.Code // what the client sees
	}{
		{"unknown tenant", in("nope", alice), room, "hi", "", chat.ErrNotFound, protocol.CodeNotFound},
		{"bad room id", alice, "a b", "hi", "", chat.ErrInvalid, protocol.CodeBadRequest},
		{"missing room", alice, "nosuchroom", "hi", "", chat.ErrNotFound, protocol.CodeNotFound},
		{"too long", alice, room, strings.Repeat("가", 51), "", chat.ErrTooLong, protocol.CodeMessageTooLong},
		{"control character", alice, room, "a\x1bb", "", chat.ErrInvalidText, protocol.CodeInvalidText},
		{"blank", alice, room, "  ", "", chat.ErrInvalidText, protocol.CodeInvalidText},
		{"bad client message id", alice, room, "hi", "a/b", chat.ErrInvalid, protocol.CodeBadRequest},
		{"not a member", bob, room, "hi", "", chat.ErrNotMember, protocol.CodeNotMember},
		{"other tenant's room", in("hidden", alice), room, "hi", "", chat.ErrNotFound, protocol.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Send calls done at once, on this goroutine, exactly once.
			var got []chat.AppendResult
			e.svc.Send(context.Background(), tt.user, tt.room, tt.text, tt.cmid, func(r chat.AppendResult) { got = append(got, r) })
			if len(got) != 1 {
				t.Fatalf("done called %d times before Send returned, want 1", len(got))
			}
			wantErr(t, "Send", got[0].Err, tt.want)
			if c := protocol.ErrorFrom(got[0].Err).Code; c != tt.code {
				t.Errorf("wire code %s, want %s", c, tt.code)
			}
			_, err := e.svc.SendWait(context.Background(), tt.user, tt.room, tt.text, tt.cmid)
			wantErr(t, "SendWait", err, tt.want)
		})
	}
	if n := len(history(t, e, alice, room, chat.HistoryOptions{})); n != 1 {
		t.Errorf("room has %d messages, want only the owner's join", n)
	}
}

func TestSendStoresPublishesThenAcks(t *testing.T) {
	e := newEnv(t, rooms.Options{})
	room := createRoom(t, e, alice, "lobby").ID
	evs := events(t, e, "open", room)
	// done runs after the publish: the event is already there.
	done := make(chan chat.AppendResult, 1)
	e.svc.Send(context.Background(), alice, room, "hello", "c1", func(r chat.AppendResult) {
		select {
		case ev := <-evs:
			if ev.Seq != r.Message.Seq {
				t.Errorf("event seq %d before done of seq %d", ev.Seq, r.Message.Seq)
			}
		default:
			t.Error("done called before the message was published")
		}
		done <- r
	})
	r := waitFor(t, done, "ack")
	if r.Err != nil || r.Duplicate {
		t.Fatalf("result %+v", r)
	}
	m := r.Message
	if m.Seq != 2 || m.Text != "hello" || m.AuthorID != "alice" || m.AuthorName != "Alice" || m.Kind != chat.KindText || m.ClientMsgID != "c1" {
		t.Fatalf("stored %+v", m)
	}

	// A retry returns the original and publishes nothing.
	dup := send(t, e, alice, room, "hello again?", "c1")
	if !dup.Duplicate || dup.Message.Seq != m.Seq || dup.Message.Text != "hello" {
		t.Fatalf("retry = %+v, want the original as a duplicate", dup)
	}
	// Another author may use the same client message id.
	join(t, e, bob, room)
	other := send(t, e, bob, room, "mine", "c1")
	if other.Duplicate {
		t.Fatal("bob's c1 taken as a duplicate of alice's")
	}
	ev := waitFor(t, evs, "bob's join event")
	if got := decode(t, ev); ev.Seq != 3 || got.Kind != "system" || got.Event != "join" || got.User != "bob" {
		t.Fatalf("event after the duplicate: seq %d %+v, want bob's join (seq 3)", ev.Seq, got)
	}
	ev = waitFor(t, evs, "bob's message event")
	want := protocol.FromMessage(other.Message)
	want.Type = protocol.TypeMessage
	if ev.Tenant != "open" || ev.RoomID != room || ev.Seq != other.Message.Seq || decode(t, ev) != want {
		t.Fatalf("event %+v payload %s, want %+v", ev, ev.Payload, want)
	}
}

// TestGroupCommitBatches queues sends behind a commit in flight and checks
// that the next commit takes them all, and that each is acked once.
func TestGroupCommitBatches(t *testing.T) {
	e := newEnv(t, rooms.Options{MaxBatch: 30})
	room := createRoom(t, e, alice, "lobby").ID
	before := len(e.commitLog())
	entered, release := e.store.holdNext()
	defer release()
	first := sendAsync(t, e, context.Background(), alice, room, "first", "")
	waitFor(t, entered, "the first commit")
	const queued = 70 // two full batches of 30 and one of 10
	results := make([]<-chan chat.AppendResult, queued)
	for i := range results {
		results[i] = sendAsync(t, e, context.Background(), alice, room, fmt.Sprint("m", i), "")
	}
	select {
	case r := <-first:
		t.Fatalf("first acked while its commit was held: %+v", r)
	default:
	}
	release()
	seqs := []int64{waitFor(t, first, "first ack").Message.Seq}
	for i, ch := range results {
		r := waitFor(t, ch, "ack")
		if r.Err != nil {
			t.Fatalf("send %d: %v", i, r.Err)
		}
		seqs = append(seqs, r.Message.Seq)
	}
	// In queue order, dense, after the owner's join (seq 1).
	for i, s := range seqs {
		if s != int64(i+2) {
			t.Fatalf("seqs %v, want 2..%d in order", seqs, queued+2)
		}
	}
	var sizes []int
	for _, c := range e.commitLog()[before:] {
		sizes = append(sizes, c.size)
	}
	if !slices.Equal(sizes, []int{1, 30, 30, 10}) {
		t.Fatalf("commit sizes %v, want [1 30 30 10]", sizes)
	}
}

// TestGroupCommitConcurrent sends from many goroutines into two rooms: every
// done is called exactly once and each room's seqs are unique and dense.
func TestGroupCommitConcurrent(t *testing.T) {
	e := newEnv(t, rooms.Options{})
	roomA, roomB := createRoom(t, e, alice, "a").ID, createRoom(t, e, alice, "b").ID
	const senders, each = 16, 40
	var mu sync.Mutex
	seqs := map[string][]int64{}
	var wg sync.WaitGroup
	for g := range senders {
		wg.Go(func() {
			room := []string{roomA, roomB}[g%2]
			var pending sync.WaitGroup
			for i := range each {
				pending.Add(1)
				var calls atomic.Int32
				e.svc.Send(context.Background(), alice, room, "x", fmt.Sprintf("g%d-%d", g, i), func(r chat.AppendResult) {
					if calls.Add(1) != 1 {
						t.Errorf("done called twice")
						return
					}
					if r.Err != nil || r.Duplicate {
						t.Errorf("send: %+v", r)
					}
					mu.Lock()
					seqs[room] = append(seqs[room], r.Message.Seq)
					mu.Unlock()
					pending.Done()
				})
			}
			pending.Wait()
		})
	}
	wg.Wait()
	for _, room := range []string{roomA, roomB} {
		got := slices.Sorted(slices.Values(seqs[room]))
		if len(got) != senders/2*each {
			t.Fatalf("room %s: %d acks, want %d", room, len(got), senders/2*each)
		}
		for i, s := range got {
			if s != int64(i+2) {
				t.Fatalf("room %s: seqs not unique and dense from 2: %v", room, got)
			}
		}
	}
	var total, batches, largest int
	for _, c := range e.commitLog() {
		total += c.size
		batches++
		largest = max(largest, c.size)
	}
	t.Logf("%d messages in %d commits, largest %d", total, batches, largest)
}

func TestCommitFailureFailsTheBatch(t *testing.T) {
	e := newEnv(t, rooms.Options{})
	room := createRoom(t, e, alice, "lobby").ID
	entered, release := e.store.holdNext()
	defer release()
	results := []<-chan chat.AppendResult{sendAsync(t, e, context.Background(), alice, room, "a", "")}
	waitFor(t, entered, "the first commit")
	results = append(results,
		sendAsync(t, e, context.Background(), alice, room, "b", "cb"),
		sendAsync(t, e, context.Background(), alice, room, "c", ""))
	if err := e.sqlite.Close(); err != nil {
		t.Fatal(err)
	}
	release()
	for i, ch := range results {
		r := waitFor(t, ch, "result")
		wantErr(t, fmt.Sprint("send ", i), r.Err, chat.ErrUnavailable)
		if w := protocol.ErrorFrom(r.Err); w.Code != protocol.CodeUnavailable || !w.Temporary {
			t.Errorf("send %d: wire error %+v, want temporary unavailable", i, w)
		}
	}
	log := e.commitLog()
	if n := len(log); n < 2 || log[n-2].err == nil || log[n-1].err == nil || log[n-1].size != 2 {
		t.Fatalf("commits %+v, want the last two (sizes 1 and 2) failed", log)
	}
}

// TestCancelledSend: a send whose ctx ends while it waits in the queue is
// dropped; one already in a batch is stored whatever its ctx does.
func TestCancelledSend(t *testing.T) {
	e := newEnv(t, rooms.Options{})
	room := createRoom(t, e, alice, "lobby").ID
	entered, release := e.store.holdNext()
	defer release()
	ctxA, cancelA := context.WithCancel(context.Background())
	a := sendAsync(t, e, ctxA, alice, room, "in the batch", "a")
	waitFor(t, entered, "the first commit")
	cancelA()
	ctxB, cancelB := context.WithCancel(context.Background())
	b := sendAsync(t, e, ctxB, alice, room, "still queued", "b")
	cancelB()
	release()
	if r := waitFor(t, a, "a"); r.Err != nil || r.Message.Seq != 2 {
		t.Fatalf("send in the batch = %+v, want stored as seq 2", r)
	}
	rb := waitFor(t, b, "b")
	wantErr(t, "queued send", rb.Err, chat.ErrUnavailable)
	wantErr(t, "queued send", rb.Err, context.Canceled)
	if seqs := history(t, e, alice, room, chat.HistoryOptions{}); !slices.Equal(seqs, []int64{1, 2}) {
		t.Fatalf("history %v, want [1 2]", seqs)
	}
	// The client retries b with the same id and gets it stored once.
	r := send(t, e, alice, room, "still queued", "b")
	if r.Duplicate || r.Message.Seq != 3 {
		t.Fatalf("retry = %+v", r)
	}
}

func TestDuplicateWithinOneBatch(t *testing.T) {
	e := newEnv(t, rooms.Options{})
	room := createRoom(t, e, alice, "lobby").ID
	evs := events(t, e, "open", room)
	entered, release := e.store.holdNext()
	defer release()
	first := sendAsync(t, e, context.Background(), alice, room, "x", "")
	waitFor(t, entered, "the first commit")
	r1 := sendAsync(t, e, context.Background(), alice, room, "once", "same")
	r2 := sendAsync(t, e, context.Background(), alice, room, "once", "same")
	release()
	waitFor(t, first, "first")
	a, b := waitFor(t, r1, "r1"), waitFor(t, r2, "r2")
	if a.Err != nil || b.Err != nil || a.Duplicate || !b.Duplicate || a.Message.Seq != b.Message.Seq {
		t.Fatalf("results %+v and %+v, want one stored and one duplicate of it", a, b)
	}
	var published []int64
	for len(evs) > 0 {
		published = append(published, (<-evs).Seq)
	}
	if !slices.Equal(published, []int64{2, 3}) {
		t.Fatalf("published seqs %v, want [2 3]", published)
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t, rooms.Options{})
	ctx := context.Background()
	room := createRoom(t, e, alice, "lobby").ID
	join(t, e, bob, room)
	m := send(t, e, alice, room, "oops", "").Message
	evs := events(t, e, "open", room)
	tests := []struct {
		name string
		user chat.User
		seq  int64
		want error
	}{
		{"not the author", bob, m.Seq, chat.ErrForbidden},
		{"not a member", carol, m.Seq, chat.ErrNotMember},
		{"no such message", alice, 99, chat.ErrNotFound},
		{"zero seq", alice, 0, chat.ErrInvalid},
		{"unknown tenant", in("nope", alice), m.Seq, chat.ErrNotFound},
	}
	for _, tt := range tests {
		_, err := e.svc.Delete(ctx, tt.user, room, tt.seq)
		wantErr(t, tt.name, err, tt.want)
	}
	del, err := e.svc.Delete(ctx, alice, room, m.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if del.Kind != chat.KindDelete || del.Ref != m.Seq || del.Seq != m.Seq+1 {
		t.Fatalf("delete message %+v", del)
	}
	ev := waitFor(t, evs, "delete event")
	if got := decode(t, ev); ev.Seq != del.Seq || got.Kind != "delete" || got.Ref != m.Seq || got.Type != "message" {
		t.Fatalf("delete event seq %d %+v", ev.Seq, got)
	}
	_, err = e.svc.Delete(ctx, alice, room, m.Seq)
	wantErr(t, "delete again", err, chat.ErrNotFound)
	msgs, _ := e.svc.History(ctx, alice, room, chat.HistoryOptions{After: m.Seq - 1, Limit: 1})
	if len(msgs) != 1 || !msgs[0].Deleted || msgs[0].Text != "" {
		t.Fatalf("history of the deleted message: %+v", msgs)
	}
}

func TestJoinLeave(t *testing.T) {
	e := newEnv(t, rooms.Options{})
	ctx := context.Background()
	room := createRoom(t, e, alice, "lobby")
	if room.MemberCount != 1 || room.OwnerID != "alice" || room.LastSeq != 1 {
		t.Fatalf("created room %+v", room)
	}
	evs := events(t, e, "open", room.ID)
	joined := join(t, e, bob, room.ID)
	if joined.MemberCount != 2 || joined.LastSeq != 2 {
		t.Fatalf("joined room %+v, want 2 members and the join message", joined)
	}
	if got := decode(t, waitFor(t, evs, "join event")); got.Kind != "system" || got.Event != "join" || got.User != "bob" || got.Name != "Bob" {
		t.Fatalf("join event %+v", got)
	}
	again := join(t, e, bob, room.ID)
	if again.LastSeq != 2 || again.MemberCount != 2 {
		t.Fatalf("second join changed the room: %+v", again)
	}
	if err := e.svc.Leave(ctx, bob, room.ID); err != nil {
		t.Fatal(err)
	}
	if got := decode(t, waitFor(t, evs, "leave event")); got.Event != "leave" || got.User != "bob" {
		t.Fatalf("leave event %+v", got)
	}
	wantErr(t, "leave again", e.svc.Leave(ctx, bob, room.ID), chat.ErrNotMember)
	_, err := e.svc.SendWait(ctx, bob, room.ID, "hi", "")
	wantErr(t, "send after leave", err, chat.ErrNotMember)
	_, err = e.svc.Join(ctx, bob, "nosuchroom")
	wantErr(t, "join missing room", err, chat.ErrNotFound)
	wantErr(t, "leave missing room", e.svc.Leave(ctx, bob, "nosuchroom"), chat.ErrNotFound)
	if len(evs) != 0 {
		t.Fatalf("%d unexpected events", len(evs))
	}
}

func TestHistoryPolicy(t *testing.T) {
	e := newEnv(t, rooms.Options{})
	ctx := context.Background()
	// In each tenant alice creates a room (her join is seq 1) and sends two
	// messages (2, 3); then bob joins (4).
	for _, tc := range []struct {
		tenant   string
		readFrom int64   // bob's ReadFrom
		newest   []int64 // what bob sees of the newest page
		forward  []int64 // ... paging forward after 1
		before4  []int64 // ... paging back from before 4
		newest2  []int64 // ... the newest two
	}{
		{"open", 0, []int64{1, 2, 3, 4}, []int64{2, 3, 4}, []int64{1, 2, 3}, []int64{3, 4}},
		{"hidden", 3, []int64{4}, []int64{4}, []int64{}, []int64{4}},
	} {
		t.Run(tc.tenant, func(t *testing.T) {
			a, b := in(tc.tenant, alice), in(tc.tenant, bob)
			room := createRoom(t, e, a, "r").ID
			send(t, e, a, room, "one", "")
			send(t, e, a, room, "two", "")
			_, err := e.svc.ReadFrom(ctx, b, room)
			wantErr(t, "ReadFrom before joining", err, chat.ErrNotMember)
			_, err = e.svc.History(ctx, b, room, chat.HistoryOptions{})
			wantErr(t, "History before joining", err, chat.ErrNotMember)
			join(t, e, b, room)
			if from, err := e.svc.ReadFrom(ctx, b, room); err != nil || from != tc.readFrom {
				t.Fatalf("ReadFrom(bob) = %d, %v; want %d", from, err, tc.readFrom)
			}
			if from, err := e.svc.ReadFrom(ctx, a, room); err != nil || from != 0 {
				t.Fatalf("ReadFrom(owner) = %d, %v; want 0", from, err)
			}
			pages := []struct {
				name string
				opts chat.HistoryOptions
				want []int64
			}{
				{"newest", chat.HistoryOptions{}, tc.newest},
				{"forward after 1", chat.HistoryOptions{After: 1}, tc.forward},
				{"before 4", chat.HistoryOptions{Before: 4}, tc.before4},
				{"newest two", chat.HistoryOptions{Limit: 2}, tc.newest2},
			}
			for _, p := range pages {
				if got := history(t, e, b, room, p.opts); !slices.Equal(got, p.want) {
					t.Errorf("%s: bob sees %v, want %v", p.name, got, p.want)
				}
			}
			if got := history(t, e, a, room, chat.HistoryOptions{}); !slices.Equal(got, []int64{1, 2, 3, 4}) {
				t.Errorf("owner sees %v", got)
			}
		})
	}
	_, err := e.svc.History(ctx, alice, "nosuchroom", chat.HistoryOptions{})
	wantErr(t, "history of a missing room", err, chat.ErrNotFound)
	_, err = e.svc.History(ctx, alice, "x", chat.HistoryOptions{Limit: -1})
	wantErr(t, "negative limit", err, chat.ErrInvalid)
}

func TestMaxMembers(t *testing.T) {
	e := newEnv(t, rooms.Options{})
	room := createRoom(t, e, in("hidden", alice), "small").ID
	join(t, e, in("hidden", bob), room)
	join(t, e, in("hidden", carol), room)
	_, err := e.svc.Join(context.Background(), chat.User{Tenant: "hidden", ID: "dave", Name: "Dave"}, room)
	wantErr(t, "fourth member", err, chat.ErrRoomFull)
	join(t, e, in("hidden", bob), room) // a member joining again is no new member
}

func TestRoomKindsAndCreation(t *testing.T) {
	e := newEnv(t, rooms.Options{})
	ctx := context.Background()
	gamer := chat.User{Tenant: "game", ID: "p1", Name: "Player One"}

	_, err := e.svc.CreatePrivateRoom(ctx, "open", "g1", "")
	wantErr(t, "private room in an open-only tenant", err, chat.ErrForbidden)
	_, err = e.svc.CreateRoom(ctx, gamer, rooms.RoomSpec{Title: "mine"})
	wantErr(t, "user room in a private-only tenant", err, chat.ErrForbidden)
	_, err = e.svc.CreateRoom(ctx, in("nocreate", alice), rooms.RoomSpec{Title: "mine"})
	wantErr(t, "user room where users may not create", err, chat.ErrForbidden)
	_, err = e.svc.CreatePrivateRoom(ctx, "nope", "g1", "")
	wantErr(t, "unknown tenant", err, chat.ErrNotFound)
	_, err = e.svc.CreatePrivateRoom(ctx, "game", "g 1", "")
	wantErr(t, "bad id", err, chat.ErrInvalid)

	room, err := e.svc.CreatePrivateRoom(ctx, "game", "g1", "Game 1")
	if err != nil || room.Kind != chat.RoomPrivate || room.Title != "Game 1" || room.MemberCount != 0 {
		t.Fatalf("CreatePrivateRoom = %+v, %v", room, err)
	}
	_, err = e.svc.CreatePrivateRoom(ctx, "game", "g1", "")
	wantErr(t, "create again", err, chat.ErrConflict)

	_, err = e.svc.Join(ctx, gamer, "g1")
	wantErr(t, "join a private room", err, chat.ErrForbidden)
	_, err = e.svc.RoomFor(ctx, gamer, "g1")
	wantErr(t, "private room seen by a non-member", err, chat.ErrNotFound)
	_, err = e.svc.Join(ctx, in("open", gamer), "g1")
	wantErr(t, "room of another tenant", err, chat.ErrNotFound)

	evs := events(t, e, "game", "g1")
	m, err := e.svc.AddMember(ctx, "game", "g1", gamer)
	if err != nil || m.UserID != "p1" || m.Role != chat.RoleMember {
		t.Fatalf("AddMember = %+v, %v", m, err)
	}
	if got := decode(t, waitFor(t, evs, "join event")); got.Event != "join" || got.User != "p1" || got.Name != "Player One" {
		t.Fatalf("join event %+v", got)
	}
	if again, err := e.svc.AddMember(ctx, "game", "g1", gamer); err != nil || again.JoinedSeq != m.JoinedSeq {
		t.Fatalf("AddMember again = %+v, %v", again, err)
	}
	if r := join(t, e, gamer, "g1"); r.ID != "g1" {
		t.Fatalf("member joining = %+v", r)
	}
	if _, err := e.svc.RoomFor(ctx, gamer, "g1"); err != nil {
		t.Fatalf("RoomFor(member): %v", err)
	}
	for _, bad := range []struct {
		name string
		u    chat.User
		want error
	}{
		{"bad user id", chat.User{ID: "a/b", Name: "x"}, chat.ErrInvalid},
		{"empty name", chat.User{ID: "p2", Name: " "}, chat.ErrInvalid},
		{"control in name", chat.User{ID: "p2", Name: "a\nb"}, chat.ErrInvalid},
		{"user of another tenant", chat.User{Tenant: "open", ID: "p2", Name: "x"}, chat.ErrInvalid},
	} {
		_, err := e.svc.AddMember(ctx, "game", "g1", bad.u)
		wantErr(t, bad.name, err, bad.want)
	}
	_, err = e.svc.AddMember(ctx, "game", "nosuchroom", chat.User{ID: "p2", Name: "x"})
	wantErr(t, "add to a missing room", err, chat.ErrNotFound)

	ann, err := e.svc.Announce(ctx, "game", "g1", "round 2!")
	if err != nil || ann.Kind != chat.KindSystem || ann.Event != chat.EventAnnounce || ann.AuthorID != "" || ann.Text != "round 2!" {
		t.Fatalf("Announce = %+v, %v", ann, err)
	}
	if ev := waitFor(t, evs, "announce event"); ev.Seq != ann.Seq || decode(t, ev).Event != "announce" {
		t.Fatalf("announce event %+v", ev)
	}
	_, err = e.svc.Announce(ctx, "game", "g1", strings.Repeat("x", 21))
	wantErr(t, "long announcement", err, chat.ErrTooLong)
	_, err = e.svc.Announce(ctx, "game", "nosuchroom", "hi")
	wantErr(t, "announce to a missing room", err, chat.ErrNotFound)

	if err := e.svc.RemoveMember(ctx, "game", "g1", "p1"); err != nil {
		t.Fatal(err)
	}
	if got := decode(t, waitFor(t, evs, "leave event")); got.Event != "leave" || got.User != "p1" || got.Name != "Player One" {
		t.Fatalf("leave event %+v", got)
	}
	wantErr(t, "remove again", e.svc.RemoveMember(ctx, "game", "g1", "p1"), chat.ErrNotMember)
	_, err = e.svc.SendWait(ctx, gamer, "g1", "hi", "")
	wantErr(t, "send after removal", err, chat.ErrNotMember)
}

func TestCreateRoom(t *testing.T) {
	e := newEnv(t, rooms.Options{})
	ctx := context.Background()
	bad := []struct {
		name string
		spec rooms.RoomSpec
	}{
		{"no title", rooms.RoomSpec{Title: "  "}},
		{"long title", rooms.RoomSpec{Title: strings.Repeat("제", 101)}},
		{"newline in title", rooms.RoomSpec{Title: "a\nb"}},
		{"bad utf-8 title", rooms.RoomSpec{Title: "a\xff"}},
		{"long topic", rooms.RoomSpec{Title: "t", Topic: strings.Repeat("x", 501)}},
		{"escape in topic", rooms.RoomSpec{Title: "t", Topic: "\x1b[2J"}},
		{"eleven tags", rooms.RoomSpec{Title: "t", Tags: strings.Split("a b c d e f g h i j k", " ")}},
		{"tag with space", rooms.RoomSpec{Title: "t", Tags: []string{"two words"}}},
		{"empty tag", rooms.RoomSpec{Title: "t", Tags: []string{""}}},
		{"long tag", rooms.RoomSpec{Title: "t", Tags: []string{strings.Repeat("x", 31)}}},
	}
	for _, tt := range bad {
		_, err := e.svc.CreateRoom(ctx, alice, tt.spec)
		wantErr(t, tt.name, err, chat.ErrInvalid)
	}
	room, err := e.svc.CreateRoom(ctx, alice, rooms.RoomSpec{
		Title: "  Go 모임 ", Topic: "line one\nline two", Tags: []string{"Go", "go", "한국어", "a_b-c", strings.Repeat("x", 30)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[a-z2-7]{12}$`).MatchString(room.ID) {
		t.Errorf("room id %q is not 12 characters of lower-case base32", room.ID)
	}
	wantTags := []string{"go", "한국어", "a_b-c", strings.Repeat("x", 30)}
	if room.Title != "Go 모임" || room.Topic != "line one\nline two" || !slices.Equal(room.Tags, wantTags) ||
		room.Kind != chat.RoomOpen || room.OwnerID != "alice" || room.MemberCount != 1 {
		t.Fatalf("created %+v", room)
	}
	owner, err := e.sqlite.Member(ctx, "open", room.ID, "alice")
	if err != nil || owner.Role != chat.RoleOwner {
		t.Fatalf("owner membership %+v, %v", owner, err)
	}
	other := createRoom(t, e, bob, "other")
	if other.ID == room.ID {
		t.Fatal("two rooms got the same id")
	}

	page, err := e.svc.ListRooms(ctx, "open", chat.RoomQuery{Tag: "GO"})
	if err != nil || len(page.Rooms) != 1 || page.Rooms[0].ID != room.ID {
		t.Fatalf("ListRooms(tag GO) = %+v, %v", page, err)
	}
	page, err = e.svc.ListRooms(ctx, "open", chat.RoomQuery{Search: " 모임 "})
	if err != nil || len(page.Rooms) != 1 || page.Rooms[0].ID != room.ID {
		t.Fatalf("ListRooms(search) = %+v, %v", page, err)
	}
	for _, q := range []chat.RoomQuery{{Tag: "a b"}, {Search: strings.Repeat("x", 101)}, {Search: "\x00"}, {Limit: -1}} {
		_, err := e.svc.ListRooms(ctx, "open", q)
		wantErr(t, fmt.Sprintf("ListRooms(%+v)", q), err, chat.ErrInvalid)
	}
	_, err = e.svc.ListRooms(ctx, "nope", chat.RoomQuery{})
	wantErr(t, "ListRooms of an unknown tenant", err, chat.ErrNotFound)

	mine, err := e.svc.UserRooms(ctx, "open", "alice")
	if err != nil || len(mine) != 1 || mine[0].ID != room.ID {
		t.Fatalf("UserRooms(alice) = %+v, %v", mine, err)
	}
	_, err = e.svc.UserRooms(ctx, "open", "")
	wantErr(t, "UserRooms without a user", err, chat.ErrInvalid)
	if got, err := e.svc.Room(ctx, "open", room.ID); err != nil || got.ID != room.ID {
		t.Fatalf("Room = %+v, %v", got, err)
	}
	if got, err := e.svc.RoomFor(ctx, carol, room.ID); err != nil || got.ID != room.ID {
		t.Fatalf("RoomFor(open room, non-member) = %+v, %v", got, err)
	}
	_, err = e.svc.Room(ctx, "hidden", room.ID)
	wantErr(t, "room from another tenant", err, chat.ErrNotFound)
}

func TestPublishEphemeral(t *testing.T) {
	e := newEnv(t, rooms.Options{})
	evs := events(t, e, "open", "r1")
	if err := e.svc.PublishEphemeral(context.Background(), "open", "r1", []byte(`{"type":"typing"}`)); err != nil {
		t.Fatal(err)
	}
	if ev := waitFor(t, evs, "typing"); ev.Seq != 0 || string(ev.Payload) != `{"type":"typing"}` {
		t.Fatalf("event %+v", ev)
	}
	wantErr(t, "unknown tenant", e.svc.PublishEphemeral(context.Background(), "nope", "r1", []byte("x")), chat.ErrNotFound)
	wantErr(t, "empty payload", e.svc.PublishEphemeral(context.Background(), "open", "r1", nil), chat.ErrInvalid)
	_ = e.broker.Close()
	wantErr(t, "closed broker", e.svc.PublishEphemeral(context.Background(), "open", "r1", []byte("x")), chat.ErrUnavailable)
}

// TestPublishFailureStillAcks: the broker is not the record of truth, so a
// stored message is acked even when publishing it fails.
func TestPublishFailureStillAcks(t *testing.T) {
	var failures atomic.Int32
	e := newEnv(t, rooms.Options{OnPublishError: func(error) { failures.Add(1) }})
	room := createRoom(t, e, alice, "lobby").ID
	_ = e.broker.Close()
	if r := send(t, e, alice, room, "hi", ""); r.Message.Seq != 2 {
		t.Fatalf("send = %+v", r)
	}
	if failures.Load() != 1 {
		t.Fatalf("OnPublishError called %d times, want 1", failures.Load())
	}
}

func TestCloseDrainsAndRefuses(t *testing.T) {
	e := newEnv(t, rooms.Options{MaxBatch: 8})
	room := createRoom(t, e, alice, "lobby").ID
	const n = 50
	results := make([]<-chan chat.AppendResult, n)
	for i := range results {
		results[i] = sendAsync(t, e, context.Background(), alice, room, "x", "")
	}
	if err := e.svc.Close(); err != nil {
		t.Fatal(err)
	}
	// Close returned: every accepted send has its answer already.
	for i, ch := range results {
		select {
		case r := <-ch:
			if r.Err != nil {
				t.Fatalf("send %d accepted before Close failed: %v", i, r.Err)
			}
		default:
			t.Fatalf("send %d unanswered after Close returned", i)
		}
	}
	_, err := e.svc.SendWait(context.Background(), alice, room, "late", "")
	wantErr(t, "send after Close", err, chat.ErrUnavailable)
	_, err = e.svc.Join(context.Background(), bob, room)
	if err != nil {
		t.Fatalf("join after Close: %v (the membership is stored; only its message is lost)", err)
	}
	if err := e.svc.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestOverload(t *testing.T) {
	e := newEnv(t, rooms.Options{MaxBatch: 1, MaxPending: 2})
	room := createRoom(t, e, alice, "lobby").ID
	entered, release := e.store.holdNext()
	defer release()
	first := sendAsync(t, e, context.Background(), alice, room, "a", "")
	waitFor(t, entered, "the first commit")
	queued := []<-chan chat.AppendResult{
		sendAsync(t, e, context.Background(), alice, room, "b", ""),
		sendAsync(t, e, context.Background(), alice, room, "c", ""),
	}
	over := sendAsync(t, e, context.Background(), alice, room, "d", "")
	select {
	case r := <-over:
		wantErr(t, "send beyond MaxPending", r.Err, chat.ErrUnavailable)
	default:
		t.Fatal("send beyond MaxPending was not refused at once")
	}
	release()
	for _, ch := range append(queued, first) {
		if r := waitFor(t, ch, "queued send"); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
}

// BenchmarkSend measures sends through the group committer into SQLite
// (WAL, synchronous=FULL) with a number of concurrent blocking senders.
func BenchmarkSend(b *testing.B) {
	for _, senders := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("senders=%d", senders), func(b *testing.B) {
			var batches, msgs atomic.Int64
			e := newEnv(b, rooms.Options{})
			room := createRoom(b, e, alice, "bench").ID
			e.mu.Lock()
			e.commits = nil
			e.mu.Unlock()
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for range senders {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						if _, err := e.svc.SendWait(context.Background(), alice, room, "hello, benchmark", ""); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			for _, c := range e.commitLog() {
				batches.Add(1)
				msgs.Add(int64(c.size))
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(msgs.Load())/float64(max(batches.Load(), 1)), "msgs/commit")
		})
	}
}
