// Command parley is the Parley chat server and its tools:
//
//	parley serve    run the server (flags and PARLEY_* variables: see docs/operations.md)
//	parley migrate  apply the store's migrations and exit
//	parley token    print a signed access token for local use and tests
//	parley demo-host run the reference host service (localhost demo only)
//	parley bench    load-test a local Parley node (see docs/benchmarks.md)
//	parley version  print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/parley-chat/parley/internal/app"
	"github.com/parley-chat/parley/internal/bench"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// errUsage marks command-line mistakes (exit status 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills the process at once.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, err)
		fmt.Fprintln(os.Stderr, "usage: parley <serve|migrate|token|demo-host|bench|version> [flags]; parley <command> -h for flags")
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "parley:", err)
		os.Exit(1)
	}
}

// run executes one subcommand. Output goes to stdout (results) and stderr
// (logs and flag help); main turns the error into an exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: no command", errUsage)
	}
	cmd, args := args[0], args[1:]
	if cmd == "version" {
		_, err := fmt.Fprintln(stdout, "parley", version)
		return err
	}
	if cmd == "demo-host" {
		dh := app.DefaultDemoHostConfig()
		fs := flag.NewFlagSet("parley demo-host", flag.ContinueOnError)
		fs.SetOutput(stderr)
		dh.RegisterFlags(fs)
		if err := parseArgs(fs, args); err != nil {
			return err
		}
		return app.RunDemoHost(ctx, dh, slog.New(slog.NewJSONHandler(stderr, nil)))
	}
	if cmd == "bench" {
		return runBench(ctx, args, stdout, stderr)
	}
	cfg, err := app.ConfigFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("parley "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterFlags(fs)
	switch cmd {
	case "serve":
		if err := parse(fs, args, &cfg); err != nil {
			return err
		}
		a, err := app.New(ctx, cfg, cfg.Logger(stderr), version)
		if err != nil {
			return err
		}
		return a.Run(ctx)
	case "migrate":
		if err := parse(fs, args, &cfg); err != nil {
			return err
		}
		return app.Migrate(ctx, cfg, cfg.Logger(stderr))
	case "token":
		var req app.TokenRequest
		fs.StringVar(&req.Tenant, "tenant", "", "tenant id (required)")
		fs.StringVar(&req.UserID, "user", "", "user id (required)")
		fs.StringVar(&req.Name, "name", "", "display name (default: the user id)")
		fs.DurationVar(&req.TTL, "ttl", time.Hour, "how long the token is valid")
		if err := parse(fs, args, &cfg); err != nil {
			return err
		}
		token, err := app.MintToken(cfg, req)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, token)
		return err
	default:
		return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
}

// parse parses flags (cfg's fields are bound to fs) and validates cfg.
func parse(fs *flag.FlagSet, args []string, cfg *app.Config) error {
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	return cfg.Validate()
}

// parseArgs parses flags and refuses positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

// runBench runs the load generator and fails when any correctness check
// (gapless, duplicate-free, every acked message delivered) failed.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	bc, err := bench.ParseFlags(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	res, err := bench.Run(ctx, bc, slog.New(slog.NewJSONHandler(stderr, nil)))
	if err != nil {
		return err
	}
	if err := bench.Report(stdout, bc, res); err != nil {
		return err
	}
	return res.Check()
}
