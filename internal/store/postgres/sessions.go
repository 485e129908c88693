package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
)

var _ auth.SessionStore = (*Store)(nil)

const sessionCols = `id, tenant, user_id, user_name, avatar_url, adapter, host_session,
	host_expires_at, expires_at, created_at, revoked_at`

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Millisecond)
	return &u
}

func fromNullTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func scanSession(row pgx.Row) (auth.Session, error) {
	var s auth.Session
	var hostExp, revoked *time.Time
	err := row.Scan(&s.ID, &s.Tenant, &s.UserID, &s.UserName, &s.AvatarURL, &s.Adapter, &s.HostSession,
		&hostExp, &s.ExpiresAt, &s.CreatedAt, &revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.Session{}, auth.ErrSessionNotFound
	}
	if err != nil {
		return auth.Session{}, err
	}
	s.HostExpiresAt, s.RevokedAt = fromNullTime(hostExp), fromNullTime(revoked)
	s.ExpiresAt, s.CreatedAt = s.ExpiresAt.UTC(), s.CreatedAt.UTC()
	return s, nil
}

// sessionTx runs fn in one transaction. fn's error rolls back; auth and
// chat sentinels keep their meaning, anything else is unavailable.
func (s *Store) sessionTx(ctx context.Context, op string, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return store.Unavailable(op, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // a no-op after Commit
	if err := fn(tx); err != nil {
		return sessionErr(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return store.Unavailable(op, err)
	}
	return nil
}

func sessionErr(op string, err error) error {
	for _, known := range []error{auth.ErrSessionNotFound, auth.ErrSessionRevoked, auth.ErrRefreshInvalid,
		auth.ErrRefreshReused, auth.ErrNonceReplayed} {
		if errors.Is(err, known) {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	return store.Wrap(op, err)
}

func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// CreateSession implements auth.SessionStore.
func (s *Store) CreateSession(ctx context.Context, sess auth.Session, refreshHash string) error {
	return s.sessionTx(ctx, "create session", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO auth_sessions (`+sessionCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL) ON CONFLICT DO NOTHING`,
			sess.ID, sess.Tenant, sess.UserID, sess.UserName, sess.AvatarURL, sess.Adapter, sess.HostSession,
			nullTime(sess.HostExpiresAt), ms(sess.ExpiresAt), ms(sess.CreatedAt))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("session %q: %w", sess.ID, chat.ErrConflict)
		}
		_, err = tx.Exec(ctx, `INSERT INTO auth_refresh_tokens (tenant, hash, session_id) VALUES ($1, $2, $3)`,
			sess.Tenant, refreshHash, sess.ID)
		return err
	})
}

// Session implements auth.SessionStore.
func (s *Store) Session(ctx context.Context, tenant, id string) (auth.Session, error) {
	sess, err := scanSession(s.pool.QueryRow(ctx, `SELECT `+sessionCols+` FROM auth_sessions
		WHERE tenant = $1 AND id = $2`, tenant, id))
	if err != nil {
		return auth.Session{}, sessionErr("get session", err)
	}
	return sess, nil
}

// RotateRefresh implements auth.SessionStore. The token row is locked
// (FOR UPDATE), so of two nodes rotating the same token one waits for the
// other and then sees it used: exactly one succeeds, the other revokes.
func (s *Store) RotateRefresh(ctx context.Context, tenant, oldHash, newHash string, now time.Time) (auth.Session, error) {
	var sess auth.Session
	var outcome error // committed, then returned: a reuse must stay revoked
	err := s.sessionTx(ctx, "rotate refresh token", func(tx pgx.Tx) error {
		var sessionID string
		var used bool
		err := tx.QueryRow(ctx, `SELECT session_id, used FROM auth_refresh_tokens WHERE tenant = $1 AND hash = $2 FOR UPDATE`,
			tenant, oldHash).Scan(&sessionID, &used)
		if errors.Is(err, pgx.ErrNoRows) {
			return auth.ErrRefreshInvalid
		}
		if err != nil {
			return err
		}
		if sess, err = scanSession(tx.QueryRow(ctx, `SELECT `+sessionCols+` FROM auth_sessions
			WHERE tenant = $1 AND id = $2 FOR UPDATE`, tenant, sessionID)); err != nil {
			return err
		}
		switch {
		case !sess.Live(now):
			outcome = auth.ErrSessionRevoked
			return nil
		case used:
			sess.RevokedAt = ms(now)
			outcome = auth.ErrRefreshReused
			_, err := tx.Exec(ctx, `UPDATE auth_sessions SET revoked_at = $3 WHERE tenant = $1 AND id = $2`,
				tenant, sessionID, ms(now))
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE auth_refresh_tokens SET used = true WHERE tenant = $1 AND hash = $2`,
			tenant, oldHash); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO auth_refresh_tokens (tenant, hash, session_id) VALUES ($1, $2, $3)`,
			tenant, newHash, sessionID)
		return err
	})
	if err != nil {
		return auth.Session{}, err
	}
	if outcome != nil {
		return sess, fmt.Errorf("rotate refresh token: %w", outcome)
	}
	return sess, nil
}

// ExtendSession implements auth.SessionStore.
func (s *Store) ExtendSession(ctx context.Context, tenant, id string, hostExpiresAt, expiresAt time.Time) error {
	return s.sessionTx(ctx, "extend session", func(tx pgx.Tx) error {
		var revoked *time.Time
		err := tx.QueryRow(ctx, `SELECT revoked_at FROM auth_sessions WHERE tenant = $1 AND id = $2 FOR UPDATE`,
			tenant, id).Scan(&revoked)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return auth.ErrSessionNotFound
		case err != nil:
			return err
		case revoked != nil:
			return auth.ErrSessionRevoked
		}
		_, err = tx.Exec(ctx, `UPDATE auth_sessions SET host_expires_at = $3, expires_at = $4 WHERE tenant = $1 AND id = $2`,
			tenant, id, nullTime(hostExpiresAt), ms(expiresAt))
		return err
	})
}

// Revoke implements auth.SessionStore.
func (s *Store) Revoke(ctx context.Context, f auth.RevokeFilter, now time.Time) ([]string, error) {
	var cond, arg string
	switch {
	case f.SessionID != "" && f.UserID == "" && f.HostSession == "" && f.RefreshHash == "":
		cond, arg = `id = $3`, f.SessionID
	case f.UserID != "" && f.SessionID == "" && f.HostSession == "" && f.RefreshHash == "":
		cond, arg = `user_id = $3`, f.UserID
	case f.HostSession != "" && f.SessionID == "" && f.UserID == "" && f.RefreshHash == "":
		cond, arg = `host_session = $3`, f.HostSession
	case f.RefreshHash != "" && f.SessionID == "" && f.UserID == "" && f.HostSession == "":
		cond, arg = `id = (SELECT session_id FROM auth_refresh_tokens WHERE tenant = $1 AND hash = $3)`, f.RefreshHash
	default:
		return nil, fmt.Errorf("revoke sessions: want exactly one filter field: %w", chat.ErrInvalid)
	}
	var users []string
	err := s.sessionTx(ctx, "revoke sessions", func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE auth_sessions SET revoked_at = $2
			WHERE tenant = $1 AND revoked_at IS NULL AND `+cond+` RETURNING user_id`, f.Tenant, ms(now), arg)
		if err != nil {
			return err
		}
		all, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		users = []string{}
		seen := map[string]bool{}
		for _, u := range all {
			if !seen[u] {
				seen[u] = true
				users = append(users, u)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return users, nil
}

// UseNonce implements auth.SessionStore: one upsert that only takes over an
// expired row, so two nodes racing on one nonce cannot both win. Expired
// nonces are swept on the way.
func (s *Store) UseNonce(ctx context.Context, tenant, nonce string, expiresAt, now time.Time) error {
	return s.sessionTx(ctx, "use nonce", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM auth_nonces WHERE expires_at <= $1`, ms(now)); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO auth_nonces (tenant, nonce, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (tenant, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
			WHERE auth_nonces.expires_at <= $4`, tenant, nonce, ms(expiresAt), ms(now))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return auth.ErrNonceReplayed
		}
		return nil
	})
}
