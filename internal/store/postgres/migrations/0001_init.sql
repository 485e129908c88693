-- Identifiers use the "C" collation: byte order, the same as SQLite's, so
-- ListRooms' tie-break and cursor order by id agree on both stores.
-- Times are timestamptz (stored as UTC), written at millisecond precision.

CREATE TABLE rooms (
	tenant        text COLLATE "C" NOT NULL,
	id            text COLLATE "C" NOT NULL,
	kind          text        NOT NULL CHECK (kind IN ('open', 'private')),
	title         text        NOT NULL,
	title_fold    text        NOT NULL, -- lower-cased title for search (see store.Fold)
	topic         text        NOT NULL,
	tags          text[]      NOT NULL, -- in the room's order
	owner_id      text        NOT NULL,
	member_count  integer     NOT NULL DEFAULT 0,
	last_seq      bigint      NOT NULL DEFAULT 0,
	last_activity timestamptz NOT NULL,
	created_at    timestamptz NOT NULL,
	PRIMARY KEY (tenant, id)
);

-- ListRooms walks open rooms of a tenant in activity order.
CREATE INDEX rooms_by_activity ON rooms (tenant, kind, last_activity DESC, id);

CREATE TABLE room_tags (
	tenant  text COLLATE "C" NOT NULL,
	room_id text COLLATE "C" NOT NULL,
	tag     text NOT NULL,
	PRIMARY KEY (tenant, room_id, tag),
	FOREIGN KEY (tenant, room_id) REFERENCES rooms (tenant, id) ON DELETE CASCADE
);

CREATE INDEX room_tags_by_tag ON room_tags (tenant, tag);

CREATE TABLE members (
	tenant     text COLLATE "C" NOT NULL,
	room_id    text COLLATE "C" NOT NULL,
	user_id    text COLLATE "C" NOT NULL,
	name       text        NOT NULL,
	role       text        NOT NULL CHECK (role IN ('owner', 'member')),
	joined_seq bigint      NOT NULL,
	joined_at  timestamptz NOT NULL,
	PRIMARY KEY (tenant, room_id, user_id),
	FOREIGN KEY (tenant, room_id) REFERENCES rooms (tenant, id) ON DELETE CASCADE
);

-- UserRooms.
CREATE INDEX members_by_user ON members (tenant, user_id);

CREATE TABLE messages (
	tenant        text COLLATE "C" NOT NULL,
	room_id       text COLLATE "C" NOT NULL,
	seq           bigint      NOT NULL,
	kind          text        NOT NULL CHECK (kind IN ('text', 'system', 'delete')),
	event         text        NOT NULL,
	author_id     text COLLATE "C" NOT NULL,
	author_name   text        NOT NULL,
	text          text        NOT NULL,
	client_msg_id text COLLATE "C" NOT NULL,
	ref           bigint      NOT NULL,
	deleted       boolean     NOT NULL DEFAULT false,
	created_at    timestamptz NOT NULL,
	-- Seqs are unique per room even if two nodes raced (they cannot: the
	-- room row lock serialises them; this is the backstop).
	PRIMARY KEY (tenant, room_id, seq),
	FOREIGN KEY (tenant, room_id) REFERENCES rooms (tenant, id) ON DELETE CASCADE
);

-- Idempotent sends: one message per (room, author, client message id).
CREATE UNIQUE INDEX messages_by_client_id ON messages (tenant, room_id, author_id, client_msg_id)
	WHERE client_msg_id <> '';
