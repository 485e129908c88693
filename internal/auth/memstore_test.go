package auth_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/auth/sessiontest"
)

// memStore is a temporary in-memory SessionStore until the SQLite one lands.
type memStore struct {
	mu       sync.Mutex
	sessions map[string]*auth.Session // tenant/id
	tokens   map[string]*memToken     // tenant/hash
	nonces   map[string]time.Time
}

type memToken struct {
	sessionKey string
	used       bool
}

func newMemStore(*testing.T) auth.SessionStore {
	return &memStore{sessions: map[string]*auth.Session{}, tokens: map[string]*memToken{}, nonces: map[string]time.Time{}}
}

func TestMemStoreConformance(t *testing.T) { sessiontest.Run(t, newMemStore) }

func (m *memStore) CreateSession(_ context.Context, s auth.Session, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := s.Tenant + "/" + s.ID
	if _, ok := m.sessions[k]; ok {
		return errors.New("duplicate")
	}
	m.sessions[k] = &s
	m.tokens[s.Tenant+"/"+hash] = &memToken{sessionKey: k}
	return nil
}

func (m *memStore) Session(_ context.Context, tenant, id string) (auth.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[tenant+"/"+id]
	if !ok {
		return auth.Session{}, auth.ErrSessionNotFound
	}
	return *s, nil
}

func (m *memStore) RotateRefresh(_ context.Context, tenant, oldHash, newHash string, now time.Time) (auth.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	tok, ok := m.tokens[tenant+"/"+oldHash]
	if !ok {
		return auth.Session{}, auth.ErrRefreshInvalid
	}
	s := m.sessions[tok.sessionKey]
	if !s.Live(now) {
		return *s, auth.ErrSessionRevoked
	}
	if tok.used {
		s.RevokedAt = now
		return *s, auth.ErrRefreshReused
	}
	tok.used = true
	m.tokens[tenant+"/"+newHash] = &memToken{sessionKey: tok.sessionKey}
	return *s, nil
}

func (m *memStore) ExtendSession(_ context.Context, tenant, id string, hostExp, exp time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[tenant+"/"+id]
	switch {
	case !ok:
		return auth.ErrSessionNotFound
	case !s.RevokedAt.IsZero():
		return auth.ErrSessionRevoked
	}
	s.HostExpiresAt, s.ExpiresAt = hostExp, exp
	return nil
}

func (m *memStore) Revoke(_ context.Context, f auth.RevokeFilter, now time.Time) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f.SessionID == "" && f.UserID == "" && f.HostSession == "" && f.RefreshHash == "" {
		return nil, fmt.Errorf("revoke: empty filter")
	}
	var byHash string
	if f.RefreshHash != "" {
		if tok, ok := m.tokens[f.Tenant+"/"+f.RefreshHash]; ok {
			byHash = tok.sessionKey
		} else {
			return nil, nil
		}
	}
	seen := map[string]bool{}
	var users []string
	for k, s := range m.sessions {
		match := s.Tenant == f.Tenant && s.RevokedAt.IsZero() &&
			(f.SessionID == "" || s.ID == f.SessionID) && (f.UserID == "" || s.UserID == f.UserID) &&
			(f.HostSession == "" || s.HostSession == f.HostSession) && (byHash == "" || k == byHash)
		if match {
			s.RevokedAt = now
			if !seen[s.UserID] {
				seen[s.UserID] = true
				users = append(users, s.UserID)
			}
		}
	}
	return users, nil
}

func (m *memStore) UseNonce(_ context.Context, tenant, nonce string, exp, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := tenant + "/" + nonce
	if e, ok := m.nonces[k]; ok && now.Before(e) {
		return auth.ErrNonceReplayed
	}
	m.nonces[k] = exp
	return nil
}

func newStore(t *testing.T) auth.SessionStore { return newMemStore(t) }
