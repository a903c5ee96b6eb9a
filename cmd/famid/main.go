// Command famid is the Raccordo server: the FAMI multi-level governance
// platform's gRPC, Connect, gRPC-Web and REST API over per-region bbolt
// files.
//
// Every flag has an environment fallback: --data-dir reads FAMID_DATA_DIR,
// --grpc-addr FAMID_GRPC_ADDR, and so on.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store/bolt"
)

func main() {
	ctx, stop := signalContext()
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "famid:", err)
		os.Exit(1)
	}
}

// signalContext is done on SIGINT or SIGTERM, which start a graceful
// shutdown.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// run parses the command line, opens the server and serves until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("famid", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv("FAMID_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); v != "" {
			return v
		}
		return def
	}
	var (
		cfg      server.Config
		logLevel slog.Level
		logJSON  bool
	)
	fs.StringVar(&cfg.DataDir, "data-dir", env("data-dir", "data"), "directory of the bbolt files (env FAMID_DATA_DIR)")
	fs.StringVar(&cfg.GRPCAddr, "grpc-addr", env("grpc-addr", server.DefaultGRPCAddr), "gRPC listen address (env FAMID_GRPC_ADDR)")
	fs.StringVar(&cfg.HTTPAddr, "http-addr", env("http-addr", server.DefaultHTTPAddr), "HTTP listen address: REST, Connect, gRPC-Web (env FAMID_HTTP_ADDR)")
	fs.StringVar(&cfg.MunicipalitiesFile, "municipalities", env("municipalities", ""), "ISTAT municipality list (CSV) to load (env FAMID_MUNICIPALITIES)")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", envDuration(env("request-timeout", ""), server.DefaultRequestTimeout), "deadline of a call that sets none (env FAMID_REQUEST_TIMEOUT)")
	fs.IntVar(&cfg.MaxMessageBytes, "max-message-bytes", envInt(env("max-message-bytes", ""), server.DefaultMaxMessageBytes), "largest request message or REST body (env FAMID_MAX_MESSAGE_BYTES)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", envDuration(env("shutdown-timeout", ""), server.DefaultShutdownTimeout), "graceful shutdown bound (env FAMID_SHUTDOWN_TIMEOUT)")
	fs.DurationVar(&cfg.LockTimeout, "lock-timeout", envDuration(env("lock-timeout", ""), time.Second), "wait for the data dir's lock before failing (env FAMID_LOCK_TIMEOUT)")
	fs.DurationVar(&cfg.RequestRetention, "request-retention", envDuration(env("request-retention", ""), bolt.DefaultRequestRetention), "how long a request_id is remembered for idempotent retries (env FAMID_REQUEST_RETENTION)")
	fs.Int64Var(&cfg.ChangeRetention, "change-retention", int64(envInt(env("change-retention", ""), bolt.DefaultChangeRetention)), "changes each region's log keeps, older ones compacted; -1 keeps all (env FAMID_CHANGE_RETENTION)")
	fs.IntVar(&cfg.MaxConcurrentCalls, "max-concurrent-calls", envInt(env("max-concurrent-calls", ""), server.DefaultMaxConcurrentCalls), "unary calls worked on at once; more are refused with RESOURCE_EXHAUSTED / 429 and Retry-After (env FAMID_MAX_CONCURRENT_CALLS)")
	fs.IntVar(&cfg.GRPCMaxConnections, "grpc-max-connections", envInt(env("grpc-max-connections", ""), server.DefaultGRPCMaxConnections), "most open gRPC connections; more wait (env FAMID_GRPC_MAX_CONNECTIONS)")
	fs.DurationVar(&cfg.GRPCIdleTimeout, "grpc-idle-timeout", envDuration(env("grpc-idle-timeout", ""), server.DefaultGRPCIdleTimeout), "close a gRPC connection without calls after this long (env FAMID_GRPC_IDLE_TIMEOUT)")
	fs.DurationVar(&cfg.GRPCMaxConnectionAge, "grpc-max-connection-age", envDuration(env("grpc-max-connection-age", ""), server.DefaultGRPCMaxConnectionAge), "close any gRPC connection after this long, its calls given a minute (env FAMID_GRPC_MAX_CONNECTION_AGE)")
	fs.IntVar(&cfg.MaxStreams, "max-streams", envInt(env("max-streams", ""), server.DefaultMaxStreams), "most open streams (watches) in all (env FAMID_MAX_STREAMS)")
	fs.IntVar(&cfg.MaxStreamsPerPrincipal, "max-streams-per-caller", envInt(env("max-streams-per-caller", ""), server.DefaultMaxStreamsPerPrincipal), "most open streams (watches) per caller (env FAMID_MAX_STREAMS_PER_CALLER)")
	fs.TextVar(&logLevel, "log-level", levelOf(env("log-level", "info")), "debug, info, warn or error (env FAMID_LOG_LEVEL)")
	fs.BoolVar(&logJSON, "log-json", env("log-json", "") == "true", "log as JSON lines (env FAMID_LOG_JSON)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	hopts := &slog.HandlerOptions{Level: logLevel}
	if logJSON {
		cfg.Logger = slog.New(slog.NewJSONHandler(stderr, hopts))
	} else {
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, hopts))
	}
	srv, err := server.Open(ctx, cfg)
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}

func envDuration(v string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(v); err == nil {
		return d
	}
	return def
}

func envInt(v string, def int) int {
	var n int
	if _, err := fmt.Sscan(v, &n); err == nil {
		return n
	}
	return def
}

func levelOf(v string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		return slog.LevelInfo
	}
	return l
}
