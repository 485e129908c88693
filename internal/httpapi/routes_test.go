package httpapi_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/tenant"
)

func TestUserAPIHappyPath(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.token("opentalk", "alice"), e.token("opentalk", "bob")

	var me struct {
		Tenant, ID, Name string
		ExpiresAt        int64
		MaxText          int
	}
	e.must(http.StatusOK, req{method: "GET", path: "/api/v1/t/opentalk/me", bearer: alice}).json(t, &me)
	if me.Tenant != "opentalk" || me.ID != "alice" || me.Name != "ALICE" || me.MaxText != 1000 || me.ExpiresAt <= time.Now().UnixMilli() {
		t.Fatalf("me = %+v", me)
	}

	room := e.createRoom(alice, "Weekend hiking", "hiking", "seoul")
	if room.ID == "" || room.Kind != "open" || room.Title != "Weekend hiking" || room.Owner != "alice" ||
		!slices.Equal(room.Tags, []string{"hiking", "seoul"}) || room.Members != 1 {
		t.Fatalf("created room = %+v", room)
	}
	base := "/api/v1/t/opentalk/rooms/" + room.ID

	var list roomList
	e.must(http.StatusOK, req{method: "GET", path: "/api/v1/t/opentalk/rooms?q=hiking", bearer: bob}).json(t, &list)
	if len(list.Rooms) != 1 || list.Rooms[0].ID != room.ID {
		t.Fatalf("search = %+v", list)
	}

	var detail roomInfo
	e.must(http.StatusOK, req{method: "GET", path: base, bearer: bob}).json(t, &detail)
	if detail.ID != room.ID || detail.Topic != "about Weekend hiking" {
		t.Fatalf("detail = %+v", detail)
	}

	var joined roomInfo
	e.must(http.StatusOK, req{method: "POST", path: base + "/join", bearer: bob}).json(t, &joined)
	if joined.Members != 2 {
		t.Fatalf("after join members = %d, want 2", joined.Members)
	}

	var sent message
	e.must(http.StatusCreated, req{method: "POST", path: base + "/messages", body: `{"text":"hello","cmid":"c-1"}`, bearer: bob}).json(t, &sent)
	if sent.Seq == 0 || sent.Text != "hello" || sent.User != "bob" || sent.Kind != "text" || sent.CMID != "c-1" {
		t.Fatalf("sent = %+v", sent)
	}
	var again message
	e.must(http.StatusOK, req{method: "POST", path: base + "/messages", body: `{"text":"hello","cmid":"c-1"}`, bearer: bob}).json(t, &again)
	if again.Seq != sent.Seq {
		t.Fatalf("retry stored seq %d, want the first seq %d", again.Seq, sent.Seq)
	}

	msgs := e.history(alice, "opentalk", room.ID, "")
	var texts int
	for i, m := range msgs {
		if i > 0 && m.Seq <= msgs[i-1].Seq {
			t.Fatalf("history not ascending: %+v", msgs)
		}
		if m.Kind == "text" {
			texts++
		}
	}
	if texts != 1 || msgs[len(msgs)-1].Seq != sent.Seq {
		t.Fatalf("history = %+v, want one text message ending at seq %d", msgs, sent.Seq)
	}
	if got := e.history(alice, "opentalk", room.ID, fmt.Sprintf("?after=%d", sent.Seq)); len(got) != 0 {
		t.Fatalf("history after last seq = %+v, want none", got)
	}
	if got := e.history(alice, "opentalk", room.ID, fmt.Sprintf("?before=%d&limit=1", sent.Seq)); len(got) != 1 || got[0].Seq >= sent.Seq {
		t.Fatalf("history before %d limit 1 = %+v", sent.Seq, got)
	}

	e.fail(http.StatusForbidden, "forbidden", req{method: "DELETE", path: fmt.Sprintf("%s/messages/%d", base, sent.Seq), bearer: alice})
	var del message
	e.must(http.StatusOK, req{method: "DELETE", path: fmt.Sprintf("%s/messages/%d", base, sent.Seq), bearer: bob}).json(t, &del)
	if del.Kind != "delete" || del.Ref != sent.Seq || del.Seq <= sent.Seq {
		t.Fatalf("delete entry = %+v", del)
	}
	e.fail(http.StatusNotFound, "not_found", req{method: "DELETE", path: fmt.Sprintf("%s/messages/%d", base, sent.Seq), bearer: bob})
	msgs = e.history(bob, "opentalk", room.ID, fmt.Sprintf("?after=%d", sent.Seq-1))
	if len(msgs) < 2 || !msgs[0].Deleted || msgs[0].Text != "" {
		t.Fatalf("history after delete = %+v, want a tombstone first", msgs)
	}

	var mine roomList
	e.must(http.StatusOK, req{method: "GET", path: "/api/v1/t/opentalk/me/rooms", bearer: bob}).json(t, &mine)
	if len(mine.Rooms) != 1 || mine.Rooms[0].ID != room.ID {
		t.Fatalf("bob's rooms = %+v", mine)
	}
	e.must(http.StatusNoContent, req{method: "POST", path: base + "/leave", bearer: bob})
	e.must(http.StatusOK, req{method: "GET", path: "/api/v1/t/opentalk/me/rooms", bearer: bob}).json(t, &mine)
	if len(mine.Rooms) != 0 {
		t.Fatalf("bob's rooms after leave = %+v", mine)
	}
	e.fail(http.StatusForbidden, "not_member", req{method: "POST", path: base + "/messages", body: `{"text":"still here?"}`, bearer: bob})
}

func TestAuthFailures(t *testing.T) {
	e := newEnv(t)
	room := e.createRoom(e.token("opentalk", "alice"), "Auth")
	path := "/api/v1/t/opentalk/rooms/" + room.ID

	expired := func() string {
		past, err := auth.NewKeys(e.seed, func() time.Time { return time.Now().Add(-2 * time.Hour) })
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := past.Mint(auth.Claims{Tenant: "opentalk", UserID: "alice"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}()
	forged := func() string {
		other, err := auth.NewKeys(bytes.Repeat([]byte{9}, ed25519.SeedSize), nil)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := other.Mint(auth.Claims{Tenant: "opentalk", UserID: "alice"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}()
	valid := e.token("opentalk", "alice")
	tests := []struct {
		name   string
		rq     req
		status int
		code   string
	}{
		{"no token", req{method: "GET", path: path}, 401, "unauthenticated"},
		{"garbage token", req{method: "GET", path: path, bearer: "not.a.jwt"}, 401, "unauthenticated"},
		{"basic auth", req{method: "GET", path: path, header: http.Header{"Authorization": {"Basic YTpi"}}}, 401, "unauthenticated"},
		{"expired", req{method: "GET", path: path, bearer: expired}, 401, "token_expired"},
		{"forged", req{method: "GET", path: path, bearer: forged}, 401, "unauthenticated"},
		{"other tenant's token", req{method: "GET", path: path, bearer: e.token("rps", "alice")}, 403, "wrong_tenant"},
		{"unknown tenant", req{method: "GET", path: "/api/v1/t/nope/rooms", bearer: valid}, 404, "not_found"},
		{"expired cookie", req{method: "GET", path: path, cookie: expired}, 401, "token_expired"},
		{"cookie post from foreign origin", req{method: "POST", path: path + "/join", cookie: valid, origin: "https://evil.example"}, 403, "forbidden"},
		{"cookie post with null origin", req{method: "POST", path: path + "/join", cookie: valid, origin: "null"}, 403, "forbidden"},
		{"cookie post cross-site fetch", req{method: "POST", path: path + "/join", cookie: valid, header: http.Header{"Sec-Fetch-Site": {"cross-site"}}}, 403, "forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			e.fail(tt.status, tt.code, tt.rq)
		})
	}
	e.t = t

	// What the CSRF check lets through.
	e.must(http.StatusOK, req{method: "GET", path: path, cookie: valid, origin: "https://evil.example"})
	e.must(http.StatusOK, req{method: "POST", path: path + "/join", cookie: valid, origin: testOrigin})
	e.must(http.StatusOK, req{method: "POST", path: path + "/join", cookie: valid, origin: e.url})
	e.must(http.StatusOK, req{method: "POST", path: path + "/join", bearer: valid, origin: "https://evil.example"})

	if logs := e.logs.String(); strings.Contains(logs, valid) || strings.Contains(logs, expired) || strings.Contains(logs, forged) {
		t.Fatal("a token appears in the logs")
	}
}

func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	room := e.createRoom(e.token("opentalk", "alice"), "Only opentalk")
	e.must(http.StatusCreated, req{method: "PUT", path: "/api/v1/t/rps/server/rooms/game-1", body: `{"title":"Game 1"}`, bearer: tenant.DemoAPIKey})
	rpsUser := e.token("rps", "alice")
	otUser := e.token("opentalk", "alice")

	e.fail(404, "not_found", req{method: "GET", path: "/api/v1/t/rps/rooms/" + room.ID, bearer: rpsUser})
	e.fail(404, "not_found", req{method: "POST", path: "/api/v1/t/rps/rooms/" + room.ID + "/join", bearer: rpsUser})
	e.fail(404, "not_found", req{method: "GET", path: "/api/v1/t/rps/rooms/" + room.ID + "/messages", bearer: rpsUser})
	e.fail(404, "not_found", req{method: "GET", path: "/api/v1/t/opentalk/rooms/game-1", bearer: otUser})
	e.fail(404, "not_found", req{method: "PUT", path: "/api/v1/t/rps/server/rooms/" + room.ID + "/members/bob", body: `{"name":"Bob"}`, bearer: tenant.DemoAPIKey})
}

func TestNonMember(t *testing.T) {
	e := newEnv(t)
	room := e.createRoom(e.token("opentalk", "alice"), "Members only history")
	bob := e.token("opentalk", "bob")
	path := "/api/v1/t/opentalk/rooms/" + room.ID
	e.fail(403, "not_member", req{method: "GET", path: path + "/messages", bearer: bob})
	e.fail(403, "not_member", req{method: "POST", path: path + "/messages", body: `{"text":"hi"}`, bearer: bob})
	e.fail(403, "not_member", req{method: "POST", path: path + "/leave", bearer: bob})
	e.fail(404, "not_found", req{method: "GET", path: "/api/v1/t/opentalk/rooms/no-such-room/messages", bearer: bob})
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	alice := e.token("opentalk", "alice")
	room := e.createRoom(alice, "Bad input")
	msgs := "/api/v1/t/opentalk/rooms/" + room.ID + "/messages"
	tests := []struct {
		name   string
		rq     req
		status int
		code   string
	}{
		{"malformed JSON", req{method: "POST", path: msgs, body: `{"text":`}, 400, "bad_request"},
		{"not an object", req{method: "POST", path: msgs, body: `"hi"`}, 400, "bad_request"},
		{"unknown field", req{method: "POST", path: msgs, body: `{"text":"hi","colour":"red"}`}, 400, "bad_request"},
		{"wrong field type", req{method: "POST", path: msgs, body: `{"text":5}`}, 400, "bad_request"},
		{"trailing data", req{method: "POST", path: msgs, body: `{"text":"hi"}{"text":"again"}`}, 400, "bad_request"},
		{"no body", req{method: "POST", path: msgs, header: http.Header{"Content-Type": {"application/json"}}}, 400, "bad_request"},
		{"form content type", req{method: "POST", path: msgs, header: http.Header{"Content-Type": {"text/plain"}}}, 400, "bad_request"},
		{"body too large", req{method: "POST", path: msgs, body: `{"text":"` + strings.Repeat("a", httpapi.DefaultMaxBodyBytes) + `"}`}, 413, "frame_too_large"},
		{"too long message", req{method: "POST", path: msgs, body: `{"text":"` + strings.Repeat("가", 1001) + `"}`}, 422, "message_too_long"},
		{"empty text", req{method: "POST", path: msgs, body: `{"text":"  "}`}, 400, "invalid_text"},
		{"control characters", req{method: "POST", path: msgs, body: `{"text":"a\u001bb"}`}, 400, "invalid_text"},
		{"bad cmid", req{method: "POST", path: msgs, body: `{"text":"hi","cmid":"a b"}`}, 400, "bad_request"},
		{"bad limit", req{method: "GET", path: msgs + "?limit=501"}, 400, "bad_request"},
		{"negative after", req{method: "GET", path: msgs + "?after=-1"}, 400, "bad_request"},
		{"before and after", req{method: "GET", path: msgs + "?after=1&before=5"}, 400, "bad_request"},
		{"bad seq", req{method: "DELETE", path: msgs + "/zero"}, 400, "bad_request"},
		{"bad cursor", req{method: "GET", path: "/api/v1/t/opentalk/rooms?cursor=%21%21"}, 400, "bad_request"},
		{"room list limit", req{method: "GET", path: "/api/v1/t/opentalk/rooms?limit=x"}, 400, "bad_request"},
		{"unknown route", req{method: "GET", path: "/api/v1/t/opentalk/nothing"}, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			tt.rq.bearer = alice
			e.fail(tt.status, tt.code, tt.rq)
		})
	}
}

func TestServerAPI(t *testing.T) {
	e := newEnv(t)
	base := "/api/v1/t/rps/server/rooms/game-7"
	key := tenant.DemoAPIKey

	e.fail(401, "unauthenticated", req{method: "PUT", path: base, body: `{"title":"Game 7"}`})
	e.fail(401, "unauthenticated", req{method: "PUT", path: base, body: `{"title":"Game 7"}`, bearer: key + "x"})
	e.fail(401, "unauthenticated", req{method: "PUT", path: "/api/v1/t/opentalk/server/rooms/x", body: `{"title":"x"}`, bearer: key})
	e.fail(401, "unauthenticated", req{method: "PUT", path: base, body: `{"title":"Game 7"}`, bearer: e.token("rps", "alice")})

	var room roomInfo
	e.must(http.StatusCreated, req{method: "PUT", path: base, body: `{"title":"Game 7"}`, bearer: key}).json(t, &room)
	if room.ID != "game-7" || room.Kind != "private" || room.Title != "Game 7" {
		t.Fatalf("private room = %+v", room)
	}
	e.must(http.StatusOK, req{method: "PUT", path: base, body: `{"title":"Game 7"}`, bearer: key}).json(t, &room)
	if room.ID != "game-7" {
		t.Fatalf("repeat = %+v", room)
	}
	e.fail(400, "bad_request", req{method: "PUT", path: base, body: `{"title":"Game 7","kind":"open"}`, bearer: key})

	var member struct {
		Room, User, Name, Role string
	}
	e.must(http.StatusOK, req{method: "PUT", path: base + "/members/u-1", body: `{"name":"Player One"}`, bearer: key}).json(t, &member)
	if member.Room != "game-7" || member.User != "u-1" || member.Name != "Player One" {
		t.Fatalf("member = %+v", member)
	}
	e.must(http.StatusOK, req{method: "PUT", path: base + "/members/u-1", body: `{"name":"Player One"}`, bearer: key})
	e.fail(400, "bad_request", req{method: "PUT", path: base + "/members/a%20b", body: `{"name":"x"}`, bearer: key})

	var ann message
	e.must(http.StatusCreated, req{method: "POST", path: base + "/announcements", body: `{"text":"Round 1"}`, bearer: key}).json(t, &ann)
	if ann.Kind != "system" || ann.Event != "announce" || ann.Text != "Round 1" {
		t.Fatalf("announcement = %+v", ann)
	}

	p1, p2 := e.token("rps", "u-1"), e.token("rps", "u-2")
	userBase := "/api/v1/t/rps/rooms/game-7"
	e.must(http.StatusOK, req{method: "GET", path: userBase, bearer: p1})
	e.fail(404, "not_found", req{method: "GET", path: userBase, bearer: p2})
	var sent message
	e.must(http.StatusCreated, req{method: "POST", path: userBase + "/messages", body: `{"text":"gg"}`, bearer: p1}).json(t, &sent)
	if h := e.history(p1, "rps", "game-7", ""); len(h) == 0 || h[len(h)-1].Seq != sent.Seq {
		t.Fatalf("history = %+v", h)
	}
	e.fail(422, "message_too_long", req{method: "POST", path: userBase + "/messages", body: `{"text":"` + strings.Repeat("x", 201) + `"}`, bearer: p1})

	// Private rooms are never listed, even to members.
	var list roomList
	e.must(http.StatusOK, req{method: "GET", path: "/api/v1/t/rps/rooms", bearer: p1}).json(t, &list)
	if len(list.Rooms) != 0 {
		t.Fatalf("rps listing = %+v, want no rooms", list)
	}
	e.must(http.StatusOK, req{method: "GET", path: "/api/v1/t/rps/me/rooms", bearer: p1}).json(t, &list)
	if len(list.Rooms) != 1 || list.Rooms[0].ID != "game-7" {
		t.Fatalf("u-1's rooms = %+v", list)
	}

	e.must(http.StatusNoContent, req{method: "DELETE", path: base + "/members/u-1", bearer: key})
	e.must(http.StatusNoContent, req{method: "DELETE", path: base + "/members/u-1", bearer: key})
	// Outside a private room, it does not exist.
	for _, rq := range []req{
		{method: "GET", path: userBase},
		{method: "GET", path: userBase + "/messages"},
		{method: "POST", path: userBase + "/messages", body: `{"text":"hi"}`},
		{method: "DELETE", path: fmt.Sprintf("%s/messages/%d", userBase, sent.Seq)},
		{method: "POST", path: userBase + "/join"},
		{method: "POST", path: userBase + "/leave"},
	} {
		rq.bearer = p1
		e.fail(404, "not_found", rq)
	}
	// A member gets precise errors.
	e.must(http.StatusOK, req{method: "PUT", path: base + "/members/u-2", body: `{"name":"Player Two"}`, bearer: key})
	e.fail(403, "forbidden", req{method: "DELETE", path: fmt.Sprintf("%s/messages/%d", userBase, sent.Seq), bearer: p2})
	e.fail(404, "not_found", req{method: "DELETE", path: "/api/v1/t/rps/server/rooms/no-game/members/u-1", bearer: key})
	e.fail(404, "not_found", req{method: "POST", path: "/api/v1/t/rps/server/rooms/no-game/announcements", body: `{"text":"x"}`, bearer: key})
}

func TestRoomPaging(t *testing.T) {
	e := newEnv(t)
	alice := e.token("opentalk", "alice")
	var created []string
	for i := range 5 {
		created = append(created, e.createRoom(alice, fmt.Sprintf("Room %d", i), "paging").ID)
	}
	// Activity in room 1 moves it to the front.
	e.must(http.StatusCreated, req{method: "POST", path: "/api/v1/t/opentalk/rooms/" + created[1] + "/messages", body: `{"text":"bump"}`, bearer: alice})

	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatalf("paging does not end; seen %v", seen)
		}
		var page roomList
		e.must(http.StatusOK, req{method: "GET", path: "/api/v1/t/opentalk/rooms?tag=paging&limit=2&cursor=" + cursor, bearer: alice}).json(t, &page)
		if len(page.Rooms) > 2 {
			t.Fatalf("page of %d rooms, limit 2", len(page.Rooms))
		}
		for _, r := range page.Rooms {
			seen = append(seen, r.ID)
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if len(seen) != 5 || seen[0] != created[1] {
		t.Fatalf("paged rooms %v, want all 5 with %s first", seen, created[1])
	}
	sorted := slices.Clone(seen)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != 5 {
		t.Fatalf("paged rooms %v repeat one", seen)
	}
}
