package bench

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/parley-chat/parley/internal/protocol"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestScanFrame(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want frame // compared field by field below; nil slices as ""
		bad  bool
	}{
		{name: "live message",
			in:   `{"type":"message","room":"r1","seq":42,"kind":"text","user":"u","name":"N","text":"bench 123 xx","cmid":"b0-1","at":1700000000000}`,
			want: frame{typ: []byte("message"), room: []byte("r1"), seq: 42, kind: []byte("text"), text: []byte("bench 123 xx")}},
		{name: "ack echoes the id",
			in:   `{"type":"ack","id":"987","room":"r1","seq":7,"cmid":"b0-1","at":1}`,
			want: frame{typ: []byte("ack"), id: []byte("987"), room: []byte("r1"), seq: 7}},
		{name: "error with booleans",
			in:   `{"type":"error","id":"5","code":"rate_limited","message":"slow \"down\"","temporary":true}`,
			want: frame{typ: []byte("error"), id: []byte("5"), code: []byte("rate_limited")}},
		{name: "nested values are skipped",
			in:   ` { "type" : "reply", "room" : {"id":"x","tags":["a","]}"],"seq":9}, "messages":[{"seq":1}], "id":"j" } `,
			want: frame{typ: []byte("reply"), id: []byte("j")}},
		{name: "subscribed",
			in:   `{"type":"subscribed","id":"sub","room":"r","lastSeq":101,"online":3}`,
			want: frame{typ: []byte("subscribed"), id: []byte("sub"), room: []byte("r"), lastSeq: 101}},
		{name: "null and negative numbers",
			in:   `{"type":"x","seq":-1,"text":null}`,
			want: frame{typ: []byte("x"), seq: -1}},
		{name: "empty object", in: `{}`},
		{name: "not an object", in: `["type"]`, bad: true},
		{name: "truncated", in: `{"type":"mess`, bad: true},
		{name: "missing colon", in: `{"type" "x"}`, bad: true},
		{name: "seq not a number", in: `{"seq":"7"}`, bad: true},
		{name: "unterminated nesting", in: `{"a":{"b":1}`, bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f frame
			err := scanFrame([]byte(tc.in), &f)
			if tc.bad {
				if err == nil {
					t.Fatalf("scanFrame(%s) = nil error", tc.in)
				}
				return
			}
			if err != nil {
				t.Fatalf("scanFrame(%s): %v", tc.in, err)
			}
			for _, c := range []struct {
				field     string
				got, want []byte
			}{
				{"type", f.typ, tc.want.typ}, {"id", f.id, tc.want.id}, {"room", f.room, tc.want.room},
				{"kind", f.kind, tc.want.kind}, {"text", f.text, tc.want.text}, {"code", f.code, tc.want.code},
			} {
				if string(c.got) != string(c.want) {
					t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
				}
			}
			if f.seq != tc.want.seq || f.lastSeq != tc.want.lastSeq {
				t.Errorf("seq, lastSeq = %d, %d; want %d, %d", f.seq, f.lastSeq, tc.want.seq, tc.want.lastSeq)
			}
		})
	}
}

// TestScanFrameMatchesServerEncoding scans what the server's encoder
// produces for every frame the bench reads.
func TestScanFrameMatchesServerEncoding(t *testing.T) {
	msg := protocol.Message{Type: protocol.TypeMessage, Room: "abc", Seq: 12, Kind: "text", User: "u\"1", Name: "名前", Text: "bench 55 <x>&", ClientMsgID: "b1-2", At: 3}
	b, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	var f frame
	if err := scanFrame(b, &f); err != nil {
		t.Fatal(err)
	}
	if string(f.typ) != "message" || string(f.room) != "abc" || f.seq != 12 {
		t.Fatalf("scanned %+v from %s", f, b)
	}
	if ns, ok := benchText(f.text); !ok || ns != 55 {
		t.Fatalf("benchText(%q) = %d, %v", f.text, ns, ok)
	}
}

func TestAppendSend(t *testing.T) {
	for _, size := range []int{minMessageSize, 64, MaxMessageSize} {
		b := appendSend(nil, "room-1", 7, 3, 1234567890123, size)
		var f protocol.ClientFrame
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			t.Fatalf("size %d: %s is not a client frame: %v", size, b, err)
		}
		if f.Type != protocol.TypeSend || f.Room != "room-1" || f.ID != "1234567890123" || f.ClientMsgID != "b7-3" {
			t.Errorf("size %d: decoded %+v", size, f)
		}
		if len(f.Text) != size {
			t.Errorf("size %d: text has %d bytes", size, len(f.Text))
		}
		if ns, ok := benchText([]byte(f.Text)); !ok || ns != 1234567890123 {
			t.Errorf("size %d: benchText = %d, %v", size, ns, ok)
		}
	}
	if _, ok := benchText([]byte("hello 12")); ok {
		t.Error("benchText accepted a text without the prefix")
	}
	if _, ok := benchText([]byte("bench x")); ok {
		t.Error("benchText accepted a prefix without a time")
	}
}

func TestCheckSeq(t *testing.T) {
	for _, tc := range []struct {
		name      string
		base      int64   // from "subscribed"; -1 for none
		seqs      []int64 // delivered in this order
		gaps      int64
		dups      int64
		finalLast int64
	}{
		{"in order from the base", 10, []int64{11, 12, 13}, 0, 0, 13},
		{"first message sets the base", -1, []int64{5, 6}, 0, 0, 6},
		{"a gap of two", 0, []int64{1, 4, 5}, 2, 0, 5},
		{"a duplicate", 0, []int64{1, 2, 2, 3}, 0, 1, 3},
		{"going backwards", 0, []int64{1, 2, 3, 1}, 0, 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &client{st: newStats(1)}
			c.last.Store(tc.base)
			for _, s := range tc.seqs {
				c.checkSeq(s)
			}
			if g, d := c.st.gaps.Load(), c.st.dups.Load(); g != tc.gaps || d != tc.dups {
				t.Errorf("gaps, dups = %d, %d; want %d, %d", g, d, tc.gaps, tc.dups)
			}
			if got := c.last.Load(); got != tc.finalLast {
				t.Errorf("last = %d, want %d", got, tc.finalLast)
			}
		})
	}
}

func TestLoopbackBase(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" means refused
	}{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://localhost:8080/", "http://127.0.0.1:8080"},
		{"http://127.1.2.3:9", "http://127.1.2.3:9"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"http://127.0.0.1", "http://127.0.0.1:80"},
		{"http://10.0.0.1:8080", ""},
		{"http://example.com:8080", ""},
		{"http://0.0.0.0:8080", ""},
		{"https://127.0.0.1:8080", ""},
		{"ws://127.0.0.1:8080", ""},
		{"http://127.0.0.1:8080/api", ""},
		{"http://user:pw@127.0.0.1:8080", ""},
		{"127.0.0.1:8080", ""},
	} {
		u, err := loopbackBase(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("loopbackBase(%q) = %s, want refused", tc.in, u)
		case tc.want != "" && err != nil:
			t.Errorf("loopbackBase(%q): %v", tc.in, err)
		case tc.want != "" && u.String() != tc.want:
			t.Errorf("loopbackBase(%q) = %s, want %s", tc.in, u, tc.want)
		}
	}
}

func TestLoopbackDialRefusesOtherAddresses(t *testing.T) {
	if _, err := loopbackDial(t.Context(), "tcp", "192.0.2.1:80"); err == nil || !strings.Contains(err.Error(), "not a loopback") {
		t.Fatalf("dial 192.0.2.1 = %v, want refused", err)
	}
	if _, err := loopbackDial(t.Context(), "tcp", "example.com:80"); err == nil {
		t.Fatal("dial by name was not refused")
	}
}

func TestParseFlags(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	c, err := parseFlags(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if c.Scenario != ScenarioFanout || c.Conns != 5000 || c.RoomSize != 100 || c.SendersPerRoom != 10 || c.Rate != 1200 || c.Duration != 30*time.Second || c.Tenant != "opentalk" {
		t.Errorf("defaults = %+v", c)
	}

	c, err = parseFlags([]string{"--scenario", "idle", "--conns", "20", "--server-pid", "99", "--json"},
		env(map[string]string{"PARLEY_DATA": "/srv/parley", "PARLEY_TOKEN_KEY": "abc"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Scenario != ScenarioIdle || c.Conns != 20 || c.ServerPID != 99 || !c.JSON || c.DataDir != "/srv/parley" || c.TokenKey != "abc" {
		t.Errorf("parsed %+v", c)
	}

	for _, tc := range []struct {
		args []string
		want string // in the error
	}{
		{[]string{"--server", "http://192.168.1.5:8080"}, "--server"},
		{[]string{"--conns", "0"}, "--conns"},
		{[]string{"--conns", "100000"}, "--conns"},
		{[]string{"--room-size", "10", "--senders-per-room", "11"}, "--senders-per-room"},
		{[]string{"--rate", "0"}, "--rate"},
		{[]string{"--duration", "100ms"}, "--duration"},
		{[]string{"--duration", "2h"}, "--duration"},
		{[]string{"--size", "5"}, "--size"},
		{[]string{"--scenario", "storm"}, "--scenario"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		if _, err := parseFlags(tc.args, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseFlags(%q) = %v, want an error naming %s", tc.args, err, tc.want)
		}
	}
	if _, err := parseFlags([]string{"-h"}, env(nil), io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h = %v, want flag.ErrHelp", err)
	}
}

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tparley\nVmPeak:\t  999 kB\nVmRSS:\t   12345 kB\nThreads:\t9\n"
	got, err := parseVmRSS([]byte(status))
	if err != nil || got != 12345*1024 {
		t.Fatalf("parseVmRSS = %d, %v", got, err)
	}
	if _, err := parseVmRSS([]byte("Name:\tx\n")); err == nil {
		t.Fatal("no VmRSS line: want an error")
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP go_goroutines Number of goroutines.
# TYPE go_goroutines gauge
go_goroutines 42
go_memstats_heap_inuse_bytes 1.048576e+06
parley_connections{tenant="opentalk"} 7
process_resident_memory_bytes 2.5e+07
`
	vals, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if vals["go_goroutines"] != 42 || vals["go_memstats_heap_inuse_bytes"] != 1<<20 || vals["process_resident_memory_bytes"] != 25e6 {
		t.Errorf("parsed %v", vals)
	}
	if _, ok := vals["parley_connections"]; ok {
		t.Error("a labelled sample was read as unlabelled")
	}
}

func TestLatencySummary(t *testing.T) {
	l := newLatencies()
	for i := 1; i <= 1000; i++ {
		l.record(i, time.Duration(i)*time.Millisecond)
	}
	l.record(0, -time.Second)   // clamped to the minimum
	l.record(1, 10*time.Minute) // clamped to the maximum
	s := l.summary()
	if s.Count != 1002 {
		t.Fatalf("count = %d", s.Count)
	}
	near := func(got, want float64) bool { return got > want*0.99 && got < want*1.01 }
	if !near(s.P50, 500) || !near(s.P99, 990) || !near(s.Max, 120000) {
		t.Errorf("summary = %+v", s)
	}
	if (newLatencies().summary() != Latency{}) {
		t.Error("an empty histogram has a non-zero summary")
	}
}
