package app

import (
	"errors"
	"fmt"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
)

// TokenRequest is what `parley token` mints.
type TokenRequest struct {
	Tenant string
	UserID string
	Name   string // empty means UserID
	TTL    time.Duration
}

// MintToken signs an access token with the same key `parley serve` uses
// (PARLEY_TOKEN_KEY, else DataDir/token.key, created on first use), for a
// tenant the configuration knows.
func MintToken(cfg Config, req TokenRequest) (string, error) {
	switch {
	case req.Tenant == "":
		return "", errors.New("token: --tenant is required")
	case req.UserID == "":
		return "", errors.New("token: --user is required")
	case chat.ValidateID("user", req.UserID) != nil:
		return "", fmt.Errorf("token: --user: %w", chat.ValidateID("user", req.UserID))
	case req.TTL <= 0:
		return "", fmt.Errorf("token: --ttl %s must be positive", req.TTL)
	}
	tenants, err := cfg.Tenants()
	if err != nil {
		return "", err
	}
	if _, ok := tenants.Get(req.Tenant); !ok {
		return "", fmt.Errorf("token: --tenant %q is not a configured tenant", req.Tenant)
	}
	keys, err := auth.LoadOrCreateKeys(cfg.DataDir, cfg.TokenKey)
	if err != nil {
		return "", err
	}
	if req.Name == "" {
		req.Name = req.UserID
	}
	token, _, err := keys.Mint(auth.Claims{Tenant: req.Tenant, UserID: req.UserID, Name: req.Name}, req.TTL)
	return token, err
}
