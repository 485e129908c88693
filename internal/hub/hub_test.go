package hub

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/parley-chat/parley/internal/broker/memory"
	"github.com/parley-chat/parley/internal/chat"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sink records frames; it refuses once it holds limit frames (0: no limit).
type sink struct {
	mu       sync.Mutex
	frames   []string
	limit    int
	overflow bool
}

func (s *sink) Send(f []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limit > 0 && len(s.frames) >= s.limit {
		return false
	}
	s.frames = append(s.frames, string(f))
	return true
}

func (s *sink) Overflow() {
	s.mu.Lock()
	s.overflow = true
	s.mu.Unlock()
}

func (s *sink) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.frames...)
}

// countingBroker counts live broker subscriptions.
type countingBroker struct {
	*memory.Broker
	live atomic.Int64
}

type countedSub struct {
	chat.Subscription
	b    *countingBroker
	once sync.Once
}

func (c *countedSub) Unsubscribe() error {
	c.once.Do(func() { c.b.live.Add(-1) })
	return c.Subscription.Unsubscribe()
}

func (b *countingBroker) Subscribe(ctx context.Context, tenant, room string, h func(chat.Event)) (chat.Subscription, error) {
	s, err := b.Broker.Subscribe(ctx, tenant, room, h)
	if err != nil {
		return nil, err
	}
	b.live.Add(1)
	return &countedSub{Subscription: s, b: b}, nil
}

func publish(t testing.TB, b chat.Broker, room string, seq int64) {
	t.Helper()
	payload := "e" + strconv.FormatInt(seq, 10)
	if seq == 0 {
		payload = "typing"
	}
	if err := b.Publish(context.Background(), chat.Event{Tenant: "t", RoomID: room, Seq: seq, Payload: []byte(payload)}); err != nil {
		t.Fatal(err)
	}
}

func equal(t *testing.T, got []string, want ...string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("frames %v, want %v", got, want)
	}
}

func TestLiveFanoutInOrderAndRefcount(t *testing.T) {
	b := &countingBroker{Broker: memory.New()}
	defer b.Close()
	h := New(b, Options{})
	defer h.Close()
	ctx := context.Background()
	var sinks [3]sink
	var subs [3]*Sub
	for i := range sinks {
		s, err := h.Subscribe(ctx, "t", "r", &sinks[i], nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Live(0, nil)
		subs[i] = s
	}
	if b.live.Load() != 1 {
		t.Fatalf("broker subscriptions = %d, want 1 per room", b.live.Load())
	}
	publish(t, b, "r", 1)
	publish(t, b, "r", 2)
	publish(t, b, "r", 2) // duplicate
	publish(t, b, "other", 3)
	for i := range sinks {
		equal(t, sinks[i].got(), "e1", "e2")
	}
	if st := h.Stats(); st.Rooms != 1 || st.Subscriptions != 3 || st.Deliveries != 6 {
		t.Fatalf("stats %+v", st)
	}
	subs[0].Unsubscribe()
	subs[0].Unsubscribe() // idempotent
	publish(t, b, "r", 3)
	equal(t, sinks[0].got(), "e1", "e2")
	equal(t, sinks[1].got(), "e1", "e2", "e3")
	subs[1].Unsubscribe()
	subs[2].Unsubscribe()
	if b.live.Load() != 0 {
		t.Fatalf("broker subscriptions = %d after the last local one left, want 0", b.live.Load())
	}
	if st := h.Stats(); st.Rooms != 0 || st.Subscriptions != 0 {
		t.Fatalf("stats after unsubscribe %+v", st)
	}
}

func TestResumeBuffersThenGoesLiveWithoutGapOrDuplicate(t *testing.T) {
	b := memory.New()
	defer b.Close()
	h := New(b, Options{})
	defer h.Close()
	var sk sink
	sub, err := h.Subscribe(context.Background(), "t", "r", &sk, nil)
	if err != nil {
		t.Fatal(err)
	}
	// While the owner reads the store (seqs 1..3), 3..5 are published; an
	// ephemeral event passes straight through.
	publish(t, b, "r", 3)
	publish(t, b, "r", 0)
	publish(t, b, "r", 4)
	for _, s := range []string{"s1", "s2", "s3"} {
		sk.Send([]byte(s)) // the owner queues stored messages itself
	}
	got := sub.Next(3, 10)
	if len(got) != 1 || got[0].Seq != 4 {
		t.Fatalf("Next = %v, want seq 4", got)
	}
	sk.Send(got[0].Data)
	publish(t, b, "r", 5)
	last, ok := sub.Live(4, func(last int64) []byte { return []byte("subscribed@" + strconv.FormatInt(last, 10)) })
	if !ok || last != 5 {
		t.Fatalf("Live = %d, %v; want 5, true", last, ok)
	}
	publish(t, b, "r", 5)
	publish(t, b, "r", 6)
	equal(t, sk.got(), "typing", "s1", "s2", "s3", "e4", "e5", "subscribed@5", "e6")
}

func TestGapIsHeldAndFilledFromStore(t *testing.T) {
	b := memory.New()
	defer b.Close()
	h := New(b, Options{})
	defer h.Close()
	var sk sink
	gaps := 0
	sub, err := h.Subscribe(context.Background(), "t", "r", &sk, func() { gaps++ })
	if err != nil {
		t.Fatal(err)
	}
	sub.Live(1, nil)
	publish(t, b, "r", 3) // 2 missing: held back
	publish(t, b, "r", 4)
	if last, gap := sub.Last(); last != 1 || !gap || gaps != 1 {
		t.Fatalf("last=%d gap=%v gaps=%d, want 1 true 1", last, gap, gaps)
	}
	publish(t, b, "r", 2) // the late one arrives: everything flows
	equal(t, sk.got(), "e2", "e3", "e4")
	publish(t, b, "r", 6) // 5 lost for good: the store fills it
	if sub.Fill([]Frame{{Seq: 5, Data: []byte("s5")}, {Seq: 6, Data: []byte("s6")}}, true) {
		t.Fatal("gap remains after fill")
	}
	publish(t, b, "r", 9) // 7, 8 never existed (the store reaches the end)
	if !sub.Fill(nil, false) {
		t.Fatal("incomplete empty fill closed the gap")
	}
	if sub.Fill(nil, true) {
		t.Fatal("gap remains after complete fill")
	}
	equal(t, sk.got(), "e2", "e3", "e4", "s5", "s6", "e9")
}

func TestPendingOverflowAndRefusingSink(t *testing.T) {
	b := memory.New()
	defer b.Close()
	h := New(b, Options{MaxPending: 2})
	defer h.Close()
	var slow, full, ok sink
	full.limit = 1
	subSlow, err := h.Subscribe(context.Background(), "t", "r", &slow, nil)
	if err != nil {
		t.Fatal(err)
	}
	subFull, err := h.Subscribe(context.Background(), "t", "r", &full, nil)
	if err != nil {
		t.Fatal(err)
	}
	subFull.Live(0, nil)
	subOK, err := h.Subscribe(context.Background(), "t", "r", &ok, nil)
	if err != nil {
		t.Fatal(err)
	}
	subOK.Live(0, nil)
	for seq := int64(1); seq <= 3; seq++ {
		publish(t, b, "r", seq)
	}
	if !slow.overflow {
		t.Fatal("buffering subscription over MaxPending did not overflow")
	}
	equal(t, full.got(), "e1")
	equal(t, ok.got(), "e1", "e2", "e3")
	if st := h.Stats(); st.Overflows != 1 || st.Refused != 1 {
		t.Fatalf("stats %+v", st)
	}
	if _, live := subSlow.Live(0, nil); live {
		t.Fatal("overflowed subscription went live")
	}
	for _, s := range []*Sub{subSlow, subFull, subOK} {
		s.Unsubscribe()
	}
}

func TestSetOnlineReportsChanges(t *testing.T) {
	b := memory.New()
	defer b.Close()
	h := New(b, Options{})
	defer h.Close()
	sub, err := h.Subscribe(context.Background(), "t", "r", &sink{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	for _, c := range []struct {
		n    int
		want bool
	}{{1, true}, {1, false}, {2, true}, {1, true}} {
		if got := h.SetOnline("t", "r", c.n); got != c.want {
			t.Fatalf("SetOnline(%d) = %v, want %v", c.n, got, c.want)
		}
	}
	if !h.SetOnline("t", "elsewhere", 1) {
		t.Fatal("room without local subscribers must report a change")
	}
}

// queueSink is a bounded queue like a connection's, drained by the
// benchmark.
type queueSink struct {
	mu sync.Mutex
	q  [][]byte
}

func (s *queueSink) Send(f []byte) bool {
	s.mu.Lock()
	if len(s.q) == cap(s.q) {
		s.mu.Unlock()
		return false
	}
	s.q = append(s.q, f)
	s.mu.Unlock()
	return true
}

func (s *queueSink) Overflow() {}

// BenchmarkFanout publishes one event to N live subscribers through the
// broker and the hub into their queues. Deliveries are counted per
// recipient; allocations per delivery must stay ~0 (the frame is encoded
// once per event).
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			br := memory.New()
			defer br.Close()
			h := New(br, Options{Encode: func(p []byte) []byte {
				out := make([]byte, 0, len(p)+4)
				out = append(out, 0x81, byte(len(p)))
				return append(out, p...)
			}})
			defer h.Close()
			sinks := make([]*queueSink, n)
			for i := range sinks {
				sinks[i] = &queueSink{q: make([][]byte, 0, 256)}
				s, err := h.Subscribe(context.Background(), "t", "r", sinks[i], nil)
				if err != nil {
					b.Fatal(err)
				}
				s.Live(0, nil)
				defer s.Unsubscribe()
			}
			payload := []byte(`{"type":"message","room":"r","seq":1,"kind":"text","user":"u","name":"U","text":"hello, world","at":1700000000000}`)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if err := br.Publish(ctx, chat.Event{Tenant: "t", RoomID: "r", Seq: int64(i + 1), Payload: payload}); err != nil {
					b.Fatal(err)
				}
				if (i+1)%200 == 0 {
					for _, s := range sinks {
						s.mu.Lock()
						clear(s.q)
						s.q = s.q[:0]
						s.mu.Unlock()
					}
				}
			}
			b.StopTimer()
			d := float64(b.N) * float64(n)
			b.ReportMetric(d/b.Elapsed().Seconds(), "deliveries/s")
			if st := h.Stats(); st.Refused != 0 {
				b.Fatalf("refused %d", st.Refused)
			}
		})
	}
}

// onGap schedules one repair at a time: a gap that closes and opens again
// while a repair is outstanding must not start a second one, or repairs
// multiply with every flap of a lossy broker.
func TestOneRepairOutstandingAtATime(t *testing.T) {
	b := memory.New()
	defer b.Close()
	h := New(b, Options{})
	defer h.Close()
	var sk sink
	outstanding, most := 0, 0
	sub, err := h.Subscribe(context.Background(), "t", "r", &sk, func() {
		outstanding++ // under the subscription's lock
		most = max(most, outstanding)
	})
	if err != nil {
		t.Fatal(err)
	}
	fill := func(frames []Frame, complete bool) bool {
		outstanding-- // the repair reports back
		return sub.Fill(frames, complete)
	}
	sub.Live(1, nil)
	publish(t, b, "r", 3) // gap: repair 1 scheduled
	publish(t, b, "r", 2) // the late one arrives; repair 1 still sleeping
	publish(t, b, "r", 5) // a new gap while repair 1 is outstanding
	if most != 1 {
		t.Fatalf("%d repairs outstanding at once, want 1", most)
	}
	if !fill(nil, false) { // repair 1 finds the new gap: it schedules the next
		t.Fatal("gap closed by an empty fill")
	}
	if fill([]Frame{{Seq: 4, Data: []byte("s4")}}, true) {
		t.Fatal("gap remains")
	}
	if most != 1 || outstanding != 0 {
		t.Fatalf("most %d outstanding %d, want 1 and 0", most, outstanding)
	}
	equal(t, sk.got(), "e2", "e3", "s4", "e5")
}
