package storetest

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
)

// BenchmarkAppendMessages measures AppendMessages with batches of 1 and 64
// text messages, each with a client message id as real sends have, into
// one room; and batches of 1 from parallel goroutines, one room each. It
// reports msgs/s. newStore returns a fresh store closed in b.Cleanup.
func BenchmarkAppendMessages(b *testing.B, newStore func(b *testing.B) chat.Store) {
	for _, size := range []int{1, 64} {
		b.Run("batch="+strconv.Itoa(size), func(b *testing.B) {
			s := newStore(b)
			benchRoom(b, s, "r")
			batch := make([]chat.NewMessage, size)
			n := 0
			for b.Loop() {
				for i := range batch {
					n++
					batch[i] = text(tenantA, "r", "u1", "c"+strconv.Itoa(n), "a message of a typical length, about sixty bytes")
				}
				benchAppend(b, s, batch)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
	b.Run("batch=1/parallel", func(b *testing.B) {
		s := newStore(b)
		var rooms, sent atomic.Int64
		for i := range 64 {
			benchRoom(b, s, fmt.Sprintf("r%d", i))
		}
		b.RunParallel(func(pb *testing.PB) {
			room := fmt.Sprintf("r%d", rooms.Add(1)%64)
			n := 0
			for pb.Next() {
				n++
				benchAppend(b, s, []chat.NewMessage{text(tenantA, room, "u1", "c"+strconv.Itoa(n), "a message")})
			}
			sent.Add(int64(n))
		})
		b.ReportMetric(float64(sent.Load())/b.Elapsed().Seconds(), "msgs/s")
	})
}

// BenchmarkHistory measures History on a room of 10,000 messages: the
// newest page (what a client opening the room asks for), a catch-up page
// after a seq, and the largest page.
func BenchmarkHistory(b *testing.B, newStore func(b *testing.B) chat.Store) {
	s := newStore(b)
	benchRoom(b, s, "r")
	const total = 10_000
	batch := make([]chat.NewMessage, 500)
	for n := 0; n < total; n += len(batch) {
		for i := range batch {
			batch[i] = text(tenantA, "r", "u1", "", "a message of a typical length, about sixty bytes")
		}
		benchAppend(b, s, batch)
	}
	for _, bc := range []struct {
		name string
		opts chat.HistoryOptions
	}{
		{"newest-50", chat.HistoryOptions{}},
		{"after-50", chat.HistoryOptions{After: total / 2}},
		{"before-500", chat.HistoryOptions{Before: total / 2, Limit: 500}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				msgs, err := s.History(b.Context(), tenantA, "r", bc.opts)
				if err != nil || len(msgs) != chatLimit(bc.opts.Limit) {
					b.Fatalf("History: %d messages, %v", len(msgs), err)
				}
			}
		})
	}
}

func chatLimit(n int) int {
	if n == 0 {
		return 50
	}
	return n
}

func benchRoom(b *testing.B, s chat.Store, id string) {
	b.Helper()
	if _, err := s.CreateRoom(b.Context(), chat.Room{Tenant: tenantA, ID: id, Kind: chat.RoomOpen, Title: id}); err != nil {
		b.Fatalf("CreateRoom: %v", err)
	}
}

func benchAppend(b *testing.B, s chat.Store, batch []chat.NewMessage) {
	res, err := s.AppendMessages(b.Context(), batch)
	if err != nil {
		b.Fatalf("AppendMessages: %v", err)
	}
	for _, r := range res {
		if r.Err != nil || r.Duplicate {
			b.Fatalf("AppendMessages item: duplicate %v, %v", r.Duplicate, r.Err)
		}
	}
}
