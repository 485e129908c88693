package bench

import (
	"errors"
	"strconv"
)

// frame holds the top-level fields of a server frame that the load
// generator reads. Byte slices point into the scanned payload and are valid
// until the next read. The scanner exists because encoding/json would cost
// the generator more CPU per delivery than the server spends on it, and the
// generator must not be the bottleneck it measures.
type frame struct {
	typ     []byte
	id      []byte
	room    []byte
	kind    []byte
	text    []byte // raw, still JSON-escaped
	code    []byte // error frames
	seq     int64
	lastSeq int64
}

var errFrame = errors.New("malformed JSON frame")

// scanFrame reads the top-level fields of a JSON object into f. Values of
// other fields, nested or not, are skipped.
func scanFrame(b []byte, f *frame) error {
	*f = frame{}
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errFrame
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return errFrame
		}
		kEnd, err := stringEnd(b, i)
		if err != nil {
			return err
		}
		key := b[i+1 : kEnd-1]
		i = skipSpace(b, kEnd)
		if i >= len(b) || b[i] != ':' {
			return errFrame
		}
		i = skipSpace(b, i+1)
		vEnd, err := valueEnd(b, i)
		if err != nil {
			return err
		}
		if err := f.set(key, b[i:vEnd]); err != nil {
			return err
		}
		i = skipSpace(b, vEnd)
		if i >= len(b) {
			return errFrame
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return nil
		default:
			return errFrame
		}
	}
}

// set stores one field; v is the raw JSON value.
func (f *frame) set(key, v []byte) error {
	str := func() []byte {
		if len(v) >= 2 && v[0] == '"' {
			return v[1 : len(v)-1]
		}
		return nil
	}
	num := func() (int64, error) {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return 0, errFrame
		}
		return n, nil
	}
	var err error
	switch string(key) {
	case "type":
		f.typ = str()
	case "id":
		f.id = str()
	case "room":
		f.room = str()
	case "kind":
		f.kind = str()
	case "text":
		f.text = str()
	case "code":
		f.code = str()
	case "seq":
		f.seq, err = num()
	case "lastSeq":
		f.lastSeq, err = num()
	}
	return err
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string starting at b[i] == '"'.
func stringEnd(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errFrame
}

// valueEnd returns the index just past the JSON value starting at b[i].
func valueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errFrame
	}
	switch c := b[i]; {
	case c == '"':
		return stringEnd(b, i)
	case c == '{' || c == '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := stringEnd(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errFrame
	default: // number, true, false, null
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
			j++
		}
		if j == i {
			return 0, errFrame
		}
		return j, nil
	}
}
