package chat

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateText(t *testing.T) {
	tests := []struct {
		name string
		text string
		max  int
		want error // nil, ErrInvalidText or ErrTooLong
	}{
		{"plain", "hello", 10, nil},
		{"korean counts code points", "안녕하세요", 5, nil},
		{"newline and tab allowed", "a\n\tb", 10, nil},
		{"too long", strings.Repeat("a", 11), 10, ErrTooLong},
		{"empty", "", 10, ErrInvalidText},
		{"blank", "  \n ", 10, ErrInvalidText},
		{"nul", "a\x00b", 10, ErrInvalidText},
		{"escape", "a\x1b[31m", 10, ErrInvalidText},
		{"bad utf8", "a\xffb", 10, ErrInvalidText},
		{"line separator", "a\u2028b", 10, ErrInvalidText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateText(tt.text, tt.max)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("ValidateText(%q, %d) = %v, want %v", tt.text, tt.max, err, tt.want)
			}
		})
	}
}

func TestValidateID(t *testing.T) {
	for _, ok := range []string{"a", "room-1", "R_2", strings.Repeat("x", 64)} {
		if err := ValidateID("room", ok); err != nil {
			t.Errorf("ValidateID(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "a b", "a/b", "ü", strings.Repeat("x", 65)} {
		if err := ValidateID("room", bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateID(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}
