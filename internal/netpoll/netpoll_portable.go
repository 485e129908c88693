//go:build !linux || netpoll_portable

package netpoll

import (
	"net"
	"sync"
	"syscall"
	"time"
)

// Poller is the portable fallback: one goroutine per registered connection
// parks in syscall.RawConn.Read until the descriptor is readable.
//
// Goroutines: each Handle's waiter is owned by the Poller and ends when the
// handle is stopped (Stop, or Close for all of them); the pool's workers end
// in Close.
type Poller struct {
	pool *pool

	mu      sync.Mutex // guards handles, closed
	handles map[*Handle]struct{}
	closed  bool
	stop    chan struct{} // ends watch
	wg      sync.WaitGroup
}

// Handle is one registered connection.
type Handle struct {
	handleState
	p       *Poller
	conn    net.Conn
	rc      syscall.RawConn
	onReady func()
	arm     chan struct{} // one token: armed
	stop    chan struct{}
}

// New starts a Poller.
func New(cfg Config) (*Poller, error) {
	cfg = cfg.withDefaults()
	p := &Poller{pool: newPool(cfg.MinWorkers, cfg.MaxWorkers), handles: make(map[*Handle]struct{}), stop: make(chan struct{})}
	p.wg.Add(1)
	go p.watch()
	return p, nil
}

// watch lets the pool notice blocked workers even when nothing is
// submitted; it ends in Close.
func (p *Poller) watch() {
	defer p.wg.Done()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.pool.unstick()
		}
	}
}

// Register adds conn to the poller, disarmed: after each Rearm, when conn is
// readable (or the peer hung up) onReady runs once on the worker pool and
// the connection is disarmed again. The caller keeps ownership of conn and
// must call Stop before closing it.
func (p *Poller) Register(conn net.Conn, onReady func()) (*Handle, error) {
	rc, err := rawConn(conn)
	if err != nil {
		return nil, err
	}
	h := &Handle{p: p, conn: conn, rc: rc, onReady: onReady, arm: make(chan struct{}, 1), stop: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	p.handles[h] = struct{}{}
	p.wg.Add(1)
	p.mu.Unlock()
	go h.wait()
	return h, nil
}

func (h *Handle) wait() {
	defer h.p.wg.Done()
	for {
		select {
		case <-h.stop:
			return
		case <-h.arm:
		}
		err := h.rc.Read(func(fd uintptr) bool {
			select {
			case <-h.stop:
				return true
			default:
				return readable(fd)
			}
		})
		select {
		case <-h.stop:
			return
		default:
		}
		if err != nil && !isTimeout(err) {
			// Closed underneath us: report once so the owner notices.
			h.p.pool.submit(h.onReady)
			<-h.stop
			return
		}
		h.p.pool.submit(h.onReady)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// Rearm asks for the next readiness notification: call it after Register,
// and again once the previous onReady has finished reading.
func (h *Handle) Rearm() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return ErrClosed
	}
	select {
	case h.arm <- struct{}{}:
	default:
	}
	return nil
}

// Stop removes the connection from the poller. onReady is not started after
// Stop returns (one already running finishes). Stop is idempotent and must be
// called before the connection is closed.
func (h *Handle) Stop() {
	h.mu.Lock()
	if h.stopped {
		h.mu.Unlock()
		return
	}
	h.stopped = true
	close(h.stop)
	h.mu.Unlock()
	// Wake a waiter parked in RawConn.Read; the owner closes the
	// connection next anyway.
	_ = h.conn.SetReadDeadline(time.Unix(1, 0))
	h.p.mu.Lock()
	delete(h.p.handles, h)
	h.p.mu.Unlock()
}

// Close stops every handle and the pool and waits for all goroutines of the
// Poller to end. Registered connections are not closed.
func (p *Poller) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	hs := make([]*Handle, 0, len(p.handles))
	for h := range p.handles {
		hs = append(hs, h)
	}
	p.mu.Unlock()
	for _, h := range hs {
		h.Stop()
	}
	close(p.stop)
	p.wg.Wait()
	p.pool.close()
	return nil
}
