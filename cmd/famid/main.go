// Command famid is the Raccordo server: the FAMI multi-level governance
// platform's gRPC, Connect, gRPC-Web and REST API over per-region bbolt
// files, or over an etcd cluster (--store=etcd) shared by several famid.
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
	"github.com/raccordo/raccordo/internal/store/etcd"
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
	fs.StringVar(&cfg.Store, "store", env("store", server.StoreBolt), "storage: bbolt (files in --data-dir) or etcd (env FAMID_STORE)")
	var etcdEndpoints string
	fs.StringVar(&etcdEndpoints, "etcd-endpoints", env("etcd-endpoints", ""), "comma-separated etcd client URLs, for --store=etcd (env FAMID_ETCD_ENDPOINTS)")
	fs.StringVar(&cfg.Etcd.Prefix, "etcd-prefix", env("etcd-prefix", ""), "prefix of every etcd key (default /raccordo/) (env FAMID_ETCD_PREFIX)")
	fs.StringVar(&cfg.Etcd.CertFile, "etcd-cert", env("etcd-cert", ""), "etcd client certificate, PEM (env FAMID_ETCD_CERT)")
	fs.StringVar(&cfg.Etcd.KeyFile, "etcd-key", env("etcd-key", ""), "etcd client certificate's key, PEM (env FAMID_ETCD_KEY)")
	fs.StringVar(&cfg.Etcd.CAFile, "etcd-ca", env("etcd-ca", ""), "CA of the etcd members' certificates, PEM (env FAMID_ETCD_CA)")
	fs.StringVar(&cfg.Etcd.Username, "etcd-username", env("etcd-username", ""), "etcd user (env FAMID_ETCD_USERNAME)")
	fs.StringVar(&cfg.Etcd.Password, "etcd-password", env("etcd-password", ""), "etcd password; prefer the environment (env FAMID_ETCD_PASSWORD)")
	fs.DurationVar(&cfg.Etcd.DialTimeout, "etcd-dial-timeout", envDuration(env("etcd-dial-timeout", ""), 5*time.Second), "bound of the first connection to etcd (env FAMID_ETCD_DIAL_TIMEOUT)")
	fs.DurationVar(&cfg.Etcd.RequestTimeout, "etcd-request-timeout", envDuration(env("etcd-request-timeout", ""), etcd.DefaultRequestTimeout), "bound of each etcd round trip of a write (env FAMID_ETCD_REQUEST_TIMEOUT)")
	fs.IntVar(&cfg.Etcd.MaxTxnOps, "etcd-max-txn-ops", envInt(env("etcd-max-txn-ops", ""), etcd.DefaultMaxTxnOps), "the cluster's --max-txn-ops (env FAMID_ETCD_MAX_TXN_OPS)")
	fs.IntVar(&cfg.Etcd.MaxTxnBytes, "etcd-max-txn-bytes", envInt(env("etcd-max-txn-bytes", ""), etcd.DefaultMaxTxnBytes), "largest etcd transaction, below the cluster's --max-request-bytes (env FAMID_ETCD_MAX_TXN_BYTES)")
	fs.TextVar(&logLevel, "log-level", levelOf(env("log-level", "info")), "debug, info, warn or error (env FAMID_LOG_LEVEL)")
	fs.BoolVar(&logJSON, "log-json", env("log-json", "") == "true", "log as JSON lines (env FAMID_LOG_JSON)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if etcdEndpoints != "" {
		cfg.Etcd.Endpoints = strings.Split(etcdEndpoints, ",")
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
