// Package bench is the load generator behind `parley bench`. It speaks only
// Parley's public protocol (REST for set-up, WebSocket for the rest) to a
// node on this machine, and measures it:
//
//   - fanout: rooms of RoomSize members, SendersPerRoom of whom send at a
//     fixed total Rate for Duration (open loop: a slow server does not slow
//     the schedule, and latency is measured from the scheduled send time);
//     every member receives. It reports deliveries per second, delivery
//     latency (send -> every recipient), ack latency (send -> stored),
//     errors by code and disconnects by close code, and verifies while
//     measuring that each client sees its room's seqs gapless and without
//     duplicates, and that every acked message reached every connected
//     member.
//   - idle: Conns connections that authenticate and subscribe, then nothing;
//     it reports the server's memory per connection (VmRSS from /proc, and
//     the Go heap from /metrics).
//
// Users are bench-0 .. bench-<Conns-1>, with tokens minted locally from the
// server's key; rooms are created fresh for every run. Only loopback
// addresses are accepted, every phase is bounded in time, and the run stops
// by itself.
package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"
)

// minMessageSize leaves room for the "bench <ns>" prefix that carries the
// send time.
const minMessageSize = 32

// lateAfter: a send written this long after its scheduled time counts as
// late (the generator or the socket fell behind the schedule).
const lateAfter = 5 * time.Millisecond

// Run executes one benchmark and returns its result. It returns an error
// when the run could not be carried out (no server, refused tokens, set-up
// failed); correctness findings are in the Result (see Result.Check).
func Run(ctx context.Context, cfg Config, logger *slog.Logger) (Result, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	log := logger.With("component", "bench")
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	limit, err := raiseFileLimit()
	if err != nil {
		return Result{}, err
	}
	if need := uint64(cfg.Conns) + 256; limit < need {
		return Result{}, fmt.Errorf("bench: open-file limit %d is below the %d that %d connections need", limit, need, cfg.Conns)
	}
	e, err := newEnv(cfg, log)
	if err != nil {
		return Result{}, err
	}
	defer e.close()

	setupCtx, cancel := context.WithTimeout(ctx, cfg.SetupTimeout)
	defer cancel()
	began := time.Now()
	if err := e.healthz(setupCtx); err != nil {
		return Result{}, fmt.Errorf("bench: %w", err)
	}
	if err := e.mintTokens(cfg.Conns); err != nil {
		return Result{}, err
	}
	l, err := e.createRooms(setupCtx)
	if err != nil {
		return Result{}, fmt.Errorf("bench: %w", err)
	}
	res := Result{
		Scenario: cfg.Scenario,
		Server:   e.base.String(),
		Tenant:   cfg.Tenant,
		Conns:    cfg.Conns,
		Rooms:    len(l.rooms),
		RoomSize: cfg.RoomSize,
	}
	switch cfg.Scenario {
	case ScenarioIdle:
		err = runIdle(ctx, setupCtx, e, l, log, began, &res)
	default:
		err = runFanout(ctx, setupCtx, e, l, log, began, &res)
	}
	if err != nil {
		return Result{}, fmt.Errorf("bench: %w", err)
	}
	return res, nil
}

// runFanout connects everyone, sends on schedule, drains and checks.
func runFanout(ctx, setupCtx context.Context, e *env, l layout, log *slog.Logger, began time.Time, res *Result) error {
	cfg := e.cfg
	st := newStats(len(l.rooms))
	fl, err := connect(setupCtx, e, st, l, log)
	if err != nil {
		return err
	}
	defer fl.closeAll()
	res.SetupSeconds = time.Since(began).Seconds()

	var senders []*client
	fl.each(func(c *client) {
		if c.idx%cfg.RoomSize < cfg.SendersPerRoom {
			senders = append(senders, c)
		}
	})
	interval := int64(float64(len(senders)) / cfg.Rate * float64(time.Second))
	if interval < 1 {
		interval = 1
	}
	res.Senders = len(senders)
	res.Rate = cfg.Rate
	res.PerSenderRate = float64(time.Second) / float64(interval)
	log.Info("bench: sending", "senders", len(senders), "rate", cfg.Rate, "duration", cfg.Duration)

	start := st.now() + int64(50*time.Millisecond)
	end := start + int64(cfg.Duration)
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runSenders(sendCtx, st, senders, start, interval, end, cfg.MessageSize)
	}()
	<-done
	// The last send is due before end: the window closes at end.
	if wait := end - st.now(); wait > 0 && ctx.Err() == nil {
		t := time.NewTimer(time.Duration(wait))
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	sent := time.Duration(st.now() - start)
	delivered := st.deliveries.Load()
	res.Seconds = sent.Seconds()

	drained := drain(ctx, st, fl, cfg.Drain)
	res.DrainSeconds = drained.Seconds()

	var undelivered int64
	fl.each(func(c *client) {
		if c.gone.Load() {
			return
		}
		if behind := st.roomMax[c.room].Load() - c.last.Load(); behind > 0 {
			undelivered += behind
		}
	})
	fillFanout(res, st, delivered, sent, undelivered)
	return nil
}

// runSenders runs one goroutine per sender until end (or ctx) and waits for
// them. Sender k of n starts k*interval/n after start, so the sends of the
// whole run are evenly spread.
func runSenders(ctx context.Context, st *stats, senders []*client, start, interval, end int64, size int) {
	done := make(chan struct{}, len(senders))
	for k, c := range senders {
		first := start + interval*int64(k)/int64(len(senders))
		go func() {
			defer func() { done <- struct{}{} }()
			c.sendLoop(ctx, first, interval, end, size)
		}()
	}
	for range senders {
		<-done
	}
}

// sendLoop writes one send frame every interval from first until end. The
// frame's id is its scheduled time and its text starts with it, so acks and
// deliveries are timed from the schedule, not from when the write happened.
func (c *client) sendLoop(ctx context.Context, first, interval, end int64, size int) {
	st := c.st
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	buf := make([]byte, 0, size+128)
	for n, at := 0, first; at < end; n, at = n+1, at+interval {
		if wait := at - st.now(); wait > 0 {
			timer.Reset(time.Duration(wait))
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		} else if -wait > int64(lateAfter) {
			st.late.Add(1)
		}
		if ctx.Err() != nil || c.gone.Load() {
			return
		}
		buf = appendSend(buf[:0], c.rid, c.idx, n, at, size)
		if err := c.write(buf); err != nil {
			return // the reader records how the connection ended
		}
		st.sent.Add(1)
	}
}

// appendSend encodes a send frame. Room ids and the generated fields need
// no JSON escaping.
func appendSend(b []byte, room string, sender, n int, at int64, size int) []byte {
	b = append(b, `{"type":"send","id":"`...)
	b = strconv.AppendInt(b, at, 10)
	b = append(b, `","room":"`...)
	b = append(b, room...)
	b = append(b, `","cmid":"b`...)
	b = strconv.AppendInt(b, int64(sender), 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `","text":"bench `...)
	mark := len(b) - len("bench ")
	b = strconv.AppendInt(b, at, 10)
	b = append(b, ' ')
	for len(b)-mark < size {
		b = append(b, 'x')
	}
	return append(b, `"}`...)
}

// drain waits, up to limit, until every send is answered and every
// connected client has seen its room's last acked seq. It polls: the
// condition spans thousands of goroutines' counters.
func drain(ctx context.Context, st *stats, fl *fleet, limit time.Duration) time.Duration {
	began := time.Now()
	deadline := began.Add(limit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if settled(st, fl) || time.Now().After(deadline) {
			return time.Since(began)
		}
		select {
		case <-ctx.Done():
			return time.Since(began)
		case <-tick.C:
		}
	}
}

func settled(st *stats, fl *fleet) bool {
	if st.sent.Load() != st.acked.Load()+st.sendErrors.Load() {
		return false
	}
	ok := true
	fl.each(func(c *client) {
		if ok && !c.gone.Load() && c.last.Load() < st.roomMax[c.room].Load() {
			ok = false
		}
	})
	return ok
}

// runIdle connects everyone and reads the server's memory before and after.
func runIdle(ctx, setupCtx context.Context, e *env, l layout, log *slog.Logger, began time.Time, res *Result) error {
	cfg := e.cfg
	e.close() // the set-up's keep-alive connections would count as "before"
	before, err := readMemory(setupCtx, e, cfg.ServerPID)
	if err != nil {
		return err
	}
	st := newStats(len(l.rooms))
	fl, err := connect(setupCtx, e, st, l, log)
	if err != nil {
		return err
	}
	defer fl.closeAll()
	res.SetupSeconds = time.Since(began).Seconds()
	if cfg.Settle > 0 {
		t := time.NewTimer(cfg.Settle)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	e.close()
	after, err := readMemory(ctx, e, cfg.ServerPID)
	if err != nil {
		return err
	}
	open := 0
	fl.each(func(c *client) {
		if !c.gone.Load() {
			open++
		}
	})
	res.Memory = memoryResult(before, after, open)
	res.Errors, res.Disconnects = st.maps()
	res.Violations = Violations{
		Gaps:       st.gaps.Load(),
		Duplicates: st.dups.Load(),
		Foreign:    st.foreign.Load(),
		Malformed:  st.malformed.Load(),
	}
	return nil
}

func (s *stats) maps() (errs, disconnects map[string]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	errs = make(map[string]int64, len(s.errors))
	for k, v := range s.errors {
		errs[k] = v
	}
	disconnects = make(map[string]int64, len(s.disconnects))
	for k, v := range s.disconnects {
		disconnects[k] = v
	}
	return errs, disconnects
}

// errIncorrect is wrapped by Result.Check.
var errIncorrect = errors.New("correctness violations")
