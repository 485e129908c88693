// Package storetest is the conformance suite for chat.Store: every
// implementation runs it, against the real database, so that they all keep
// the same contract.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

// Run runs the suite as subtests of t. newStore returns a fresh, empty store
// and closes it in t.Cleanup; subtests run in parallel, each with its own
// store.
func Run(t *testing.T, newStore func(t *testing.T) chat.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s chat.Store)
	}{
		{"CreateRoom", testCreateRoom},
		{"TenantIsolation", testTenantIsolation},
		{"ListRoomsFilters", testListRoomsFilters},
		{"ListRoomsOrderAndPaging", testListRoomsOrderAndPaging},
		{"ListRoomsLimits", testListRoomsLimits},
		{"UserRooms", testUserRooms},
		{"AddMember", testAddMember},
		{"AddMemberRoomFull", testAddMemberRoomFull},
		{"AddMemberConcurrentFull", testAddMemberConcurrentFull},
		{"RemoveMember", testRemoveMember},
		{"AppendMessages", testAppendMessages},
		{"AppendIdempotent", testAppendIdempotent},
		{"AppendPerItemErrors", testAppendPerItemErrors},
		{"AppendConcurrent", testAppendConcurrent},
		{"AppendConcurrentRetries", testAppendConcurrentRetries},
		{"AppendCanceled", testAppendCanceled},
		{"DeleteMessage", testDeleteMessage},
		{"DeleteMessageErrors", testDeleteMessageErrors},
		{"DeleteMessageConcurrent", testDeleteMessageConcurrent},
		{"History", testHistory},
		{"HistoryLimits", testHistoryLimits},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

// Tenants of the suite.
const (
	tenantA = "tenant-a"
	tenantB = "tenant-b"
)

func ctxOf(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// createRoom creates an open room with a title and tags.
func createRoom(t *testing.T, s chat.Store, tenant, id, title string, tags ...string) chat.Room {
	t.Helper()
	return createRoomKind(t, s, chat.Room{Tenant: tenant, ID: id, Kind: chat.RoomOpen, Title: title, Tags: tags})
}

func createRoomKind(t *testing.T, s chat.Store, r chat.Room) chat.Room {
	t.Helper()
	got, err := s.CreateRoom(ctxOf(t), r)
	if err != nil {
		t.Fatalf("CreateRoom(%s/%s): %v", r.Tenant, r.ID, err)
	}
	return got
}

func getRoom(t *testing.T, s chat.Store, tenant, id string) chat.Room {
	t.Helper()
	r, err := s.Room(ctxOf(t), tenant, id)
	if err != nil {
		t.Fatalf("Room(%s/%s): %v", tenant, id, err)
	}
	return r
}

func addMember(t *testing.T, s chat.Store, tenant, roomID, userID string) chat.Member {
	t.Helper()
	m, _, err := s.AddMember(ctxOf(t), chat.Member{Tenant: tenant, RoomID: roomID, UserID: userID, Name: "name-" + userID}, 0)
	if err != nil {
		t.Fatalf("AddMember(%s/%s, %s): %v", tenant, roomID, userID, err)
	}
	return m
}

func text(tenant, roomID, author, clientMsgID, body string) chat.NewMessage {
	return chat.NewMessage{
		Tenant: tenant, RoomID: roomID, Kind: chat.KindText,
		AuthorID: author, AuthorName: "name-" + author, Text: body, ClientMsgID: clientMsgID,
	}
}

// appendOK appends a batch and fails the test on any error, per item too.
func appendOK(t *testing.T, s chat.Store, batch ...chat.NewMessage) []chat.Message {
	t.Helper()
	res, err := s.AppendMessages(ctxOf(t), batch)
	if err != nil {
		t.Fatalf("AppendMessages: %v", err)
	}
	if len(res) != len(batch) {
		t.Fatalf("AppendMessages returned %d results for %d messages", len(res), len(batch))
	}
	out := make([]chat.Message, len(res))
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("AppendMessages item %d: %v", i, r.Err)
		}
		out[i] = r.Message
	}
	return out
}

// appendN appends n text messages to a room, one per batch of up to 100.
func appendN(t *testing.T, s chat.Store, tenant, roomID string, n int) []chat.Message {
	t.Helper()
	var out []chat.Message
	for n > 0 {
		k := min(n, 100)
		batch := make([]chat.NewMessage, k)
		for i := range batch {
			batch[i] = text(tenant, roomID, "u1", "", fmt.Sprintf("m%d", len(out)+i+1))
		}
		out = append(out, appendOK(t, s, batch...)...)
		n -= k
	}
	return out
}

func history(t *testing.T, s chat.Store, tenant, roomID string, opts chat.HistoryOptions) []chat.Message {
	t.Helper()
	msgs, err := s.History(ctxOf(t), tenant, roomID, opts)
	if err != nil {
		t.Fatalf("History(%s/%s, %+v): %v", tenant, roomID, opts, err)
	}
	return msgs
}

func listRooms(t *testing.T, s chat.Store, tenant string, q chat.RoomQuery) chat.RoomPage {
	t.Helper()
	page, err := s.ListRooms(ctxOf(t), tenant, q)
	if err != nil {
		t.Fatalf("ListRooms(%s, %+v): %v", tenant, q, err)
	}
	return page
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func roomIDs(rooms []chat.Room) []string {
	ids := make([]string, len(rooms))
	for i, r := range rooms {
		ids[i] = r.ID
	}
	return ids
}

func seqs(msgs []chat.Message) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.Seq
	}
	return out
}

func seqRange(from, to int64) []int64 {
	out := []int64{}
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// checkTime fails unless got is UTC at millisecond precision within
// [before, after] (each truncated to the millisecond).
func checkTime(t *testing.T, what string, got, before, after time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s = %v, want UTC", what, got)
	}
	if !got.Equal(got.Truncate(time.Millisecond)) {
		t.Errorf("%s = %v, want millisecond precision", what, got)
	}
	if got.Before(before.Truncate(time.Millisecond)) || got.After(after) {
		t.Errorf("%s = %v, want between %v and %v", what, got, before, after)
	}
}

// sameTime compares times at millisecond precision.
func sameTime(a, b time.Time) bool {
	return a.Truncate(time.Millisecond).Equal(b.Truncate(time.Millisecond))
}

func equalRoom(a, b chat.Room) bool {
	if !sameTime(a.LastActivity, b.LastActivity) || !sameTime(a.CreatedAt, b.CreatedAt) {
		return false
	}
	a.LastActivity, b.LastActivity, a.CreatedAt, b.CreatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

func equalMember(a, b chat.Member) bool {
	if !sameTime(a.JoinedAt, b.JoinedAt) {
		return false
	}
	a.JoinedAt, b.JoinedAt = time.Time{}, time.Time{}
	return a == b
}

func equalMessage(a, b chat.Message) bool {
	if !sameTime(a.CreatedAt, b.CreatedAt) {
		return false
	}
	a.CreatedAt, b.CreatedAt = time.Time{}, time.Time{}
	return a == b
}

func checkMessages(t *testing.T, what string, got, want []chat.Message) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got seqs %v, want %v", what, seqs(got), seqs(want))
	}
	for i := range got {
		if !equalMessage(got[i], want[i]) {
			t.Fatalf("%s: message %d\n got %+v\nwant %+v", what, i, got[i], want[i])
		}
	}
}

// waitNextMilli returns once the wall clock has passed ts's millisecond, so
// that the next write gets a strictly later stored time. It polls: the
// wait is at most about a millisecond.
func waitNextMilli(t *testing.T, ts time.Time) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for !time.Now().Truncate(time.Millisecond).After(ts) {
		if time.Now().After(deadline) {
			t.Fatalf("clock did not pass %v", ts)
		}
		runtime.Gosched()
	}
}

func testCreateRoom(t *testing.T, s chat.Store) {
	ctx := ctxOf(t)
	before := time.Now()
	in := chat.Room{
		Tenant: tenantA, ID: "r1", Kind: chat.RoomOpen, Title: "Cats", Topic: "all about cats",
		Tags: []string{"pets", "cats", "pets", ""}, OwnerID: "u1",
		// The store ignores these: a new room starts empty, now.
		MemberCount: 7, LastSeq: 9, CreatedAt: time.Unix(1, 0), LastActivity: time.Unix(2, 0),
	}
	got, err := s.CreateRoom(ctx, in)
	if err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	after := time.Now()
	want := chat.Room{
		Tenant: tenantA, ID: "r1", Kind: chat.RoomOpen, Title: "Cats", Topic: "all about cats",
		Tags: []string{"pets", "cats"}, OwnerID: "u1",
		CreatedAt: got.CreatedAt, LastActivity: got.CreatedAt,
	}
	if !equalRoom(got, want) {
		t.Fatalf("CreateRoom returned\n%+v\nwant\n%+v", got, want)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, before, after)
	if stored := getRoom(t, s, tenantA, "r1"); !equalRoom(stored, got) {
		t.Fatalf("Room returned\n%+v\nwant\n%+v", stored, got)
	}

	private := createRoomKind(t, s, chat.Room{Tenant: tenantA, ID: "game-1", Kind: chat.RoomPrivate, Title: "Game"})
	if private.Tags == nil || len(private.Tags) != 0 {
		t.Errorf("room without tags has Tags %#v, want empty", private.Tags)
	}
	if stored := getRoom(t, s, tenantA, "game-1"); !equalRoom(stored, private) {
		t.Fatalf("Room returned\n%+v\nwant\n%+v", stored, private)
	}

	_, err = s.CreateRoom(ctx, chat.Room{Tenant: tenantA, ID: "r1", Kind: chat.RoomOpen, Title: "again"})
	wantErr(t, "CreateRoom existing", err, chat.ErrConflict)
	if stored := getRoom(t, s, tenantA, "r1"); stored.Title != "Cats" {
		t.Errorf("conflicting create changed the title to %q", stored.Title)
	}
	_, err = s.Room(ctx, tenantA, "nope")
	wantErr(t, "Room missing", err, chat.ErrNotFound)
	_, err = s.CreateRoom(ctx, chat.Room{Tenant: tenantA, ID: "r2", Kind: "secret"})
	wantErr(t, "CreateRoom bad kind", err, chat.ErrInvalid)
}

func testTenantIsolation(t *testing.T, s chat.Store) {
	ctx := ctxOf(t)
	// The same room id in two tenants names two unrelated rooms.
	a := createRoom(t, s, tenantA, "shared", "A's room", "t")
	b := createRoom(t, s, tenantB, "shared", "B's room", "t")
	createRoom(t, s, tenantA, "only-a", "Only A", "t")
	addMember(t, s, tenantA, "shared", "u1")
	addMember(t, s, tenantA, "only-a", "u1")
	am := appendOK(t, s,
		text(tenantA, "shared", "u1", "c1", "hello A"),
		text(tenantA, "only-a", "u1", "c1", "secret"))
	// Same author and client id in the other tenant is a new message.
	bm := appendOK(t, s, text(tenantB, "shared", "u1", "c1", "hello B"))
	if am[0].Seq != 1 || bm[0].Seq != 1 {
		t.Fatalf("first seqs: tenant A %d, tenant B %d; want 1 and 1", am[0].Seq, bm[0].Seq)
	}
	if r := getRoom(t, s, tenantB, "shared"); r.Title != b.Title || r.MemberCount != 0 || r.LastSeq != 1 {
		t.Fatalf("tenant B's room = %+v, want its own title, no members, LastSeq 1", r)
	}
	if r := getRoom(t, s, tenantA, "shared"); r.Title != a.Title || r.MemberCount != 1 {
		t.Fatalf("tenant A's room = %+v, want its own title and 1 member", r)
	}
	_, err := s.Member(ctx, tenantB, "shared", "u1")
	wantErr(t, "Member of tenant B's room", err, chat.ErrNotMember)
	if got := history(t, s, tenantB, "shared", chat.HistoryOptions{}); len(got) != 1 || got[0].Text != "hello B" {
		t.Fatalf("tenant B's history = %+v, want only its own message", got)
	}
	if page := listRooms(t, s, tenantB, chat.RoomQuery{}); !slices.Equal(roomIDs(page.Rooms), []string{"shared"}) || page.Rooms[0].Tenant != tenantB {
		t.Fatalf("tenant B lists %v, want only its own room", page.Rooms)
	}
	if page := listRooms(t, s, tenantB, chat.RoomQuery{Tag: "t"}); len(page.Rooms) != 1 {
		t.Fatalf("tenant B's tag search found %v, want its own room only", roomIDs(page.Rooms))
	}
	if page := listRooms(t, s, tenantB, chat.RoomQuery{Search: "only"}); len(page.Rooms) != 0 {
		t.Fatalf("tenant B's search found %v, want nothing", roomIDs(page.Rooms))
	}
	rooms, err := s.UserRooms(ctx, tenantB, "u1")
	if err != nil || len(rooms) != 0 {
		t.Fatalf("UserRooms in tenant B = %v, %v; want none", roomIDs(rooms), err)
	}

	// Tenant B reaching for tenant A's room finds nothing, at every method.
	cases := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Room", func(ctx context.Context) error { _, err := s.Room(ctx, tenantB, "only-a"); return err }},
		{"AddMember", func(ctx context.Context) error {
			_, _, err := s.AddMember(ctx, chat.Member{Tenant: tenantB, RoomID: "only-a", UserID: "u2"}, 0)
			return err
		}},
		{"RemoveMember", func(ctx context.Context) error { return s.RemoveMember(ctx, tenantB, "only-a", "u1") }},
		{"Member", func(ctx context.Context) error { _, err := s.Member(ctx, tenantB, "only-a", "u1"); return err }},
		{"AppendMessages", func(ctx context.Context) error {
			res, err := s.AppendMessages(ctx, []chat.NewMessage{text(tenantB, "only-a", "u1", "c1", "x")})
			if err != nil {
				return fmt.Errorf("batch failed: %v", err)
			}
			return res[0].Err
		}},
		{"DeleteMessage", func(ctx context.Context) error {
			_, err := s.DeleteMessage(ctx, tenantB, "only-a", am[1].Seq, "u1")
			return err
		}},
		{"History", func(ctx context.Context) error {
			_, err := s.History(ctx, tenantB, "only-a", chat.HistoryOptions{})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantErr(t, c.name+" of another tenant's room", c.call(ctxOf(t)), chat.ErrNotFound)
		})
	}
	// And nothing changed in tenant A.
	if r := getRoom(t, s, tenantA, "only-a"); r.MemberCount != 1 || r.LastSeq != 1 {
		t.Fatalf("tenant A's room changed: %+v", r)
	}
	if got := history(t, s, tenantA, "only-a", chat.HistoryOptions{}); len(got) != 1 || got[0].Deleted {
		t.Fatalf("tenant A's history changed: %+v", got)
	}
}

func testListRoomsFilters(t *testing.T, s chat.Store) {
	createRoom(t, s, tenantA, "go", "Let's GO together", "golang", "dev")
	createRoom(t, s, tenantA, "cats", "Cats and dogs", "pets")
	createRoom(t, s, tenantA, "gophers", "Gopher meetup", "dev")
	createRoom(t, s, tenantA, "korean", "고양이 ÄPFEL", "동물")
	createRoomKind(t, s, chat.Room{Tenant: tenantA, ID: "secret-go", Kind: chat.RoomPrivate, Title: "Go secret", Tags: []string{"golang"}})
	createRoom(t, s, tenantB, "go-b", "Go in B", "golang")

	tests := []struct {
		name  string
		query chat.RoomQuery
		want  []string // room ids, sorted (all rooms share one activity order test elsewhere)
	}{
		{"all open rooms", chat.RoomQuery{}, []string{"cats", "go", "gophers", "korean"}},
		{"title substring, any case", chat.RoomQuery{Search: "go"}, []string{"go", "gophers"}},
		{"title substring, upper case query", chat.RoomQuery{Search: "DOGS"}, []string{"cats"}},
		{"non-ASCII case folding", chat.RoomQuery{Search: "äpfel"}, []string{"korean"}},
		{"non-ASCII substring", chat.RoomQuery{Search: "양이"}, []string{"korean"}},
		{"exact tag by search", chat.RoomQuery{Search: "pets"}, []string{"cats"}},
		{"tag by search needs an exact match", chat.RoomQuery{Search: "pet"}, []string{}},
		{"title or tag", chat.RoomQuery{Search: "dev"}, []string{"go", "gophers"}},
		{"tag filter", chat.RoomQuery{Tag: "dev"}, []string{"go", "gophers"}},
		{"tag filter is exact", chat.RoomQuery{Tag: "de"}, []string{}},
		{"tag filter and search", chat.RoomQuery{Tag: "dev", Search: "meetup"}, []string{"gophers"}},
		{"private rooms are never listed", chat.RoomQuery{Tag: "golang"}, []string{"go"}},
		{"like wildcards are literal", chat.RoomQuery{Search: "%"}, []string{}},
		{"underscore is literal", chat.RoomQuery{Search: "_"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := listRooms(t, s, tenantA, tt.query)
			got := roomIDs(page.Rooms)
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("ListRooms(%+v) = %v, want %v", tt.query, got, tt.want)
			}
			if page.Next != "" {
				t.Errorf("single page has Next %q", page.Next)
			}
		})
	}
}

func testListRoomsOrderAndPaging(t *testing.T, s chat.Store) {
	ctx := ctxOf(t)
	// Rooms created in one millisecond tie on LastActivity and fall back to
	// id order; then messages make some rooms more recently active.
	for _, id := range []string{"r5", "r3", "r1", "r4", "r2", "r6", "r7"} {
		createRoom(t, s, tenantA, id, "room "+id, "all")
	}
	var last time.Time
	for _, id := range []string{"r4", "r2", "r6"} {
		if a := getRoom(t, s, tenantA, id).LastActivity; a.After(last) {
			last = a
		}
	}
	for _, id := range []string{"r6", "r2", "r4"} { // r4 ends up newest
		waitNextMilli(t, last)
		last = appendOK(t, s, text(tenantA, id, "u1", "", "hi"))[0].CreatedAt
	}
	all := listRooms(t, s, tenantA, chat.RoomQuery{Tag: "all"})
	if got := roomIDs(all.Rooms); !slices.Equal(got[:3], []string{"r4", "r2", "r6"}) {
		t.Fatalf("most recently active first: got %v, want r4 r2 r6 first", got)
	}
	for i := 1; i < len(all.Rooms); i++ {
		p, r := all.Rooms[i-1], all.Rooms[i]
		if p.LastActivity.Before(r.LastActivity) || (p.LastActivity.Equal(r.LastActivity) && p.ID >= r.ID) {
			t.Fatalf("rooms %s (%v) and %s (%v) out of order", p.ID, p.LastActivity, r.ID, r.LastActivity)
		}
	}
	if len(all.Rooms) != 7 {
		t.Fatalf("listed %d rooms, want 7", len(all.Rooms))
	}

	for _, limit := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			var got []chat.Room
			q := chat.RoomQuery{Tag: "all", Limit: limit}
			for pages := 0; ; pages++ {
				if pages > 7 {
					t.Fatal("paging does not end")
				}
				page := listRooms(t, s, tenantA, q)
				if len(page.Rooms) > limit {
					t.Fatalf("page of %d rooms, limit %d", len(page.Rooms), limit)
				}
				got = append(got, page.Rooms...)
				if page.Next == "" {
					break
				}
				q.Cursor = page.Next
			}
			if !slices.Equal(roomIDs(got), roomIDs(all.Rooms)) {
				t.Fatalf("pages joined = %v, want %v", roomIDs(got), roomIDs(all.Rooms))
			}
		})
	}
	_, err := s.ListRooms(ctx, tenantA, chat.RoomQuery{Cursor: "not a cursor!"})
	wantErr(t, "ListRooms with a bad cursor", err, chat.ErrInvalid)
}

func testListRoomsLimits(t *testing.T, s chat.Store) {
	for i := range 101 {
		createRoom(t, s, tenantA, fmt.Sprintf("r%03d", i), "room")
	}
	tests := []struct {
		limit int
		want  int // rooms on the first page
	}{
		{0, 20}, {-1, 20}, {1, 1}, {100, 100}, {101, 100}, {1000, 100},
	}
	for _, tt := range tests {
		page := listRooms(t, s, tenantA, chat.RoomQuery{Limit: tt.limit})
		if len(page.Rooms) != tt.want || page.Next == "" {
			t.Errorf("Limit %d: %d rooms, next %q; want %d rooms and a next page", tt.limit, len(page.Rooms), page.Next, tt.want)
		}
	}
}

func testUserRooms(t *testing.T, s chat.Store) {
	ctx := ctxOf(t)
	// p is created first, so a is at least as recently active (and wins a
	// tie by id); c gets a message last.
	createRoomKind(t, s, chat.Room{Tenant: tenantA, ID: "p", Kind: chat.RoomPrivate, Title: "P"})
	createRoom(t, s, tenantA, "a", "A")
	createRoom(t, s, tenantA, "b", "B")
	c := createRoom(t, s, tenantA, "c", "C")
	for _, id := range []string{"a", "c", "p"} {
		addMember(t, s, tenantA, id, "u1")
	}
	addMember(t, s, tenantA, "b", "u2")
	waitNextMilli(t, c.LastActivity)
	appendOK(t, s, text(tenantA, "c", "u1", "", "newest"))

	rooms, err := s.UserRooms(ctx, tenantA, "u1")
	if err != nil {
		t.Fatalf("UserRooms: %v", err)
	}
	if got := roomIDs(rooms); !slices.Equal(got, []string{"c", "a", "p"}) {
		t.Fatalf("UserRooms = %v, want [c a p] (private rooms included, most recently active first)", got)
	}
	if want := getRoom(t, s, tenantA, "c"); !equalRoom(rooms[0], want) {
		t.Fatalf("UserRooms room\n%+v\nwant\n%+v", rooms[0], want)
	}
	if err := s.RemoveMember(ctx, tenantA, "a", "u1"); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	rooms, err = s.UserRooms(ctx, tenantA, "u1")
	if err != nil || !slices.Equal(roomIDs(rooms), []string{"c", "p"}) {
		t.Fatalf("UserRooms after leaving = %v, %v; want [c p]", roomIDs(rooms), err)
	}
	rooms, err = s.UserRooms(ctx, tenantA, "nobody")
	if err != nil || len(rooms) != 0 {
		t.Fatalf("UserRooms of a user without rooms = %v, %v; want none", rooms, err)
	}
}

func testAddMember(t *testing.T, s chat.Store) {
	ctx := ctxOf(t)
	createRoom(t, s, tenantA, "r", "R")
	appendN(t, s, tenantA, "r", 3)

	before := time.Now()
	m, created, err := s.AddMember(ctx, chat.Member{
		Tenant: tenantA, RoomID: "r", UserID: "u1", Name: "Alice", Role: chat.RoleOwner,
		JoinedSeq: 99, JoinedAt: time.Unix(5, 0), // set by the store
	}, 0)
	if err != nil || !created {
		t.Fatalf("AddMember = %v, created %v; want created", err, created)
	}
	checkTime(t, "JoinedAt", m.JoinedAt, before, time.Now())
	want := chat.Member{Tenant: tenantA, RoomID: "r", UserID: "u1", Name: "Alice", Role: chat.RoleOwner, JoinedSeq: 3, JoinedAt: m.JoinedAt}
	if !equalMember(m, want) {
		t.Fatalf("AddMember returned\n%+v\nwant\n%+v", m, want)
	}
	if got, err := s.Member(ctx, tenantA, "r", "u1"); err != nil || !equalMember(got, m) {
		t.Fatalf("Member = %+v, %v; want %+v", got, err, m)
	}

	// Joining again returns the existing membership unchanged.
	appendN(t, s, tenantA, "r", 2)
	again, created, err := s.AddMember(ctx, chat.Member{Tenant: tenantA, RoomID: "r", UserID: "u1", Name: "Other", Role: chat.RoleMember}, 0)
	if err != nil || created || !equalMember(again, m) {
		t.Fatalf("AddMember again = %+v, created %v, %v; want %+v, not created", again, created, err, m)
	}
	if r := getRoom(t, s, tenantA, "r"); r.MemberCount != 1 {
		t.Fatalf("MemberCount = %d after joining twice, want 1", r.MemberCount)
	}

	// A later member joins at the later seq; an empty role means member.
	m2, created, err := s.AddMember(ctx, chat.Member{Tenant: tenantA, RoomID: "r", UserID: "u2", Name: "Bob"}, 0)
	if err != nil || !created || m2.JoinedSeq != 5 || m2.Role != chat.RoleMember {
		t.Fatalf("second AddMember = %+v, created %v, %v; want JoinedSeq 5, role member", m2, created, err)
	}
	if r := getRoom(t, s, tenantA, "r"); r.MemberCount != 2 {
		t.Fatalf("MemberCount = %d, want 2", r.MemberCount)
	}

	_, _, err = s.AddMember(ctx, chat.Member{Tenant: tenantA, RoomID: "missing", UserID: "u1"}, 0)
	wantErr(t, "AddMember to a missing room", err, chat.ErrNotFound)
	_, _, err = s.AddMember(ctx, chat.Member{Tenant: tenantA, RoomID: "r", UserID: "u3", Role: "admin"}, 0)
	wantErr(t, "AddMember with an unknown role", err, chat.ErrInvalid)
	_, err = s.Member(ctx, tenantA, "r", "u3")
	wantErr(t, "Member not joined", err, chat.ErrNotMember)
	_, err = s.Member(ctx, tenantA, "missing", "u1")
	wantErr(t, "Member of a missing room", err, chat.ErrNotFound)
}

func testAddMemberRoomFull(t *testing.T, s chat.Store) {
	ctx := ctxOf(t)
	createRoom(t, s, tenantA, "r", "R")
	tests := []struct {
		user       string
		maxMembers int
		created    bool  // want a new membership
		err        error // want this error instead
	}{
		{"u1", 2, true, nil},
		{"u2", 2, true, nil},
		{"u3", 2, false, chat.ErrRoomFull},
		{"u1", 2, false, nil}, // already a member: not refused when full
		{"u3", 3, true, nil},
		{"u4", 0, true, nil},  // 0 means no limit
		{"u5", -1, true, nil}, // so does a negative limit
	}
	for _, tt := range tests {
		_, created, err := s.AddMember(ctx, chat.Member{Tenant: tenantA, RoomID: "r", UserID: tt.user}, tt.maxMembers)
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) || created != tt.created {
			t.Fatalf("AddMember(%s, max %d) = created %v, %v; want created %v, %v", tt.user, tt.maxMembers, created, err, tt.created, tt.err)
		}
	}
	if r := getRoom(t, s, tenantA, "r"); r.MemberCount != 5 {
		t.Fatalf("MemberCount = %d, want 5", r.MemberCount)
	}
}

func testAddMemberConcurrentFull(t *testing.T, s chat.Store) {
	createRoom(t, s, tenantA, "r", "R")
	const users, limit = 12, 5
	errs := make(chan error, users)
	for i := range users {
		go func() {
			_, _, err := s.AddMember(ctxOf(t), chat.Member{Tenant: tenantA, RoomID: "r", UserID: fmt.Sprintf("u%d", i)}, limit)
			errs <- err
		}()
	}
	joined, full := 0, 0
	for range users {
		switch err := <-errs; {
		case err == nil:
			joined++
		case errors.Is(err, chat.ErrRoomFull):
			full++
		default:
			t.Errorf("AddMember: %v", err)
		}
	}
	if joined != limit || full != users-limit {
		t.Fatalf("%d joined and %d refused, want %d and %d", joined, full, limit, users-limit)
	}
	if r := getRoom(t, s, tenantA, "r"); r.MemberCount != limit {
		t.Fatalf("MemberCount = %d, want %d", r.MemberCount, limit)
	}
}

func testRemoveMember(t *testing.T, s chat.Store) {
	ctx := ctxOf(t)
	createRoom(t, s, tenantA, "r", "R")
	addMember(t, s, tenantA, "r", "u1")
	addMember(t, s, tenantA, "r", "u2")
	if err := s.RemoveMember(ctx, tenantA, "r", "u1"); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	if r := getRoom(t, s, tenantA, "r"); r.MemberCount != 1 {
		t.Fatalf("MemberCount = %d after leaving, want 1", r.MemberCount)
	}
	_, err := s.Member(ctx, tenantA, "r", "u1")
	wantErr(t, "Member after leaving", err, chat.ErrNotMember)
	wantErr(t, "RemoveMember twice", s.RemoveMember(ctx, tenantA, "r", "u1"), chat.ErrNotMember)
	wantErr(t, "RemoveMember of a stranger", s.RemoveMember(ctx, tenantA, "r", "u9"), chat.ErrNotMember)
	wantErr(t, "RemoveMember of a missing room", s.RemoveMember(ctx, tenantA, "missing", "u1"), chat.ErrNotFound)
	if r := getRoom(t, s, tenantA, "r"); r.MemberCount != 1 {
		t.Fatalf("MemberCount = %d after failed removals, want 1", r.MemberCount)
	}
	// Joining again starts a new membership at the current seq.
	appendN(t, s, tenantA, "r", 2)
	m, created, err := s.AddMember(ctx, chat.Member{Tenant: tenantA, RoomID: "r", UserID: "u1"}, 0)
	if err != nil || !created || m.JoinedSeq != 2 {
		t.Fatalf("rejoin = %+v, created %v, %v; want created with JoinedSeq 2", m, created, err)
	}
}

func testAppendMessages(t *testing.T, s chat.Store) {
	created := createRoom(t, s, tenantA, "r", "R")
	createRoom(t, s, tenantA, "other", "Other")
	waitNextMilli(t, created.LastActivity)
	before := time.Now()
	batch := []chat.NewMessage{
		text(tenantA, "r", "u1", "c1", "hello"),
		{Tenant: tenantA, RoomID: "r", Kind: chat.KindSystem, Event: chat.EventJoin, AuthorID: "u2", AuthorName: "Bob"},
		text(tenantA, "other", "u1", "c1", "elsewhere"),
		{Tenant: tenantA, RoomID: "r", Kind: chat.KindSystem, Event: chat.EventAnnounce, Text: "maintenance at noon"},
		text(tenantA, "r", "u2", "", "안녕하세요 👋\nsecond line"),
	}
	got := appendOK(t, s, batch...)
	after := time.Now()
	wantSeqs := []int64{1, 2, 1, 3, 4}
	for i, m := range got {
		in := batch[i]
		want := chat.Message{
			Tenant: in.Tenant, RoomID: in.RoomID, Seq: wantSeqs[i], Kind: in.Kind, Event: in.Event,
			AuthorID: in.AuthorID, AuthorName: in.AuthorName, Text: in.Text, ClientMsgID: in.ClientMsgID,
			CreatedAt: m.CreatedAt,
		}
		if !equalMessage(m, want) {
			t.Fatalf("item %d\n got %+v\nwant %+v", i, m, want)
		}
		checkTime(t, "CreatedAt", m.CreatedAt, before, after)
	}
	r := getRoom(t, s, tenantA, "r")
	if r.LastSeq != 4 || !r.LastActivity.Equal(got[4].CreatedAt) || !r.LastActivity.After(r.CreatedAt) {
		t.Fatalf("room after append: LastSeq %d, LastActivity %v; want 4 and %v", r.LastSeq, r.LastActivity, got[4].CreatedAt)
	}
	if o := getRoom(t, s, tenantA, "other"); o.LastSeq != 1 {
		t.Fatalf("other room LastSeq = %d, want 1", o.LastSeq)
	}
	checkMessages(t, "History", history(t, s, tenantA, "r", chat.HistoryOptions{}), []chat.Message{got[0], got[1], got[3], got[4]})

	// Seqs keep increasing across batches.
	more := appendOK(t, s, text(tenantA, "r", "u1", "", "x"), text(tenantA, "r", "u1", "", "y"))
	if more[0].Seq != 5 || more[1].Seq != 6 {
		t.Fatalf("next batch seqs %v, want [5 6]", seqs(more))
	}
	res, err := s.AppendMessages(ctxOf(t), nil)
	if err != nil || len(res) != 0 {
		t.Fatalf("empty batch = %v, %v; want no results", res, err)
	}
}

func testAppendIdempotent(t *testing.T, s chat.Store) {
	createRoom(t, s, tenantA, "r", "R")
	createRoom(t, s, tenantA, "r2", "R2")
	first := appendOK(t, s, text(tenantA, "r", "u1", "c1", "original"))[0]

	tests := []struct {
		name  string
		batch []chat.NewMessage
		dup   []bool  // want Duplicate per item
		seq   []int64 // want seq per item
	}{
		{"retry in a later batch returns the original",
			[]chat.NewMessage{text(tenantA, "r", "u1", "c1", "changed text")},
			[]bool{true}, []int64{1}},
		{"repeat within one batch",
			[]chat.NewMessage{text(tenantA, "r", "u1", "c2", "a"), text(tenantA, "r", "u1", "c2", "b"), text(tenantA, "r", "u1", "c1", "c")},
			[]bool{false, true, true}, []int64{2, 2, 1}},
		{"empty client id never dedups",
			[]chat.NewMessage{text(tenantA, "r", "u1", "", "a"), text(tenantA, "r", "u1", "", "a")},
			[]bool{false, false}, []int64{3, 4}},
		{"same client id from another author is new",
			[]chat.NewMessage{text(tenantA, "r", "u2", "c1", "mine")},
			[]bool{false}, []int64{5}},
		{"same client id in another room is new",
			[]chat.NewMessage{text(tenantA, "r2", "u1", "c1", "there")},
			[]bool{false}, []int64{1}},
	}
	for _, tt := range tests {
		res, err := s.AppendMessages(ctxOf(t), tt.batch)
		if err != nil {
			t.Fatalf("%s: AppendMessages: %v", tt.name, err)
		}
		for i, r := range res {
			if r.Err != nil || r.Duplicate != tt.dup[i] || r.Message.Seq != tt.seq[i] {
				t.Fatalf("%s: item %d = seq %d, duplicate %v, err %v; want seq %d, duplicate %v",
					tt.name, i, r.Message.Seq, r.Duplicate, r.Err, tt.seq[i], tt.dup[i])
			}
		}
	}
	res, err := s.AppendMessages(ctxOf(t), []chat.NewMessage{text(tenantA, "r", "u1", "c1", "again")})
	if err != nil || !res[0].Duplicate || !equalMessage(res[0].Message, first) {
		t.Fatalf("retry = %+v, %v; want the original %+v", res, err, first)
	}
	if r := getRoom(t, s, tenantA, "r"); r.LastSeq != 5 {
		t.Fatalf("LastSeq = %d, want 5: duplicates must not take a seq", r.LastSeq)
	}
	if got := history(t, s, tenantA, "r", chat.HistoryOptions{}); !slices.Equal(seqs(got), seqRange(1, 5)) {
		t.Fatalf("history seqs %v, want 1..5", seqs(got))
	}
}

func testAppendPerItemErrors(t *testing.T, s chat.Store) {
	createRoom(t, s, tenantA, "r", "R")
	batch := []chat.NewMessage{
		text(tenantA, "r", "u1", "c1", "one"),
		text(tenantA, "missing", "u1", "c1", "lost"),
		{Tenant: tenantA, RoomID: "r", Kind: chat.KindDelete, AuthorID: "u1"},
		{Tenant: tenantA, RoomID: "r", Kind: "sticker", AuthorID: "u1"},
		text(tenantA, "missing", "u1", "c1", "lost again"),
		text(tenantA, "r", "u1", "c2", "two"),
	}
	res, err := s.AppendMessages(ctxOf(t), batch)
	if err != nil {
		t.Fatalf("AppendMessages: %v", err)
	}
	wantErrs := []error{nil, chat.ErrNotFound, chat.ErrInvalid, chat.ErrInvalid, chat.ErrNotFound, nil}
	wantSeqs := []int64{1, 0, 0, 0, 0, 2}
	for i, r := range res {
		if !errors.Is(r.Err, wantErrs[i]) || (wantErrs[i] == nil) != (r.Err == nil) || r.Message.Seq != wantSeqs[i] {
			t.Errorf("item %d = seq %d, err %v; want seq %d, err %v", i, r.Message.Seq, r.Err, wantSeqs[i], wantErrs[i])
		}
		if r.Err != nil && !reflect.DeepEqual(r.Message, chat.Message{}) {
			t.Errorf("failed item %d carries message %+v, want zero", i, r.Message)
		}
	}
	if r := getRoom(t, s, tenantA, "r"); r.LastSeq != 2 {
		t.Fatalf("LastSeq = %d, want 2", r.LastSeq)
	}
}

func testAppendConcurrent(t *testing.T, s chat.Store) {
	createRoom(t, s, tenantA, "r", "R")
	const writers, batches = 8, 10
	type result struct {
		seqs []int64
		err  error
	}
	out := make(chan result, writers)
	for w := range writers {
		go func() {
			var r result
			for b := range batches {
				batch := make([]chat.NewMessage, 1+b%3) // batches of 1, 2 and 3
				for i := range batch {
					batch[i] = text(tenantA, "r", fmt.Sprintf("u%d", w), fmt.Sprintf("c%d-%d", b, i), "hi")
				}
				res, err := s.AppendMessages(ctxOf(t), batch)
				if err != nil {
					r.err = err
					break
				}
				for _, x := range res {
					if x.Err != nil || x.Duplicate {
						r.err = fmt.Errorf("item: duplicate %v, err %v", x.Duplicate, x.Err)
						break
					}
					r.seqs = append(r.seqs, x.Message.Seq)
				}
				if !slices.IsSorted(r.seqs) {
					r.err = fmt.Errorf("one writer's seqs went down: %v", r.seqs)
					break
				}
			}
			out <- r
		}()
	}
	var all []int64
	for range writers {
		r := <-out
		if r.err != nil {
			t.Errorf("writer: %v", r.err)
		}
		all = append(all, r.seqs...)
	}
	if t.Failed() {
		t.FailNow()
	}
	var n int64
	for b := range batches {
		n += int64(writers * (1 + b%3))
	}
	slices.Sort(all)
	if !slices.Equal(all, seqRange(1, n)) {
		t.Fatalf("assigned seqs (sorted) = %v, want exactly 1..%d", all, n)
	}
	if r := getRoom(t, s, tenantA, "r"); r.LastSeq != n {
		t.Fatalf("LastSeq = %d, want %d", r.LastSeq, n)
	}
	if got := history(t, s, tenantA, "r", chat.HistoryOptions{Limit: 500}); !slices.Equal(seqs(got), seqRange(1, n)) {
		t.Fatalf("history seqs = %v, want 1..%d", seqs(got), n)
	}
}

func testAppendConcurrentRetries(t *testing.T, s chat.Store) {
	createRoom(t, s, tenantA, "r", "R")
	const senders = 8
	out := make(chan chat.AppendResult, senders)
	errs := make(chan error, senders)
	for range senders {
		go func() {
			res, err := s.AppendMessages(ctxOf(t), []chat.NewMessage{text(tenantA, "r", "u1", "same", "hi")})
			if err != nil {
				errs <- err
				return
			}
			out <- res[0]
		}()
	}
	fresh := 0
	for range senders {
		select {
		case err := <-errs:
			t.Fatalf("AppendMessages: %v", err)
		case r := <-out:
			if r.Err != nil || r.Message.Seq != 1 {
				t.Fatalf("result = seq %d, err %v; want seq 1", r.Message.Seq, r.Err)
			}
			if !r.Duplicate {
				fresh++
			}
		}
	}
	if fresh != 1 {
		t.Fatalf("%d sends stored a new message, want exactly 1", fresh)
	}
	if r := getRoom(t, s, tenantA, "r"); r.LastSeq != 1 {
		t.Fatalf("LastSeq = %d, want 1", r.LastSeq)
	}
}

// testAppendCanceled checks that a batch that cannot be stored fails as a
// whole with chat.ErrUnavailable (retry) and leaves nothing behind.
func testAppendCanceled(t *testing.T, s chat.Store) {
	createRoom(t, s, tenantA, "r", "R")
	ctx, cancel := context.WithCancel(ctxOf(t))
	cancel()
	_, err := s.AppendMessages(ctx, []chat.NewMessage{text(tenantA, "r", "u1", "c1", "lost")})
	wantErr(t, "AppendMessages with a canceled context", err, chat.ErrUnavailable)
	if r := getRoom(t, s, tenantA, "r"); r.LastSeq != 0 {
		t.Fatalf("LastSeq = %d after a failed batch, want 0", r.LastSeq)
	}
	// The retry is stored as new, not as a duplicate of something unstored.
	res, err := s.AppendMessages(ctxOf(t), []chat.NewMessage{text(tenantA, "r", "u1", "c1", "lost")})
	if err != nil || res[0].Duplicate || res[0].Message.Seq != 1 {
		t.Fatalf("retry = %+v, %v; want a new message with seq 1", res, err)
	}
}

func testDeleteMessage(t *testing.T, s chat.Store) {
	ctx := ctxOf(t)
	createRoom(t, s, tenantA, "r", "R")
	msgs := appendOK(t, s, text(tenantA, "r", "u1", "c1", "oops"), text(tenantA, "r", "u2", "", "reply"))
	before := time.Now()
	del, err := s.DeleteMessage(ctx, tenantA, "r", 1, "u1")
	if err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	checkTime(t, "delete CreatedAt", del.CreatedAt, before, time.Now())
	want := chat.Message{Tenant: tenantA, RoomID: "r", Seq: 3, Kind: chat.KindDelete, AuthorID: "u1", AuthorName: "name-u1", Ref: 1, CreatedAt: del.CreatedAt}
	if !equalMessage(del, want) {
		t.Fatalf("DeleteMessage returned\n%+v\nwant\n%+v", del, want)
	}
	tomb := msgs[0]
	tomb.Text, tomb.Deleted = "", true
	checkMessages(t, "History after delete", history(t, s, tenantA, "r", chat.HistoryOptions{}), []chat.Message{tomb, msgs[1], del})
	if r := getRoom(t, s, tenantA, "r"); r.LastSeq != 3 || !r.LastActivity.Equal(del.CreatedAt) {
		t.Fatalf("room after delete: LastSeq %d, LastActivity %v; want 3, %v", r.LastSeq, r.LastActivity, del.CreatedAt)
	}
	// A retried send of the deleted message returns the tombstone, not a new copy.
	res, err := s.AppendMessages(ctx, []chat.NewMessage{text(tenantA, "r", "u1", "c1", "oops")})
	if err != nil || !res[0].Duplicate || !equalMessage(res[0].Message, tomb) {
		t.Fatalf("retry of a deleted message = %+v, %v; want the tombstone", res, err)
	}
}

func testDeleteMessageErrors(t *testing.T, s chat.Store) {
	createRoom(t, s, tenantA, "r", "R")
	createRoom(t, s, tenantB, "r", "R in B")
	appendOK(t, s,
		text(tenantA, "r", "u1", "", "text by u1"), // 1
		chat.NewMessage{Tenant: tenantA, RoomID: "r", Kind: chat.KindSystem, Event: chat.EventJoin, AuthorID: "u1"}, // 2
		text(tenantA, "r", "u1", "", "deleted"), // 3, deleted below as 4
	)
	appendOK(t, s, text(tenantB, "r", "u1", "", "B1"))
	if _, err := s.DeleteMessage(ctxOf(t), tenantA, "r", 3, "u1"); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	tests := []struct {
		name   string
		tenant string
		room   string
		seq    int64
		user   string
		want   error
	}{
		{"not the author", tenantA, "r", 1, "u2", chat.ErrForbidden},
		{"no such seq", tenantA, "r", 99, "u1", chat.ErrNotFound},
		{"seq zero", tenantA, "r", 0, "u1", chat.ErrNotFound},
		{"system message", tenantA, "r", 2, "u1", chat.ErrNotFound},
		{"already deleted", tenantA, "r", 3, "u1", chat.ErrNotFound},
		{"a deletion", tenantA, "r", 4, "u1", chat.ErrNotFound},
		{"missing room", tenantA, "missing", 1, "u1", chat.ErrNotFound},
		{"seq only in another tenant", tenantB, "r", 3, "u1", chat.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.DeleteMessage(ctxOf(t), tt.tenant, tt.room, tt.seq, tt.user)
			wantErr(t, "DeleteMessage", err, tt.want)
		})
	}
	if r := getRoom(t, s, tenantA, "r"); r.LastSeq != 4 {
		t.Fatalf("LastSeq = %d after failed deletes, want 4", r.LastSeq)
	}
	if got := history(t, s, tenantA, "r", chat.HistoryOptions{}); got[0].Deleted || got[0].Text != "text by u1" {
		t.Fatalf("message 1 changed by a refused delete: %+v", got[0])
	}
}

func testDeleteMessageConcurrent(t *testing.T, s chat.Store) {
	createRoom(t, s, tenantA, "r", "R")
	appendOK(t, s, text(tenantA, "r", "u1", "", "oops"))
	const tries = 6
	errs := make(chan error, tries)
	for range tries {
		go func() {
			_, err := s.DeleteMessage(ctxOf(t), tenantA, "r", 1, "u1")
			errs <- err
		}()
	}
	deleted := 0
	for range tries {
		switch err := <-errs; {
		case err == nil:
			deleted++
		case !errors.Is(err, chat.ErrNotFound):
			t.Errorf("DeleteMessage: %v, want nil or ErrNotFound", err)
		}
	}
	if deleted != 1 {
		t.Fatalf("%d concurrent deletes succeeded, want exactly 1", deleted)
	}
	if got := history(t, s, tenantA, "r", chat.HistoryOptions{}); !slices.Equal(seqs(got), []int64{1, 2}) {
		t.Fatalf("history seqs %v, want [1 2]: one tombstone, one deletion", seqs(got))
	}
}

func testHistory(t *testing.T, s chat.Store) {
	createRoom(t, s, tenantA, "r", "R")
	createRoom(t, s, tenantA, "empty", "Empty")
	all := appendN(t, s, tenantA, "r", 10)
	tests := []struct {
		name     string
		opts     chat.HistoryOptions
		from, to int64 // want seqs from..to; to < from means none
	}{
		{"newest", chat.HistoryOptions{}, 1, 10},
		{"newest 3", chat.HistoryOptions{Limit: 3}, 8, 10},
		{"before 5, 2", chat.HistoryOptions{Before: 5, Limit: 2}, 3, 4},
		{"before 3, many", chat.HistoryOptions{Before: 3, Limit: 10}, 1, 2},
		{"before 1", chat.HistoryOptions{Before: 1}, 1, 0},
		{"before beyond the end", chat.HistoryOptions{Before: 100, Limit: 2}, 9, 10},
		{"after 3, 2", chat.HistoryOptions{After: 3, Limit: 2}, 4, 5},
		{"after 7", chat.HistoryOptions{After: 7}, 8, 10},
		{"after the last", chat.HistoryOptions{After: 10}, 1, 0},
		{"after a future seq", chat.HistoryOptions{After: 50}, 1, 0},
		{"after wins over before", chat.HistoryOptions{After: 2, Before: 5, Limit: 3}, 3, 5},
		{"negative values are defaults", chat.HistoryOptions{After: -1, Before: -1, Limit: -1}, 1, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []chat.Message
			if tt.to >= tt.from {
				want = all[tt.from-1 : tt.to]
			}
			checkMessages(t, "History", history(t, s, tenantA, "r", tt.opts), want)
		})
	}
	if got := history(t, s, tenantA, "empty", chat.HistoryOptions{}); len(got) != 0 {
		t.Fatalf("History of an empty room = %v, want none", got)
	}
	_, err := s.History(ctxOf(t), tenantA, "missing", chat.HistoryOptions{})
	wantErr(t, "History of a missing room", err, chat.ErrNotFound)
	_, err = s.History(ctxOf(t), tenantA, "missing", chat.HistoryOptions{After: 3})
	wantErr(t, "History after of a missing room", err, chat.ErrNotFound)
}

func testHistoryLimits(t *testing.T, s chat.Store) {
	createRoom(t, s, tenantA, "r", "R")
	appendN(t, s, tenantA, "r", 600)
	tests := []struct {
		opts     chat.HistoryOptions
		from, to int64 // want seqs from..to
	}{
		{chat.HistoryOptions{}, 551, 600},                      // 0 means 50
		{chat.HistoryOptions{Limit: 500}, 101, 600},            // the cap
		{chat.HistoryOptions{Limit: 501}, 101, 600},            // capped
		{chat.HistoryOptions{After: 10}, 11, 60},               // 50 after
		{chat.HistoryOptions{After: 10, Limit: 1000}, 11, 510}, // capped
	}
	for _, tt := range tests {
		if got := history(t, s, tenantA, "r", tt.opts); !slices.Equal(seqs(got), seqRange(tt.from, tt.to)) {
			t.Errorf("History(%+v) = %d messages from %v, want %d..%d", tt.opts, len(got), seqs(got)[:min(len(got), 1)], tt.from, tt.to)
		}
	}
}
