package session

import (
	"context"
	"fmt"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/hub"
	"github.com/parley-chat/parley/internal/protocol"
)

// catchUpPage is the store page size of a catch-up.
const catchUpPage = 200

// subscribe resumes a room without gap or duplicate:
//
//  1. check membership (ReadFrom gives the floor the user may read after);
//  2. register with the hub in buffering mode, so every message published
//     from now on is kept;
//  3. read the room's LastSeq: everything up to it is in the store, and
//     everything committed later is published after step 2, so it is in the
//     buffer (publish follows commit);
//  4. send the stored messages after max(after, floor) up to LastSeq, page
//     by page, waiting for the queue to drain rather than overflowing it;
//  5. send the buffered events that continue the last seq sent, then go live
//     and send "subscribed" under the subscription's lock.
//
// after = -1 skips the catch-up: live from the room's current LastSeq.
func (c *conn) subscribe(ctx context.Context, f *protocol.ClientFrame) error {
	room := f.Room
	c.mu.Lock()
	_, dup := c.subs[room]
	n := len(c.subs)
	c.mu.Unlock()
	if dup {
		return protocol.Errorf(protocol.CodeConflict, "already subscribed to %s", room)
	}
	// Subscriptions only grow through this operation, one at a time per
	// connection, so the check cannot be raced past.
	if limit := c.srv.cfg.MaxSubscriptions; n >= limit {
		return protocol.Errorf(protocol.CodeForbidden, "at most %d rooms subscribed per connection", limit)
	}
	if f.After < -1 {
		return protocol.Errorf(protocol.CodeBadRequest, "after must be -1 or a seq")
	}
	// Membership is checked before the hub subscription (which passes
	// ephemeral events through at once), and again once the subscription is
	// registered on the connection: a leave on another connection either
	// fails the second check or finds the subscription (EndMembership).
	if _, err := c.srv.cfg.Rooms.ReadFrom(ctx, c.user, room); err != nil {
		return err
	}
	rs := &roomSub{}
	sub, err := c.srv.hub.Subscribe(ctx, c.ten.ID, room, c, func() { c.srv.goOp(func() { c.repair(rs) }) })
	if err != nil {
		return err
	}
	rs.sub = sub
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		sub.Unsubscribe()
		return errConnClosed
	}
	if c.subs == nil {
		c.subs = make(map[string]*roomSub)
	}
	c.subs[room] = rs
	c.mu.Unlock()
	fail := func(err error) error {
		c.dropSub(context.WithoutCancel(ctx), room)
		return err
	}
	floor, err := c.srv.cfg.Rooms.ReadFrom(ctx, c.user, room)
	if err != nil {
		return fail(err)
	}
	r, err := c.srv.cfg.Rooms.Room(ctx, c.ten.ID, room)
	if err != nil {
		return fail(err)
	}
	if f.After > r.LastSeq {
		return fail(protocol.Errorf(protocol.CodeResumeAhead, "room %s is at seq %d, before %d", room, r.LastSeq, f.After))
	}
	// Presence is entered only now, and marked on the subscription under
	// the lock: whoever removes the subscription (dropSub, teardown) leaves
	// presence exactly when it was entered.
	online, entered := c.presence(ctx, room, true)
	c.mu.Lock()
	registered := c.subs[room] == rs
	if registered { // once removed, a roomSub is never written again
		rs.entered = entered
	}
	c.mu.Unlock()
	if !registered {
		if entered {
			c.presence(context.WithoutCancel(ctx), room, false)
		}
		return c.endedErr()
	}

	last := r.LastSeq
	if f.After >= 0 {
		last, err = c.catchUp(ctx, sub, room, max(f.After, floor), r.LastSeq)
		if err != nil {
			return fail(err)
		}
	}
	id := f.ID
	if _, ok := sub.Live(last, func(last int64) []byte {
		return jsonFrame(protocol.Subscribed{Type: protocol.TypeSubscribed, ID: id, Room: room, LastSeq: last, Online: online})
	}); !ok {
		return fail(c.endedErr())
	}
	return nil
}

// endedErr is why a subscription being set up was ended by someone else:
// the connection is closing, or the user's membership ended.
func (c *conn) endedErr() error {
	if c.isClosing() {
		return errConnClosed
	}
	return fmt.Errorf("subscribe: membership ended: %w", chat.ErrNotMember)
}

// catchUp sends the stored messages after `after` up to target, then the
// buffered live events that continue them, and returns the last seq sent.
func (c *conn) catchUp(ctx context.Context, sub *hub.Sub, room string, after, target int64) (int64, error) {
	last := after
	for last < target {
		msgs, complete, err := c.storePage(ctx, room, last)
		if err != nil {
			return last, err
		}
		for _, m := range msgs {
			if m.Seq <= last {
				continue
			}
			if err := c.sendWait(ctx, messageFrame(m)); err != nil {
				return last, err
			}
			last = m.Seq
		}
		if complete || len(msgs) == 0 {
			break
		}
	}
	for {
		frames := sub.Next(last, c.srv.cfg.QueueSize/4)
		if len(frames) == 0 {
			return last, nil
		}
		for _, f := range frames {
			if err := c.sendWait(ctx, f.Data); err != nil {
				return last, err
			}
			last = f.Seq
		}
	}
}

// storePage reads up to catchUpPage stored messages with seq > after, and
// whether that reached the end of the stored sequence.
func (c *conn) storePage(ctx context.Context, room string, after int64) ([]chat.Message, bool, error) {
	if after == 0 {
		// After 0 means "the newest page" to the store: ask for the first
		// window of seqs instead. When the room's seqs start above it
		// (older messages removed), read on from its end, or the catch-up
		// and the gap repair would find nothing for ever.
		msgs, err := c.srv.cfg.Store.History(ctx, c.ten.ID, room, chat.HistoryOptions{Before: catchUpPage + 1, Limit: catchUpPage})
		if err != nil || len(msgs) > 0 {
			return msgs, false, err
		}
		after = catchUpPage
	}
	msgs, err := c.srv.cfg.Store.History(ctx, c.ten.ID, room, chat.HistoryOptions{After: after, Limit: catchUpPage})
	if err != nil {
		return nil, false, err
	}
	return msgs, len(msgs) < catchUpPage, nil
}

// messageFrame encodes a stored message for one recipient (catch-up only;
// live messages arrive encoded once from the broker).
func messageFrame(m chat.Message) []byte {
	w := protocol.FromMessage(m)
	w.Type = protocol.TypeMessage
	return jsonFrame(&w)
}

// repair runs when a live subscription holds events back for a missing seq:
// after GapTimeout, if the seq still has not arrived, it reads the store. It
// answers the hub's onGap with exactly one Fill (unless the connection
// ended), which schedules the next repair if a gap remains.
func (c *conn) repair(rs *roomSub) {
	t := time.NewTimer(c.srv.cfg.GapTimeout)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.done:
		return
	case <-c.srv.ctx.Done():
		return
	}
	last, gap := rs.sub.Last()
	if !gap {
		rs.sub.Fill(nil, false) // answers onGap: a later gap schedules a new repair
		return
	}
	ctx, cancel := context.WithTimeout(c.srv.ctx, c.srv.cfg.OpTimeout)
	defer cancel()
	msgs, complete, err := c.storePage(ctx, rs.sub.Room(), last)
	if err != nil {
		c.srv.log.Warn("gap repair failed", "conn", c.id, "err", err)
		// The gap remains: try again later.
		rs.sub.Fill(nil, false)
		return
	}
	frames := make([]hub.Frame, len(msgs))
	for i, m := range msgs {
		frames[i] = hub.Frame{Seq: m.Seq, Data: messageFrame(m)}
	}
	rs.sub.Fill(frames, complete)
}
