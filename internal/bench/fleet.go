package bench

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// fleet is the run's client connections and their reader goroutines, which
// it owns: closeAll ends every one of them.
type fleet struct {
	mu      sync.Mutex
	clients []*client // by connection index; nil where none is open
	readers sync.WaitGroup
}

// connect opens, authenticates and subscribes every connection, starting
// each one's reader as soon as it is subscribed (so that early clients keep
// up with the presence frames later ones cause). On error the connections
// opened so far are closed.
func connect(ctx context.Context, e *env, st *stats, l layout, log *slog.Logger) (*fleet, error) {
	fl := &fleet{clients: make([]*client, e.cfg.Conns)}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(e.cfg.SetupTimeout)
	}
	began := time.Now()
	err := parallel(ctx, e.cfg.Conns, e.cfg.SetupWorkers, func(ctx context.Context, i int) error {
		r := l.roomOf(i)
		c, err := dial(ctx, e, st, i, r, l.rooms[r])
		if err != nil {
			return err
		}
		if err := c.handshake(deadline); err != nil {
			c.conn.Close()
			return err
		}
		fl.mu.Lock()
		fl.clients[i] = c
		fl.mu.Unlock()
		fl.readers.Add(1)
		go func() {
			defer fl.readers.Done()
			c.readLoop()
		}()
		return nil
	})
	if err != nil {
		fl.closeAll()
		return nil, fmt.Errorf("connect: %w", err)
	}
	log.Info("bench: connected and subscribed", "conns", e.cfg.Conns, "took", time.Since(began).Round(time.Millisecond).String())
	return fl, nil
}

// closeAll closes every connection normally (close frame, the server's
// answer), forcing the ones that do not answer in time, and waits for every
// reader to end.
func (fl *fleet) closeAll() {
	fl.mu.Lock()
	clients := fl.clients
	fl.clients = nil
	fl.mu.Unlock()
	var wg sync.WaitGroup
	// Close frames go out from a few goroutines: a write can block briefly.
	const closers = 16
	for w := range closers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(clients); i += closers {
				if c := clients[i]; c != nil {
					c.shutdown()
				}
			}
		}()
	}
	wg.Wait()
	// The server answers a close frame at once; past the deadline the rest
	// are closed without waiting, which ends their readers too.
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	expired := false
	for _, c := range clients {
		if c == nil {
			continue
		}
		if !expired {
			select {
			case <-c.done:
			case <-deadline.C:
				expired = true
			}
		}
		c.conn.Close()
	}
	fl.readers.Wait()
}

// each calls f for every open connection.
func (fl *fleet) each(f func(c *client)) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	for _, c := range fl.clients {
		if c != nil {
			f(c)
		}
	}
}
