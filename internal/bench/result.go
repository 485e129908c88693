package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parley-chat/parley/internal/protocol"
)

// Result is what a run measured. Fields that do not apply to the scenario
// are zero (and omitted from JSON).
type Result struct {
	Scenario string `json:"scenario"`
	Server   string `json:"server"`
	Tenant   string `json:"tenant"`
	Conns    int    `json:"conns"`
	Rooms    int    `json:"rooms"`
	RoomSize int    `json:"room_size"`

	SetupSeconds float64 `json:"setup_seconds"` // rooms, joins, connects and subscribes

	// Fanout.
	Senders          int     `json:"senders,omitempty"`
	Rate             float64 `json:"rate,omitempty"`            // configured messages/s, all senders
	PerSenderRate    float64 `json:"per_sender_rate,omitempty"` // messages/s of each sender
	Seconds          float64 `json:"seconds,omitempty"`         // length of the sending phase
	DrainSeconds     float64 `json:"drain_seconds,omitempty"`   // wait for the last acks and deliveries
	Sent             int64   `json:"sent,omitempty"`
	Acked            int64   `json:"acked,omitempty"`
	SendErrors       int64   `json:"send_errors,omitempty"`
	LateSends        int64   `json:"late_sends,omitempty"` // written more than 5 ms behind schedule
	SendsPerSec      float64 `json:"sends_per_sec,omitempty"`
	Deliveries       int64   `json:"deliveries,omitempty"`         // bench messages received, all clients, including the drain
	DeliveriesPerSec float64 `json:"deliveries_per_sec,omitempty"` // received during the sending phase / its length
	Latency          Latency `json:"latency"`                      // scheduled send -> received, every recipient
	AckLatency       Latency `json:"ack_latency"`                  // scheduled send -> ack (stored)

	Errors      map[string]int64 `json:"errors"`      // error frames by code
	Disconnects map[string]int64 `json:"disconnects"` // closes by the server by close code; 1006 = no close frame
	Violations  Violations       `json:"violations"`

	// Idle.
	Memory *Memory `json:"memory,omitempty"`

	Notes []string `json:"notes,omitempty"`
}

// Violations are correctness failures seen while measuring; all must be 0.
type Violations struct {
	Gaps        int64 `json:"gaps"`        // seqs a client never saw between two it did
	Duplicates  int64 `json:"duplicates"`  // a seq seen again, or going backwards
	Undelivered int64 `json:"undelivered"` // acked messages a connected member never received (after the drain)
	Unanswered  int64 `json:"unanswered"`  // sends with neither ack nor error (after the drain)
	Foreign     int64 `json:"foreign"`     // messages of a room the client did not subscribe to
	Malformed   int64 `json:"malformed"`   // server frames that were not JSON objects
}

// Total is the sum of all violations.
func (v Violations) Total() int64 {
	return v.Gaps + v.Duplicates + v.Undelivered + v.Unanswered + v.Foreign + v.Malformed
}

// Check returns an error when the run saw any correctness violation.
func (r Result) Check() error {
	if n := r.Violations.Total(); n > 0 {
		return fmt.Errorf("bench: %d %w: %+v", n, errIncorrect, r.Violations)
	}
	return nil
}

func fillFanout(res *Result, st *stats, deliveredInWindow int64, window time.Duration, undelivered int64) {
	res.Sent = st.sent.Load()
	res.Acked = st.acked.Load()
	res.SendErrors = st.sendErrors.Load()
	res.LateSends = st.late.Load()
	res.Deliveries = st.deliveries.Load()
	if s := window.Seconds(); s > 0 {
		res.DeliveriesPerSec = float64(deliveredInWindow) / s
		res.SendsPerSec = float64(res.Sent) / s
	}
	res.Latency = st.delivery.summary()
	res.AckLatency = st.ack.summary()
	res.Errors, res.Disconnects = st.maps()
	res.Violations = Violations{
		Gaps:        st.gaps.Load(),
		Duplicates:  st.dups.Load(),
		Undelivered: undelivered,
		Unanswered:  max(0, res.Sent-res.Acked-res.SendErrors),
		Foreign:     st.foreign.Load(),
		Malformed:   st.malformed.Load(),
	}
	if res.Errors[string(protocol.CodeRateLimited)] > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf(
			"rate_limited: each sender sent %.1f msgs/s, more than the tenant's sendsPerSecond policy; raise --senders-per-room or the policy", res.PerSenderRate))
	}
	if res.LateSends > 0 {
		res.Notes = append(res.Notes, "late sends: the generator or the sockets fell behind the schedule; latency still counts from the schedule")
	}
	if res.Sent > 0 && res.Violations.Unanswered > 0 {
		res.Notes = append(res.Notes, "unanswered sends: raise --drain if the server was merely slow")
	}
}

// Report writes the result as JSON (cfg.JSON) or as a human summary.
func Report(w io.Writer, cfg Config, r Result) error {
	if cfg.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return r.WriteSummary(w)
}

// WriteSummary writes the human-readable summary.
func (r Result) WriteSummary(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format+"\n", args...) }
	p("scenario\t%s  (%s, tenant %s)", r.Scenario, r.Server, r.Tenant)
	p("connections\t%d in %d rooms of %d", r.Conns, r.Rooms, r.RoomSize)
	p("set-up\t%.1f s", r.SetupSeconds)
	if r.Memory == nil {
		p("senders\t%d at %.1f msgs/s each (%.0f msgs/s total)", r.Senders, r.PerSenderRate, r.Rate)
		p("sending\t%.1f s, then %.2f s drain", r.Seconds, r.DrainSeconds)
		p("sent / acked / errors\t%d / %d / %d  (%.0f sends/s, %d late)", r.Sent, r.Acked, r.SendErrors, r.SendsPerSec, r.LateSends)
		p("deliveries\t%d  (%.0f /s)", r.Deliveries, r.DeliveriesPerSec)
		p("delivery latency\t%s", r.Latency)
		p("ack latency\t%s", r.AckLatency)
	} else {
		m := r.Memory
		p("open connections\t%d", m.Conns)
		if m.RSSSource != "" {
			p("server RSS\t%s -> %s  = %.0f B per connection  (%s)", mib(m.RSSBefore), mib(m.RSSAfter), m.RSSPerConn, m.RSSSource)
		}
		if m.HeapAfter > 0 {
			p("server Go heap in use\t%s -> %s  = %.0f B per connection", mib(m.HeapBefore), mib(m.HeapAfter), m.HeapPerConn)
			p("server goroutines\t%.0f -> %.0f", m.GoroutinesBefore, m.GoroutinesAfter)
		}
	}
	p("errors\t%s", counts(r.Errors))
	p("disconnects\t%s", counts(r.Disconnects))
	v := r.Violations
	p("violations\t%d  (gaps %d, duplicates %d, undelivered %d, unanswered %d, foreign %d, malformed %d)",
		v.Total(), v.Gaps, v.Duplicates, v.Undelivered, v.Unanswered, v.Foreign, v.Malformed)
	for _, n := range r.Notes {
		p("note\t%s", n)
	}
	return tw.Flush()
}

// String formats the distribution on one line.
func (l Latency) String() string {
	if l.Count == 0 {
		return "none"
	}
	return fmt.Sprintf("p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms  (mean %.2f, n=%d)",
		l.P50, l.P90, l.P99, l.P999, l.Max, l.Mean, l.Count)
}

func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
