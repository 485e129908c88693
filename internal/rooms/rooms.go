// Package rooms is Parley's application layer: the use cases that the
// WebSocket sessions and the REST API call (send, delete, join, leave,
// history, room creation, the host's server API), with each tenant's policy
// applied, on top of the chat.Store and chat.Broker ports.
//
// Every message goes through one group committer per Service: a goroutine
// that collects pending appends and stores them in one Store transaction,
// publishes the new ones to the Broker, and only then acknowledges them.
// While a commit is in flight the next batch accumulates, so under load many
// sends share one fsync, and an idle Service adds no delay.
//
// Known limit: membership is checked when a send is accepted, not inside the
// commit, so a send accepted just before a concurrent Leave (or the host's
// RemoveMember) can still be stored, after the leave message. Closing it
// needs the check in the Store's append transaction (a chat.Store contract
// change); the window is one commit long and the author was a member when
// they sent.
//
// Errors wrap a chat sentinel (ErrNotFound, ErrInvalid, ErrUnavailable, ...)
// so that protocol.ErrorFrom maps them to wire codes.
package rooms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/tenant"
)

// Options tune a Service. Zero values take the defaults.
type Options struct {
	// MaxBatch caps the messages stored in one commit. Default 256.
	MaxBatch int
	// MaxPending caps the sends waiting for the committer; a send beyond it
	// fails at once with chat.ErrUnavailable (retryable) instead of growing
	// memory without bound. Default 16 * MaxBatch.
	MaxPending int
	// StoreTimeout bounds each Store call the committer makes, and each
	// publish, so that a stuck dependency cannot stall acks forever.
	// Default 10s.
	StoreTimeout time.Duration
	// OnCommit, if set, is called by the committer after each batch commit
	// returns, with the number of messages in the batch, how long the Store
	// took and its error. It must not block. The HTTP layer uses it to
	// export metrics; tests use it to observe batching.
	OnCommit func(batch int, took time.Duration, err error)
	// OnPublishError, if set, is called when a stored message could not be
	// published (it is logged either way). It must not block.
	OnPublishError func(err error)
	// OnMembershipEnded, if set, is called after Leave or RemoveMember ended
	// a membership and published its leave message, so that the socket
	// layer stops delivering the room to that user. It must not block.
	OnMembershipEnded func(tenantID, roomID, userID string)
}

// Defaults of Options.
const (
	DefaultMaxBatch     = 256
	DefaultStoreTimeout = 10 * time.Second
)

// Service runs the use cases of one Parley node. Its methods are safe for
// concurrent use. New starts its committer goroutine; Close stops it.
//
// Every method except Send waits for the committer when it writes a message
// (SendWait, Delete, Announce, and the membership changes with their system
// messages), so none of them may be called from a Send done callback, which
// runs on the committer goroutine.
//
// Per node, the events of a room are published in seq order: only the
// committer writes messages and publishes them, batch by batch. Events from
// other nodes interleave with them through the Broker, so subscribers still
// order by seq and fill gaps from the Store.
type Service struct {
	store   chat.Store
	broker  chat.Broker
	tenants *tenant.Registry
	log     *slog.Logger
	opts    Options

	// ctx lives as long as the committer; Store calls made by the
	// committer derive from it.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex // guards queue and closed
	queue   []*op
	closed  bool
	wake    chan struct{} // capacity 1: "the queue may have work"
	stopped chan struct{} // closed when the committer has returned
}

// New returns a Service and starts its committer. logger may be nil.
func New(store chat.Store, broker chat.Broker, tenants *tenant.Registry, logger *slog.Logger, opts Options) *Service {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 16 * opts.MaxBatch
	}
	if opts.StoreTimeout <= 0 {
		opts.StoreTimeout = DefaultStoreTimeout
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{
		store:   store,
		broker:  broker,
		tenants: tenants,
		log:     logger.With("component", "rooms"),
		opts:    opts,
		ctx:     ctx,
		cancel:  cancel,
		wake:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
	}
	go s.commitLoop()
	return s
}

// Close stops accepting sends, commits and acknowledges every send already
// accepted, and waits for the committer to return. Later sends fail with
// chat.ErrUnavailable. Close must not be called from a done callback.
// It is idempotent and does not close the Store or the Broker, which the
// caller owns.
func (s *Service) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.poke()
	<-s.stopped
	return nil
}

var errClosed = fmt.Errorf("rooms service is shutting down: %w", chat.ErrUnavailable)

// tenant returns the tenant of a request; an unknown tenant is reported as
// not found, like a room that does not exist.
func (s *Service) tenant(id string) (*tenant.Tenant, error) {
	t, ok := s.tenants.Get(id)
	if !ok {
		return nil, fmt.Errorf("tenant %q: %w", id, chat.ErrNotFound)
	}
	return t, nil
}

// sentinels are the chat errors a caller can act on; anything else from a
// dependency is an outage.
var sentinels = []error{
	chat.ErrNotFound, chat.ErrConflict, chat.ErrNotMember, chat.ErrForbidden,
	chat.ErrRoomFull, chat.ErrInvalid, chat.ErrTooLong, chat.ErrUnavailable,
}

// wrap adds context to a dependency's error and makes sure it carries a
// chat sentinel: an error without one becomes chat.ErrUnavailable.
func wrap(what string, err error) error {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return fmt.Errorf("%s: %w: %w", what, chat.ErrUnavailable, err)
}
