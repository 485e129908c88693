package memory_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/parley-chat/parley/internal/broker/brokertest"
	"github.com/parley-chat/parley/internal/broker/memory"
	"github.com/parley-chat/parley/internal/chat"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestConformance runs the Broker suite. An in-process broker cannot reach
// another instance, so the factory hands out one shared Broker per subtest,
// as brokertest.Factory allows.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	shared := map[*testing.T]*memory.Broker{}
	brokertest.Run(t, func(t *testing.T) chat.Broker {
		mu.Lock()
		defer mu.Unlock()
		b, ok := shared[t]
		if !ok {
			b = memory.New()
			shared[t] = b
		}
		return b
	})
}

// TestHandlerMayUseBroker checks the documented re-entrancy: a handler may
// publish to another room and unsubscribe another subscription.
func TestHandlerMayUseBroker(t *testing.T) {
	b := memory.New()
	defer b.Close()
	ctx := context.Background()
	got := make(chan chat.Event, 1)
	if _, err := b.Subscribe(ctx, "t", "b", func(ev chat.Event) { got <- ev }); err != nil {
		t.Fatal(err)
	}
	// first is subscribed before other, so it runs first and takes other
	// out of the delivery already under way.
	var other chat.Subscription
	if _, err := b.Subscribe(ctx, "t", "a", func(ev chat.Event) {
		_ = other.Unsubscribe()
		if err := b.Publish(ctx, chat.Event{Tenant: "t", RoomID: "b", Seq: ev.Seq}); err != nil {
			t.Errorf("Publish from handler: %v", err)
		}
	}); err != nil {
		t.Fatal(err)
	}
	other, err := b.Subscribe(ctx, "t", "a", func(chat.Event) { t.Error("unsubscribed handler called") })
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, chat.Event{Tenant: "t", RoomID: "a", Seq: 7}); err != nil {
		t.Fatal(err)
	}
	if ev := <-got; ev.Seq != 7 {
		t.Fatalf("forwarded seq %d, want 7", ev.Seq)
	}
}

func TestErrors(t *testing.T) {
	b := memory.New()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Publish(ctx, chat.Event{Tenant: "t", RoomID: "r"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Publish with a cancelled ctx = %v, want context.Canceled", err)
	}
	if _, err := b.Subscribe(context.Background(), "t", "r", nil); !errors.Is(err, chat.ErrInvalid) {
		t.Errorf("Subscribe(nil handler) = %v, want ErrInvalid", err)
	}
	_ = b.Close()
	if err := b.Publish(context.Background(), chat.Event{Tenant: "t", RoomID: "r"}); !errors.Is(err, chat.ErrUnavailable) {
		t.Errorf("Publish after Close = %v, want ErrUnavailable", err)
	}
}
