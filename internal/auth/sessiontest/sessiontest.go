// Package sessiontest is the conformance suite for auth.SessionStore. Every
// implementation runs it against the real database:
//
//	sessiontest.Run(t, func(t *testing.T) auth.SessionStore { return openStore(t) })
package sessiontest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/auth"
)

// Run runs every test of the suite; newStore returns an empty store (or
// one whose data no other test sees: the suite uses unique tenant ids).
func Run(t *testing.T, newStore func(t *testing.T) auth.SessionStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s auth.SessionStore)
	}{
		{"CreateAndGet", testCreateAndGet},
		{"TenantScoped", testTenantScoped},
		{"Rotate", testRotate},
		{"ReuseRevokesFamily", testReuseRevokesFamily},
		{"ConcurrentRotateOneWins", testConcurrentRotate},
		{"RotateExpired", testRotateExpired},
		{"Extend", testExtend},
		{"Revoke", testRevoke},
		{"Nonce", testNonce},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

var (
	seq  atomic.Int64
	base = time.Unix(1_800_000_000, 0).UTC()
)

// unique returns an id no other test of this process uses, so suites can
// share one database.
func unique(prefix string) string {
	return fmt.Sprintf("%s%d%d", prefix, time.Now().UnixNano()%1_000_000_000, seq.Add(1))
}

func session(tenant, user string) auth.Session {
	return auth.Session{
		ID: unique("s"), Tenant: tenant, UserID: user, UserName: "닉네임 Nick", AvatarURL: "https://example.com/a.png",
		Adapter: "exchange", HostSession: unique("h"), HostExpiresAt: base.Add(30 * time.Minute),
		ExpiresAt: base.Add(30 * time.Minute), CreatedAt: base,
	}
}

func create(t *testing.T, s auth.SessionStore, sess auth.Session, hash string) {
	t.Helper()
	if err := s.CreateSession(context.Background(), sess, hash); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
}

func testCreateAndGet(t *testing.T, s auth.SessionStore) {
	ctx := context.Background()
	ten := unique("t")
	want := session(ten, "u1")
	create(t, s, want, unique("hash"))
	got, err := s.Session(ctx, ten, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != want.ID || got.Tenant != ten || got.UserID != "u1" || got.UserName != want.UserName ||
		got.AvatarURL != want.AvatarURL || got.Adapter != "exchange" || got.HostSession != want.HostSession ||
		!got.HostExpiresAt.Equal(want.HostExpiresAt) || !got.ExpiresAt.Equal(want.ExpiresAt) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.RevokedAt.IsZero() {
		t.Fatalf("Session = %+v\nwant %+v", got, want)
	}
	if _, err := s.Session(ctx, ten, "missing"); !errors.Is(err, auth.ErrSessionNotFound) {
		t.Fatalf("missing session: err = %v, want ErrSessionNotFound", err)
	}
	if err := s.CreateSession(ctx, want, unique("hash")); err == nil {
		t.Fatal("CreateSession with a duplicate id succeeded")
	}
}

func testTenantScoped(t *testing.T, s auth.SessionStore) {
	ctx := context.Background()
	a, b := unique("t"), unique("t")
	sess := session(a, "u1")
	hash := unique("hash")
	create(t, s, sess, hash)
	if _, err := s.Session(ctx, b, sess.ID); !errors.Is(err, auth.ErrSessionNotFound) {
		t.Fatalf("session seen from another tenant: err = %v", err)
	}
	if _, err := s.RotateRefresh(ctx, b, hash, unique("hash"), base); !errors.Is(err, auth.ErrRefreshInvalid) {
		t.Fatalf("rotate from another tenant: err = %v, want ErrRefreshInvalid", err)
	}
	if users, err := s.Revoke(ctx, auth.RevokeFilter{Tenant: b, UserID: "u1"}, base); err != nil || len(users) != 0 {
		t.Fatalf("revoke from another tenant = %v, %v", users, err)
	}
	if got, _ := s.Session(ctx, a, sess.ID); !got.RevokedAt.IsZero() {
		t.Fatal("another tenant's revoke reached this session")
	}
}

func testRotate(t *testing.T, s auth.SessionStore) {
	ctx := context.Background()
	ten := unique("t")
	sess := session(ten, "u1")
	h1, h2, h3 := unique("hash"), unique("hash"), unique("hash")
	create(t, s, sess, h1)
	got, err := s.RotateRefresh(ctx, ten, h1, h2, base.Add(time.Minute))
	if err != nil || got.ID != sess.ID || got.UserID != "u1" {
		t.Fatalf("rotate 1 = %+v, %v", got, err)
	}
	if _, err := s.RotateRefresh(ctx, ten, h2, h3, base.Add(2*time.Minute)); err != nil {
		t.Fatalf("rotate 2: %v", err)
	}
	if _, err := s.RotateRefresh(ctx, ten, "unknown", unique("hash"), base); !errors.Is(err, auth.ErrRefreshInvalid) {
		t.Fatalf("unknown hash: err = %v, want ErrRefreshInvalid", err)
	}
}

func testReuseRevokesFamily(t *testing.T, s auth.SessionStore) {
	ctx := context.Background()
	ten := unique("t")
	sess := session(ten, "u1")
	h1, h2, h3 := unique("hash"), unique("hash"), unique("hash")
	create(t, s, sess, h1)
	if _, err := s.RotateRefresh(ctx, ten, h1, h2, base); err != nil {
		t.Fatal(err)
	}
	got, err := s.RotateRefresh(ctx, ten, h1, h3, base)
	if !errors.Is(err, auth.ErrRefreshReused) {
		t.Fatalf("reuse: err = %v, want ErrRefreshReused", err)
	}
	if got.UserID != "u1" || got.ID != sess.ID {
		t.Fatalf("reuse returned session %+v, want the revoked one", got)
	}
	// The current token of the family is dead too.
	if _, err := s.RotateRefresh(ctx, ten, h2, h3, base); !errors.Is(err, auth.ErrSessionRevoked) && !errors.Is(err, auth.ErrRefreshReused) {
		t.Fatalf("current token after reuse: err = %v, want ErrSessionRevoked", err)
	}
	if st, _ := s.Session(ctx, ten, sess.ID); st.RevokedAt.IsZero() {
		t.Fatal("session not revoked after reuse")
	}
}

func testConcurrentRotate(t *testing.T, s auth.SessionStore) {
	ctx := context.Background()
	ten := unique("t")
	sess := session(ten, "u1")
	h1 := unique("hash")
	create(t, s, sess, h1)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = s.RotateRefresh(ctx, ten, h1, unique("hash"), base) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, auth.ErrRefreshReused), errors.Is(err, auth.ErrSessionRevoked):
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d concurrent rotations of one token succeeded, want exactly 1 (errs %v)", ok, errs)
	}
}

func testRotateExpired(t *testing.T, s auth.SessionStore) {
	ctx := context.Background()
	ten := unique("t")
	sess := session(ten, "u1")
	h1 := unique("hash")
	create(t, s, sess, h1)
	if _, err := s.RotateRefresh(ctx, ten, h1, unique("hash"), sess.ExpiresAt.Add(time.Second)); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("rotate after expiry: err = %v, want ErrSessionRevoked", err)
	}
}

func testExtend(t *testing.T, s auth.SessionStore) {
	ctx := context.Background()
	ten := unique("t")
	sess := session(ten, "u1")
	create(t, s, sess, unique("hash"))
	later := base.Add(2 * time.Hour)
	if err := s.ExtendSession(ctx, ten, sess.ID, later, later); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Session(ctx, ten, sess.ID)
	if !got.ExpiresAt.Equal(later) || !got.HostExpiresAt.Equal(later) {
		t.Fatalf("after extend: %+v", got)
	}
	if err := s.ExtendSession(ctx, ten, "missing", later, later); !errors.Is(err, auth.ErrSessionNotFound) {
		t.Fatalf("extend missing: err = %v", err)
	}
	if _, err := s.Revoke(ctx, auth.RevokeFilter{Tenant: ten, SessionID: sess.ID}, base); err != nil {
		t.Fatal(err)
	}
	if err := s.ExtendSession(ctx, ten, sess.ID, later, later); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("extend revoked: err = %v, want ErrSessionRevoked", err)
	}
}

func testRevoke(t *testing.T, s auth.SessionStore) {
	ctx := context.Background()
	ten := unique("t")
	a1, a2, b1, c1 := session(ten, "alice"), session(ten, "alice"), session(ten, "bob"), session(ten, "carol")
	hc, hc2 := unique("hash"), unique("hash")
	for _, x := range []auth.Session{a1, a2, b1} {
		create(t, s, x, unique("hash"))
	}
	create(t, s, c1, hc)
	at := base.Add(time.Minute)

	users, err := s.Revoke(ctx, auth.RevokeFilter{Tenant: ten, UserID: "alice"}, at)
	if err != nil || !slices.Equal(users, []string{"alice"}) {
		t.Fatalf("revoke user = %v, %v; want [alice]", users, err)
	}
	for _, id := range []string{a1.ID, a2.ID} {
		if got, _ := s.Session(ctx, ten, id); !got.RevokedAt.Equal(at) {
			t.Fatalf("alice's session %s: RevokedAt = %v, want %v", id, got.RevokedAt, at)
		}
	}
	if got, _ := s.Session(ctx, ten, b1.ID); !got.RevokedAt.IsZero() {
		t.Fatal("bob's session revoked by alice's revoke")
	}
	// Already revoked: nothing more to revoke.
	if users, _ := s.Revoke(ctx, auth.RevokeFilter{Tenant: ten, UserID: "alice"}, at); len(users) != 0 {
		t.Fatalf("second revoke = %v, want none", users)
	}
	if users, err := s.Revoke(ctx, auth.RevokeFilter{Tenant: ten, HostSession: b1.HostSession}, at); err != nil || !slices.Equal(users, []string{"bob"}) {
		t.Fatalf("revoke host session = %v, %v; want [bob]", users, err)
	}
	// By refresh hash, also by a token rotated away.
	if _, err := s.RotateRefresh(ctx, ten, hc, hc2, at); err != nil {
		t.Fatal(err)
	}
	if users, err := s.Revoke(ctx, auth.RevokeFilter{Tenant: ten, RefreshHash: hc}, at); err != nil || !slices.Equal(users, []string{"carol"}) {
		t.Fatalf("revoke by refresh hash = %v, %v; want [carol]", users, err)
	}
	if _, err := s.RotateRefresh(ctx, ten, hc2, unique("hash"), at); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("rotate after revoke: err = %v, want ErrSessionRevoked", err)
	}
	if _, err := s.Revoke(ctx, auth.RevokeFilter{Tenant: ten}, at); err == nil {
		t.Fatal("revoke with an empty filter succeeded")
	}
}

func testNonce(t *testing.T, s auth.SessionStore) {
	ctx := context.Background()
	ten, other := unique("t"), unique("t")
	n := unique("nonce")
	exp := base.Add(time.Minute)
	if err := s.UseNonce(ctx, ten, n, exp, base); err != nil {
		t.Fatal(err)
	}
	if err := s.UseNonce(ctx, ten, n, exp, base.Add(30*time.Second)); !errors.Is(err, auth.ErrNonceReplayed) {
		t.Fatalf("replay: err = %v, want ErrNonceReplayed", err)
	}
	if err := s.UseNonce(ctx, other, n, exp, base); err != nil {
		t.Fatalf("same nonce, other tenant: %v", err)
	}
	// Past its expiry the nonce may be forgotten: the assertion carrying
	// it is refused as expired before the nonce is checked.
	if err := s.UseNonce(ctx, ten, n, exp.Add(time.Hour), exp.Add(time.Second)); err != nil {
		t.Fatalf("reuse after expiry: %v", err)
	}
}
