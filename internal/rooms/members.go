package rooms

import (
	"context"
	"errors"
	"fmt"

	"github.com/parley-chat/parley/internal/chat"
)

// Join makes u a member of an open room and returns the room. Joining a
// private room is chat.ErrForbidden unless u is already a member (the host
// adds members, see AddMember). A room at the tenant's MaxRoomMembers is
// chat.ErrRoomFull. A new membership is announced with a system join
// message; joining again changes nothing and announces nothing.
func (s *Service) Join(ctx context.Context, u chat.User, roomID string) (chat.Room, error) {
	t, err := s.tenant(u.Tenant)
	if err != nil {
		return chat.Room{}, fmt.Errorf("join: %w", err)
	}
	if err := chat.ValidateID("room id", roomID); err != nil {
		return chat.Room{}, fmt.Errorf("join: %w", err)
	}
	room, err := s.store.Room(ctx, t.ID, roomID)
	if err != nil {
		return chat.Room{}, wrap("join", err)
	}
	if room.Kind != chat.RoomOpen || !t.AllowsKind(room.Kind) {
		// Only the host adds members here; a member joining again is fine.
		_, err := s.store.Member(ctx, t.ID, roomID, u.ID)
		switch {
		case err == nil:
			return room, nil
		case errors.Is(err, chat.ErrNotMember):
			return chat.Room{}, fmt.Errorf("join: room %q takes members from the host only: %w", roomID, chat.ErrForbidden)
		default:
			return chat.Room{}, wrap("join", err)
		}
	}
	_, created, err := s.addMember(ctx, u, roomID, chat.RoleMember, t.Policy.MaxRoomMembers)
	if err != nil {
		return chat.Room{}, fmt.Errorf("join: %w", err)
	}
	if !created {
		return room, nil
	}
	return s.reread(ctx, room), nil
}

// Leave ends u's membership of a room and announces it with a system leave
// message. Not a member: chat.ErrNotMember.
func (s *Service) Leave(ctx context.Context, u chat.User, roomID string) error {
	if _, err := s.tenant(u.Tenant); err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	if err := chat.ValidateID("room id", roomID); err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	if err := s.store.RemoveMember(ctx, u.Tenant, roomID, u.ID); err != nil {
		return wrap("leave", err)
	}
	s.systemMessage(ctx, u, roomID, chat.EventLeave)
	s.membershipEnded(u.Tenant, roomID, u.ID)
	return nil
}

// AddMember is the host's server API: it makes u (whom the host vouches
// for) a member of a room of any kind, within MaxRoomMembers, and announces
// a new membership with a system join message. It returns the membership,
// the existing one if u was already a member.
func (s *Service) AddMember(ctx context.Context, tenantID, roomID string, u chat.User) (chat.Member, error) {
	t, err := s.tenant(tenantID)
	if err != nil {
		return chat.Member{}, fmt.Errorf("add member: %w", err)
	}
	if u.Tenant != "" && u.Tenant != tenantID {
		return chat.Member{}, fmt.Errorf("add member: user of tenant %q: %w", u.Tenant, chat.ErrInvalid)
	}
	u.Tenant = tenantID
	if err := chat.ValidateID("room id", roomID); err != nil {
		return chat.Member{}, fmt.Errorf("add member: %w", err)
	}
	if err := chat.ValidateID("user id", u.ID); err != nil {
		return chat.Member{}, fmt.Errorf("add member: %w", err)
	}
	if err := validateName(u.Name); err != nil {
		return chat.Member{}, fmt.Errorf("add member: %w", err)
	}
	m, _, err := s.addMember(ctx, u, roomID, chat.RoleMember, t.Policy.MaxRoomMembers)
	if err != nil {
		return chat.Member{}, err
	}
	return m, nil
}

// RemoveMember is the host's server API: it ends a user's membership and
// announces it with a system leave message. Not a member: chat.ErrNotMember.
func (s *Service) RemoveMember(ctx context.Context, tenantID, roomID, userID string) error {
	if _, err := s.tenant(tenantID); err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	if err := chat.ValidateID("room id", roomID); err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	m, err := s.store.Member(ctx, tenantID, roomID, userID)
	if err != nil {
		return wrap("remove member", err)
	}
	if err := s.store.RemoveMember(ctx, tenantID, roomID, userID); err != nil {
		return wrap("remove member", err)
	}
	s.systemMessage(ctx, chat.User{Tenant: tenantID, ID: userID, Name: m.Name}, roomID, chat.EventLeave)
	s.membershipEnded(tenantID, roomID, userID)
	return nil
}

// membershipEnded tells Options.OnMembershipEnded, if set.
func (s *Service) membershipEnded(tenantID, roomID, userID string) {
	if s.opts.OnMembershipEnded != nil {
		s.opts.OnMembershipEnded(tenantID, roomID, userID)
	}
}

// addMember stores a membership and, when it is new, its join message.
func (s *Service) addMember(ctx context.Context, u chat.User, roomID string, role chat.Role, maxMembers int) (chat.Member, bool, error) {
	m, created, err := s.store.AddMember(ctx, chat.Member{
		Tenant: u.Tenant, RoomID: roomID, UserID: u.ID, Name: u.Name, Role: role,
	}, maxMembers)
	if err != nil {
		return chat.Member{}, false, wrap("add member", err)
	}
	if created {
		s.systemMessage(ctx, u, roomID, chat.EventJoin)
	}
	return m, created, nil
}

// reread returns the room as stored now (member count and last seq moved),
// or room itself if reading fails: the change it follows has succeeded.
func (s *Service) reread(ctx context.Context, room chat.Room) chat.Room {
	now, err := s.store.Room(ctx, room.Tenant, room.ID)
	if err != nil {
		s.log.Warn("re-reading room failed", "tenant", room.Tenant, "room", room.ID, "err", err)
		return room
	}
	return now
}
