// Command famid is the Raccordo server: the FAMI multi-level governance
// platform's gRPC, Connect, gRPC-Web and REST API over per-region bbolt
// files.
//
// Every flag can also be set as an environment variable (--data-dir as
// FAMID_DATA_DIR, --max-message-bytes as FAMID_MAX_MESSAGE_BYTES, ...) or
// in a config file (--config); `famid -h` lists them. Traces are exported
// when the standard OTEL_* variables ask for it (internal/telemetry).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/raccordo/raccordo/internal/logbuf"
	"github.com/raccordo/raccordo/internal/logtext"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/telemetry"
	"github.com/raccordo/raccordo/internal/version"
)

func main() {
	os.Exit(runUntilSignalled(os.Args[1:]))
}

// runUntilSignalled runs famid until SIGINT or SIGTERM, and returns its
// exit code.
func runUntilSignalled(args []string) int {
	stop, hurry, release := notifySignals()
	defer release()
	if err := run(stop, hurry, args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "famid:", err)
		return 1
	}
	return 0
}

// notifySignals returns stop, done on the first SIGINT or SIGTERM, which
// starts a graceful shutdown, and hurry, done on the second, which cuts it
// short (server.Hurry): an operator's second Ctrl-C was ignored until the
// drain delay and the calls in progress had ended. A third signal has its
// default effect, and ends the process at once.
func notifySignals() (stop, hurry context.Context, release func()) {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	stop, stopped := context.WithCancel(context.Background())
	hurry, hurried := context.WithCancel(context.Background())
	released := make(chan struct{})
	go func() {
		for _, end := range []context.CancelFunc{stopped, hurried} {
			select {
			case <-signals:
				end()
			case <-released:
				return
			}
		}
		signal.Stop(signals)
	}()
	return stop, hurry, func() {
		signal.Stop(signals)
		close(released)
	}
}

// run parses the configuration, then serves until ctx ends; its shutdown
// waits no more once hurry ends.
func run(ctx, hurry context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if opts.showVersion {
		fmt.Fprintln(stdout, "famid", version.Read())
		return nil
	}
	if opts.checkHealth {
		return checkHealth(ctx, opts.server.HTTPAddr)
	}
	m := &Main{opts: opts, stderr: stderr, hurry: hurry}
	defer func() {
		if err := m.Close(); err != nil {
			fmt.Fprintln(stderr, "famid:", err)
		}
	}()
	return m.Run(ctx)
}

// checkHealth asks the server listening on httpAddr whether it is ready:
// the image's HEALTHCHECK, which has no curl to call.
func checkHealth(ctx context.Context, httpAddr string) error {
	host, port, err := net.SplitHostPort(httpAddr)
	if err != nil {
		return fmt.Errorf("--http-addr %q: %w", httpAddr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/readyz", nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s", res.Status)
	}
	return nil
}

// Main is a configured famid: Run serves, Close releases what Run
// acquired beyond the server (the trace exporter).
type Main struct {
	opts   *options
	stderr io.Writer
	// hurry ends when the shutdown must wait no more (a second signal).
	hurry  context.Context
	traces *sdktrace.TracerProvider
	// logs buffers the log lines, so a call's access line costs no write
	// system call of its own.
	logs *logbuf.Writer
}

// Run opens the server and serves until ctx ends.
func (m *Main) Run(ctx context.Context) (err error) {
	cfg := m.opts.server
	hopts := &slog.HandlerOptions{Level: m.opts.logLevel}
	m.logs = logbuf.New(m.stderr, 0)
	if m.opts.logJSON {
		cfg.Logger = slog.New(slog.NewJSONHandler(m.logs, hopts))
	} else {
		// slog's text lines, written with less work per access line.
		cfg.Logger = slog.New(logtext.New(m.logs, hopts))
	}
	procs, gogc := server.SetProcs(cfg), server.SetGC()
	memlimit, memlimitWhy := server.SetMemoryLimit()
	v := version.Read()
	cfg.Logger.Info("famid starting", "version", v.Version, "commit", v.Commit, "go", v.Go, "procs", procs, "gogc", gogc,
		"gomemlimit", memlimit, "gomemlimit_from", memlimitWhy)
	if cfg.MunicipalitiesFile == "" {
		cfg.Logger.Warn("no municipality list: ISTAT codes are checked for format only; give ISTAT's list with --municipalities FILE (FAMID_MUNICIPALITIES)")
	}
	if m.traces, err = telemetry.TracerProvider(ctx, os.Getenv, v.Version); err != nil {
		return err
	}
	if m.traces != nil {
		cfg.TracerProvider = m.traces
		cfg.Logger.Info("tracing on: spans are exported over OTLP as the OTEL_* variables say")
	}
	srv, err := server.Open(ctx, cfg)
	if err != nil {
		return err
	}
	if path := m.opts.readyFile; path != "" {
		// The listeners are bound: a connection made from now on waits in
		// their backlog until Run serves it.
		if err := writeReadyFile(path, srv); err != nil {
			return errors.Join(err, srv.Close())
		}
		defer func() { err = errors.Join(err, removeReadyFile(path)) }()
	}
	stopHurry := context.AfterFunc(m.hurry, srv.Hurry)
	defer stopHurry()
	return srv.Run(ctx)
}

// Close flushes the spans still queued and the buffered log lines. The
// spans get the servers' grace period (--shutdown-timeout) and are
// dropped after it, or at once in a hurried stop: a collector that
// accepts and never answers would otherwise hold the shutdown for
// OTEL_EXPORTER_OTLP_TIMEOUT, retries included, and a supervisor's
// SIGKILL would then lose the log lines too.
func (m *Main) Close() error {
	var err error
	if m.traces != nil {
		grace := m.opts.server.ShutdownTimeout
		if grace <= 0 {
			grace = server.DefaultShutdownTimeout // as the server reads it
		}
		ctx, cancel := context.WithTimeout(m.hurry, grace)
		if err = m.traces.Shutdown(ctx); err != nil {
			err = fmt.Errorf("%s, dropped: %w", unexported(m.hurry, grace), err)
		}
		cancel()
	}
	if m.logs != nil {
		err = errors.Join(err, m.logs.Close())
	}
	return err
}

// unexported says why the spans still queued at the stop were not
// exported: the stop was hurried (a second signal), which waits for
// nothing, or the collector took longer than the grace period.
func unexported(hurry context.Context, grace time.Duration) string {
	if hurry.Err() != nil {
		return "spans not exported: the stop was hurried by a second signal"
	}
	return fmt.Sprintf("spans not exported within the shutdown timeout (%v)", grace)
}
