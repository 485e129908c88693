-- Sign-in sessions (internal/auth). Times are Unix milliseconds; NULL for
-- "none" (no host session, not revoked). Refresh tokens are stored only as
-- SHA-256 hashes; a session's tokens form its rotation family.

CREATE TABLE auth_sessions (
	tenant          TEXT    NOT NULL,
	id              TEXT    NOT NULL,
	user_id         TEXT    NOT NULL,
	user_name       TEXT    NOT NULL,
	avatar_url      TEXT    NOT NULL,
	adapter         TEXT    NOT NULL,
	host_session    TEXT    NOT NULL, -- '' when the adapter has none
	host_expires_at INTEGER,
	expires_at      INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	revoked_at      INTEGER,
	PRIMARY KEY (tenant, id)
);

CREATE INDEX auth_sessions_by_user ON auth_sessions (tenant, user_id);
CREATE INDEX auth_sessions_by_host ON auth_sessions (tenant, host_session);

CREATE TABLE auth_refresh_tokens (
	tenant     TEXT    NOT NULL,
	hash       TEXT    NOT NULL,
	session_id TEXT    NOT NULL,
	used       INTEGER NOT NULL DEFAULT 0, -- 1 once rotated away
	PRIMARY KEY (tenant, hash),
	FOREIGN KEY (tenant, session_id) REFERENCES auth_sessions (tenant, id) ON DELETE CASCADE
);

-- Used assertion nonces and JWT ids, kept until they expire.
CREATE TABLE auth_nonces (
	tenant     TEXT    NOT NULL,
	nonce      TEXT    NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (tenant, nonce)
);

CREATE INDEX auth_nonces_by_expiry ON auth_nonces (expires_at);
