package bench

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram range: 1 µs to 2 minutes at 3 significant digits.
const (
	histMin    = 1
	histMax    = int64(2 * time.Minute / time.Microsecond)
	histDigits = 3
	histShards = 16 // readers record through a shard chosen by client index
)

// latencies records durations in microseconds into sharded HDR histograms,
// so that thousands of reader goroutines rarely wait for each other.
type latencies struct {
	shards [histShards]struct {
		mu sync.Mutex
		h  *hdrhistogram.Histogram
	}
}

func newLatencies() *latencies {
	l := &latencies{}
	for i := range l.shards {
		l.shards[i].h = hdrhistogram.New(histMin, histMax, histDigits)
	}
	return l
}

// record adds one duration; shard spreads concurrent callers.
func (l *latencies) record(shard int, d time.Duration) {
	us := d.Microseconds()
	if us < histMin {
		us = histMin
	}
	if us > histMax {
		us = histMax
	}
	s := &l.shards[shard%histShards]
	s.mu.Lock()
	_ = s.h.RecordValue(us) // in range by the clamps above
	s.mu.Unlock()
}

// summary merges the shards.
func (l *latencies) summary() Latency {
	all := hdrhistogram.New(histMin, histMax, histDigits)
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		all.Merge(s.h)
		s.mu.Unlock()
	}
	if all.TotalCount() == 0 {
		return Latency{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Latency{
		Count: all.TotalCount(),
		Mean:  all.Mean() / 1000,
		P50:   ms(all.ValueAtQuantile(50)),
		P90:   ms(all.ValueAtQuantile(90)),
		P99:   ms(all.ValueAtQuantile(99)),
		P999:  ms(all.ValueAtQuantile(99.9)),
		Max:   ms(all.Max()),
	}
}

// Latency summarises a latency distribution, in milliseconds.
type Latency struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
}
