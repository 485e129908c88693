package session

import (
	"testing"

	"github.com/parley-chat/parley/internal/protocol"
)

func TestEchoCloseCode(t *testing.T) {
	tests := []struct {
		payload []byte
		want    int
	}{
		{nil, protocol.CloseNormal},
		{[]byte{0x03}, protocol.CloseProtocolError},       // 1-byte payload
		{[]byte{0x03, 0xe8}, 1000},                        // normal
		{[]byte{0x03, 0xe9, 'b', 'y', 'e'}, 1001},         // with a reason
		{[]byte{0x03, 0xed}, protocol.CloseProtocolError}, // 1005 must not be sent
		{[]byte{0x03, 0xee}, protocol.CloseProtocolError}, // 1006 must not be sent
		{[]byte{0x03, 0xf7}, protocol.CloseProtocolError}, // 1015 must not be sent
		{[]byte{0x0f, 0xa0}, 4000},                        // application range
		{[]byte{0x13, 0x88}, protocol.CloseProtocolError}, // 5000
		{[]byte{0x00, 0x00}, protocol.CloseProtocolError}, // 0
	}
	for _, tt := range tests {
		if got := echoCloseCode(tt.payload); got != tt.want {
			t.Errorf("echoCloseCode(%v) = %d, want %d", tt.payload, got, tt.want)
		}
	}
}
