// Package netpoll tells when idle network connections become readable
// without a goroutine per connection, and runs the resulting work on a
// bounded, elastic worker pool.
//
// On Linux one goroutine waits in epoll_wait for every registered
// connection (EPOLLIN|EPOLLRDHUP with EPOLLONESHOT) and hands each ready
// connection to the pool; the descriptor stays disarmed until its owner calls
// Handle.Rearm, so at most one readiness task per connection runs at a time
// (a connection is registered disarmed and armed by its first Rearm).
// The connection itself stays a normal net.Conn: Go's runtime poller still
// owns the non-blocking descriptor, and readers use Read with a deadline once
// readiness is signalled. This package only learns the descriptor number,
// through syscall.RawConn.Control.
//
// Elsewhere (and on Linux with the build tag netpoll_portable) a portable
// fallback parks one goroutine per connection in syscall.RawConn.Read, which
// keeps the same API and semantics at a higher memory cost.
//
// Readiness may be spurious: a task must tolerate finding nothing to read (a
// read that times out before any byte arrives).
package netpoll

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"syscall"
)

// ErrClosed is returned for operations on a closed Poller or a stopped Handle.
var ErrClosed = errors.New("netpoll: closed")

// Config tunes a Poller. Zero values get defaults.
type Config struct {
	// MinWorkers goroutines stay parked waiting for tasks; default GOMAXPROCS.
	MinWorkers int
	// MaxWorkers caps the pool; default 1024. A task that blocks (a write to a
	// peer that does not read, bounded by the caller's deadline) holds one
	// worker, so the cap must exceed the number of such tasks expected at once.
	MaxWorkers int
}

func (c Config) withDefaults() Config {
	if c.MinWorkers <= 0 {
		c.MinWorkers = runtime.GOMAXPROCS(0)
	}
	if c.MaxWorkers <= 0 {
		c.MaxWorkers = 1024
	}
	if c.MaxWorkers < c.MinWorkers {
		c.MaxWorkers = c.MinWorkers
	}
	return c
}

// Submit runs f on the worker pool. It never blocks and reports false when
// the poller is closed (f is then not run).
func (p *Poller) Submit(f func()) bool { return p.pool.submit(f) }

// rawConn extracts the syscall.RawConn of a connection.
func rawConn(conn net.Conn) (syscall.RawConn, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil, errors.New("netpoll: connection does not expose a file descriptor")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	return rc, nil
}

// handleState is shared by both implementations: it serialises Rearm and
// Stop so that a descriptor is never re-armed after it was removed (its
// number may already belong to another connection once the owner closes it).
type handleState struct {
	mu      sync.Mutex
	stopped bool
}
