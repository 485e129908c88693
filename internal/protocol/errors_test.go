package protocol

import (
	"errors"
	"fmt"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
)

func TestErrorFrom(t *testing.T) {
	tests := []struct {
		err       error
		code      Code
		temporary bool
	}{
		{fmt.Errorf("room x: %w", chat.ErrNotFound), CodeNotFound, false},
		{fmt.Errorf("send: %w", chat.ErrNotMember), CodeNotMember, false},
		{chat.ErrConflict, CodeConflict, false},
		{chat.ErrForbidden, CodeForbidden, false},
		{chat.ErrRoomFull, CodeRoomFull, false},
		{chat.ErrTooLong, CodeMessageTooLong, false},
		{chat.ErrInvalidText, CodeInvalidText, false},
		{chat.ErrInvalid, CodeBadRequest, false},
		{fmt.Errorf("commit: disk I/O error: %w", chat.ErrUnavailable), CodeUnavailable, true},
		{Errorf(CodeRateLimited, "slow down"), CodeRateLimited, true},
		{errors.New("pq: secret internals"), CodeInternal, false},
	}
	for _, tt := range tests {
		got := ErrorFrom(tt.err)
		if got.Code != tt.code || got.Temporary != tt.temporary {
			t.Errorf("ErrorFrom(%v) = %s temporary=%v, want %s temporary=%v", tt.err, got.Code, got.Temporary, tt.code, tt.temporary)
		}
	}
	if msg := ErrorFrom(errors.New("pq: secret internals")).Message; msg != "internal error" {
		t.Errorf("internal error leaks its cause: %q", msg)
	}
	if msg := ErrorFrom(fmt.Errorf("commit: disk I/O error: %w", chat.ErrUnavailable)).Message; msg != "temporarily unavailable, retry" {
		t.Errorf("unavailable leaks its cause: %q", msg)
	}
}
