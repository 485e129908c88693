//go:build linux && !netpoll_portable

package netpoll

import (
	"fmt"
	"net"
	"sync"

	"golang.org/x/sys/unix"
)

const (
	armEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT
	maxEvents = 256
	// pollTimeoutMs wakes the poll loop now and then to let the pool notice
	// blocked workers (pool.unstick) even when nothing is submitted.
	pollTimeoutMs = 10
)

// Poller watches registered connections with one epoll instance and one
// goroutine.
//
// Goroutines: the poll goroutine and the pool's workers are owned by the
// Poller and end in Close.
type Poller struct {
	epfd int
	wake int // eventfd that interrupts epoll_wait on Close
	pool *pool

	mu      sync.Mutex // guards handles, nextGen, closed
	handles map[int32]*Handle
	nextGen uint32
	closed  bool

	done chan struct{} // closed when the poll goroutine returns
}

// Handle is one registered connection.
type Handle struct {
	handleState
	p       *Poller
	fd      int32
	gen     uint32
	onReady func()
}

// New starts a Poller.
func New(cfg Config) (*Poller, error) {
	cfg = cfg.withDefaults()
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("netpoll: epoll_create1: %w", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("netpoll: eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wake), Pad: 0}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &ev); err != nil {
		unix.Close(wake)
		unix.Close(epfd)
		return nil, fmt.Errorf("netpoll: register eventfd: %w", err)
	}
	p := &Poller{
		epfd:    epfd,
		wake:    wake,
		pool:    newPool(cfg.MinWorkers, cfg.MaxWorkers),
		handles: make(map[int32]*Handle),
		nextGen: 1,
		done:    make(chan struct{}),
	}
	go p.loop()
	return p, nil
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
	var fd int
	if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return nil, fmt.Errorf("netpoll: descriptor: %w", err)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	h := &Handle{p: p, fd: int32(fd), gen: p.nextGen, onReady: onReady}
	p.nextGen++
	if p.nextGen == 0 { // generation 0 is the eventfd's
		p.nextGen = 1
	}
	// The descriptor is added while holding p.mu so that Close cannot close
	// the epoll instance in between. With no event bit besides EPOLLONESHOT
	// it is disabled (not even hang-ups are reported) until Rearm.
	ev := unix.EpollEvent{Events: unix.EPOLLONESHOT, Fd: h.fd, Pad: int32(h.gen)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		p.mu.Unlock()
		return nil, fmt.Errorf("netpoll: epoll_ctl add: %w", err)
	}
	p.handles[h.fd] = h
	p.mu.Unlock()
	return h, nil
}

// Rearm asks for the next readiness notification: call it after Register,
// and again once the previous onReady has finished reading.
func (h *Handle) Rearm() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return ErrClosed
	}
	ev := unix.EpollEvent{Events: armEvents, Fd: h.fd, Pad: int32(h.gen)}
	if err := unix.EpollCtl(h.p.epfd, unix.EPOLL_CTL_MOD, int(h.fd), &ev); err != nil {
		return fmt.Errorf("netpoll: epoll_ctl mod: %w", err)
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
	_ = unix.EpollCtl(h.p.epfd, unix.EPOLL_CTL_DEL, int(h.fd), nil)
	h.mu.Unlock()
	h.p.forget(h)
}

func (p *Poller) forget(h *Handle) {
	p.mu.Lock()
	if p.handles[h.fd] == h {
		delete(p.handles, h.fd)
	}
	p.mu.Unlock()
}

func (p *Poller) loop() {
	defer close(p.done)
	events := make([]unix.EpollEvent, maxEvents)
	for {
		n, err := unix.EpollWait(p.epfd, events, pollTimeoutMs)
		p.pool.unstick()
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return // only EBADF/EINVAL: the poller is unusable
		}
		for i := range events[:n] {
			ev := &events[i]
			if ev.Fd == int32(p.wake) && ev.Pad == 0 {
				return
			}
			p.mu.Lock()
			h := p.handles[ev.Fd]
			p.mu.Unlock()
			// A stale event for a descriptor that was stopped, or whose
			// number now belongs to another connection, is dropped.
			if h == nil || h.gen != uint32(ev.Pad) {
				continue
			}
			h.mu.Lock()
			stopped := h.stopped
			h.mu.Unlock()
			if !stopped {
				p.pool.submit(h.onReady)
			}
		}
	}
}

// Close stops the poll goroutine, lets the pool finish its queued tasks and
// waits for every goroutine of the Poller to end. Registered connections are
// not closed; their handles stop receiving notifications.
func (p *Poller) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.done
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	var one = [8]byte{1}
	if _, err := unix.Write(p.wake, one[:]); err != nil {
		return fmt.Errorf("netpoll: wake poll loop: %w", err)
	}
	<-p.done
	p.pool.close()
	p.mu.Lock()
	for fd, h := range p.handles {
		h.mu.Lock()
		h.stopped = true
		h.mu.Unlock()
		delete(p.handles, fd)
	}
	p.mu.Unlock()
	unix.Close(p.wake)
	return unix.Close(p.epfd)
}
