package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/auth/sessiontest"
)

func TestSessionsConformance(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T) auth.SessionStore {
		return openTest(t, filepath.Join(t.TempDir(), "parley.db"))
	})
}
