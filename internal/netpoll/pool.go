package netpoll

import (
	"sync"
	"time"
)

// stallAfter is how long the oldest queued task may wait, with every worker
// busy, before the pool starts one more worker.
const stallAfter = time.Millisecond

// pool runs tasks on a bounded set of goroutines. Up to MinWorkers start on
// demand and stay parked. More, up to MaxWorkers, start only when the queue
// stalls — its oldest task has waited stallAfter with no idle worker, which
// is what happens when workers are blocked (a write to a peer that does not
// read) rather than merely busy — and an extra worker exits as soon as it
// finds the queue empty. Bursts of quick tasks (one flush per recipient of an
// event) are thus run by the few parked workers without starting goroutines.
//
// Submit never blocks: the queue is unbounded, but its length is bounded by
// its callers (the poller has at most one pending readiness task per armed
// descriptor, and a session at most one pending flush per connection).
//
// Goroutines: every worker is owned by the pool and ends in close, after the
// queue has drained.
type pool struct {
	mu      sync.Mutex
	cond    sync.Cond
	tasks   []task // FIFO: tasks[head:] are waiting
	head    int
	idle    int // workers parked in cond.Wait
	workers int // running workers
	min     int
	max     int
	closed  bool
	wg      sync.WaitGroup
}

type task struct {
	f  func()
	at int64 // when queued, Unix ns
}

func newPool(minWorkers, maxWorkers int) *pool {
	p := &pool{min: minWorkers, max: maxWorkers}
	p.cond.L = &p.mu
	return p
}

// submit queues f; it reports false once the pool is closed.
func (p *pool) submit(f func()) bool {
	now := time.Now().UnixNano()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return false
	}
	if p.head > 0 && p.head >= len(p.tasks)/2 {
		// Compact so that a queue that never quite drains does not grow
		// its backing array forever.
		n := copy(p.tasks, p.tasks[p.head:])
		clear(p.tasks[n:])
		p.tasks, p.head = p.tasks[:n], 0
	}
	p.tasks = append(p.tasks, task{f: f, at: now})
	if p.idle > 0 {
		p.cond.Signal()
	}
	p.growLocked(now)
	p.mu.Unlock()
	return true
}

// unstick starts a worker if the queue stalled; the poller calls it
// periodically so that blocked workers are noticed without new submits.
func (p *pool) unstick() {
	p.mu.Lock()
	if !p.closed {
		p.growLocked(time.Now().UnixNano())
	}
	p.mu.Unlock()
}

func (p *pool) growLocked(now int64) {
	waiting := len(p.tasks) - p.head
	if waiting == 0 || waiting <= p.idle || p.workers >= p.max {
		return
	}
	if p.workers >= p.min && now-p.tasks[p.head].at < int64(stallAfter) {
		return
	}
	p.workers++
	p.wg.Add(1)
	go p.work()
}

func (p *pool) work() {
	defer p.wg.Done()
	p.mu.Lock()
	for {
		for p.head == len(p.tasks) {
			if p.closed || p.workers > p.min {
				p.workers--
				p.mu.Unlock()
				return
			}
			p.idle++
			p.cond.Wait()
			p.idle--
		}
		f := p.tasks[p.head].f
		p.tasks[p.head] = task{}
		p.head++
		p.mu.Unlock()
		f()
		p.mu.Lock()
	}
}

// close stops accepting tasks, lets the workers finish the queued ones and
// waits for them to exit.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
	p.wg.Wait()
}
