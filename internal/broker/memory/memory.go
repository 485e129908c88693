// Package memory is an in-process chat.Broker for a single node: events
// published on a Broker reach the subscribers of that Broker only.
//
// Delivery is synchronous: Publish calls every subscriber's handler on the
// publisher's goroutine, in subscription order, before it returns. That keeps
// publish order per publisher without a queue or a goroutine per
// subscription, and costs nothing per idle room. It relies on the chat.Broker
// contract that handlers do not block for long (the hub's handler only
// enqueues to bounded per-connection queues and never waits), so a publisher
// is held up for at most the sum of its room's handler calls.
package memory

import (
	"context"
	"fmt"
	"sync"

	"github.com/parley-chat/parley/internal/chat"
)

var _ chat.Broker = (*Broker)(nil)

// topic identifies a room across tenants; the struct keeps (tenant, room)
// pairs distinct without any escaping of the ids.
type topic struct{ tenant, room string }

// Broker is an in-process chat.Broker. The zero value is not usable; call New.
//
// Locks: Broker.mu and subscription.mu are never held together. Publish holds
// Broker.mu only to snapshot the topic's subscribers, and each
// subscription.mu only around its own handler call. So a handler may use the
// Broker, except that it must not Publish to its own room or Unsubscribe its
// own subscription: both would wait for the handler itself.
type Broker struct {
	mu     sync.RWMutex
	topics map[topic][]*subscription
	closed bool
}

// New returns an empty, open Broker.
func New() *Broker {
	return &Broker{topics: make(map[topic][]*subscription)}
}

// subscription serialises its handler calls under mu and stops them for good
// once active is false, which is what lets Unsubscribe promise that handle is
// not called after it returns.
type subscription struct {
	b      *Broker
	key    topic
	handle func(chat.Event)

	mu     sync.Mutex
	active bool
}

// errClosed is returned by Publish and Subscribe after Close.
var errClosed = fmt.Errorf("memory broker is closed: %w", chat.ErrUnavailable)

// Publish delivers ev to every current subscriber of its room, synchronously.
// It returns an error only when ctx is done or the Broker is closed.
func (b *Broker) Publish(ctx context.Context, ev chat.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return fmt.Errorf("publish: %w", errClosed)
	}
	// The slice is replaced, never modified in place, by Subscribe and
	// Unsubscribe, so it stays valid after the lock is released.
	subs := b.topics[topic{ev.Tenant, ev.RoomID}]
	b.mu.RUnlock()
	for _, s := range subs {
		s.deliver(ev)
	}
	return nil
}

func (s *subscription) deliver(ev chat.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active {
		s.handle(ev)
	}
}

// Subscribe calls handle for every event of the room published after it
// returns, until Unsubscribe or Close. ctx bounds only the call itself.
// handle is never called concurrently with itself.
func (b *Broker) Subscribe(ctx context.Context, tenant, roomID string, handle func(chat.Event)) (chat.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	if handle == nil {
		return nil, fmt.Errorf("subscribe: nil handler: %w", chat.ErrInvalid)
	}
	s := &subscription{b: b, key: topic{tenant, roomID}, handle: handle, active: true}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("subscribe: %w", errClosed)
	}
	old := b.topics[s.key]
	subs := make([]*subscription, len(old), len(old)+1)
	copy(subs, old)
	b.topics[s.key] = append(subs, s)
	return s, nil
}

// Unsubscribe stops delivery. When it returns, no call of handle is running
// and none will start. Calling it again is a no-op.
func (s *subscription) Unsubscribe() error {
	s.b.remove(s)
	s.stop()
	return nil
}

func (s *subscription) stop() {
	s.mu.Lock()
	s.active = false
	s.mu.Unlock()
}

func (b *Broker) remove(s *subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := b.topics[s.key]
	for i, x := range old {
		if x != s {
			continue
		}
		if len(old) == 1 {
			delete(b.topics, s.key)
			return
		}
		subs := make([]*subscription, 0, len(old)-1)
		subs = append(subs, old[:i]...)
		b.topics[s.key] = append(subs, old[i+1:]...)
		return
	}
}

// Close ends every subscription; when it returns no handler is running or
// will run. Publish and Subscribe fail afterwards. Close is idempotent.
func (b *Broker) Close() error {
	b.mu.Lock()
	topics := b.topics
	b.topics = make(map[topic][]*subscription)
	b.closed = true
	b.mu.Unlock()
	for _, subs := range topics {
		for _, s := range subs {
			s.stop()
		}
	}
	return nil
}
