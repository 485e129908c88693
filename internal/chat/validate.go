package chat

import (
	"fmt"
	"regexp"
	"unicode"
	"unicode/utf8"
)

// ValidateText checks a text message against a tenant's max length in
// Unicode code points: it must be valid UTF-8, not blank, and free of
// control characters other than newline and tab. Errors wrap ErrTooLong or
// ErrInvalidText.
func ValidateText(text string, maxLen int) error {
	if !utf8.ValidString(text) {
		return fmt.Errorf("text is not valid UTF-8: %w", ErrInvalidText)
	}
	n, blank := 0, true
	for _, r := range text {
		n++
		if r == '\n' || r == '\t' {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("text contains control character %U: %w", r, ErrInvalidText)
		}
		if !unicode.IsSpace(r) {
			blank = false
		}
	}
	if blank {
		return fmt.Errorf("text is empty: %w", ErrInvalidText)
	}
	if n > maxLen {
		return fmt.Errorf("text has %d characters, the limit is %d: %w", n, maxLen, ErrTooLong)
	}
	return nil
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidateID checks an identifier chosen by a client or host (room id, user
// id, client message id): 1 to 64 of A-Z a-z 0-9 _ -. what names it in the
// error.
func ValidateID(what, id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%s %q must be 1-64 characters of A-Z a-z 0-9 _ -: %w", what, id, ErrInvalid)
	}
	return nil
}
