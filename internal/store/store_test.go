package store

import (
	"errors"
	"slices"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []Cursor{
		{LastActivity: FromMillis(1_700_000_000_123), ID: "room-1"},
		{LastActivity: FromMillis(0), ID: "a.b.c"}, // the id may contain the separator
		{LastActivity: FromMillis(-5), ID: "x"},
	} {
		got, err := DecodeCursor(c.Encode())
		if err != nil || !got.LastActivity.Equal(c.LastActivity) || got.ID != c.ID {
			t.Errorf("DecodeCursor(Encode(%+v)) = %+v, %v", c, got, err)
		}
	}
	for _, bad := range []string{"", "!!", "bm8tZG90", "MTIzLg", "eC55"} { // "no-dot", "123.", "x.y"
		if _, err := DecodeCursor(bad); !errors.Is(err, chat.ErrInvalid) {
			t.Errorf("DecodeCursor(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		in, room, history int
	}{
		{-1, 20, 50}, {0, 20, 50}, {1, 1, 1}, {100, 100, 100}, {101, 100, 101}, {500, 100, 500}, {501, 100, 500},
	}
	for _, tt := range tests {
		if got := RoomLimit(tt.in); got != tt.room {
			t.Errorf("RoomLimit(%d) = %d, want %d", tt.in, got, tt.room)
		}
		if got := HistoryLimit(tt.in); got != tt.history {
			t.Errorf("HistoryLimit(%d) = %d, want %d", tt.in, got, tt.history)
		}
	}
}

func TestTags(t *testing.T) {
	if got := Tags(nil); got == nil || len(got) != 0 {
		t.Errorf("Tags(nil) = %#v, want empty", got)
	}
	if got := Tags([]string{"b", "", "a", "b"}); !slices.Equal(got, []string{"b", "a"}) {
		t.Errorf("Tags = %v, want [b a]", got)
	}
}

func TestWrap(t *testing.T) {
	if err := Wrap("op", chat.ErrNotFound); !errors.Is(err, chat.ErrNotFound) || errors.Is(err, chat.ErrUnavailable) {
		t.Errorf("Wrap(ErrNotFound) = %v", err)
	}
	cause := errors.New("disk I/O error")
	if err := Wrap("op", cause); !errors.Is(err, chat.ErrUnavailable) || !errors.Is(err, cause) {
		t.Errorf("Wrap(cause) = %v, want ErrUnavailable and the cause", err)
	}
}

func TestAppendPlan(t *testing.T) {
	msg := func(room, author, id string) chat.NewMessage {
		return chat.NewMessage{Tenant: "t", RoomID: room, Kind: chat.KindText, AuthorID: author, ClientMsgID: id}
	}
	plan := PlanAppend([]chat.NewMessage{
		msg("b", "u", "1"),
		msg("a", "u", "1"),
		{Tenant: "t", RoomID: "c", Kind: chat.KindDelete},
		msg("b", "u", "1"),
		msg("gone", "u", ""),
		msg("a", "u", "stored"),
		msg("b", "u", ""),
	})
	if want := []RoomKey{{"t", "a"}, {"t", "b"}, {"t", "gone"}}; !slices.Equal(plan.Rooms, want) {
		t.Fatalf("Rooms = %v, want %v (sorted, without the invalid item's room)", plan.Rooms, want)
	}
	if len(plan.Keys) != 3 {
		t.Fatalf("Keys = %v, want 3 distinct keys", plan.Keys)
	}
	now := FromMillis(1000)
	stored := chat.Message{Tenant: "t", RoomID: "a", Seq: 3, AuthorID: "u", ClientMsgID: "stored"}
	insert, bumped := plan.Assign(
		map[RoomKey]int64{{"t", "a"}: 4, {"t", "b"}: 0},
		map[DedupKey]chat.Message{{"t", "a", "u", "stored"}: stored},
		now)
	type want struct {
		seq int64
		dup bool
		err error
	}
	wants := []want{{1, false, nil}, {5, false, nil}, {0, false, chat.ErrInvalid}, {1, true, nil}, {0, false, chat.ErrNotFound}, {3, true, nil}, {2, false, nil}}
	for i, w := range wants {
		r := plan.Results[i]
		if r.Message.Seq != w.seq || r.Duplicate != w.dup || !errors.Is(r.Err, w.err) || (w.err == nil && r.Err != nil) {
			t.Errorf("result %d = seq %d dup %v err %v; want %+v", i, r.Message.Seq, r.Duplicate, r.Err, w)
		}
	}
	if len(insert) != 3 || !insert[0].CreatedAt.Equal(now) {
		t.Fatalf("insert = %+v, want 3 new messages at %v", insert, now)
	}
	if want := []RoomSeq{{RoomKey{"t", "a"}, 5}, {RoomKey{"t", "b"}, 2}}; !slices.Equal(bumped, want) {
		t.Fatalf("bumped = %v, want %v", bumped, want)
	}
}
