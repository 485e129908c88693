package rooms

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/chat"
)

// RoomSpec is what a user gives to create an open room.
type RoomSpec struct {
	Title string   // 1..100 characters, no control characters
	Topic string   // up to 500 characters; newlines allowed
	Tags  []string // up to 10, each 1..30 letters, digits, _ or -; lower-cased
}

// Limits of RoomSpec and member names.
const (
	MaxTitleLength = 100
	MaxTopicLength = 500
	MaxTags        = 10
	MaxTagLength   = 30
	MaxNameLength  = 64
	MaxSearch      = 100
)

var tagPattern = regexp.MustCompile(`^[\p{L}\p{N}_-]{1,30}$`)

// CreateRoom creates an open room for u, who becomes its owner and first
// member (announced with a join message), and returns it. The tenant must
// use open rooms and let users create them (UserCreatesRooms), else
// chat.ErrForbidden. The id is random: 12 characters of lower-case base32.
func (s *Service) CreateRoom(ctx context.Context, u chat.User, spec RoomSpec) (chat.Room, error) {
	t, err := s.tenant(u.Tenant)
	if err != nil {
		return chat.Room{}, fmt.Errorf("create room: %w", err)
	}
	if !t.AllowsKind(chat.RoomOpen) || !t.Policy.UserCreatesRooms {
		return chat.Room{}, fmt.Errorf("create room: tenant %q does not let users create rooms: %w", t.ID, chat.ErrForbidden)
	}
	spec, err = spec.normalize()
	if err != nil {
		return chat.Room{}, fmt.Errorf("create room: %w", err)
	}
	room := chat.Room{
		Tenant: t.ID, Kind: chat.RoomOpen, Title: spec.Title, Topic: spec.Topic, Tags: spec.Tags, OwnerID: u.ID,
	}
	// 60 random bits make a collision unlikely; retry the rare one.
	for attempt := 0; ; attempt++ {
		room.ID = strings.ToLower(rand.Text()[:12])
		created, err := s.store.CreateRoom(ctx, room)
		if errors.Is(err, chat.ErrConflict) && attempt < 3 {
			continue
		}
		if err != nil {
			return chat.Room{}, wrap("create room", err)
		}
		room = created
		break
	}
	if _, _, err := s.addMember(ctx, u, room.ID, chat.RoleOwner, t.Policy.MaxRoomMembers); err != nil {
		return chat.Room{}, fmt.Errorf("create room: owner: %w", err)
	}
	return s.reread(ctx, room), nil
}

// CreatePrivateRoom is the host's server API: it creates a private room with
// the host's id (chat.ValidateID) and an optional title. The tenant must use
// private rooms, else chat.ErrForbidden; an existing id is chat.ErrConflict,
// so a host can create-or-ignore.
func (s *Service) CreatePrivateRoom(ctx context.Context, tenantID, roomID, title string) (chat.Room, error) {
	t, err := s.tenant(tenantID)
	if err != nil {
		return chat.Room{}, fmt.Errorf("create private room: %w", err)
	}
	if !t.AllowsKind(chat.RoomPrivate) {
		return chat.Room{}, fmt.Errorf("create private room: tenant %q does not use private rooms: %w", t.ID, chat.ErrForbidden)
	}
	if err := chat.ValidateID("room id", roomID); err != nil {
		return chat.Room{}, fmt.Errorf("create private room: %w", err)
	}
	title = strings.TrimSpace(title)
	if title != "" {
		if err := validateLine("title", title, MaxTitleLength, false); err != nil {
			return chat.Room{}, fmt.Errorf("create private room: %w", err)
		}
	}
	room, err := s.store.CreateRoom(ctx, chat.Room{Tenant: t.ID, ID: roomID, Kind: chat.RoomPrivate, Title: title, Tags: []string{}})
	if err != nil {
		return chat.Room{}, wrap("create private room", err)
	}
	return room, nil
}

// Room returns a room of the tenant, of any kind: for the host's server API
// and for callers that check access themselves (see RoomFor).
func (s *Service) Room(ctx context.Context, tenantID, roomID string) (chat.Room, error) {
	if _, err := s.tenant(tenantID); err != nil {
		return chat.Room{}, fmt.Errorf("room: %w", err)
	}
	if err := chat.ValidateID("room id", roomID); err != nil {
		return chat.Room{}, fmt.Errorf("room: %w", err)
	}
	room, err := s.store.Room(ctx, tenantID, roomID)
	if err != nil {
		return chat.Room{}, wrap("room", err)
	}
	return room, nil
}

// RoomFor returns a room as u may see it: any open room of u's tenant, and a
// private room only to its members. A private room u is not in is reported
// as chat.ErrNotFound, so its existence does not leak.
func (s *Service) RoomFor(ctx context.Context, u chat.User, roomID string) (chat.Room, error) {
	room, err := s.Room(ctx, u.Tenant, roomID)
	if err != nil || room.Kind == chat.RoomOpen {
		return room, err
	}
	if _, err := s.store.Member(ctx, u.Tenant, roomID, u.ID); err != nil {
		if errors.Is(err, chat.ErrNotMember) {
			return chat.Room{}, fmt.Errorf("room %q: %w", roomID, chat.ErrNotFound)
		}
		return chat.Room{}, wrap("room", err)
	}
	return room, nil
}

// ListRooms lists and searches the tenant's open rooms, most recently active
// first (see chat.RoomQuery). The search is trimmed and at most 100
// characters; the tag is lower-cased like stored tags.
func (s *Service) ListRooms(ctx context.Context, tenantID string, q chat.RoomQuery) (chat.RoomPage, error) {
	if _, err := s.tenant(tenantID); err != nil {
		return chat.RoomPage{}, fmt.Errorf("list rooms: %w", err)
	}
	q.Search = strings.TrimSpace(q.Search)
	if q.Search != "" {
		if err := validateLine("search", q.Search, MaxSearch, false); err != nil {
			return chat.RoomPage{}, fmt.Errorf("list rooms: %w", err)
		}
	}
	if q.Tag != "" {
		q.Tag = strings.ToLower(strings.TrimSpace(q.Tag))
		if !tagPattern.MatchString(q.Tag) {
			return chat.RoomPage{}, fmt.Errorf("list rooms: tag %q must be 1-%d letters, digits, _ or -: %w", q.Tag, MaxTagLength, chat.ErrInvalid)
		}
	}
	if q.Limit < 0 {
		return chat.RoomPage{}, fmt.Errorf("list rooms: negative limit: %w", chat.ErrInvalid)
	}
	page, err := s.store.ListRooms(ctx, tenantID, q)
	if err != nil {
		return chat.RoomPage{}, wrap("list rooms", err)
	}
	return page, nil
}

// UserRooms returns the rooms a user is a member of, most recently active
// first.
func (s *Service) UserRooms(ctx context.Context, tenantID, userID string) ([]chat.Room, error) {
	if _, err := s.tenant(tenantID); err != nil {
		return nil, fmt.Errorf("user rooms: %w", err)
	}
	if err := chat.ValidateID("user id", userID); err != nil {
		return nil, fmt.Errorf("user rooms: %w", err)
	}
	rooms, err := s.store.UserRooms(ctx, tenantID, userID)
	if err != nil {
		return nil, wrap("user rooms", err)
	}
	return rooms, nil
}

// normalize trims and checks a RoomSpec and lower-cases and de-duplicates
// its tags. Errors wrap chat.ErrInvalid and name the field.
func (spec RoomSpec) normalize() (RoomSpec, error) {
	spec.Title = strings.TrimSpace(spec.Title)
	if err := validateLine("title", spec.Title, MaxTitleLength, false); err != nil {
		return RoomSpec{}, err
	}
	spec.Topic = strings.TrimSpace(spec.Topic)
	if spec.Topic != "" {
		if err := validateLine("topic", spec.Topic, MaxTopicLength, true); err != nil {
			return RoomSpec{}, err
		}
	}
	if len(spec.Tags) > MaxTags {
		return RoomSpec{}, fmt.Errorf("%d tags, the limit is %d: %w", len(spec.Tags), MaxTags, chat.ErrInvalid)
	}
	tags := make([]string, 0, len(spec.Tags))
	for _, tag := range spec.Tags {
		tag = strings.ToLower(strings.TrimSpace(tag))
		if !tagPattern.MatchString(tag) {
			return RoomSpec{}, fmt.Errorf("tag %q must be 1-%d letters, digits, _ or -: %w", tag, MaxTagLength, chat.ErrInvalid)
		}
		if !slices.Contains(tags, tag) {
			tags = append(tags, tag)
		}
	}
	spec.Tags = tags
	return spec, nil
}

// validateName checks a display name given by a host: 1..64 characters,
// no control characters.
func validateName(name string) error {
	return validateLine("name", strings.TrimSpace(name), MaxNameLength, false)
}

// validateLine checks a short user-given string: valid UTF-8, 1..maxLen
// code points, no control characters (newline and tab only when multiline).
func validateLine(what, v string, maxLen int, multiline bool) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s is not valid UTF-8: %w", what, chat.ErrInvalid)
	}
	n := utf8.RuneCountInString(v)
	if n == 0 || n > maxLen {
		return fmt.Errorf("%s must be 1-%d characters, got %d: %w", what, maxLen, n, chat.ErrInvalid)
	}
	for _, r := range v {
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("%s contains control character %U: %w", what, r, chat.ErrInvalid)
		}
	}
	return nil
}
