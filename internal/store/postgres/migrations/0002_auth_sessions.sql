-- Sign-in sessions (internal/auth). NULL times mean "none" (no host
-- session, not revoked). Refresh tokens are stored only as SHA-256 hashes;
-- a session's tokens form its rotation family.

CREATE TABLE auth_sessions (
	tenant          text COLLATE "C" NOT NULL,
	id              text COLLATE "C" NOT NULL,
	user_id         text COLLATE "C" NOT NULL,
	user_name       text        NOT NULL,
	avatar_url      text        NOT NULL,
	adapter         text        NOT NULL,
	host_session    text        NOT NULL, -- '' when the adapter has none
	host_expires_at timestamptz,
	expires_at      timestamptz NOT NULL,
	created_at      timestamptz NOT NULL,
	revoked_at      timestamptz,
	PRIMARY KEY (tenant, id)
);

CREATE INDEX auth_sessions_by_user ON auth_sessions (tenant, user_id);
CREATE INDEX auth_sessions_by_host ON auth_sessions (tenant, host_session);

CREATE TABLE auth_refresh_tokens (
	tenant     text COLLATE "C" NOT NULL,
	hash       text COLLATE "C" NOT NULL,
	session_id text COLLATE "C" NOT NULL,
	used       boolean NOT NULL DEFAULT false, -- true once rotated away
	PRIMARY KEY (tenant, hash),
	FOREIGN KEY (tenant, session_id) REFERENCES auth_sessions (tenant, id) ON DELETE CASCADE
);

-- Used assertion nonces and JWT ids, kept until they expire.
CREATE TABLE auth_nonces (
	tenant     text COLLATE "C" NOT NULL,
	nonce      text COLLATE "C" NOT NULL,
	expires_at timestamptz NOT NULL,
	PRIMARY KEY (tenant, nonce)
);

CREATE INDEX auth_nonces_by_expiry ON auth_nonces (expires_at);
