package rooms

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/protocol"
)

// opKind is what the committer does with an op.
type opKind uint8

const (
	opAppend opKind = iota // store msg in the next batch
	opDelete               // store.DeleteMessage(msg.Tenant, msg.RoomID, seq, msg.AuthorID)
)

// op is one write waiting for the committer. Deletions go through the
// committer too, after the batch they were taken with, so that this node
// publishes each room's events in seq order.
type op struct {
	kind opKind
	ctx  context.Context // the caller's; checked once, when the op is taken
	msg  chat.NewMessage
	seq  int64
	done func(chat.AppendResult)
	res  chat.AppendResult
}

// submit hands o to the committer, or fails it at once when the Service is
// closed or overloaded. It never blocks.
func (s *Service) submit(o *op) {
	s.mu.Lock()
	var err error
	switch {
	case s.closed:
		err = errClosed
	case len(s.queue) >= s.opts.MaxPending:
		err = fmt.Errorf("%d messages waiting to be stored: %w", len(s.queue), chat.ErrUnavailable)
	default:
		s.queue = append(s.queue, o)
	}
	s.mu.Unlock()
	if err != nil {
		o.done(chat.AppendResult{Err: err})
		return
	}
	s.poke()
}

func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// wait submits o and blocks until the committer is done with it. It waits
// whatever ctx does: a cancelled op is dropped when it is taken, and once it
// is in a batch its result is what the Store says, bounded by StoreTimeout.
func (s *Service) wait(o *op) chat.AppendResult {
	ch := make(chan chat.AppendResult, 1)
	o.done = func(r chat.AppendResult) { ch <- r }
	s.submit(o)
	return <-ch
}

// commitLoop is the committer goroutine: it takes up to MaxBatch waiting ops
// at a time, with no delay when the queue was idle, until the Service is
// closed and the queue drained.
func (s *Service) commitLoop() {
	defer close(s.stopped)
	defer s.cancel()
	batch := make([]*op, 0, s.opts.MaxBatch)
	for {
		var done bool
		batch, done = s.take(batch[:0])
		if done {
			return
		}
		if len(batch) == 0 {
			<-s.wake
			continue
		}
		s.commit(batch)
		clear(batch) // let the ops and their callbacks be collected
	}
}

// take moves up to MaxBatch ops from the queue to batch. done is true when
// the Service is closed and nothing is left.
func (s *Service) take(batch []*op) (_ []*op, done bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := min(len(s.queue), s.opts.MaxBatch)
	if n == 0 {
		return batch, s.closed
	}
	batch = append(batch, s.queue[:n]...)
	rest := copy(s.queue, s.queue[n:])
	clear(s.queue[rest:])
	s.queue = s.queue[:rest]
	return batch, false
}

// commit stores ops (appends in one transaction, then deletions), publishes
// what is new in seq order, and only then calls every done.
func (s *Service) commit(ops []*op) {
	var appendOps, deleteOps []*op
	var msgs []chat.NewMessage
	for _, o := range ops {
		if err := o.ctx.Err(); err != nil {
			o.res.Err = fmt.Errorf("cancelled before it was stored: %w: %w", chat.ErrUnavailable, err)
			continue
		}
		switch o.kind {
		case opAppend:
			appendOps = append(appendOps, o)
			msgs = append(msgs, o.msg)
		case opDelete:
			deleteOps = append(deleteOps, o)
		}
	}
	if len(msgs) > 0 {
		s.storeBatch(appendOps, msgs)
	}
	for _, o := range deleteOps {
		ctx, cancel := context.WithTimeout(s.ctx, s.opts.StoreTimeout)
		m, err := s.store.DeleteMessage(ctx, o.msg.Tenant, o.msg.RoomID, o.seq, o.msg.AuthorID)
		cancel()
		if err != nil {
			o.res.Err = wrap("delete message", err)
		} else {
			o.res.Message = m
		}
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.StoreTimeout)
	for _, o := range appendOps {
		s.publish(ctx, o.res)
	}
	for _, o := range deleteOps {
		s.publish(ctx, o.res)
	}
	cancel()
	for _, o := range ops {
		o.done(o.res)
	}
}

// storeBatch is the group commit: one Store transaction for the batch.
func (s *Service) storeBatch(ops []*op, msgs []chat.NewMessage) {
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.StoreTimeout)
	start := time.Now()
	res, err := s.store.AppendMessages(ctx, msgs)
	took := time.Since(start)
	cancel()
	if err == nil && len(res) != len(msgs) {
		err = fmt.Errorf("store returned %d results for %d messages", len(res), len(msgs))
	}
	if s.opts.OnCommit != nil {
		s.opts.OnCommit(len(msgs), took, err)
	}
	if err != nil {
		s.log.Error("group commit failed; failing the batch", "batch", len(msgs), "err", err)
		// The cause is kept as text only: whatever it wraps, the batch as a
		// whole was not stored and is retryable.
		failed := fmt.Errorf("store message: %w (%v)", chat.ErrUnavailable, err)
		for _, o := range ops {
			o.res.Err = failed
		}
		return
	}
	for i, o := range ops {
		o.res = res[i]
		if o.res.Err != nil {
			o.res.Err = wrap("store message", o.res.Err)
		}
	}
}

// publish sends a newly stored message to the room's subscribers, encoded
// once for all of them. A failure is logged, not returned: the message is
// stored, and subscribers catch up from the Store.
func (s *Service) publish(ctx context.Context, r chat.AppendResult) {
	if r.Err != nil || r.Duplicate {
		return
	}
	m := r.Message
	err := s.broker.Publish(ctx, chat.Event{Tenant: m.Tenant, RoomID: m.RoomID, Seq: m.Seq, Payload: EncodeMessage(m)})
	if err != nil {
		s.log.Warn("publish failed; subscribers will catch up from the store",
			"tenant", m.Tenant, "room", m.RoomID, "seq", m.Seq, "err", err)
		if s.opts.OnPublishError != nil {
			s.opts.OnPublishError(err)
		}
	}
}

// EncodeMessage returns the server frame of a live message: the JSON of
// protocol.Message with Type "message". It is the Payload of every message
// event the Service publishes.
func EncodeMessage(m chat.Message) []byte {
	w := protocol.FromMessage(m)
	w.Type = protocol.TypeMessage
	b, err := json.Marshal(w)
	if err != nil {
		// protocol.Message has only strings, numbers and booleans.
		panic(fmt.Sprintf("rooms: encode message: %v", err))
	}
	return b
}
