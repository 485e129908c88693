package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/gobwas/ws"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/hub"
	"github.com/parley-chat/parley/internal/netpoll"
	"github.com/parley-chat/parley/internal/protocol"
	"github.com/parley-chat/parley/internal/tenant"
)

var errConnClosed = errors.New("connection closed")

// firstByteTimeout bounds the wait for the first byte after a readiness
// notification: data is already there unless the notification was spurious.
const firstByteTimeout = 500 * time.Millisecond

// maxSpareQueue: a drained queue slice up to this capacity is kept for the
// next burst; a bigger one is dropped so an idle connection stays small.
const maxSpareQueue = 32

// conn is one client connection.
//
// The read side (pre, rd, lim, limited, the roomSub typing times) is touched
// only by the current read turn or the operation it started: the poller is
// one-shot, and the handle is re-armed only when a turn (or its operation)
// is over, so there is never more than one.
type conn struct {
	srv    *Server
	nc     net.Conn
	h      *netpoll.Handle
	ten    *tenant.Tenant
	id     string
	turnFn func() // c.turn, allocated once
	flushF func() // c.flush, allocated once
	born   time.Time

	pre     []byte  // bytes read by the HTTP server past the upgrade request
	rd      *reader // kept only while a suspended turn has buffered bytes
	lim     *rate.Limiter
	limited int // rate-limited sends in a row

	lastRead atomic.Int64 // Unix ns of the last client frame

	mu       sync.Mutex
	authed   bool
	user     chat.User // set once at authentication
	sid      string
	exp      time.Time
	warned   bool  // "expiring" sent for exp
	pinged   int64 // Unix ns of the last ping sent
	busy     bool  // an operation runs; reading is paused
	q        [][]byte
	spare    [][]byte
	bufs     net.Buffers // the slice being written (flush only)
	flushing bool
	closing  bool      // a close frame is queued: nothing more is accepted
	lingerTo time.Time // when closing: teardown no later than this
	closed   bool      // torn down
	space    chan struct{}
	subs     map[string]*roomSub
	done     chan struct{} // closed by teardown
}

// roomSub is one subscription of the connection.
type roomSub struct {
	sub     *hub.Sub
	entered bool      // presence was entered for it (guarded by conn.mu)
	typing  time.Time // last typing event published (read side only)
}

func newConn(s *Server, nc net.Conn, ten *tenant.Tenant) *conn {
	var id [8]byte
	_, _ = rand.Read(id[:])
	c := &conn{srv: s, nc: nc, ten: ten, id: hex.EncodeToString(id[:]), born: time.Now(), done: make(chan struct{})}
	c.turnFn = c.turn
	c.flushF = c.flush
	c.lastRead.Store(c.born.UnixNano())
	return c
}

// Read serves the pooled bufio.Reader: first the bytes the HTTP server had
// already buffered, then the socket.
func (c *conn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		if len(c.pre) == 0 {
			c.pre = nil
		}
		return n, nil
	}
	return c.nc.Read(p)
}

func (c *conn) rearm() {
	if c.h == nil {
		return
	}
	if err := c.h.Rearm(); err != nil && !errors.Is(err, netpoll.ErrClosed) {
		c.srv.log.Warn("poller rearm failed", "conn", c.id, "err", err)
		c.teardown()
	}
}

// turn runs on a pool worker when the socket is readable (or when a
// suspended turn resumes): it reads and dispatches every frame waiting.
func (c *conn) turn() {
	c.mu.Lock()
	closing, closed := c.closing, c.closed
	c.mu.Unlock()
	if closed {
		return
	}
	if closing {
		c.drainClosing()
		return
	}
	rd := c.rd
	c.rd = nil
	if rd == nil {
		rd = getReader(c)
	}
	cfg := &c.srv.cfg
	for {
		if rd.br.Buffered() == 0 && len(c.pre) == 0 {
			_ = c.nc.SetReadDeadline(time.Now().Add(firstByteTimeout))
			if _, err := rd.br.Peek(1); err != nil {
				putReader(rd)
				if isTimeout(err) { // spurious readiness
					c.rearm()
				} else {
					c.teardown()
				}
				return
			}
		}
		_ = c.nc.SetReadDeadline(time.Now().Add(cfg.ReadTimeout))
		opc, msg, err := rd.readMessage(cfg.MaxFrame, c.onControl)
		if err != nil {
			putReader(rd)
			c.readFailed(err)
			return
		}
		c.lastRead.Store(time.Now().UnixNano())
		if opc != ws.OpText {
			putReader(rd)
			c.fail("", protocol.Errorf(protocol.CodeBadRequest, "binary frames are not supported"), protocol.CloseProtocolError)
			c.rearm()
			return
		}
		if op := c.handle(msg); op != nil {
			// The operation takes over the read side; it resumes reading
			// when done, with the bytes still buffered.
			if rd.br.Buffered() > 0 {
				c.rd = rd
			} else {
				putReader(rd)
			}
			c.mu.Lock()
			c.busy = true
			c.mu.Unlock()
			c.srv.goOp(func() {
				op()
				c.resume()
			})
			return
		}
		if rd.br.Buffered() == 0 || c.isClosing() {
			break
		}
	}
	putReader(rd)
	c.rearm()
}

// resume continues reading after an operation.
func (c *conn) resume() {
	c.mu.Lock()
	c.busy = false
	c.mu.Unlock()
	if c.rd != nil {
		if !c.srv.poller.Submit(c.turnFn) {
			putReader(c.rd)
			c.rd = nil
		}
		return
	}
	c.rearm()
}

func (c *conn) readFailed(err error) {
	switch {
	case errors.Is(err, errTooBig):
		c.fail("", protocol.Errorf(protocol.CodeFrameTooLarge, "frames are limited to %d bytes", c.srv.cfg.MaxFrame), protocol.CloseTooBig)
		c.rearm()
	case errors.Is(err, errProtocol):
		c.closeWith(protocol.CloseProtocolError, "protocol error", false)
		c.rearm()
	case errors.Is(err, errPeerClosed):
		c.rearm() // onControl queued our close; the peer's EOF ends it
	default: // EOF, reset, or a frame that stalled past ReadTimeout
		c.teardown()
	}
}

func (c *conn) onControl(f control) {
	switch f.op {
	case ws.OpPing:
		c.Send(controlFrame(ws.OpPong, append([]byte(nil), f.payload...)))
	case ws.OpClose:
		c.closeWith(echoCloseCode(f.payload), "", false)
	}
}

// echoCloseCode is the code the server answers a client's close frame
// with: the client's own code when RFC 6455 (section 7.4) lets an endpoint
// send it, 1000 for an empty close, and 1002 for a malformed payload or a
// code that must never be sent (1004-1006, 1015, below 1000, 1016-2999 not
// registered, 5000 and above).
func echoCloseCode(payload []byte) int {
	switch len(payload) {
	case 0:
		return protocol.CloseNormal
	case 1:
		return protocol.CloseProtocolError
	}
	code := int(payload[0])<<8 | int(payload[1])
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014, code >= 3000 && code <= 4999:
		return code
	default:
		return protocol.CloseProtocolError
	}
}

// drainClosing discards what the peer still sends after our close frame and
// ends the connection at its end of stream.
func (c *conn) drainClosing() {
	_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	_, err := io.Copy(io.Discard, c.nc)
	if err != nil && isTimeout(err) {
		c.rearm()
		return
	}
	c.teardown()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (c *conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// Send queues frame without blocking (hub.Sink). A full queue closes the
// connection with 4008.
func (c *conn) Send(frame []byte) bool {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return false
	}
	if len(c.q) >= c.srv.cfg.QueueSize {
		c.mu.Unlock()
		c.Overflow()
		return false
	}
	start := c.pushLocked(frame)
	c.mu.Unlock()
	if start {
		c.srv.poller.Submit(c.flushF)
	}
	return true
}

// pushLocked appends to the queue and reports whether a flush must be
// scheduled.
func (c *conn) pushLocked(frames ...[]byte) bool {
	if c.q == nil {
		c.q, c.spare = c.spare, nil
	}
	c.q = append(c.q, frames...)
	if c.flushing {
		return false
	}
	c.flushing = true
	return true
}

// Overflow closes the connection as a slow consumer (hub.Sink).
func (c *conn) Overflow() {
	c.closeWith(protocol.CloseSlowConsumer, "slow consumer", true)
}

// sendWait queues frame once the queue is at most half full, waiting for the
// writer otherwise, so that a catch-up never overflows the queue and leaves
// room for live traffic.
func (c *conn) sendWait(ctx context.Context, frame []byte) error {
	for {
		c.mu.Lock()
		if c.closing {
			c.mu.Unlock()
			return errConnClosed
		}
		if len(c.q) < c.srv.cfg.QueueSize/2 {
			start := c.pushLocked(frame)
			c.mu.Unlock()
			if start {
				c.srv.poller.Submit(c.flushF)
			}
			return nil
		}
		if c.space == nil {
			c.space = make(chan struct{})
		}
		ch := c.space
		c.mu.Unlock()
		select {
		case <-ch:
		case <-c.done:
			return errConnClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// flush runs on a pool worker while the queue is non-empty: each round
// writes everything queued with one vectored write.
func (c *conn) flush() {
	for {
		c.mu.Lock()
		if len(c.q) == 0 || c.closed {
			c.flushing = false
			if c.spare == nil && cap(c.q) > 0 && cap(c.q) <= maxSpareQueue && !c.closed {
				c.spare = c.q[:0] // an idle connection keeps one small slice
			}
			c.q = nil
			closing, closed := c.closing, c.closed
			c.mu.Unlock()
			if closing && !closed {
				c.closeWritten()
			}
			return
		}
		q := c.q
		// Frames queued while this round writes go to the spare slice, so
		// two slices alternate without allocating.
		c.q, c.spare = c.spare, nil
		if c.space != nil {
			close(c.space)
			c.space = nil
		}
		timeout := c.srv.cfg.WriteTimeout
		if c.closing {
			timeout = c.srv.cfg.Linger
		}
		c.mu.Unlock()
		_ = c.nc.SetWriteDeadline(time.Now().Add(timeout))
		c.bufs = q // a field, not a local: a local net.Buffers escapes
		_, err := c.bufs.WriteTo(c.nc)
		c.bufs = nil
		clear(q)
		c.mu.Lock()
		if !c.closed && cap(q) <= maxSpareQueue {
			switch {
			case c.spare == nil:
				c.spare = q[:0]
			case c.q == nil:
				c.q = q[:0]
			}
		}
		c.mu.Unlock()
		if err != nil {
			c.teardown()
			return
		}
	}
}

// closeWritten runs once the close frame is on the wire: it half-closes so
// the peer sees the end, and leaves the read side to wait for the peer's
// end of stream (the sweeper ends it after Linger).
func (c *conn) closeWritten() {
	if tc, ok := c.nc.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
	}
}

// closeWith queues frames (discarding what is queued when discard), then a
// close frame with code, and stops accepting frames. The flush ends the
// connection. Calling it again has no effect.
func (c *conn) closeWith(code int, reason string, discard bool, frames ...[]byte) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing = true
	c.lingerTo = time.Now().Add(c.srv.cfg.WriteTimeout + c.srv.cfg.Linger)
	if discard {
		clear(c.q)
		c.q = c.q[:0]
	}
	start := c.pushLocked(append(frames, closeFrame(code, reason))...)
	c.mu.Unlock()
	if code == protocol.CloseSlowConsumer {
		c.srv.slow.Add(1)
	}
	c.srv.log.Debug("closing connection", "conn", c.id, "tenant", c.ten.ID, "code", code)
	if start && !c.srv.poller.Submit(c.flushF) {
		c.teardown()
	}
}

// fail sends an error frame and closes with code.
func (c *conn) fail(id string, e *protocol.Error, code int) {
	c.closeWith(code, closeReason(code), false, errorFrame(id, e))
}

// teardown ends the connection at once: it leaves the poller, closes the
// socket, drops the subscriptions and presence. Idempotent; callers hold no
// lock.
func (c *conn) teardown() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed, c.closing = true, true
	subs := c.subs
	c.subs = nil
	clear(c.q)
	c.q, c.spare = nil, nil
	if c.space != nil {
		close(c.space)
		c.space = nil
	}
	close(c.done)
	c.mu.Unlock()
	if c.h != nil {
		c.h.Stop() // before Close: the descriptor number may be reused after it
	}
	_ = c.nc.Close()
	c.srv.remove(c)
	if len(subs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.srv.ctx), c.srv.cfg.OpTimeout)
	defer cancel()
	for room, rs := range subs {
		rs.sub.Unsubscribe()
		if rs.entered { // set under c.mu before subs was taken; final now
			c.presence(ctx, room, false)
		}
	}
}

// queue sends a reply-like frame (hub.Sink semantics).
func (c *conn) queue(v any) { c.Send(jsonFrame(v)) }

func errorFrame(id string, e *protocol.Error) []byte {
	w := *e
	w.Type, w.ID = protocol.TypeError, id
	return jsonFrame(&w)
}

func (c *conn) sendError(id string, e *protocol.Error) { c.Send(errorFrame(id, e)) }
