package postgres

import (
	"testing"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/auth/sessiontest"
)

func TestSessionsConformance(t *testing.T) {
	testDSN(t)
	// One schema for the suite: it uses unique tenant ids per test.
	s := openTest(t, isolatedDSN(t))
	sessiontest.Run(t, func(*testing.T) auth.SessionStore { return s })
}
