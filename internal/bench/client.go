package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/protocol"
)

// readBufferSize is each client's read buffer: big enough for the server's
// coalesced writes, small enough for 15,000 clients.
const readBufferSize = 4 << 10

// maxPayload bounds one server message (a history reply could be large;
// the bench never asks for one).
const maxPayload = 1 << 20

// client is one connection of one user, subscribed to one room.
type client struct {
	idx  int
	room int // index into the layout's rooms
	rid  string
	st   *stats

	conn net.Conn
	br   *bufio.Reader

	wmu  sync.Mutex // guards wbuf and writes to conn
	wbuf []byte

	last    atomic.Int64 // last seq seen in the room; -1 until known
	closing atomic.Bool  // we started the close: the server's answer is expected
	gone    atomic.Bool  // the server closed or dropped the connection
	done    chan struct{}

	// Owned by whoever reads the connection (the set-up worker, then the
	// reader goroutine).
	subscribed bool
	payload    []byte
	hdr        [ws.MaxHeaderSize]byte
	f          frame
}

// stats are the counters every client adds to.
type stats struct {
	epoch time.Time // send times are nanoseconds since epoch (monotonic)

	sent       atomic.Int64 // send frames written
	acked      atomic.Int64 // acks received
	sendErrors atomic.Int64 // error frames answering a send
	late       atomic.Int64 // sends written more than lateAfter behind schedule
	deliveries atomic.Int64 // bench text messages received, all clients
	messages   atomic.Int64 // message frames received, all kinds
	gaps       atomic.Int64 // seqs skipped (violation)
	dups       atomic.Int64 // seqs seen again or out of order (violation)
	foreign    atomic.Int64 // messages of a room the client is not subscribed to (violation)
	malformed  atomic.Int64 // frames that did not parse (violation)

	roomMax []atomic.Int64 // highest acked seq per room

	delivery *latencies // send -> receive, every recipient
	ack      *latencies // send -> ack (stored)

	mu          sync.Mutex
	errors      map[string]int64 // error frames by code
	disconnects map[string]int64 // server closes by close code ("1006" when no close frame)
}

func newStats(rooms int) *stats {
	return &stats{
		epoch:       time.Now(),
		roomMax:     make([]atomic.Int64, rooms),
		delivery:    newLatencies(),
		ack:         newLatencies(),
		errors:      make(map[string]int64),
		disconnects: make(map[string]int64),
	}
}

// now is the time since the epoch on the monotonic clock.
func (s *stats) now() int64 { return int64(time.Since(s.epoch)) }

func (s *stats) countError(code string) {
	s.mu.Lock()
	s.errors[code]++
	s.mu.Unlock()
}

func (s *stats) countDisconnect(code int) {
	s.mu.Lock()
	s.disconnects[strconv.Itoa(code)]++
	s.mu.Unlock()
}

// dial opens the client's socket, authenticated at the upgrade by the
// access-token cookie, and waits for the welcome frame.
func dial(ctx context.Context, e *env, st *stats, idx, room int, rid string) (*client, error) {
	h := http.Header{"Cookie": {auth.AccessCookieName(e.cfg.Tenant, false) + "=" + e.tokens[idx]}}
	d := ws.Dialer{
		NetDial: loopbackDial,
		Timeout: 30 * time.Second,
		Header:  ws.HandshakeHeaderHTTP(h),
	}
	conn, br, _, err := d.Dial(ctx, e.wsURL())
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", userID(idx), err)
	}
	var src io.Reader = conn
	if br != nil { // frames that arrived with the handshake answer
		pre, _ := br.Peek(br.Buffered())
		src = io.MultiReader(bytes.NewReader(bytes.Clone(pre)), conn)
		ws.PutReader(br)
	}
	c := &client{
		idx: idx, room: room, rid: rid, st: st,
		conn: conn,
		br:   bufio.NewReaderSize(src, readBufferSize),
		done: make(chan struct{}),
	}
	c.last.Store(-1)
	return c, nil
}

// handshake waits for the welcome, subscribes to the room live from its
// current seq and waits for "subscribed", all before deadline.
func (c *client) handshake(deadline time.Time) error {
	if err := c.conn.SetReadDeadline(deadline); err != nil {
		return err
	}
	welcomed := false
	for !welcomed {
		p, err := c.readMessage()
		if err != nil {
			return fmt.Errorf("%s: waiting for welcome: %w", userID(c.idx), err)
		}
		if err := scanFrame(p, &c.f); err != nil {
			return fmt.Errorf("%s: %w", userID(c.idx), err)
		}
		switch string(c.f.typ) {
		case protocol.TypeWelcome:
			welcomed = true
		case protocol.TypeError:
			return fmt.Errorf("%s: refused: %s", userID(c.idx), c.f.code)
		}
	}
	sub := `{"type":"subscribe","id":"sub","room":"` + c.rid + `","after":-1}`
	if err := c.write([]byte(sub)); err != nil {
		return fmt.Errorf("%s: subscribe: %w", userID(c.idx), err)
	}
	for !c.subscribed {
		p, err := c.readMessage()
		if err != nil {
			return fmt.Errorf("%s: waiting for subscribed: %w", userID(c.idx), err)
		}
		if err := c.handle(p); err != nil {
			return fmt.Errorf("%s: %w", userID(c.idx), err)
		}
	}
	return c.conn.SetReadDeadline(time.Time{})
}

// readLoop reads until the connection ends. It owns the reading state from
// the handshake on.
func (c *client) readLoop() {
	defer close(c.done)
	for {
		p, err := c.readMessage()
		if err != nil {
			var ce closeError
			switch {
			case c.closing.Load():
			case errors.As(err, &ce):
				c.gone.Store(true)
				c.st.countDisconnect(int(ce))
			default:
				c.gone.Store(true)
				c.st.countDisconnect(1006) // closed without a close frame
			}
			return
		}
		if err := c.handle(p); err != nil {
			c.st.malformed.Add(1)
		}
	}
}

// closeError is the code of a close frame from the server.
type closeError int

func (e closeError) Error() string { return "closed by server: " + strconv.Itoa(int(e)) }

// readMessage reads one data message, answering pings and turning a close
// frame into a closeError (after echoing it).
func (c *client) readMessage() ([]byte, error) {
	c.payload = c.payload[:0]
	for {
		h, err := ws.ReadHeaderBuffer(c.br, c.hdr[:2])
		if err != nil {
			return nil, err
		}
		if h.Length > maxPayload || int64(len(c.payload))+h.Length > maxPayload {
			return nil, fmt.Errorf("server message over %d bytes", maxPayload)
		}
		n := len(c.payload)
		c.payload = append(c.payload, make([]byte, h.Length)...)
		p := c.payload[n:]
		if _, err := io.ReadFull(c.br, p); err != nil {
			return nil, err
		}
		if h.Masked {
			ws.Cipher(p, h.Mask, 0)
		}
		switch h.OpCode {
		case ws.OpPing:
			c.payload = c.payload[:n]
			if err := c.writeFrame(ws.OpPong, p); err != nil {
				return nil, err
			}
			continue
		case ws.OpPong:
			c.payload = c.payload[:n]
			continue
		case ws.OpClose:
			code := 1005 // no status in the frame
			if len(p) >= 2 {
				code = int(binary.BigEndian.Uint16(p))
			}
			if !c.closing.Load() {
				_ = c.writeFrame(ws.OpClose, p[:min(len(p), 2)])
			}
			return nil, closeError(code)
		}
		if h.Fin {
			return c.payload, nil
		}
	}
}

// handle processes one server frame.
func (c *client) handle(p []byte) error {
	f := &c.f
	if err := scanFrame(p, f); err != nil {
		return err
	}
	st := c.st
	switch string(f.typ) {
	case protocol.TypeMessage:
		st.messages.Add(1)
		if string(f.room) != c.rid {
			st.foreign.Add(1)
			return nil
		}
		c.checkSeq(f.seq)
		if ns, ok := benchText(f.text); ok {
			st.deliveries.Add(1)
			st.delivery.record(c.idx, time.Duration(st.now()-ns))
		}
	case protocol.TypeAck:
		st.acked.Add(1)
		if ns, err := strconv.ParseInt(string(f.id), 10, 64); err == nil {
			st.ack.record(c.idx, time.Duration(st.now()-ns))
		}
		m := &st.roomMax[c.room]
		for cur := m.Load(); f.seq > cur && !m.CompareAndSwap(cur, f.seq); cur = m.Load() {
		}
	case protocol.TypeError:
		st.countError(string(f.code))
		if _, err := strconv.ParseInt(string(f.id), 10, 64); err == nil {
			st.sendErrors.Add(1) // send frames carry their schedule as the id
		}
		if string(f.id) == "sub" {
			return fmt.Errorf("subscribe refused: %s", f.code)
		}
	case protocol.TypeSubscribed:
		c.subscribed = true
		if c.last.Load() < 0 {
			c.last.Store(f.lastSeq)
		}
	case protocol.TypePing:
		// A failed write means the connection is ending; the read that
		// follows reports how.
		_ = c.write([]byte(`{"type":"pong"}`))
	}
	return nil
}

// checkSeq verifies that the room's seqs arrive gapless and duplicate-free.
func (c *client) checkSeq(seq int64) {
	last := c.last.Load()
	switch {
	case last < 0 || seq == last+1:
		c.last.Store(seq)
	case seq > last+1:
		c.st.gaps.Add(seq - last - 1)
		c.last.Store(seq)
	default:
		c.st.dups.Add(1)
	}
}

// benchText parses the send time out of a bench message's text
// ("bench <ns> xxx...").
func benchText(text []byte) (int64, bool) {
	const prefix = "bench "
	if !bytes.HasPrefix(text, []byte(prefix)) {
		return 0, false
	}
	var ns int64
	i := len(prefix)
	for ; i < len(text) && text[i] >= '0' && text[i] <= '9'; i++ {
		ns = ns*10 + int64(text[i]-'0')
	}
	return ns, i > len(prefix)
}

// write sends one text message.
func (c *client) write(p []byte) error { return c.writeFrame(ws.OpText, p) }

// writeFrame sends one masked frame, as clients must.
func (c *client) writeFrame(op ws.OpCode, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	b := c.wbuf[:0]
	b = append(b, 0x80|byte(op))
	switch n := len(p); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var mask [4]byte
	binary.LittleEndian.PutUint32(mask[:], rand.Uint32())
	b = append(b, mask[:]...)
	start := len(b)
	b = append(b, p...)
	ws.Cipher(b[start:], mask, 0)
	c.wbuf = b
	if err := c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	_, err := c.conn.Write(b)
	return err
}

// shutdown starts a normal close: the server answers with its own close
// frame, which ends the reader.
func (c *client) shutdown() {
	c.closing.Store(true)
	_ = c.writeFrame(ws.OpClose, []byte{byte(protocol.CloseNormal >> 8), byte(protocol.CloseNormal & 0xff)})
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
}
