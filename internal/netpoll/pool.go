package netpoll

import "sync"

// pool runs tasks on a bounded set of goroutines. It keeps MinWorkers
// goroutines parked and starts more, up to MaxWorkers, only while tasks are
// waiting; an extra worker exits as soon as it finds the queue empty. Submit
// never blocks: the queue is unbounded, but its length is bounded by its
// callers (the poller has at most one pending readiness task per armed
// descriptor, and a session at most one pending flush per connection).
//
// Goroutines: every worker is owned by the pool and ends in close, after the
// queue has drained.
type pool struct {
	mu      sync.Mutex
	cond    sync.Cond
	tasks   []func() // FIFO: tasks[head:] are waiting
	head    int
	idle    int // workers parked in cond.Wait
	workers int // running workers
	min     int
	max     int
	closed  bool
	wg      sync.WaitGroup
}

func newPool(minWorkers, maxWorkers int) *pool {
	p := &pool{min: minWorkers, max: maxWorkers}
	p.cond.L = &p.mu
	return p
}

// submit queues f; it reports false once the pool is closed.
func (p *pool) submit(f func()) bool {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return false
	}
	if p.head > 0 && p.head == len(p.tasks) {
		clear(p.tasks)
		p.tasks, p.head = p.tasks[:0], 0
	}
	p.tasks = append(p.tasks, f)
	waiting := len(p.tasks) - p.head
	if p.idle > 0 {
		p.cond.Signal()
	}
	if waiting > p.idle && p.workers < p.max {
		p.workers++
		p.wg.Add(1)
		go p.work()
	}
	p.mu.Unlock()
	return true
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
		f := p.tasks[p.head]
		p.tasks[p.head] = nil
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
