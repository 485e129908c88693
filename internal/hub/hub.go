// Package hub is the node-local registry of which connections follow which
// rooms, and the fan-out of room events to them.
//
// The hub subscribes to the chat.Broker once per room that has local
// subscribers (reference counted; the broker subscription ends when the last
// local subscriber leaves). Each event is turned into its wire frame once
// (Options.Encode) and the same read-only bytes are queued on every
// subscriber's Sink: nothing is copied or allocated per recipient.
//
// A subscription starts in buffering mode so that a connection can resume
// without gap or duplicate: register first, read the store, then hand over to
// live delivery (see Sub). Stored events (Seq > 0) reach a Sink strictly in
// seq order, each once; ephemeral events (Seq 0: typing, presence) are passed
// through as they come.
//
// Lock order: Hub.mu, then room.mu, then Sub.mu, then whatever the Sink
// takes. Fan-out takes only Sub.mu (room subscriber lists are copy-on-write),
// and no hub lock is held while calling the broker.
package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/parley-chat/parley/internal/chat"
)

// ErrClosed is returned by Subscribe after Close.
var ErrClosed = errors.New("hub closed")

// Sink is one connection's outbound side as the hub sees it.
type Sink interface {
	// Send queues frame, which is shared with other sinks and must not be
	// modified. It never blocks. It returns false when the sink refuses the
	// frame (its queue is full or it is closing); a sink that refuses closes
	// itself, so the hub just stops delivering to it.
	Send(frame []byte) bool
	// Overflow tells the sink that a subscription buffered more live events
	// than allowed while catching up; the sink closes itself (slow consumer).
	// It must not block or call back into the hub.
	Overflow()
}

// Options tune a Hub.
type Options struct {
	// Encode turns an event payload into the frame queued on every sink
	// (e.g. a WebSocket frame header plus the payload). It runs once per
	// event per node. Nil queues the payload itself.
	Encode func(payload []byte) []byte
	// MaxPending bounds the live events a subscription buffers while it
	// catches up or waits for a missing seq; beyond it the sink gets
	// Overflow. Default 1024.
	MaxPending int
	// Logger receives broker errors; nil discards.
	Logger *slog.Logger
}

// Stats are counters for metrics.
type Stats struct {
	Rooms         int   // rooms with local subscribers
	Subscriptions int   // local subscriptions
	Deliveries    int64 // frames handed to sinks, total
	Refused       int64 // frames a sink refused (queue full or closing), total
	Overflows     int64 // subscriptions whose catch-up buffer overflowed, total
}

type roomKey struct{ tenant, room string }

// Hub fans room events out to local subscribers.
type Hub struct {
	broker chat.Broker
	encode func([]byte) []byte
	max    int
	log    *slog.Logger

	mu     sync.Mutex // guards rooms, subs count and closed
	rooms  map[roomKey]*room
	nsubs  int
	closed bool

	deliveries atomic.Int64
	refused    atomic.Int64
	overflows  atomic.Int64
}

// room is one room with local subscribers.
type room struct {
	h     *Hub
	key   roomKey
	refs  int           // guarded by Hub.mu
	ready chan struct{} // closed once the broker subscription is made (or failed)
	err   error         // set before ready is closed
	bsub  chat.Subscription
	stop  sync.Once // ends bsub once, from release or Close

	mu     sync.Mutex             // serialises writers of subs
	subs   atomic.Pointer[[]*Sub] // copy-on-write list read by fan-out
	online atomic.Int64           // last online count seen by SetOnline; -1 unknown
}

// New returns a Hub that subscribes to broker on demand.
func New(broker chat.Broker, opts Options) *Hub {
	if opts.Encode == nil {
		opts.Encode = func(p []byte) []byte { return p }
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 1024
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Hub{
		broker: broker,
		encode: opts.Encode,
		max:    opts.MaxPending,
		log:    opts.Logger.With("component", "hub"),
		rooms:  make(map[roomKey]*room),
	}
}

// Subscribe registers sink for the room's events in buffering mode: from now
// on stored events are kept (up to MaxPending) for Next and Live, and
// ephemeral events go straight to the sink. onGap, if not nil, is called
// (under the subscription's lock: it must only schedule work) when a live
// subscription receives a seq beyond the next expected one and starts holding
// events back; the owner then repairs from the store and reports with one
// Fill call. onGap is not called again before that Fill.
func (h *Hub) Subscribe(ctx context.Context, tenant, roomID string, sink Sink, onGap func()) (*Sub, error) {
	key := roomKey{tenant, roomID}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	r := h.rooms[key]
	creator := r == nil
	if creator {
		r = &room{h: h, key: key, ready: make(chan struct{})}
		r.online.Store(-1)
		r.subs.Store(new([]*Sub))
		h.rooms[key] = r
	}
	r.refs++
	h.mu.Unlock()

	if creator {
		bsub, err := h.broker.Subscribe(ctx, tenant, roomID, r.handle)
		r.bsub, r.err = bsub, err
		close(r.ready)
	} else {
		select {
		case <-r.ready:
		case <-ctx.Done():
			h.release(r)
			return nil, fmt.Errorf("hub subscribe: %w", ctx.Err())
		}
	}
	if r.err != nil {
		h.release(r)
		return nil, fmt.Errorf("hub subscribe: %w", r.err)
	}
	s := &Sub{room: r, sink: sink, onGap: onGap}
	r.mu.Lock()
	old := *r.subs.Load()
	subs := make([]*Sub, len(old), len(old)+1)
	copy(subs, old)
	subs = append(subs, s)
	r.subs.Store(&subs)
	r.mu.Unlock()
	h.mu.Lock()
	h.nsubs++
	h.mu.Unlock()
	return s, nil
}

// release drops one reference to r and ends its broker subscription with the
// last one.
func (h *Hub) release(r *room) {
	h.mu.Lock()
	r.refs--
	last := r.refs == 0
	if last && h.rooms[r.key] == r {
		delete(h.rooms, r.key)
	}
	h.mu.Unlock()
	if last {
		r.stopBroker()
	}
}

// stopBroker ends the room's broker subscription once.
func (r *room) stopBroker() {
	<-r.ready
	r.stop.Do(func() {
		if r.bsub == nil {
			return
		}
		if err := r.bsub.Unsubscribe(); err != nil {
			r.h.log.Warn("broker unsubscribe failed", "tenant", r.key.tenant, "room", r.key.room, "err", err)
		}
	})
}

// handle is the broker callback: encode once, queue everywhere.
func (r *room) handle(ev chat.Event) {
	subs := *r.subs.Load()
	if len(subs) == 0 {
		return
	}
	frame := r.h.encode(ev.Payload)
	var sent, refused int64
	for _, s := range subs {
		ok, delivered := s.deliver(frame, ev.Seq)
		if delivered {
			sent++
		}
		if !ok {
			refused++
		}
	}
	r.h.deliveries.Add(sent)
	if refused > 0 {
		r.h.refused.Add(refused)
	}
}

// SetOnline records the room's online count as last seen by this node and
// reports whether it differs from the previous one (so the caller publishes
// a presence event only on change). Rooms without local subscribers always
// report a change.
func (h *Hub) SetOnline(tenant, roomID string, n int) bool {
	h.mu.Lock()
	r := h.rooms[roomKey{tenant, roomID}]
	h.mu.Unlock()
	if r == nil {
		return true
	}
	return r.online.Swap(int64(n)) != int64(n)
}

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	st := Stats{Rooms: len(h.rooms), Subscriptions: h.nsubs}
	h.mu.Unlock()
	st.Deliveries = h.deliveries.Load()
	st.Refused = h.refused.Load()
	st.Overflows = h.overflows.Load()
	return st
}

// Close ends every broker subscription; Subscribe fails afterwards. Existing
// Subs stop receiving events; their Unsubscribe still works.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	rooms := make([]*room, 0, len(h.rooms))
	for k, r := range h.rooms {
		rooms = append(rooms, r)
		delete(h.rooms, k)
	}
	h.mu.Unlock()
	for _, r := range rooms {
		r.stopBroker()
	}
}
