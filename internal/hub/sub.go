package hub

import (
	"cmp"
	"slices"
	"sync"
)

// Frame is one stored event ready for the wire.
type Frame struct {
	Seq  int64
	Data []byte
}

// Sub is one sink's subscription to one room.
//
// Life cycle: Subscribe returns it buffering. The owner reads the store
// after its resume point and queues those messages itself, moving the
// buffered events out with Next as it goes, then calls Live once; from then
// on stored events are delivered in seq order, each once. Unsubscribe ends
// it. Next and Live are for the owner's single catch-up goroutine; the other
// methods are safe from any goroutine.
type Sub struct {
	room  *room
	sink  Sink
	onGap func()

	mu      sync.Mutex
	live    bool
	last    int64   // highest seq handed to the sink (or skipped as already seen)
	pending []Frame // buffered stored events with seq > last, sorted by seq
	gap     bool    // live, and pending does not continue last
	repair  bool    // onGap was called and its Fill has not come yet
	done    bool    // unsubscribed, overflowed or refused by the sink
}

// deliver handles one event from the broker. ok is false when the sink
// refused a frame; delivered when the frame was handed to the sink.
func (s *Sub) deliver(frame []byte, seq int64) (ok, delivered bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return true, false
	}
	if seq == 0 {
		return s.sendLocked(frame), true
	}
	if seq <= s.last {
		return true, false // already sent from the store or as a duplicate
	}
	if s.live && seq == s.last+1 {
		if !s.sendLocked(frame) {
			return false, true
		}
		s.last = seq
		return s.releaseLocked(), true
	}
	if !s.bufferLocked(Frame{Seq: seq, Data: frame}) {
		return true, false
	}
	if s.live && !s.gap {
		s.gap = true
		s.gapLocked()
	}
	return true, false
}

// gapLocked asks the owner for a repair unless one is outstanding: there is
// never more than one, however often a gap closes and opens again.
func (s *Sub) gapLocked() {
	if s.gap && !s.repair && s.onGap != nil {
		s.repair = true
		s.onGap()
	}
}

func (s *Sub) sendLocked(frame []byte) bool {
	if s.sink.Send(frame) {
		return true
	}
	s.stopLocked()
	return false
}

// bufferLocked inserts f into pending in seq order, ignoring a duplicate.
func (s *Sub) bufferLocked(f Frame) bool {
	i, found := slices.BinarySearchFunc(s.pending, f.Seq, func(x Frame, seq int64) int { return cmp.Compare(x.Seq, seq) })
	if found {
		return true
	}
	if len(s.pending) >= s.room.h.max {
		s.room.h.overflows.Add(1)
		s.stopLocked()
		s.sink.Overflow()
		return false
	}
	s.pending = slices.Insert(s.pending, i, f)
	return true
}

// releaseLocked sends pending events that continue last, in order.
func (s *Sub) releaseLocked() bool {
	n := 0
	for n < len(s.pending) && s.pending[n].Seq <= s.last+1 {
		f := s.pending[n]
		n++
		if f.Seq <= s.last {
			continue
		}
		if !s.sendLocked(f.Data) {
			return false
		}
		s.last = f.Seq
	}
	s.dropLocked(n)
	s.gap = len(s.pending) > 0
	return true
}

func (s *Sub) dropLocked(n int) {
	if n == 0 {
		return
	}
	clear(s.pending[:n])
	s.pending = s.pending[n:]
	if len(s.pending) == 0 {
		s.pending = nil
	}
}

func (s *Sub) stopLocked() {
	s.done = true
	s.pending = nil
}

// Next takes up to max buffered events that continue last (seq last+1,
// last+2, ...) out of the buffer, for the owner to queue while still
// buffering, and drops buffered events at or below last. It returns nil when
// none continues last.
func (s *Sub) Next(last int64, max int) []Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for n < len(s.pending) && s.pending[n].Seq <= last {
		n++
	}
	s.dropLocked(n)
	var out []Frame
	for len(out) < max && len(s.pending) > 0 && s.pending[0].Seq == last+1 {
		out = append(out, s.pending[0])
		last++
		s.dropLocked(1)
	}
	return out
}

// Live ends catch-up: last is the highest seq the owner queued. Buffered
// events that continue it are sent, then final(highest seq sent) if final is
// not nil, all under the subscription's lock so that no live event overtakes
// them; later events are delivered as they arrive. It returns the highest
// seq sent and false if the sink refused a frame or the subscription ended.
func (s *Sub) Live(last int64, final func(last int64) []byte) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return s.last, false
	}
	s.live = true
	s.last = max(s.last, last)
	if !s.releaseLocked() {
		return s.last, false
	}
	if final != nil && !s.sendLocked(final(s.last)) {
		return s.last, false
	}
	s.gapLocked()
	return s.last, true
}

// Room returns the subscription's room id.
func (s *Sub) Room() string { return s.room.key.room }

// Last returns the highest seq handed to the sink and whether events are
// being held back waiting for a missing seq.
func (s *Sub) Last() (last int64, gap bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.gap
}

// Fill repairs a gap with frames read from the store after Last. The store
// is the record of truth, so every frame with seq > last is sent in order. If
// complete (the read reached the end of the stored sequence), seqs between
// the last frame and the first held-back event do not exist and are skipped.
// Held-back events that then continue are sent. It reports whether a gap
// remains (onGap is then called again).
//
// Every onGap call must be answered by one Fill (Fill(nil, false) when the
// repair found nothing to do): until then onGap is not called again, so at
// most one repair per subscription is ever outstanding.
func (s *Sub) Fill(frames []Frame, complete bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repair = false
	if s.done || !s.live {
		return false
	}
	for _, f := range frames {
		if f.Seq <= s.last {
			continue
		}
		if !s.sendLocked(f.Data) {
			return false
		}
		s.last = f.Seq
	}
	if complete && len(s.pending) > 0 && s.pending[0].Seq > s.last+1 {
		s.last = s.pending[0].Seq - 1
	}
	if !s.releaseLocked() {
		return false
	}
	s.gapLocked()
	return s.gap
}

// Unsubscribe stops delivery to the sink; no frame is sent after it returns.
// It is idempotent.
func (s *Sub) Unsubscribe() {
	s.mu.Lock()
	s.stopLocked()
	s.mu.Unlock()
	r := s.room
	r.mu.Lock()
	old := *r.subs.Load()
	i := slices.Index(old, s)
	if i >= 0 {
		subs := make([]*Sub, 0, len(old)-1)
		subs = append(subs, old[:i]...)
		subs = append(subs, old[i+1:]...)
		r.subs.Store(&subs)
	}
	r.mu.Unlock()
	if i < 0 {
		return
	}
	h := r.h
	h.mu.Lock()
	h.nsubs--
	h.mu.Unlock()
	h.release(r)
}
