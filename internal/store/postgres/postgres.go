// Package postgres is the production chat.Store: PostgreSQL through a pgx
// connection pool, safe for several Parley nodes sharing one database.
//
// Seqs are assigned under the room's row lock (SELECT ... FOR UPDATE in the
// appending transaction), so two nodes appending to one room take turns
// and each sees the other's committed last_seq; the primary key (tenant,
// room_id, seq) is the backstop. A batch locks its rooms in key order, so
// two batches touching the same rooms cannot deadlock.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/migrate"
)

var _ chat.Store = (*Store)(nil)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a chat.Store on PostgreSQL. It is safe for concurrent use, also
// by several processes.
type Store struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
}

// Open connects to the database named by dsn (a postgres:// URL or
// key=value string; pool settings such as pool_max_conns are accepted),
// applies pending migrations and returns the store. Open is all that
// `parley migrate` needs; concurrent Opens from several nodes take turns on
// an advisory lock, so each step is applied once.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The DSN may carry a password: name the problem, not the value.
		return nil, errors.New("open postgres store: cannot parse the DSN")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, store.Unavailable("open postgres store", err)
	}
	s := &Store{pool: pool, logger: logger.With("component", "store", "store", "postgres")}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, store.Unavailable("open postgres store", err)
	}
	s.logger.Info("store opened", "host", cfg.ConnConfig.Host, "database", cfg.ConnConfig.Database)
	return s, nil
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	steps, err := migrate.Load(migrations, "migrations")
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	// One lock per schema: nodes sharing a database queue up; test schemas
	// of one database do not.
	const lock = `SELECT pg_advisory_lock(hashtext('parley.migrate.' || current_schema()))`
	if _, err := conn.Exec(ctx, lock); err != nil {
		return err
	}
	defer func() {
		// A pooled connection must not keep the session lock: unlock, and if
		// that fails close the connection (the pool then drops it, and the
		// server releases the lock with the session).
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		const unlock = `SELECT pg_advisory_unlock(hashtext('parley.migrate.' || current_schema()))`
		if _, err := conn.Exec(uctx, unlock); err != nil {
			s.logger.Warn("migration unlock failed; closing the connection", "err", err)
			_ = conn.Conn().Close(uctx)
		}
	}()
	_, err = migrate.Run(ctx, migrationTarget{conn.Conn()}, steps, s.logger)
	return err
}

// inTx runs fn in one transaction and commits it. Errors are wrapped with
// op by store.Wrap: domain errors keep their meaning, the rest mean
// unavailable.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return store.Unavailable(op, err)
	}
	// A no-op after Commit. With ctx done, pgx closes the connection instead
	// and the server rolls back.
	defer func() { _ = tx.Rollback(ctx) }()
	if err := fn(tx); err != nil {
		return store.Wrap(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return store.Unavailable(op, err)
	}
	return nil
}

// querier is what both the pool and a transaction offer.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// lockRoom locks the room's row until the transaction ends and returns its
// member count and last seq; chat.ErrNotFound if it is missing.
func lockRoom(ctx context.Context, tx pgx.Tx, tenant, roomID string) (count int, lastSeq int64, err error) {
	err = tx.QueryRow(ctx, `SELECT member_count, last_seq FROM rooms WHERE tenant = $1 AND id = $2 FOR UPDATE`,
		tenant, roomID).Scan(&count, &lastSeq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, fmt.Errorf("room %q: %w", roomID, chat.ErrNotFound)
	}
	return count, lastSeq, err
}

// roomExists reports chat.ErrNotFound for a missing room.
func roomExists(ctx context.Context, q querier, tenant, roomID string) error {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM rooms WHERE tenant = $1 AND id = $2`, tenant, roomID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("room %q: %w", roomID, chat.ErrNotFound)
	}
	return err
}

const roomCols = `r.tenant, r.id, r.kind, r.title, r.topic, r.tags, r.owner_id,
	r.member_count, r.last_seq, r.last_activity, r.created_at`

func scanRoom(row pgx.Row) (chat.Room, error) {
	var r chat.Room
	err := row.Scan(&r.Tenant, &r.ID, &r.Kind, &r.Title, &r.Topic, &r.Tags, &r.OwnerID,
		&r.MemberCount, &r.LastSeq, &r.LastActivity, &r.CreatedAt)
	if err != nil {
		return chat.Room{}, err
	}
	if r.Tags == nil {
		r.Tags = []string{}
	}
	r.LastActivity, r.CreatedAt = r.LastActivity.UTC(), r.CreatedAt.UTC()
	return r, nil
}

func scanRooms(rows pgx.Rows) ([]chat.Room, error) {
	defer rows.Close()
	rooms := []chat.Room{}
	for rows.Next() {
		r, err := scanRoom(rows)
		if err != nil {
			return nil, err
		}
		rooms = append(rooms, r)
	}
	return rooms, rows.Err()
}

// CreateRoom stores a new room; see chat.Store.
func (s *Store) CreateRoom(ctx context.Context, r chat.Room) (chat.Room, error) {
	const op = "create room"
	if err := store.CheckRoom(r); err != nil {
		return chat.Room{}, fmt.Errorf("%s: %w", op, err)
	}
	now := store.Now()
	r.Tags = store.Tags(r.Tags)
	r.MemberCount, r.LastSeq, r.LastActivity, r.CreatedAt = 0, 0, now, now
	err := s.inTx(ctx, op, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO rooms (tenant, id, kind, title, title_fold, topic, tags,
			owner_id, member_count, last_seq, last_activity, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, $9, $9) ON CONFLICT DO NOTHING`,
			r.Tenant, r.ID, string(r.Kind), r.Title, store.Fold(r.Title), r.Topic, r.Tags, r.OwnerID, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("room %q: %w", r.ID, chat.ErrConflict)
		}
		if len(r.Tags) > 0 {
			_, err = tx.Exec(ctx, `INSERT INTO room_tags (tenant, room_id, tag) SELECT $1, $2, unnest($3::text[])`,
				r.Tenant, r.ID, r.Tags)
		}
		return err
	})
	if err != nil {
		return chat.Room{}, err
	}
	return r, nil
}

// Room returns one room; see chat.Store.
func (s *Store) Room(ctx context.Context, tenant, roomID string) (chat.Room, error) {
	r, err := scanRoom(s.pool.QueryRow(ctx,
		`SELECT `+roomCols+` FROM rooms r WHERE r.tenant = $1 AND r.id = $2`, tenant, roomID))
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.Room{}, fmt.Errorf("room %q: %w", roomID, chat.ErrNotFound)
	}
	if err != nil {
		return chat.Room{}, store.Unavailable("room", err)
	}
	return r, nil
}

// ListRooms lists open rooms; see chat.Store. Search matches a substring of
// the title (case-folded by store.Fold) or an exact tag.
func (s *Store) ListRooms(ctx context.Context, tenant string, q chat.RoomQuery) (chat.RoomPage, error) {
	const op = "list rooms"
	limit := store.RoomLimit(q.Limit)
	var b strings.Builder
	args := []any{tenant}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	hasTag := func(tag string) string {
		return ` EXISTS (SELECT 1 FROM room_tags t WHERE t.tenant = r.tenant AND t.room_id = r.id AND t.tag = ` + arg(tag) + `)`
	}
	b.WriteString(`SELECT ` + roomCols + ` FROM rooms r WHERE r.tenant = $1 AND r.kind = 'open'`)
	if q.Search != "" {
		b.WriteString(` AND (strpos(r.title_fold, ` + arg(store.Fold(q.Search)) + `) > 0 OR` + hasTag(q.Search) + `)`)
	}
	if q.Tag != "" {
		b.WriteString(` AND` + hasTag(q.Tag))
	}
	if q.Cursor != "" {
		c, err := store.DecodeCursor(q.Cursor)
		if err != nil {
			return chat.RoomPage{}, fmt.Errorf("%s: %w", op, err)
		}
		at := arg(c.LastActivity)
		b.WriteString(` AND (r.last_activity < ` + at + ` OR (r.last_activity = ` + at + ` AND r.id > ` + arg(c.ID) + `))`)
	}
	b.WriteString(` ORDER BY r.last_activity DESC, r.id LIMIT ` + arg(limit+1)) // one more tells whether a next page exists
	rows, err := s.pool.Query(ctx, b.String(), args...)
	if err != nil {
		return chat.RoomPage{}, store.Unavailable(op, err)
	}
	rooms, err := scanRooms(rows)
	if err != nil {
		return chat.RoomPage{}, store.Unavailable(op, err)
	}
	page := chat.RoomPage{Rooms: rooms}
	if len(rooms) > limit {
		page.Rooms = rooms[:limit]
		last := page.Rooms[limit-1]
		page.Next = store.Cursor{LastActivity: last.LastActivity, ID: last.ID}.Encode()
	}
	return page, nil
}

// UserRooms lists the user's rooms; see chat.Store.
func (s *Store) UserRooms(ctx context.Context, tenant, userID string) ([]chat.Room, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+roomCols+` FROM members m
		JOIN rooms r ON r.tenant = m.tenant AND r.id = m.room_id
		WHERE m.tenant = $1 AND m.user_id = $2
		ORDER BY r.last_activity DESC, r.id`, tenant, userID)
	if err != nil {
		return nil, store.Unavailable("user rooms", err)
	}
	rooms, err := scanRooms(rows)
	if err != nil {
		return nil, store.Unavailable("user rooms", err)
	}
	return rooms, nil
}

const memberCols = `tenant, room_id, user_id, name, role, joined_seq, joined_at`

func scanMember(row pgx.Row) (chat.Member, error) {
	var m chat.Member
	if err := row.Scan(&m.Tenant, &m.RoomID, &m.UserID, &m.Name, &m.Role, &m.JoinedSeq, &m.JoinedAt); err != nil {
		return chat.Member{}, err
	}
	m.JoinedAt = m.JoinedAt.UTC()
	return m, nil
}

func member(ctx context.Context, q querier, tenant, roomID, userID string) (chat.Member, error) {
	m, err := scanMember(q.QueryRow(ctx, `SELECT `+memberCols+` FROM members
		WHERE tenant = $1 AND room_id = $2 AND user_id = $3`, tenant, roomID, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		if err := roomExists(ctx, q, tenant, roomID); err != nil {
			return chat.Member{}, err
		}
		return chat.Member{}, fmt.Errorf("user %q in room %q: %w", userID, roomID, chat.ErrNotMember)
	}
	return m, err
}

// AddMember adds a membership; see chat.Store. The room's row lock makes
// the maxMembers check hold across nodes.
func (s *Store) AddMember(ctx context.Context, m chat.Member, maxMembers int) (chat.Member, bool, error) {
	const op = "add member"
	role, err := store.MemberRole(m)
	if err != nil {
		return chat.Member{}, false, fmt.Errorf("%s: %w", op, err)
	}
	var created bool
	err = s.inTx(ctx, op, func(tx pgx.Tx) error {
		count, lastSeq, err := lockRoom(ctx, tx, m.Tenant, m.RoomID)
		if err != nil {
			return err
		}
		existing, err := member(ctx, tx, m.Tenant, m.RoomID, m.UserID)
		if err == nil {
			m = existing
			return nil
		}
		if !errors.Is(err, chat.ErrNotMember) {
			return err
		}
		if maxMembers > 0 && count >= maxMembers {
			return fmt.Errorf("room %q has %d members: %w", m.RoomID, count, chat.ErrRoomFull)
		}
		m.Role, m.JoinedSeq, m.JoinedAt = role, lastSeq, store.Now()
		if _, err := tx.Exec(ctx, `INSERT INTO members (`+memberCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			m.Tenant, m.RoomID, m.UserID, m.Name, string(m.Role), m.JoinedSeq, m.JoinedAt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE rooms SET member_count = member_count + 1 WHERE tenant = $1 AND id = $2`,
			m.Tenant, m.RoomID); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return chat.Member{}, false, err
	}
	return m, created, nil
}

// RemoveMember ends a membership; see chat.Store. A missing room is
// chat.ErrNotFound.
func (s *Store) RemoveMember(ctx context.Context, tenant, roomID, userID string) error {
	return s.inTx(ctx, "remove member", func(tx pgx.Tx) error {
		// Rooms are always locked first, the order every method follows.
		if _, _, err := lockRoom(ctx, tx, tenant, roomID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM members WHERE tenant = $1 AND room_id = $2 AND user_id = $3`,
			tenant, roomID, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("user %q in room %q: %w", userID, roomID, chat.ErrNotMember)
		}
		_, err = tx.Exec(ctx, `UPDATE rooms SET member_count = member_count - 1 WHERE tenant = $1 AND id = $2`,
			tenant, roomID)
		return err
	})
}

// Member returns one membership; see chat.Store.
func (s *Store) Member(ctx context.Context, tenant, roomID, userID string) (chat.Member, error) {
	m, err := member(ctx, s.pool, tenant, roomID, userID)
	if err != nil {
		return chat.Member{}, store.Wrap("member", err)
	}
	return m, nil
}

const messageCols = `tenant, room_id, seq, kind, event, author_id, author_name, text, client_msg_id, ref, deleted, created_at`

func scanMessage(row pgx.Row) (chat.Message, error) {
	var m chat.Message
	err := row.Scan(&m.Tenant, &m.RoomID, &m.Seq, &m.Kind, &m.Event, &m.AuthorID, &m.AuthorName,
		&m.Text, &m.ClientMsgID, &m.Ref, &m.Deleted, &m.CreatedAt)
	if err != nil {
		return chat.Message{}, err
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return m, nil
}

func scanMessages(rows pgx.Rows) ([]chat.Message, error) {
	defer rows.Close()
	msgs := []chat.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, rows.Err()
}

// AppendMessages stores a batch in one transaction; see chat.Store.
//
// The work is set-based, so a batch costs the same few round trips whatever
// its size: lock the batch's rooms (in key order) and look up its client
// message ids in one pipeline, assign seqs (store.AppendPlan), then insert
// the messages and advance the rooms in a second pipeline, and commit.
func (s *Store) AppendMessages(ctx context.Context, batch []chat.NewMessage) ([]chat.AppendResult, error) {
	plan := store.PlanAppend(batch)
	if len(plan.Rooms) == 0 {
		return plan.Results, nil
	}
	now := store.Now()
	err := s.inTx(ctx, "append messages", func(tx pgx.Tx) error {
		lastSeq, stored, err := lockForAppend(ctx, tx, plan)
		if err != nil {
			return err
		}
		insert, bumped := plan.Assign(lastSeq, stored, now)
		if len(insert) == 0 {
			return nil
		}
		var (
			cols [8][]string // text columns of the new messages
			seqs = make([]int64, len(insert))
		)
		for i, m := range insert {
			for c, v := range []string{m.Tenant, m.RoomID, string(m.Kind), m.Event, m.AuthorID, m.AuthorName, m.Text, m.ClientMsgID} {
				cols[c] = append(cols[c], v)
			}
			seqs[i] = m.Seq
		}
		var (
			upd    [2][]string
			updSeq = make([]int64, len(bumped))
		)
		for i, r := range bumped {
			upd[0], upd[1], updSeq[i] = append(upd[0], r.Tenant), append(upd[1], r.ID), r.LastSeq
		}
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO messages (tenant, room_id, seq, kind, event, author_id, author_name, text,
				client_msg_id, ref, deleted, created_at)
			SELECT u.tenant, u.room_id, u.seq, u.kind, u.event, u.author_id, u.author_name, u.text,
				u.client_msg_id, 0, false, $10
			FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
				$8::text[], $9::text[])
				AS u(tenant, room_id, seq, kind, event, author_id, author_name, text, client_msg_id)`,
			cols[0], cols[1], seqs, cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], now)
		b.Queue(`UPDATE rooms r SET last_seq = u.last_seq, last_activity = GREATEST(r.last_activity, $4)
			FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(tenant, id, last_seq)
			WHERE r.tenant = u.tenant AND r.id = u.id`,
			upd[0], upd[1], updSeq, now)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return nil, err
	}
	return plan.Results, nil
}

// lockForAppend locks the plan's rooms (in its order) and returns their
// last seqs (a missing room is absent) and the stored messages with the
// plan's keys, in one round trip. The lookup runs after the locks are held,
// so it sees every message committed to those rooms before.
func lockForAppend(ctx context.Context, tx pgx.Tx, plan *store.AppendPlan) (map[store.RoomKey]int64, map[store.DedupKey]chat.Message, error) {
	var rooms [2][]string
	for _, r := range plan.Rooms {
		rooms[0], rooms[1] = append(rooms[0], r.Tenant), append(rooms[1], r.ID)
	}
	b := &pgx.Batch{}
	lastSeq := make(map[store.RoomKey]int64, len(plan.Rooms))
	b.Queue(`SELECT r.tenant, r.id, r.last_seq FROM rooms r
		JOIN unnest($1::text[], $2::text[]) AS u(tenant, id) ON r.tenant = u.tenant AND r.id = u.id
		ORDER BY r.tenant, r.id FOR UPDATE OF r`, rooms[0], rooms[1]).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var k store.RoomKey
			var seq int64
			if err := rows.Scan(&k.Tenant, &k.ID, &seq); err != nil {
				return err
			}
			lastSeq[k] = seq
		}
		return rows.Err()
	})
	stored := make(map[store.DedupKey]chat.Message)
	if len(plan.Keys) > 0 {
		var keys [4][]string
		for _, k := range plan.Keys {
			for c, v := range []string{k.Tenant, k.RoomID, k.AuthorID, k.ClientMsgID} {
				keys[c] = append(keys[c], v)
			}
		}
		b.Queue(`SELECT m.tenant, m.room_id, m.seq, m.kind, m.event, m.author_id, m.author_name, m.text,
				m.client_msg_id, m.ref, m.deleted, m.created_at
			FROM messages m
			JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(tenant, room_id, author_id, client_msg_id)
				ON m.tenant = u.tenant AND m.room_id = u.room_id AND m.author_id = u.author_id
				AND m.client_msg_id = u.client_msg_id
			WHERE m.client_msg_id <> ''`, keys[0], keys[1], keys[2], keys[3]).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				m, err := scanMessage(rows)
				if err != nil {
					return err
				}
				k, _ := store.KeyOf(m)
				stored[k] = m
			}
			return rows.Err()
		})
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, nil, err
	}
	return lastSeq, stored, nil
}

// DeleteMessage tombstones a text message and appends its KindDelete; see
// chat.Store.
func (s *Store) DeleteMessage(ctx context.Context, tenant, roomID string, seq int64, userID string) (chat.Message, error) {
	var del chat.Message
	err := s.inTx(ctx, "delete message", func(tx pgx.Tx) error {
		_, lastSeq, err := lockRoom(ctx, tx, tenant, roomID)
		if err != nil {
			return err
		}
		var (
			kind         string
			author, name string
			deleted      bool
		)
		err = tx.QueryRow(ctx, `SELECT kind, author_id, author_name, deleted FROM messages
			WHERE tenant = $1 AND room_id = $2 AND seq = $3`, tenant, roomID, seq).Scan(&kind, &author, &name, &deleted)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && (chat.MessageKind(kind) != chat.KindText || deleted)) {
			return fmt.Errorf("message %d in room %q: %w", seq, roomID, chat.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if author != userID {
			return fmt.Errorf("message %d is not by user %q: %w", seq, userID, chat.ErrForbidden)
		}
		now := store.Now()
		del = chat.Message{
			Tenant: tenant, RoomID: roomID, Seq: lastSeq + 1, Kind: chat.KindDelete,
			AuthorID: userID, AuthorName: name, Ref: seq, CreatedAt: now,
		}
		b := &pgx.Batch{}
		b.Queue(`UPDATE messages SET text = '', deleted = true WHERE tenant = $1 AND room_id = $2 AND seq = $3`,
			tenant, roomID, seq)
		b.Queue(`UPDATE rooms SET last_seq = $3, last_activity = GREATEST(last_activity, $4) WHERE tenant = $1 AND id = $2`,
			tenant, roomID, del.Seq, now)
		b.Queue(`INSERT INTO messages (`+messageCols+`) VALUES ($1, $2, $3, $4, '', $5, $6, '', '', $7, false, $8)`,
			tenant, roomID, del.Seq, string(del.Kind), del.AuthorID, del.AuthorName, del.Ref, now)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return chat.Message{}, err
	}
	return del, nil
}

// History pages a room's messages by seq; see chat.Store and
// chat.HistoryOptions.
func (s *Store) History(ctx context.Context, tenant, roomID string, opts chat.HistoryOptions) ([]chat.Message, error) {
	const op = "history"
	limit := store.HistoryLimit(opts.Limit)
	var (
		rows pgx.Rows
		err  error
	)
	if opts.After > 0 {
		rows, err = s.pool.Query(ctx, `SELECT `+messageCols+` FROM messages
			WHERE tenant = $1 AND room_id = $2 AND seq > $3 ORDER BY seq LIMIT $4`, tenant, roomID, opts.After, limit)
	} else {
		before := opts.Before
		if before <= 0 {
			before = math.MaxInt64
		}
		rows, err = s.pool.Query(ctx, `SELECT `+messageCols+` FROM messages
			WHERE tenant = $1 AND room_id = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4`, tenant, roomID, before, limit)
	}
	if err != nil {
		return nil, store.Unavailable(op, err)
	}
	msgs, err := scanMessages(rows)
	if err != nil {
		return nil, store.Unavailable(op, err)
	}
	if opts.After <= 0 {
		slices.Reverse(msgs)
	}
	if len(msgs) == 0 {
		// Only an empty page needs to tell an empty room from a missing one.
		if err := roomExists(ctx, s.pool, tenant, roomID); err != nil {
			return nil, store.Wrap(op, err)
		}
	}
	return msgs, nil
}

// migrationTarget applies migrations on one connection that holds the
// migration lock.
type migrationTarget struct{ conn *pgx.Conn }

func (m migrationTarget) Applied(ctx context.Context) ([]int, error) {
	if _, err := m.conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL
	)`); err != nil {
		return nil, err
	}
	rows, err := m.conn.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int])
}

func (m migrationTarget) Apply(ctx context.Context, step migrate.Step) (bool, error) {
	tx, err := m.conn.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, step.Version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	// No arguments: pgx uses the simple protocol, which runs every
	// statement of the step.
	if _, err := tx.Exec(ctx, step.SQL); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		step.Version, step.Name, time.Now()); err != nil {
		return false, err
	}
	return true, tx.Commit(ctx)
}
