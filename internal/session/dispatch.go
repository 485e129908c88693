package session

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"golang.org/x/time/rate"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/protocol"
)

// handle dispatches one client message. Quick frames are handled here and
// nil is returned; for a frame that waits on the store it returns the
// operation, which the caller runs on its own goroutine with reading paused.
func (c *conn) handle(msg []byte) func() {
	var f protocol.ClientFrame
	if err := json.Unmarshal(msg, &f); err != nil {
		c.sendError("", protocol.Errorf(protocol.CodeBadRequest, "malformed frame: not a JSON object of the protocol"))
		return nil
	}
	c.mu.Lock()
	authed := c.authed
	c.mu.Unlock()
	if !authed {
		if f.Type != protocol.TypeAuth {
			c.fail(f.ID, protocol.Errorf(protocol.CodeUnauthenticated, "the first frame must be auth"), protocol.CloseAuthFailed)
			return nil
		}
		claims, err := c.srv.cfg.Tokens.Verify(f.Token, c.ten.ID)
		if err != nil {
			c.refuseAuth(f.ID, err)
			return nil
		}
		c.authenticate(claims)
		return nil
	}
	switch f.Type {
	case protocol.TypePing:
		c.queue(protocol.Ping{Type: protocol.TypePong, ID: f.ID})
	case protocol.TypePong:
	case protocol.TypeSend:
		c.send(&f)
	case protocol.TypeTyping:
		c.typing(&f)
	case protocol.TypeRefresh:
		c.refresh(&f)
	case protocol.TypeAuth:
		c.sendError(f.ID, protocol.Errorf(protocol.CodeBadRequest, "already authenticated"))
	case protocol.TypeSubscribe:
		return c.op(&f, c.srv.cfg.CatchUpTimeout, c.subscribe)
	case protocol.TypeUnsubscribe:
		return c.op(&f, c.srv.cfg.OpTimeout, c.unsubscribe)
	case protocol.TypeJoin:
		return c.op(&f, c.srv.cfg.OpTimeout, c.join)
	case protocol.TypeLeave:
		return c.op(&f, c.srv.cfg.OpTimeout, c.leave)
	case protocol.TypeHistory:
		return c.op(&f, c.srv.cfg.OpTimeout, c.history)
	case protocol.TypeDelete:
		return c.op(&f, c.srv.cfg.OpTimeout, c.delete)
	default:
		c.sendError(f.ID, protocol.Errorf(protocol.CodeUnknownType, "unknown frame type %q", f.Type))
	}
	return nil
}

// op validates the room id and wraps a store-backed handler: its error, if
// any, becomes an error frame echoing the request id.
func (c *conn) op(f *protocol.ClientFrame, timeout time.Duration, run func(ctx context.Context, f *protocol.ClientFrame) error) func() {
	if err := chat.ValidateID("room", f.Room); err != nil {
		c.sendError(f.ID, protocol.ErrorFrom(err))
		return nil
	}
	fr := *f
	return func() {
		ctx, cancel := context.WithTimeout(c.srv.ctx, timeout)
		defer cancel()
		if err := run(ctx, &fr); err != nil {
			if errors.Is(err, errConnClosed) {
				return
			}
			c.sendError(fr.ID, protocol.ErrorFrom(err))
		}
	}
}

// refuseAuth answers a token that failed verification and closes: 4003
// when its sign-in session was revoked (enter again through the host),
// else 4001.
func (c *conn) refuseAuth(id string, err error) {
	wire := auth.WireError(err)
	c.srv.log.Info("authentication refused", "conn", c.id, "tenant", c.ten.ID, "reason", wire.Code)
	code := protocol.CloseAuthFailed
	if wire.Code == protocol.CodeSessionRevoked {
		code = protocol.CloseSessionRevoked
	}
	c.fail(id, wire, code)
}

func (c *conn) authenticate(cl auth.Claims) {
	u := chat.User{Tenant: c.ten.ID, ID: cl.UserID, Name: cl.Name}
	c.mu.Lock()
	c.user, c.authed, c.sid, c.exp = u, true, cl.SessionID, cl.ExpiresAt
	c.mu.Unlock()
	ping := c.srv.cfg.PingInterval
	c.queue(protocol.Welcome{
		Type:        protocol.TypeWelcome,
		Version:     protocol.Version,
		ConnID:      c.id,
		Tenant:      c.ten.ID,
		UserID:      u.ID,
		Name:        u.Name,
		PingSeconds: int((ping + time.Second - 1) / time.Second),
		ExpiresAt:   cl.ExpiresAt.UnixMilli(),
		MaxText:     c.ten.Policy.MaxMessageLength,
	})
}

func (c *conn) send(f *protocol.ClientFrame) {
	if err := chat.ValidateID("room", f.Room); err != nil {
		c.sendError(f.ID, protocol.ErrorFrom(err))
		return
	}
	if f.ClientMsgID != "" {
		if err := chat.ValidateID("cmid", f.ClientMsgID); err != nil {
			c.sendError(f.ID, protocol.ErrorFrom(err))
			return
		}
	}
	if c.lim == nil {
		p := c.ten.Policy
		c.lim = rate.NewLimiter(rate.Limit(p.SendsPerSecond), p.SendBurst)
	}
	if !c.lim.Allow() {
		c.limited++
		if c.limited >= c.srv.cfg.FloodLimit {
			c.fail(f.ID, protocol.Errorf(protocol.CodeRateLimited, "kept sending after rate_limited"), protocol.CloseRateLimited)
			return
		}
		c.sendError(f.ID, protocol.Errorf(protocol.CodeRateLimited, "too many messages: at most %g per second", c.ten.Policy.SendsPerSecond))
		return
	}
	c.limited = 0
	id, room, cmid := f.ID, f.Room, f.ClientMsgID
	c.srv.cfg.Rooms.Send(c.srv.ctx, c.user, room, f.Text, cmid, func(res chat.AppendResult) {
		if res.Err != nil {
			c.sendError(id, protocol.ErrorFrom(res.Err))
			return
		}
		c.queue(protocol.Ack{
			Type:        protocol.TypeAck,
			ID:          id,
			Room:        room,
			Seq:         res.Message.Seq,
			ClientMsgID: res.Message.ClientMsgID,
			At:          res.Message.CreatedAt.UnixMilli(),
			Duplicate:   res.Duplicate,
		})
	})
}

func (c *conn) typing(f *protocol.ClientFrame) {
	c.mu.Lock()
	rs := c.subs[f.Room]
	c.mu.Unlock()
	if rs == nil {
		c.sendError(f.ID, protocol.Errorf(protocol.CodeNotSubscribed, "subscribe to the room first"))
		return
	}
	now := time.Now()
	if now.Sub(rs.typing) < c.srv.cfg.TypingInterval {
		return // throttled: dropped silently
	}
	rs.typing = now
	payload, _ := json.Marshal(protocol.Typing{Type: protocol.TypeTyping, Room: f.Room, User: c.user.ID, Name: c.user.Name})
	ctx, cancel := context.WithTimeout(c.srv.ctx, c.srv.cfg.OpTimeout)
	defer cancel()
	if err := c.srv.cfg.Rooms.PublishEphemeral(ctx, c.ten.ID, f.Room, payload); err != nil {
		c.srv.log.Warn("publish typing failed", "tenant", c.ten.ID, "room", f.Room, "err", err)
	}
}

func (c *conn) refresh(f *protocol.ClientFrame) {
	cl, err := c.srv.cfg.Tokens.Verify(f.Token, c.ten.ID)
	if err != nil {
		c.sendError(f.ID, auth.WireError(err))
		return
	}
	if cl.UserID != c.user.ID {
		c.sendError(f.ID, protocol.Errorf(protocol.CodeForbidden, "the token is for another user"))
		return
	}
	c.mu.Lock()
	c.exp, c.sid, c.warned = cl.ExpiresAt, cl.SessionID, false
	c.mu.Unlock()
	c.queue(protocol.Reply{Type: protocol.TypeReply, ID: f.ID, ExpiresAt: cl.ExpiresAt.UnixMilli()})
}

func (c *conn) unsubscribe(ctx context.Context, f *protocol.ClientFrame) error {
	if !c.dropSub(ctx, f.Room) {
		return protocol.Errorf(protocol.CodeNotSubscribed, "not subscribed to %s", f.Room)
	}
	c.queue(protocol.Reply{Type: protocol.TypeReply, ID: f.ID})
	return nil
}

// dropSub ends the connection's subscription to room, if any.
func (c *conn) dropSub(ctx context.Context, room string) bool {
	c.mu.Lock()
	rs := c.subs[room]
	delete(c.subs, room)
	entered := rs != nil && rs.entered
	c.mu.Unlock()
	if rs == nil {
		return false
	}
	rs.sub.Unsubscribe()
	if entered {
		c.presence(ctx, room, false)
	}
	return true
}

func (c *conn) join(ctx context.Context, f *protocol.ClientFrame) error {
	r, err := c.srv.cfg.Rooms.Join(ctx, c.user, f.Room)
	if err != nil {
		return err
	}
	online := 0
	if m, err := c.srv.cfg.Presence.Online(ctx, c.ten.ID, []string{r.ID}); err == nil {
		online = m[r.ID]
	}
	info := protocol.FromRoom(r, online)
	c.queue(protocol.Reply{Type: protocol.TypeReply, ID: f.ID, Room: &info})
	return nil
}

func (c *conn) leave(ctx context.Context, f *protocol.ClientFrame) error {
	if err := c.srv.cfg.Rooms.Leave(ctx, c.user, f.Room); err != nil {
		return err
	}
	c.queue(protocol.Reply{Type: protocol.TypeReply, ID: f.ID})
	return nil
}

func (c *conn) history(ctx context.Context, f *protocol.ClientFrame) error {
	msgs, err := c.srv.cfg.Rooms.History(ctx, c.user, f.Room, chat.HistoryOptions{Before: f.Before, After: f.After, Limit: f.Limit})
	if err != nil {
		return err
	}
	out := make([]protocol.Message, len(msgs))
	for i, m := range msgs {
		out[i] = protocol.FromMessage(m)
	}
	c.queue(protocol.Reply{Type: protocol.TypeReply, ID: f.ID, Messages: out})
	return nil
}

func (c *conn) delete(ctx context.Context, f *protocol.ClientFrame) error {
	if _, err := c.srv.cfg.Rooms.Delete(ctx, c.user, f.Room, f.Seq); err != nil {
		return err
	}
	c.queue(protocol.Reply{Type: protocol.TypeReply, ID: f.ID})
	return nil
}

// presence records entering or leaving room and publishes the online count
// when this node sees it change. ok is false when presence failed (then
// nothing was recorded).
func (c *conn) presence(ctx context.Context, room string, enter bool) (online int, ok bool) {
	p := c.srv.cfg.Presence
	var n int
	var err error
	if enter {
		n, err = p.Enter(ctx, c.ten.ID, room, c.user.ID)
	} else {
		n, err = p.Leave(ctx, c.ten.ID, room, c.user.ID)
	}
	if err != nil {
		c.srv.log.Warn("presence update failed", "tenant", c.ten.ID, "room", room, "err", err)
		return 0, false
	}
	if c.srv.hub.SetOnline(c.ten.ID, room, n) {
		payload, _ := json.Marshal(protocol.Presence{Type: protocol.TypePresence, Room: room, Online: n})
		if err := c.srv.cfg.Rooms.PublishEphemeral(ctx, c.ten.ID, room, payload); err != nil {
			c.srv.log.Warn("publish presence failed", "tenant", c.ten.ID, "room", room, "err", err)
		}
	}
	return n, true
}
