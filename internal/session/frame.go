package session

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/gobwas/ws"
)

// textFrame wraps payload in an unmasked, final WebSocket text frame. Server
// frames are unmasked, so the same bytes go to every recipient.
func textFrame(payload []byte) []byte {
	n := len(payload)
	var b []byte
	switch {
	case n < 126:
		b = make([]byte, 2+n)
		b[1] = byte(n)
	case n <= 0xffff:
		b = make([]byte, 4+n)
		b[1] = 126
		binary.BigEndian.PutUint16(b[2:], uint16(n))
	default:
		b = make([]byte, 10+n)
		b[1] = 127
		binary.BigEndian.PutUint64(b[2:], uint64(n))
	}
	b[0] = 0x80 | byte(ws.OpText)
	copy(b[len(b)-n:], payload)
	return b
}

// jsonFrame encodes v as a text frame. v is always one of our own wire
// structs, so a marshalling error is a bug.
func jsonFrame(v any) []byte {
	p, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("session: marshal %T: %v", v, err))
	}
	return textFrame(p)
}

// controlFrame builds a close or pong frame (payload at most 125 bytes).
func controlFrame(op ws.OpCode, payload []byte) []byte {
	b := make([]byte, 2+len(payload))
	b[0] = 0x80 | byte(op)
	b[1] = byte(len(payload))
	copy(b[2:], payload)
	return b
}

func closeFrame(code int, reason string) []byte {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	p := make([]byte, 2+len(reason))
	binary.BigEndian.PutUint16(p, uint16(code))
	copy(p[2:], reason)
	return controlFrame(ws.OpClose, p)
}

var (
	errTooBig     = errors.New("frame too large")
	errProtocol   = errors.New("websocket protocol error")
	errPeerClosed = errors.New("peer sent close")
)

// reader reads client messages. It is pooled: a connection holds one only
// while it has bytes to read.
type reader struct {
	br  *bufio.Reader
	hdr [ws.MaxHeaderSize]byte
	buf []byte
}

const readerBufferSize = 4 << 10

var readerPool = sync.Pool{New: func() any { return &reader{br: bufio.NewReaderSize(nil, readerBufferSize)} }}

func getReader(src io.Reader) *reader {
	r := readerPool.Get().(*reader)
	r.br.Reset(src)
	return r
}

func putReader(r *reader) {
	r.br.Reset(nil)
	if cap(r.buf) > 64<<10 {
		r.buf = nil
	}
	r.buf = r.buf[:0]
	readerPool.Put(r)
}

// control is a control frame met while reading a message.
type control struct {
	op      ws.OpCode
	payload []byte
}

// readMessage reads one complete data message (reassembling fragments) of at
// most max bytes. Control frames met on the way are passed to onControl. The
// returned payload is valid until the next call. errPeerClosed reports a
// close frame (after onControl saw it).
func (r *reader) readMessage(max int, onControl func(control)) (op ws.OpCode, payload []byte, err error) {
	r.buf = r.buf[:0]
	for {
		h, err := ws.ReadHeaderBuffer(r.br, r.hdr[:2])
		if err != nil {
			return 0, nil, err
		}
		if h.Rsv != 0 || !h.Masked {
			return 0, nil, errProtocol
		}
		if h.OpCode.IsControl() {
			if !h.Fin || h.Length > 125 {
				return 0, nil, errProtocol
			}
			var p [125]byte
			cp := p[:h.Length]
			if _, err := io.ReadFull(r.br, cp); err != nil {
				return 0, nil, err
			}
			ws.Cipher(cp, h.Mask, 0)
			onControl(control{op: h.OpCode, payload: cp})
			if h.OpCode == ws.OpClose {
				return 0, nil, errPeerClosed
			}
			continue
		}
		switch {
		case h.OpCode == ws.OpContinuation && op == 0,
			h.OpCode != ws.OpContinuation && op != 0,
			h.OpCode.IsReserved():
			return 0, nil, errProtocol
		case op == 0:
			op = h.OpCode
		}
		if int64(len(r.buf))+h.Length > int64(max) {
			return op, nil, errTooBig
		}
		start := len(r.buf)
		r.buf = append(r.buf, make([]byte, h.Length)...)
		if _, err := io.ReadFull(r.br, r.buf[start:]); err != nil {
			return 0, nil, err
		}
		ws.Cipher(r.buf[start:], h.Mask, 0)
		if h.Fin {
			return op, r.buf, nil
		}
	}
}
