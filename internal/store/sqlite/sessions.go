package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
)

var _ auth.SessionStore = (*Store)(nil)

const sessionCols = `id, tenant, user_id, user_name, avatar_url, adapter, host_session,
	host_expires_at, expires_at, created_at, revoked_at`

func millis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromNullMillis(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return store.FromMillis(n.Int64)
}

func scanSession(sc scanner) (auth.Session, error) {
	var s auth.Session
	var hostExp, revoked sql.NullInt64
	var exp, created int64
	err := sc.Scan(&s.ID, &s.Tenant, &s.UserID, &s.UserName, &s.AvatarURL, &s.Adapter, &s.HostSession,
		&hostExp, &exp, &created, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Session{}, auth.ErrSessionNotFound
	}
	if err != nil {
		return auth.Session{}, err
	}
	s.HostExpiresAt, s.RevokedAt = fromNullMillis(hostExp), fromNullMillis(revoked)
	s.ExpiresAt, s.CreatedAt = store.FromMillis(exp), store.FromMillis(created)
	return s, nil
}

// sessionTx runs fn in one write transaction. fn's error rolls back; auth
// and chat sentinels keep their meaning, anything else is unavailable.
func (s *Store) sessionTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return store.Unavailable(op, err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	if err := fn(tx); err != nil {
		return sessionErr(op, err)
	}
	if err := tx.Commit(); err != nil {
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

// CreateSession implements auth.SessionStore.
func (s *Store) CreateSession(ctx context.Context, sess auth.Session, refreshHash string) error {
	return s.sessionTx(ctx, "create session", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO auth_sessions (`+sessionCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING`,
			sess.ID, sess.Tenant, sess.UserID, sess.UserName, sess.AvatarURL, sess.Adapter, sess.HostSession,
			millis(sess.HostExpiresAt), sess.ExpiresAt.UnixMilli(), sess.CreatedAt.UnixMilli())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("session %q: %w", sess.ID, chat.ErrConflict)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO auth_refresh_tokens (tenant, hash, session_id) VALUES (?, ?, ?)`,
			sess.Tenant, refreshHash, sess.ID)
		return err
	})
}

// Session implements auth.SessionStore.
func (s *Store) Session(ctx context.Context, tenant, id string) (auth.Session, error) {
	sess, err := scanSession(s.read.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM auth_sessions
		WHERE tenant = ? AND id = ?`, tenant, id))
	if err != nil {
		return auth.Session{}, sessionErr("get session", err)
	}
	return sess, nil
}

// RotateRefresh implements auth.SessionStore. SQLite has one writer, so
// the read-check-write below cannot interleave with another rotation.
func (s *Store) RotateRefresh(ctx context.Context, tenant, oldHash, newHash string, now time.Time) (auth.Session, error) {
	var sess auth.Session
	var outcome error // committed, then returned: a reuse must stay revoked
	err := s.sessionTx(ctx, "rotate refresh token", func(tx *sql.Tx) error {
		var sessionID string
		var used bool
		err := tx.QueryRowContext(ctx, `SELECT session_id, used FROM auth_refresh_tokens WHERE tenant = ? AND hash = ?`,
			tenant, oldHash).Scan(&sessionID, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return auth.ErrRefreshInvalid
		}
		if err != nil {
			return err
		}
		if sess, err = scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM auth_sessions
			WHERE tenant = ? AND id = ?`, tenant, sessionID)); err != nil {
			return err
		}
		switch {
		case !sess.Live(now):
			outcome = auth.ErrSessionRevoked
			return nil
		case used:
			sess.RevokedAt = now.UTC().Truncate(time.Millisecond)
			outcome = auth.ErrRefreshReused
			_, err := tx.ExecContext(ctx, `UPDATE auth_sessions SET revoked_at = ? WHERE tenant = ? AND id = ?`,
				now.UnixMilli(), tenant, sessionID)
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE auth_refresh_tokens SET used = 1 WHERE tenant = ? AND hash = ?`,
			tenant, oldHash); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO auth_refresh_tokens (tenant, hash, session_id) VALUES (?, ?, ?)`,
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
	return s.sessionTx(ctx, "extend session", func(tx *sql.Tx) error {
		var revoked sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT revoked_at FROM auth_sessions WHERE tenant = ? AND id = ?`, tenant, id).Scan(&revoked)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return auth.ErrSessionNotFound
		case err != nil:
			return err
		case revoked.Valid:
			return auth.ErrSessionRevoked
		}
		_, err = tx.ExecContext(ctx, `UPDATE auth_sessions SET host_expires_at = ?, expires_at = ? WHERE tenant = ? AND id = ?`,
			millis(hostExpiresAt), expiresAt.UnixMilli(), tenant, id)
		return err
	})
}

// Revoke implements auth.SessionStore.
func (s *Store) Revoke(ctx context.Context, f auth.RevokeFilter, now time.Time) ([]string, error) {
	var cond string
	var arg string
	switch {
	case f.SessionID != "" && f.UserID == "" && f.HostSession == "" && f.RefreshHash == "":
		cond, arg = `id = ?`, f.SessionID
	case f.UserID != "" && f.SessionID == "" && f.HostSession == "" && f.RefreshHash == "":
		cond, arg = `user_id = ?`, f.UserID
	case f.HostSession != "" && f.SessionID == "" && f.UserID == "" && f.RefreshHash == "":
		cond, arg = `host_session = ?`, f.HostSession
	case f.RefreshHash != "" && f.SessionID == "" && f.UserID == "" && f.HostSession == "":
		cond, arg = `id = (SELECT session_id FROM auth_refresh_tokens WHERE tenant = ?1 AND hash = ?)`, f.RefreshHash
	default:
		return nil, fmt.Errorf("revoke sessions: want exactly one filter field: %w", chat.ErrInvalid)
	}
	users := []string{}
	err := s.sessionTx(ctx, "revoke sessions", func(tx *sql.Tx) error {
		users = users[:0]
		rows, err := tx.QueryContext(ctx, `UPDATE auth_sessions SET revoked_at = ?2
			WHERE tenant = ?1 AND revoked_at IS NULL AND `+cond+` RETURNING user_id`, f.Tenant, now.UnixMilli(), arg)
		if err != nil {
			return err
		}
		defer rows.Close()
		seen := map[string]bool{}
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				return err
			}
			if !seen[u] {
				seen[u] = true
				users = append(users, u)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return users, nil
}

// UseNonce implements auth.SessionStore. Expired nonces are swept on the
// way.
func (s *Store) UseNonce(ctx context.Context, tenant, nonce string, expiresAt, now time.Time) error {
	return s.sessionTx(ctx, "use nonce", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_nonces WHERE expires_at <= ?`, now.UnixMilli()); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO auth_nonces (tenant, nonce, expires_at) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, tenant, nonce, expiresAt.UnixMilli())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return auth.ErrNonceReplayed
		}
		return nil
	})
}
