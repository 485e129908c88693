-- Times are Unix milliseconds, UTC. WITHOUT ROWID keeps each table
-- clustered on its primary key, so a room's messages are contiguous by seq.

CREATE TABLE rooms (
	tenant        TEXT    NOT NULL,
	id            TEXT    NOT NULL,
	kind          TEXT    NOT NULL CHECK (kind IN ('open', 'private')),
	title         TEXT    NOT NULL,
	title_fold    TEXT    NOT NULL, -- lower-cased title for search (see store.Fold)
	topic         TEXT    NOT NULL,
	tags          TEXT    NOT NULL, -- JSON array, in the room's order
	owner_id      TEXT    NOT NULL,
	member_count  INTEGER NOT NULL DEFAULT 0,
	last_seq      INTEGER NOT NULL DEFAULT 0,
	last_activity INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

-- ListRooms walks open rooms of a tenant in activity order.
CREATE INDEX rooms_by_activity ON rooms (tenant, kind, last_activity DESC, id);

CREATE TABLE room_tags (
	tenant  TEXT NOT NULL,
	room_id TEXT NOT NULL,
	tag     TEXT NOT NULL,
	PRIMARY KEY (tenant, room_id, tag),
	FOREIGN KEY (tenant, room_id) REFERENCES rooms (tenant, id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE INDEX room_tags_by_tag ON room_tags (tenant, tag);

CREATE TABLE members (
	tenant     TEXT    NOT NULL,
	room_id    TEXT    NOT NULL,
	user_id    TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	role       TEXT    NOT NULL CHECK (role IN ('owner', 'member')),
	joined_seq INTEGER NOT NULL,
	joined_at  INTEGER NOT NULL,
	PRIMARY KEY (tenant, room_id, user_id),
	FOREIGN KEY (tenant, room_id) REFERENCES rooms (tenant, id) ON DELETE CASCADE
) WITHOUT ROWID;

-- UserRooms.
CREATE INDEX members_by_user ON members (tenant, user_id);

CREATE TABLE messages (
	tenant        TEXT    NOT NULL,
	room_id       TEXT    NOT NULL,
	seq           INTEGER NOT NULL,
	kind          TEXT    NOT NULL CHECK (kind IN ('text', 'system', 'delete')),
	event         TEXT    NOT NULL,
	author_id     TEXT    NOT NULL,
	author_name   TEXT    NOT NULL,
	text          TEXT    NOT NULL,
	client_msg_id TEXT    NOT NULL,
	ref           INTEGER NOT NULL,
	deleted       INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	PRIMARY KEY (tenant, room_id, seq),
	FOREIGN KEY (tenant, room_id) REFERENCES rooms (tenant, id) ON DELETE CASCADE
) WITHOUT ROWID;

-- Idempotent sends: one message per (room, author, client message id).
CREATE UNIQUE INDEX messages_by_client_id ON messages (tenant, room_id, author_id, client_msg_id)
	WHERE client_msg_id <> '';
