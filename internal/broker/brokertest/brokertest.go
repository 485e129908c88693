// Package brokertest is the conformance suite every chat.Broker passes:
// delivery to all subscribers of a room, across broker instances that share
// a backend, per-publisher order, tenant isolation, Unsubscribe and Close.
package brokertest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

// Factory returns a broker for one subtest. Every broker a Factory returns
// within the same t must be connected to the others returned for that t: an
// event published on one reaches the subscribers of all, as two Parley nodes
// sharing one NATS server do. A NATS factory connects a new client to the
// same server with a subject prefix unique to t; an in-process broker, which
// cannot reach another instance, returns one shared instance per t. Brokers
// of different t must not see each other's events. The suite closes every
// broker it gets (Close may therefore be called more than once).
type Factory func(t *testing.T) chat.Broker

// wait bounds every wait for a delivery.
const wait = 10 * time.Second

// Run runs the suite. Each subtest calls newBroker at least once.
func Run(t *testing.T, newBroker Factory) {
	get := func(t *testing.T) chat.Broker {
		t.Helper()
		b := newBroker(t)
		t.Cleanup(func() {
			if err := b.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return b
	}
	t.Run("DeliversToEverySubscriber", func(t *testing.T) { testDelivers(t, get) })
	t.Run("DeliversAcrossInstances", func(t *testing.T) { testAcrossInstances(t, get) })
	t.Run("OrderPerPublisher", func(t *testing.T) { testOrder(t, get) })
	t.Run("TenantAndRoomIsolation", func(t *testing.T) { testIsolation(t, get) })
	t.Run("UnsubscribeStopsDelivery", func(t *testing.T) { testUnsubscribe(t, get) })
	t.Run("NoCallAfterUnsubscribeReturns", func(t *testing.T) { testUnsubscribeRace(t, get) })
	t.Run("Close", func(t *testing.T) { testClose(t, get) })
}

// recorder collects the events a handler receives.
type recorder struct {
	mu     sync.Mutex
	events []chat.Event
	signal chan struct{} // poked (non-blocking) on every event
}

func newRecorder() *recorder { return &recorder{signal: make(chan struct{}, 1)} }

func (r *recorder) handle(ev chat.Event) {
	// Copy the payload: a broker may reuse nothing, but the suite must not
	// depend on that.
	ev.Payload = slices.Clone(ev.Payload)
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	select {
	case r.signal <- struct{}{}:
	default:
	}
}

func (r *recorder) snapshot() []chat.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// waitFor waits until the recorder holds at least n events and returns them.
func (r *recorder) waitFor(t *testing.T, n int) []chat.Event {
	t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		if evs := r.snapshot(); len(evs) >= n {
			return evs
		}
		select {
		case <-r.signal:
		case <-deadline.C:
			t.Fatalf("got %d events within %v, want %d", len(r.snapshot()), wait, n)
		}
	}
}

func subscribe(t *testing.T, b chat.Broker, tenant, room string, h func(chat.Event)) chat.Subscription {
	t.Helper()
	sub, err := b.Subscribe(context.Background(), tenant, room, h)
	if err != nil {
		t.Fatalf("Subscribe(%s, %s): %v", tenant, room, err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return sub
}

func publish(t *testing.T, b chat.Broker, ev chat.Event) {
	t.Helper()
	if err := b.Publish(context.Background(), ev); err != nil {
		t.Fatalf("Publish(%s/%s seq %d): %v", ev.Tenant, ev.RoomID, ev.Seq, err)
	}
}

func event(tenant, room string, seq int64, payload string) chat.Event {
	return chat.Event{Tenant: tenant, RoomID: room, Seq: seq, Payload: []byte(payload)}
}

func sameEvent(a, b chat.Event) bool {
	return a.Tenant == b.Tenant && a.RoomID == b.RoomID && a.Seq == b.Seq && string(a.Payload) == string(b.Payload)
}

func testDelivers(t *testing.T, get func(*testing.T) chat.Broker) {
	b := get(t)
	r1, r2 := newRecorder(), newRecorder()
	subscribe(t, b, "t1", "room", r1.handle)
	subscribe(t, b, "t1", "room", r2.handle)
	want := []chat.Event{
		event("t1", "room", 1, `{"type":"message","seq":1}`),
		event("t1", "room", 0, `{"type":"typing"}`),
		event("t1", "room", 2, ``),
	}
	for _, ev := range want {
		publish(t, b, ev)
	}
	for i, r := range []*recorder{r1, r2} {
		got := r.waitFor(t, len(want))
		if !slices.EqualFunc(got, want, sameEvent) {
			t.Errorf("subscriber %d got %+v, want %+v", i+1, got, want)
		}
	}
}

func testAcrossInstances(t *testing.T, get func(*testing.T) chat.Broker) {
	a, b := get(t), get(t)
	ra, rb := newRecorder(), newRecorder()
	subscribe(t, a, "t1", "room", ra.handle)
	subscribe(t, b, "t1", "room", rb.handle)
	publish(t, a, event("t1", "room", 1, "from a"))
	publish(t, b, event("t1", "room", 2, "from b"))
	for name, r := range map[string]*recorder{"a": ra, "b": rb} {
		got := r.waitFor(t, 2)
		if len(got) != 2 {
			t.Fatalf("instance %s got %d events, want 2", name, len(got))
		}
		seqs := []int64{got[0].Seq, got[1].Seq}
		slices.Sort(seqs)
		if !slices.Equal(seqs, []int64{1, 2}) {
			t.Errorf("instance %s got seqs %v, want 1 and 2", name, seqs)
		}
	}
}

// testOrder publishes from several publishers at once, on two instances,
// and checks that each subscriber sees each publisher's events in order.
func testOrder(t *testing.T, get func(*testing.T) chat.Broker) {
	const publishers, perPublisher = 4, 300
	brokers := []chat.Broker{get(t), get(t)}
	recs := []*recorder{newRecorder(), newRecorder()}
	for i, b := range brokers {
		subscribe(t, b, "t1", "busy", recs[i].handle)
	}
	var wg sync.WaitGroup
	errs := make(chan error, publishers)
	for p := range publishers {
		wg.Go(func() {
			b := brokers[p%len(brokers)]
			for i := 1; i <= perPublisher; i++ {
				ev := event("t1", "busy", int64(i), fmt.Sprintf("%d:%d", p, i))
				if err := b.Publish(context.Background(), ev); err != nil {
					errs <- fmt.Errorf("publisher %d: %w", p, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for ri, r := range recs {
		got := r.waitFor(t, publishers*perPublisher)
		last := make([]int, publishers)
		for _, ev := range got {
			ps, is, _ := strings.Cut(string(ev.Payload), ":")
			p, _ := strconv.Atoi(ps)
			i, _ := strconv.Atoi(is)
			if i != last[p]+1 {
				t.Fatalf("subscriber %d: publisher %d's event %d arrived after its event %d", ri, p, i, last[p])
			}
			last[p] = i
		}
	}
}

// testIsolation checks that the same room id in two tenants, and ids that
// collide when naively concatenated, are separate topics.
func testIsolation(t *testing.T, get func(*testing.T) chat.Broker) {
	a, b := get(t), get(t)
	topics := []struct{ tenant, room string }{
		{"t1", "lobby"},
		{"t2", "lobby"},
		{"ab", "c-d"},
		{"ab-c", "d"},
		{"abc", "d"},
		{"t1", "lobby2"},
	}
	recs := make([]*recorder, len(topics))
	for i, tp := range topics {
		recs[i] = newRecorder()
		subscribe(t, b, tp.tenant, tp.room, recs[i].handle)
	}
	// One event per topic, published on the other instance; each topic's
	// subscriber must get exactly its own.
	for i, tp := range topics {
		publish(t, a, event(tp.tenant, tp.room, int64(i+1), tp.tenant+"/"+tp.room))
	}
	// Order per publisher means that once a later marker arrived, every
	// earlier event that was going to arrive has.
	for i, tp := range topics {
		publish(t, a, event(tp.tenant, tp.room, 1000, "marker"))
		got := recs[i].waitFor(t, 2)
		if len(got) != 2 || got[0].Seq != int64(i+1) || string(got[0].Payload) != tp.tenant+"/"+tp.room {
			t.Errorf("subscriber of %s/%s got %+v, want only its own event then the marker", tp.tenant, tp.room, got)
		}
	}
}

func testUnsubscribe(t *testing.T, get func(*testing.T) chat.Broker) {
	a, b := get(t), get(t)
	gone, stays := newRecorder(), newRecorder()
	sub := subscribe(t, b, "t1", "room", gone.handle)
	subscribe(t, b, "t1", "room", stays.handle)
	publish(t, a, event("t1", "room", 1, "before"))
	gone.waitFor(t, 1)
	stays.waitFor(t, 1)
	if err := sub.Unsubscribe(); err != nil {
		t.Fatalf("Unsubscribe: %v", err)
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Fatalf("second Unsubscribe: %v", err)
	}
	for i := int64(2); i <= 10; i++ {
		publish(t, a, event("t1", "room", i, "after"))
	}
	stays.waitFor(t, 10)
	if got := gone.snapshot(); len(got) != 1 {
		t.Errorf("unsubscribed handler got %d events, want only the 1 from before Unsubscribe", len(got))
	}
}

// testUnsubscribeRace unsubscribes while events are being published and
// checks that the handler never runs once Unsubscribe has returned.
func testUnsubscribeRace(t *testing.T, get func(*testing.T) chat.Broker) {
	b := get(t)
	for round := range 20 {
		var unsubscribed, late atomic.Bool
		var calls atomic.Int64
		started := make(chan struct{})
		room := "race-" + strconv.Itoa(round)
		sub := subscribe(t, b, "t1", room, func(chat.Event) {
			if unsubscribed.Load() {
				late.Store(true)
			}
			if calls.Add(1) == 10 {
				close(started)
			}
		})
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				for i := int64(1); ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					_ = b.Publish(context.Background(), event("t1", room, i, "x"))
				}
			})
		}
		// Unsubscribe while delivery is in full swing.
		select {
		case <-started:
		case <-time.After(wait):
			t.Fatalf("round %d: no delivery within %v", round, wait)
		}
		if err := sub.Unsubscribe(); err != nil {
			t.Fatalf("Unsubscribe: %v", err)
		}
		unsubscribed.Store(true)
		// The publishers keep going for a while after Unsubscribe returned.
		for range 50 {
			_ = b.Publish(context.Background(), event("t1", room, 0, "y"))
		}
		close(stop)
		wg.Wait()
		if late.Load() {
			t.Fatalf("round %d: handler called after Unsubscribe returned", round)
		}
	}
}

func testClose(t *testing.T, get func(*testing.T) chat.Broker) {
	b := get(t)
	other := get(t)
	var closed, late atomic.Bool
	subscribe(t, b, "t1", "room", func(chat.Event) {
		if closed.Load() {
			late.Store(true)
		}
	})
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	closed.Store(true)
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := b.Publish(context.Background(), event("t1", "room", 1, "x")); err == nil {
		t.Error("Publish after Close succeeded, want an error")
	}
	if _, err := b.Subscribe(context.Background(), "t1", "room", func(chat.Event) {}); err == nil {
		t.Error("Subscribe after Close succeeded, want an error")
	}
	if other != b {
		// Another instance still works, and its events do not reach the
		// closed one's handler.
		witness := newRecorder()
		subscribe(t, other, "t1", "room", witness.handle)
		publish(t, other, event("t1", "room", 2, "y"))
		witness.waitFor(t, 1)
	}
	if late.Load() {
		t.Error("handler called after Close returned")
	}
}
