package rooms

import (
	"context"
	"fmt"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/tenant"
)

// Send posts a text message from u to a room, asynchronously. It validates
// the text against the tenant's MaxMessageLength and a non-empty
// clientMsgID, checks that u is a member, and hands the message to the group
// committer. done is then called exactly once, from the committer goroutine,
// after the batch's commit returned and the message was published: with the
// stored message, with Duplicate=true and the original for a retried
// clientMsgID, or with Err (chat.ErrUnavailable for a failed commit or a
// ctx cancelled before the message was taken into a batch; once in a batch,
// ctx no longer matters). A send that fails validation, membership or
// admission calls done before Send returns, on the caller's goroutine.
//
// done must not block and must not call SendWait or Close.
func (s *Service) Send(ctx context.Context, u chat.User, roomID, text, clientMsgID string, done func(chat.AppendResult)) {
	msg, err := s.checkSend(ctx, u, roomID, text, clientMsgID)
	if err != nil {
		done(chat.AppendResult{Err: err})
		return
	}
	s.submit(&op{kind: opAppend, ctx: ctx, msg: msg, done: done})
}

// SendWait is Send for callers that block (REST): it returns when the
// message is stored, or with the error. The message is in the Store if and
// only if the error is nil.
func (s *Service) SendWait(ctx context.Context, u chat.User, roomID, text, clientMsgID string) (chat.AppendResult, error) {
	msg, err := s.checkSend(ctx, u, roomID, text, clientMsgID)
	if err != nil {
		return chat.AppendResult{}, err
	}
	r := s.wait(&op{kind: opAppend, ctx: ctx, msg: msg})
	if r.Err != nil {
		return chat.AppendResult{}, fmt.Errorf("send: %w", r.Err)
	}
	return r, nil
}

func (s *Service) checkSend(ctx context.Context, u chat.User, roomID, text, clientMsgID string) (chat.NewMessage, error) {
	t, err := s.tenant(u.Tenant)
	if err != nil {
		return chat.NewMessage{}, fmt.Errorf("send: %w", err)
	}
	if err := chat.ValidateID("room id", roomID); err != nil {
		return chat.NewMessage{}, fmt.Errorf("send: %w", err)
	}
	if err := chat.ValidateText(text, t.Policy.MaxMessageLength); err != nil {
		return chat.NewMessage{}, fmt.Errorf("send: %w", err)
	}
	if clientMsgID != "" {
		if err := chat.ValidateID("client message id", clientMsgID); err != nil {
			return chat.NewMessage{}, fmt.Errorf("send: %w", err)
		}
	}
	if _, err := s.store.Member(ctx, u.Tenant, roomID, u.ID); err != nil {
		return chat.NewMessage{}, wrap("send", err)
	}
	return chat.NewMessage{
		Tenant:      u.Tenant,
		RoomID:      roomID,
		Kind:        chat.KindText,
		AuthorID:    u.ID,
		AuthorName:  u.Name,
		Text:        text,
		ClientMsgID: clientMsgID,
	}, nil
}

// Delete tombstones u's own message seq and returns the KindDelete message
// that records it, after publishing it like a send. u must be a member;
// another user's message is chat.ErrForbidden, a missing or already deleted
// one chat.ErrNotFound.
func (s *Service) Delete(ctx context.Context, u chat.User, roomID string, seq int64) (chat.Message, error) {
	if _, err := s.tenant(u.Tenant); err != nil {
		return chat.Message{}, fmt.Errorf("delete: %w", err)
	}
	if err := chat.ValidateID("room id", roomID); err != nil {
		return chat.Message{}, fmt.Errorf("delete: %w", err)
	}
	if seq <= 0 {
		return chat.Message{}, fmt.Errorf("delete: seq %d must be positive: %w", seq, chat.ErrInvalid)
	}
	if _, err := s.store.Member(ctx, u.Tenant, roomID, u.ID); err != nil {
		return chat.Message{}, wrap("delete", err)
	}
	r := s.wait(&op{kind: opDelete, ctx: ctx, seq: seq,
		msg: chat.NewMessage{Tenant: u.Tenant, RoomID: roomID, AuthorID: u.ID}})
	if r.Err != nil {
		return chat.Message{}, fmt.Errorf("delete: %w", r.Err)
	}
	return r.Message, nil
}

// ReadFrom checks that u may read the room and returns the seq after which
// they may: 0 when the tenant shows history to newcomers, else the seq the
// room had reached when u joined. Not a member: chat.ErrNotMember; no such
// room: chat.ErrNotFound.
func (s *Service) ReadFrom(ctx context.Context, u chat.User, roomID string) (int64, error) {
	t, err := s.tenant(u.Tenant)
	if err != nil {
		return 0, fmt.Errorf("read room: %w", err)
	}
	return s.readFrom(ctx, t, u, roomID)
}

func (s *Service) readFrom(ctx context.Context, t *tenant.Tenant, u chat.User, roomID string) (int64, error) {
	if err := chat.ValidateID("room id", roomID); err != nil {
		return 0, fmt.Errorf("read room: %w", err)
	}
	m, err := s.store.Member(ctx, t.ID, roomID, u.ID)
	if err != nil {
		return 0, wrap("read room", err)
	}
	if t.Policy.HistoryForNewcomers {
		return 0, nil
	}
	return m.JoinedSeq, nil
}

// History pages a room's messages for a member (see chat.HistoryOptions),
// never returning a message at or below the member's ReadFrom floor.
func (s *Service) History(ctx context.Context, u chat.User, roomID string, opts chat.HistoryOptions) ([]chat.Message, error) {
	t, err := s.tenant(u.Tenant)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if opts.Before < 0 || opts.After < 0 || opts.Limit < 0 {
		return nil, fmt.Errorf("history: before, after and limit must not be negative: %w", chat.ErrInvalid)
	}
	floor, err := s.readFrom(ctx, t, u, roomID)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	// Forward pages start no lower than the floor. Backward pages (After
	// 0) are asked as they are, so that they still end at Before or the
	// newest message, and cut below.
	if opts.After > 0 && opts.After < floor {
		opts.After = floor
	}
	if opts.After == 0 && opts.Before > 0 && opts.Before <= floor+1 {
		return []chat.Message{}, nil
	}
	msgs, err := s.store.History(ctx, t.ID, roomID, opts)
	if err != nil {
		return nil, wrap("history", err)
	}
	cut := 0
	for cut < len(msgs) && msgs[cut].Seq <= floor {
		cut++
	}
	return msgs[cut:], nil
}

// Announce stores and publishes a host announcement: a system message with
// Event "announce" and no author. The room may be of any kind.
func (s *Service) Announce(ctx context.Context, tenantID, roomID, text string) (chat.Message, error) {
	t, err := s.tenant(tenantID)
	if err != nil {
		return chat.Message{}, fmt.Errorf("announce: %w", err)
	}
	if err := chat.ValidateID("room id", roomID); err != nil {
		return chat.Message{}, fmt.Errorf("announce: %w", err)
	}
	if err := chat.ValidateText(text, t.Policy.MaxMessageLength); err != nil {
		return chat.Message{}, fmt.Errorf("announce: %w", err)
	}
	r := s.wait(&op{kind: opAppend, ctx: ctx, msg: chat.NewMessage{
		Tenant: t.ID, RoomID: roomID, Kind: chat.KindSystem, Event: chat.EventAnnounce, Text: text,
	}})
	if r.Err != nil {
		return chat.Message{}, fmt.Errorf("announce: %w", r.Err)
	}
	return r.Message, nil
}

// PublishEphemeral fans an encoded frame that is not stored (typing,
// presence) out to the room's subscribers on every node, as an event with
// Seq 0. The room is not looked up: callers check access first.
func (s *Service) PublishEphemeral(ctx context.Context, tenantID, roomID string, payload []byte) error {
	if _, err := s.tenant(tenantID); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if len(payload) == 0 {
		return fmt.Errorf("publish: empty payload: %w", chat.ErrInvalid)
	}
	if err := s.broker.Publish(ctx, chat.Event{Tenant: tenantID, RoomID: roomID, Payload: payload}); err != nil {
		return wrap("publish", err)
	}
	return nil
}

// systemMessage appends a join or leave message authored by u through the
// committer. Its failure is logged, not returned: the membership change it
// reports has happened and is what the caller asked for.
func (s *Service) systemMessage(ctx context.Context, u chat.User, roomID, event string) {
	r := s.wait(&op{kind: opAppend, ctx: context.WithoutCancel(ctx), msg: chat.NewMessage{
		Tenant: u.Tenant, RoomID: roomID, Kind: chat.KindSystem, Event: event, AuthorID: u.ID, AuthorName: u.Name,
	}})
	if r.Err != nil {
		s.log.Warn("system message not stored", "tenant", u.Tenant, "room", roomID, "event", event, "err", r.Err)
	}
}
