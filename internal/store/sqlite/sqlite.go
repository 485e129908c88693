// Package sqlite is the embedded chat.Store: one SQLite file, written
// through a single connection so that batches serialize without
// SQLITE_BUSY, read through a small pool that WAL lets run beside the
// writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/migrate"
)

var _ chat.Store = (*Store)(nil)

//go:embed migrations/*.sql
var migrations embed.FS

// readConns is the size of the read pool: enough for History and ListRooms
// to run beside each other and beside the writer on a small machine.
const readConns = 4

// Store is a chat.Store in one SQLite file. It is safe for concurrent use.
type Store struct {
	write  *sql.DB // one connection: every write transaction, in turn
	read   *sql.DB // query_only connections
	logger *slog.Logger

	// Statements of the append path, prepared once on the write connection.
	roomSeq    *sql.Stmt
	byClientID *sql.Stmt
	insertMsg  *sql.Stmt
	setSeq     *sql.Stmt
}

// Open opens (creating it and its directory if needed) the database file at
// path, applies pending migrations and returns the store. Open is all that
// `parley migrate` needs for SQLite.
//
// Pragmas, per connection:
//   - journal_mode=WAL: readers never block the writer nor each other.
//   - synchronous=FULL: every commit fsyncs the WAL before it returns, so a
//     message acknowledged after AppendMessages returns survives a power
//     cut. With NORMAL, WAL commits are only fsynced at checkpoints and the
//     last transactions can be lost. FULL costs one fsync per transaction,
//     which group commit (a whole AppendMessages batch in one transaction)
//     spreads over the batch.
//   - foreign_keys=ON: members and messages cannot outlive their room.
//   - busy_timeout: another process (a backup, `parley migrate`) holding
//     the lock makes us wait rather than fail at once.
func Open(ctx context.Context, path string, logger *slog.Logger) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") || path == ":memory:" {
		return nil, fmt.Errorf("open sqlite store: path %q must be a plain file path", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	logger = logger.With("component", "store", "store", "sqlite")
	common := url.Values{"_pragma": {"busy_timeout(10000)", "foreign_keys(1)", "synchronous(FULL)"}}

	// BEGIN IMMEDIATE: a write transaction takes the lock when it starts,
	// never by upgrading a read lock halfway (which can fail with BUSY).
	w := url.Values{"_pragma": slices.Concat(common["_pragma"], []string{"journal_mode(WAL)"}), "_txlock": {"immediate"}}
	write, err := sql.Open("sqlite", path+"?"+w.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	s := &Store{write: write, logger: logger}
	if err := s.init(ctx, path, common); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	logger.Info("store opened", "path", path)
	return s, nil
}

func (s *Store) init(ctx context.Context, path string, common url.Values) error {
	var mode string
	if err := s.write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, want wal (is the file system local?)", mode)
	}
	steps, err := migrate.Load(migrations, "migrations")
	if err != nil {
		return err
	}
	if _, err := migrate.Run(ctx, migrationTarget{s.write}, steps, s.logger); err != nil {
		return err
	}

	r := url.Values{"_pragma": slices.Concat(common["_pragma"], []string{"query_only(1)"})}
	s.read, err = sql.Open("sqlite", path+"?"+r.Encode())
	if err != nil {
		return err
	}
	s.read.SetMaxOpenConns(readConns)
	s.read.SetMaxIdleConns(readConns)
	if err := s.read.PingContext(ctx); err != nil {
		return err
	}

	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&s.byClientID, `SELECT ` + messageCols + ` FROM messages
			WHERE tenant = ? AND room_id = ? AND author_id = ? AND client_msg_id = ?
			AND client_msg_id <> ''`}, // lets the planner use the partial unique index
		{&s.roomSeq, `SELECT last_seq FROM rooms WHERE tenant = ? AND id = ?`},
		{&s.insertMsg, `INSERT INTO messages (tenant, room_id, seq, kind, event, author_id, author_name,
			text, client_msg_id, ref, deleted, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`},
		{&s.setSeq, `UPDATE rooms SET last_seq = ?, last_activity = max(last_activity, ?)
			WHERE tenant = ? AND id = ?`},
	} {
		if *p.stmt, err = s.write.PrepareContext(ctx, p.sql); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the database. Pending writes have committed or failed by
// the time it returns.
func (s *Store) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.roomSeq, s.byClientID, s.insertMsg, s.setSeq} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	// Keep the query planner's statistics fresh for the next start.
	if _, err := s.write.Exec("PRAGMA optimize"); err != nil {
		s.logger.Warn("pragma optimize failed", "err", err)
	}
	errs = append(errs, s.write.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close sqlite store: %w", err)
	}
	return nil
}

// inTx runs fn in one write transaction (BEGIN IMMEDIATE on the single
// write connection) and commits it. Errors are wrapped with op by
// store.Wrap: domain errors keep their meaning, the rest mean unavailable.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return store.Unavailable(op, err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	if err := fn(tx); err != nil {
		return store.Wrap(op, err)
	}
	if err := tx.Commit(); err != nil {
		return store.Unavailable(op, err)
	}
	return nil
}

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// roomExists reports chat.ErrNotFound for a missing room.
func roomExists(ctx context.Context, q queryer, tenant, roomID string) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM rooms WHERE tenant = ? AND id = ?`, tenant, roomID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("room %q: %w", roomID, chat.ErrNotFound)
	}
	return err
}

const roomCols = `r.tenant, r.id, r.kind, r.title, r.topic, r.tags, r.owner_id,
	r.member_count, r.last_seq, r.last_activity, r.created_at`

type scanner interface{ Scan(dest ...any) error }

func scanRoom(sc scanner) (chat.Room, error) {
	var (
		r                 chat.Room
		tags              string
		activity, created int64
	)
	err := sc.Scan(&r.Tenant, &r.ID, &r.Kind, &r.Title, &r.Topic, &tags, &r.OwnerID,
		&r.MemberCount, &r.LastSeq, &activity, &created)
	if err != nil {
		return chat.Room{}, err
	}
	if err := json.Unmarshal([]byte(tags), &r.Tags); err != nil {
		return chat.Room{}, fmt.Errorf("room %q tags: %w", r.ID, err)
	}
	if r.Tags == nil {
		r.Tags = []string{}
	}
	r.LastActivity, r.CreatedAt = store.FromMillis(activity), store.FromMillis(created)
	return r, nil
}

func scanRooms(rows *sql.Rows) ([]chat.Room, error) {
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
	tags, err := json.Marshal(r.Tags)
	if err != nil {
		return chat.Room{}, fmt.Errorf("%s: %w", op, err)
	}
	err = s.inTx(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO rooms (tenant, id, kind, title, title_fold, topic, tags,
			owner_id, member_count, last_seq, last_activity, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?) ON CONFLICT DO NOTHING`,
			r.Tenant, r.ID, r.Kind, r.Title, store.Fold(r.Title), r.Topic, string(tags), r.OwnerID,
			now.UnixMilli(), now.UnixMilli())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("room %q: %w", r.ID, chat.ErrConflict)
		}
		for _, tag := range r.Tags {
			if _, err := tx.ExecContext(ctx, `INSERT INTO room_tags (tenant, room_id, tag) VALUES (?, ?, ?)`,
				r.Tenant, r.ID, tag); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return chat.Room{}, err
	}
	return r, nil
}

// Room returns one room; see chat.Store.
func (s *Store) Room(ctx context.Context, tenant, roomID string) (chat.Room, error) {
	r, err := scanRoom(s.read.QueryRowContext(ctx,
		`SELECT `+roomCols+` FROM rooms r WHERE r.tenant = ? AND r.id = ?`, tenant, roomID))
	if errors.Is(err, sql.ErrNoRows) {
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
	b.WriteString(`SELECT ` + roomCols + ` FROM rooms r WHERE r.tenant = ? AND r.kind = 'open'`)
	args := []any{tenant}
	const hasTag = ` EXISTS (SELECT 1 FROM room_tags t WHERE t.tenant = r.tenant AND t.room_id = r.id AND t.tag = ?)`
	if q.Search != "" {
		b.WriteString(` AND (instr(r.title_fold, ?) > 0 OR` + hasTag + `)`)
		args = append(args, store.Fold(q.Search), q.Search)
	}
	if q.Tag != "" {
		b.WriteString(` AND` + hasTag)
		args = append(args, q.Tag)
	}
	if q.Cursor != "" {
		c, err := store.DecodeCursor(q.Cursor)
		if err != nil {
			return chat.RoomPage{}, fmt.Errorf("%s: %w", op, err)
		}
		ms := c.LastActivity.UnixMilli()
		b.WriteString(` AND (r.last_activity < ? OR (r.last_activity = ? AND r.id > ?))`)
		args = append(args, ms, ms, c.ID)
	}
	b.WriteString(` ORDER BY r.last_activity DESC, r.id LIMIT ?`)
	args = append(args, limit+1) // one more tells whether a next page exists

	rows, err := s.read.QueryContext(ctx, b.String(), args...)
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
	rows, err := s.read.QueryContext(ctx, `SELECT `+roomCols+` FROM members m
		JOIN rooms r ON r.tenant = m.tenant AND r.id = m.room_id
		WHERE m.tenant = ? AND m.user_id = ?
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

func scanMember(sc scanner) (chat.Member, error) {
	var (
		m      chat.Member
		joined int64
	)
	if err := sc.Scan(&m.Tenant, &m.RoomID, &m.UserID, &m.Name, &m.Role, &m.JoinedSeq, &joined); err != nil {
		return chat.Member{}, err
	}
	m.JoinedAt = store.FromMillis(joined)
	return m, nil
}

func member(ctx context.Context, q queryer, tenant, roomID, userID string) (chat.Member, error) {
	m, err := scanMember(q.QueryRowContext(ctx, `SELECT `+memberCols+` FROM members
		WHERE tenant = ? AND room_id = ? AND user_id = ?`, tenant, roomID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		if err := roomExists(ctx, q, tenant, roomID); err != nil {
			return chat.Member{}, err
		}
		return chat.Member{}, fmt.Errorf("user %q in room %q: %w", userID, roomID, chat.ErrNotMember)
	}
	return m, err
}

// AddMember adds a membership; see chat.Store.
func (s *Store) AddMember(ctx context.Context, m chat.Member, maxMembers int) (chat.Member, bool, error) {
	const op = "add member"
	role, err := store.MemberRole(m)
	if err != nil {
		return chat.Member{}, false, fmt.Errorf("%s: %w", op, err)
	}
	var created bool
	err = s.inTx(ctx, op, func(tx *sql.Tx) error {
		var count int
		var lastSeq int64
		err := tx.QueryRowContext(ctx, `SELECT member_count, last_seq FROM rooms WHERE tenant = ? AND id = ?`,
			m.Tenant, m.RoomID).Scan(&count, &lastSeq)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("room %q: %w", m.RoomID, chat.ErrNotFound)
		}
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
		now := store.Now()
		m.Role, m.JoinedSeq, m.JoinedAt = role, lastSeq, now
		if _, err := tx.ExecContext(ctx, `INSERT INTO members (`+memberCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			m.Tenant, m.RoomID, m.UserID, m.Name, m.Role, m.JoinedSeq, now.UnixMilli()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE rooms SET member_count = member_count + 1 WHERE tenant = ? AND id = ?`,
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
	return s.inTx(ctx, "remove member", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM members WHERE tenant = ? AND room_id = ? AND user_id = ?`,
			tenant, roomID, userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if err := roomExists(ctx, tx, tenant, roomID); err != nil {
				return err
			}
			return fmt.Errorf("user %q in room %q: %w", userID, roomID, chat.ErrNotMember)
		}
		_, err = tx.ExecContext(ctx, `UPDATE rooms SET member_count = member_count - 1 WHERE tenant = ? AND id = ?`,
			tenant, roomID)
		return err
	})
}

// Member returns one membership; see chat.Store.
func (s *Store) Member(ctx context.Context, tenant, roomID, userID string) (chat.Member, error) {
	m, err := member(ctx, s.read, tenant, roomID, userID)
	if err != nil {
		return chat.Member{}, store.Wrap("member", err)
	}
	return m, nil
}

const messageCols = `tenant, room_id, seq, kind, event, author_id, author_name, text, client_msg_id, ref, deleted, created_at`

func scanMessage(sc scanner) (chat.Message, error) {
	var (
		m       chat.Message
		created int64
	)
	err := sc.Scan(&m.Tenant, &m.RoomID, &m.Seq, &m.Kind, &m.Event, &m.AuthorID, &m.AuthorName,
		&m.Text, &m.ClientMsgID, &m.Ref, &m.Deleted, &created)
	if err != nil {
		return chat.Message{}, err
	}
	m.CreatedAt = store.FromMillis(created)
	return m, nil
}

// AppendMessages stores a batch in one transaction; see chat.Store. The
// whole batch costs one fsync. The single write connection serialises
// batches, so reading a room's last seq and writing the next one cannot
// race.
func (s *Store) AppendMessages(ctx context.Context, batch []chat.NewMessage) ([]chat.AppendResult, error) {
	plan := store.PlanAppend(batch)
	if len(plan.Rooms) == 0 {
		return plan.Results, nil
	}
	now := store.Now()
	err := s.inTx(ctx, "append messages", func(tx *sql.Tx) error {
		roomSeq := tx.StmtContext(ctx, s.roomSeq)
		lastSeq := make(map[store.RoomKey]int64, len(plan.Rooms))
		for _, r := range plan.Rooms {
			var seq int64
			err := roomSeq.QueryRowContext(ctx, r.Tenant, r.ID).Scan(&seq)
			if errors.Is(err, sql.ErrNoRows) {
				continue // Assign reports the room missing
			}
			if err != nil {
				return err
			}
			lastSeq[r] = seq
		}
		stored := make(map[store.DedupKey]chat.Message)
		if len(plan.Keys) > 0 {
			byClientID := tx.StmtContext(ctx, s.byClientID)
			for _, k := range plan.Keys {
				m, err := scanMessage(byClientID.QueryRowContext(ctx, k.Tenant, k.RoomID, k.AuthorID, k.ClientMsgID))
				if errors.Is(err, sql.ErrNoRows) {
					continue
				}
				if err != nil {
					return err
				}
				stored[k] = m
			}
		}
		insert, bumped := plan.Assign(lastSeq, stored, now)
		insertMsg := tx.StmtContext(ctx, s.insertMsg)
		for _, m := range insert {
			if err := execInsert(ctx, insertMsg, m); err != nil {
				return err
			}
		}
		setSeq := tx.StmtContext(ctx, s.setSeq)
		for _, r := range bumped {
			if _, err := setSeq.ExecContext(ctx, r.LastSeq, now.UnixMilli(), r.Tenant, r.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return plan.Results, nil
}

func execInsert(ctx context.Context, insert *sql.Stmt, m chat.Message) error {
	_, err := insert.ExecContext(ctx, m.Tenant, m.RoomID, m.Seq, m.Kind, m.Event, m.AuthorID, m.AuthorName,
		m.Text, m.ClientMsgID, m.Ref, m.CreatedAt.UnixMilli())
	return err
}

// DeleteMessage tombstones a text message and appends its KindDelete; see
// chat.Store.
func (s *Store) DeleteMessage(ctx context.Context, tenant, roomID string, seq int64, userID string) (chat.Message, error) {
	var del chat.Message
	err := s.inTx(ctx, "delete message", func(tx *sql.Tx) error {
		var (
			kind         chat.MessageKind
			author, name string
			deleted      bool
		)
		err := tx.QueryRowContext(ctx, `SELECT kind, author_id, author_name, deleted FROM messages
			WHERE tenant = ? AND room_id = ? AND seq = ?`, tenant, roomID, seq).Scan(&kind, &author, &name, &deleted)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (kind != chat.KindText || deleted)) {
			return fmt.Errorf("message %d in room %q: %w", seq, roomID, chat.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if author != userID {
			return fmt.Errorf("message %d is not by user %q: %w", seq, userID, chat.ErrForbidden)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET text = '', deleted = 1
			WHERE tenant = ? AND room_id = ? AND seq = ?`, tenant, roomID, seq); err != nil {
			return err
		}
		var last int64
		if err := tx.StmtContext(ctx, s.roomSeq).QueryRowContext(ctx, tenant, roomID).Scan(&last); err != nil {
			return err
		}
		now := store.Now()
		del = chat.Message{
			Tenant: tenant, RoomID: roomID, Seq: last + 1, Kind: chat.KindDelete,
			AuthorID: userID, AuthorName: name, Ref: seq, CreatedAt: now,
		}
		if err := execInsert(ctx, tx.StmtContext(ctx, s.insertMsg), del); err != nil {
			return err
		}
		_, err = tx.StmtContext(ctx, s.setSeq).ExecContext(ctx, del.Seq, now.UnixMilli(), tenant, roomID)
		return err
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
		rows *sql.Rows
		err  error
	)
	if opts.After > 0 {
		rows, err = s.read.QueryContext(ctx, `SELECT `+messageCols+` FROM messages
			WHERE tenant = ? AND room_id = ? AND seq > ? ORDER BY seq LIMIT ?`, tenant, roomID, opts.After, limit)
	} else {
		before := opts.Before
		if before <= 0 {
			before = math.MaxInt64
		}
		rows, err = s.read.QueryContext(ctx, `SELECT `+messageCols+` FROM messages
			WHERE tenant = ? AND room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`, tenant, roomID, before, limit)
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
		if err := roomExists(ctx, s.read, tenant, roomID); err != nil {
			return nil, store.Wrap(op, err)
		}
	}
	return msgs, nil
}

func scanMessages(rows *sql.Rows) ([]chat.Message, error) {
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

// migrationTarget applies migrations through the write connection.
type migrationTarget struct{ db *sql.DB }

func (m migrationTarget) Applied(ctx context.Context) ([]int, error) {
	if _, err := m.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return nil, err
	}
	rows, err := m.db.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var versions []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		versions = append(versions, v)
	}
	return versions, rows.Err()
}

func (m migrationTarget) Apply(ctx context.Context, step migrate.Step) (bool, error) {
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback() }()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, step.Version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, step.SQL); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		step.Version, step.Name, store.Now().UnixMilli()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}
