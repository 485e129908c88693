package bench

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// Scenarios.
const (
	ScenarioFanout = "fanout" // rooms of members, a few senders each, everyone receives
	ScenarioIdle   = "idle"   // connections that only authenticate and subscribe
)

// Bounds that keep a run finite and within one machine's limits.
const (
	MaxConns       = 15000            // the process may hold ~20,000 open files
	MaxRoomSize    = 1000             // the demo tenant's member cap
	MaxRate        = 1_000_000        // messages per second, all senders together
	MaxDuration    = 10 * time.Minute // of the measured phase
	MaxDrain       = time.Minute
	MaxSetup       = 30 * time.Minute
	MaxMessageSize = 1000 // the demo open-talk tenant's text limit
)

// Config is one benchmark run. ParseFlags fills it from the command line;
// Validate checks it.
type Config struct {
	Scenario string // ScenarioFanout or ScenarioIdle
	// Server is the base URL of the node under test. Only loopback
	// addresses are accepted: this tool load-tests the machine it runs on.
	Server string
	Tenant string // tenant id whose rooms and users the run creates
	// DataDir is the server's data directory, where token.key is; TokenKey
	// (PARLEY_TOKEN_KEY, base64 Ed25519 seed) wins when set. The run mints
	// its users' access tokens with that key.
	DataDir  string
	TokenKey string

	Conns          int           // client connections, one user each
	RoomSize       int           // members per room (the last room may have fewer)
	SendersPerRoom int           // members of each room that send (fanout)
	Rate           float64       // messages per second, all senders together (fanout)
	Duration       time.Duration // of the sending phase (fanout)
	MessageSize    int           // bytes of text per message (fanout)
	Drain          time.Duration // after sending stops, the longest wait for acks and deliveries (fanout)
	Settle         time.Duration // idle: wait this long with every connection open before reading memory
	ServerPID      int           // idle: the server's pid, to read its VmRSS; 0 skips
	SetupTimeout   time.Duration // bounds creating rooms, joining, connecting and subscribing
	SetupWorkers   int           // concurrent REST calls and dials during set-up
	JSON           bool          // print the result as JSON instead of the summary
}

// DefaultConfig returns the defaults of every flag.
func DefaultConfig() Config {
	return Config{
		Scenario:       ScenarioFanout,
		Server:         "http://127.0.0.1:8080",
		Tenant:         "opentalk",
		DataDir:        "./data",
		Conns:          5000,
		RoomSize:       100,
		SendersPerRoom: 10,
		Rate:           1200,
		Duration:       30 * time.Second,
		MessageSize:    64,
		Drain:          10 * time.Second,
		Settle:         2 * time.Second,
		SetupTimeout:   5 * time.Minute,
		SetupWorkers:   32,
	}
}

// ParseFlags parses the arguments of `parley bench` over the defaults and
// the PARLEY_DATA and PARLEY_TOKEN_KEY variables, and validates the result.
// -h prints the flags to stderr and returns flag.ErrHelp.
func ParseFlags(args []string) (Config, error) {
	return parseFlags(args, os.Getenv, os.Stderr)
}

func parseFlags(args []string, getenv func(string) string, out interface{ Write([]byte) (int, error) }) (Config, error) {
	c := DefaultConfig()
	if v := getenv("PARLEY_DATA"); v != "" {
		c.DataDir = v
	}
	c.TokenKey = getenv("PARLEY_TOKEN_KEY")
	fs := flag.NewFlagSet("parley bench", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Scenario, "scenario", c.Scenario, "fanout or idle")
	fs.StringVar(&c.Server, "server", c.Server, "base URL of the node under test (loopback only)")
	fs.StringVar(&c.Tenant, "tenant", c.Tenant, "tenant whose rooms and users the run creates")
	fs.StringVar(&c.DataDir, "data", c.DataDir, "the server's data directory, for its token key (PARLEY_DATA; PARLEY_TOKEN_KEY wins)")
	fs.IntVar(&c.Conns, "conns", c.Conns, "client connections, one user each")
	fs.IntVar(&c.RoomSize, "room-size", c.RoomSize, "members per room")
	fs.IntVar(&c.SendersPerRoom, "senders-per-room", c.SendersPerRoom, "members of each room that send (fanout)")
	fs.Float64Var(&c.Rate, "rate", c.Rate, "messages per second, all senders together (fanout)")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "length of the sending phase (fanout)")
	fs.IntVar(&c.MessageSize, "size", c.MessageSize, "bytes of text per message (fanout)")
	fs.DurationVar(&c.Drain, "drain", c.Drain, "longest wait for acks and deliveries after sending stops (fanout)")
	fs.DurationVar(&c.Settle, "settle", c.Settle, "idle: wait with every connection open before reading memory")
	fs.IntVar(&c.ServerPID, "server-pid", c.ServerPID, "idle: the server's pid, to read its RSS from /proc")
	fs.DurationVar(&c.SetupTimeout, "setup-timeout", c.SetupTimeout, "bound on creating rooms, joining, connecting and subscribing")
	fs.IntVar(&c.SetupWorkers, "setup-workers", c.SetupWorkers, "concurrent REST calls and dials during set-up")
	fs.BoolVar(&c.JSON, "json", c.JSON, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("parley bench: unexpected argument %q", fs.Arg(0))
	}
	return c, c.Validate()
}

// Validate checks the configuration; each error names the flag.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Scenario != ScenarioFanout && c.Scenario != ScenarioIdle {
		bad("--scenario: %q is not fanout or idle", c.Scenario)
	}
	if _, err := loopbackBase(c.Server); err != nil {
		bad("--server: %v", err)
	}
	if c.Tenant == "" {
		bad("--tenant: must not be empty")
	}
	if c.TokenKey == "" && c.DataDir == "" {
		bad("--data: must not be empty without PARLEY_TOKEN_KEY")
	}
	if c.Conns < 1 || c.Conns > MaxConns {
		bad("--conns: %d is not in 1..%d", c.Conns, MaxConns)
	}
	if c.RoomSize < 1 || c.RoomSize > MaxRoomSize {
		bad("--room-size: %d is not in 1..%d", c.RoomSize, MaxRoomSize)
	}
	if c.SetupTimeout <= 0 || c.SetupTimeout > MaxSetup {
		bad("--setup-timeout: %s is not in (0, %s]", c.SetupTimeout, MaxSetup)
	}
	if c.SetupWorkers < 1 || c.SetupWorkers > 256 {
		bad("--setup-workers: %d is not in 1..256", c.SetupWorkers)
	}
	switch c.Scenario {
	case ScenarioFanout:
		if c.SendersPerRoom < 1 || c.SendersPerRoom > c.RoomSize {
			bad("--senders-per-room: %d is not in 1..room-size (%d)", c.SendersPerRoom, c.RoomSize)
		}
		if !(c.Rate > 0 && c.Rate <= MaxRate) {
			bad("--rate: %g is not in (0, %d]", c.Rate, MaxRate)
		}
		if c.Duration < time.Second || c.Duration > MaxDuration {
			bad("--duration: %s is not in 1s..%s", c.Duration, MaxDuration)
		}
		if c.MessageSize < minMessageSize || c.MessageSize > MaxMessageSize {
			bad("--size: %d is not in %d..%d", c.MessageSize, minMessageSize, MaxMessageSize)
		}
		if c.Drain < 0 || c.Drain > MaxDrain {
			bad("--drain: %s is not in 0..%s", c.Drain, MaxDrain)
		}
	case ScenarioIdle:
		if c.Settle < 0 || c.Settle > MaxDuration {
			bad("--settle: %s is not in 0..%s", c.Settle, MaxDuration)
		}
		if c.ServerPID < 0 {
			bad("--server-pid: %d is negative", c.ServerPID)
		}
	}
	return errors.Join(errs...)
}

// rooms is how many rooms the run creates.
func (c Config) rooms() int { return (c.Conns + c.RoomSize - 1) / c.RoomSize }

// loopbackBase checks that raw is an http URL of a loopback address and
// returns it as scheme://host:port with "localhost" replaced by 127.0.0.1,
// so no name is ever resolved to somewhere else.
func loopbackBase(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("%q: only http:// on loopback is supported", raw)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q: give only scheme, host and port", raw)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%q is not a loopback address: this tool only load-tests the machine it runs on", raw)
	}
	return &url.URL{Scheme: "http", Host: net.JoinHostPort(ip.String(), port)}, nil
}
