package session

import (
	"time"

	"github.com/parley-chat/parley/internal/protocol"
)

// sweep is the one timer goroutine of the server: every tick it walks the
// connections and sends pings, drops silent peers, enforces the auth
// deadline and token expiry, and ends connections that outstayed their
// close. It ends when Shutdown closes s.stop.
func (s *Server) sweep() {
	defer s.sweeper.Done()
	tick := min(s.cfg.PingInterval, s.cfg.AuthTimeout, s.cfg.Linger) / 4
	tick = max(tick, 5*time.Millisecond)
	tick = min(tick, time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	var conns []*conn
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			conns = s.snapshot(conns[:0])
			for _, c := range conns {
				c.check(now)
			}
			clear(conns)
		}
	}
}

// check applies the time-based rules to one connection.
func (c *conn) check(now time.Time) {
	cfg := &c.srv.cfg
	type action int
	const (
		none action = iota
		ping
		expiring
		authTimeout
		silent
		expired
		linger
	)
	act := none
	var exp time.Time
	c.mu.Lock()
	switch {
	case c.closed:
	case c.closing:
		if now.After(c.lingerTo) {
			act = linger
		}
	case !c.authed:
		if now.Sub(c.born) >= cfg.AuthTimeout {
			act = authTimeout
		}
	case !c.exp.IsZero() && !now.Before(c.exp):
		act = expired
	case c.busy:
		// An operation runs and reading is paused: the operation's own
		// deadlines bound it, so silence is not held against the peer.
	default:
		idle := now.UnixNano() - c.lastRead.Load()
		switch {
		case idle >= 2*int64(cfg.PingInterval):
			act = silent
		case idle >= int64(cfg.PingInterval) && now.UnixNano()-c.pinged >= int64(cfg.PingInterval):
			act = ping
			c.pinged = now.UnixNano()
		case !c.warned && !c.exp.IsZero() && c.exp.Sub(now) <= cfg.ExpiryWarning:
			act = expiring
			c.warned = true
			exp = c.exp
		}
	}
	c.mu.Unlock()
	switch act {
	case ping:
		c.Send(c.srv.pingFrame)
	case expiring:
		c.queue(protocol.Expiring{Type: protocol.TypeExpiring, ExpiresAt: exp.UnixMilli()})
	case authTimeout:
		c.fail("", protocol.Errorf(protocol.CodeUnauthenticated, "no auth frame within %s", cfg.AuthTimeout), protocol.CloseAuthFailed)
	case silent:
		c.closeWith(protocol.CloseHeartbeatTimeout, closeReason(protocol.CloseHeartbeatTimeout), false)
	case expired:
		c.fail("", protocol.Errorf(protocol.CodeTokenExpired, "the access token expired"), protocol.CloseTokenExpired)
	case linger:
		c.srv.poller.Submit(c.teardown)
	}
}
