package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/syncbuf"
	"github.com/raccordo/raccordo/internal/waittest"
)

// loopback0 is a listen address on an ephemeral loopback port: famid
// binds it and tells the port in its --ready-file. Guessing a free port
// instead (listen on :0, close, pass the number) races with every other
// process on the machine.
const loopback0 = "127.0.0.1:0"

// readyPath is a fresh path for a famid's --ready-file.
func readyPath(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "ready.json")
}

// waitReady waits until famid has written its --ready-file at path and
// returns the addresses it bound. A famid that exits first (its result
// arriving on exited) fails the test.
func waitReady(t *testing.T, path string, exited <-chan error) readiness {
	t.Helper()
	var r readiness
	waittest.Until(t, "famid to write its --ready-file "+path, func() bool {
		got, ok, err := readReady(path)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			r = got
			return true
		}
		select {
		case err := <-exited:
			t.Fatalf("famid exited before it was ready: %v", err)
		default:
		}
		return false
	})
	return r
}

// serve runs famid in this process with args, on ephemeral ports unless
// args say otherwise, and returns the addresses it bound and the channel
// its result arrives on.
func serve(t *testing.T, ctx context.Context, args []string, stderr io.Writer) (readiness, <-chan error) {
	t.Helper()
	path := readyPath(t)
	args = append([]string{"--grpc-addr", loopback0, "--http-addr", loopback0, "--metrics-addr", loopback0, "--ready-file", path}, args...)
	done := make(chan error, 1)
	go func() { done <- run(ctx, context.Background(), args, io.Discard, stderr) }()
	return waitReady(t, path, done), done
}

// TestRunFromEnvironment starts famid configured only through environment
// variables, checks it serves, and stops it as SIGTERM would.
func TestRunFromEnvironment(t *testing.T) {
	dir, ready := t.TempDir(), readyPath(t)
	for k, v := range map[string]string{
		"FAMID_DATA_DIR":          dir,
		"FAMID_GRPC_ADDR":         loopback0,
		"FAMID_HTTP_ADDR":         loopback0,
		"FAMID_METRICS_ADDR":      loopback0,
		"FAMID_READY_FILE":        ready,
		"FAMID_LOG_LEVEL":         "warn",
		"FAMID_MAX_MESSAGE_BYTES": "64KiB",
	} {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs syncbuf.Buffer
	go func() { done <- run(ctx, context.Background(), nil, io.Discard, &logs) }()
	bound := waitReady(t, ready, done)
	httpAddr, metricsAddr := bound.HTTPAddr, bound.MetricsAddr

	waitHealthy(t, httpAddr)
	if err := run(ctx, context.Background(), []string{"--check-health", "--http-addr", httpAddr}, io.Discard, io.Discard); err != nil {
		t.Errorf("--check-health on a ready server: %v", err)
	}
	// 64KiB is 65,536 bytes: a body just over it is refused, one just under
	// reaches authentication.
	for _, tt := range []struct {
		size int
		want int
	}{{65536 + 100, http.StatusRequestEntityTooLarge}, {65536 - 1000, http.StatusUnauthorized}} {
		body := `{"displayName":"` + strings.Repeat("a", tt.size-40) + `"}`
		res, err := http.Post("http://"+httpAddr+"/v1/regions/lombardia/partners", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.want {
			t.Errorf("a %d-byte body: %d %s, want %d", len(body), res.StatusCode, b, tt.want)
		}
	}
	// The metrics are on their own listener, not on the public port.
	for _, tt := range []struct {
		url  string
		want int
	}{{"http://" + metricsAddr + "/metrics", http.StatusOK}, {"http://" + httpAddr + "/metrics", http.StatusNotFound}} {
		res, err := http.Get(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.want || (tt.want == http.StatusOK && !strings.Contains(string(b), "raccordo_store_revision")) {
			t.Errorf("GET %s: %d, want %d (and the metrics when 200)", tt.url, res.StatusCode, tt.want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run returned %v after shutdown, want nil", err)
	}
	if err := run(context.Background(), context.Background(), []string{"--check-health", "--http-addr", httpAddr}, io.Discard, io.Discard); err == nil {
		t.Error("--check-health on a stopped server succeeded")
	}
	if !strings.Contains(logs.String(), "--municipalities") {
		t.Errorf("the start-up log does not say how to give the municipality list:\n%s", logs.String())
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for name, args := range map[string][]string{
		"unknown flag":       {"--nope"},
		"stray argument":     {"serve"},
		"bad duration":       {"--request-timeout", "soon"},
		"bad level":          {"--log-level", "loud"},
		"unknown store":      {"--store", "postgres"},
		"etcd, no endpoints": {"--store", "etcd"},
	} {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), context.Background(), args, io.Discard, &stderr)
			if err == nil {
				t.Fatal("run accepted bad arguments")
			}
		})
	}
}

// TestRunOnEtcd starts two famid with --store=etcd on one embedded etcd
// member, each with its own data dir, as on two machines.
func TestRunOnEtcd(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var done []<-chan error
	for range 2 {
		args := []string{"--store", "etcd", "--etcd-endpoints", strings.Join(c.Endpoints(), ","), "--etcd-prefix", "/famid-test/",
			"--data-dir", t.TempDir(), "--log-level", "error"}
		bound, d := serve(t, ctx, args, &bytes.Buffer{})
		done = append(done, d)
		waitHealthy(t, bound.HTTPAddr)
	}
	cancel()
	for _, d := range done {
		if err := <-d; err != nil {
			t.Fatalf("run returned %v after shutdown, want nil", err)
		}
	}
}

// TestSecondServerOnSameDataDirFailsFast: a second famid on a data dir a
// running one holds exits, while the first still holds it, with the lock
// refusal naming the dir and the --lock-timeout it waited: it neither
// waits for the first to let go nor takes the dir over. How long the
// refusal took is not asserted (a loaded machine can delay anything);
// that it came after the configured wait, and not after the first server
// stopped, is.
func TestSecondServerOnSameDataDirFailsFast(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--data-dir", dir, "--lock-timeout", "200ms", "--log-level", "error"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs bytes.Buffer
	bound, first := serve(t, ctx, args, &logs)
	waitHealthy(t, bound.HTTPAddr)

	// The second runs on its own goroutine, so a second that waited for
	// the lock would fail the test below rather than hang it; its context
	// stops it if it ever started.
	secondCtx, stopSecond := context.WithCancel(context.Background())
	defer stopSecond()
	second := make(chan error, 1)
	go func() {
		second <- run(secondCtx, context.Background(), append([]string{"--grpc-addr", loopback0, "--http-addr", loopback0, "--metrics-addr", loopback0}, args...), io.Discard, &bytes.Buffer{})
	}()
	err := waittest.Receive(t, "the second famid to exit while the first holds the data dir", second)
	select {
	case err := <-first:
		t.Fatalf("the first server exited (%v) before the second was refused", err)
	default:
	}
	if err == nil {
		t.Fatal("a second famid on the same data dir started")
	}
	for _, want := range []string{dir, "in use by another process", "within 200ms"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error = %q, want it to say %q: the lock refusal naming the data dir and the --lock-timeout waited", err, want)
		}
	}
	waitHealthy(t, bound.HTTPAddr)
	cancel()
	if err := <-first; err != nil {
		t.Fatalf("first server: %v", err)
	}
}

func waitHealthy(t *testing.T, httpAddr string) {
	t.Helper()
	waitHealthyOr(t, httpAddr, nil)
}

// waitHealthyOr waits until the server on httpAddr answers /healthz. A
// famid that exits first (its result arriving on exited; nil for none to
// watch) fails the test. It polls on the test's goroutine, the only one
// allowed to end the test.
func waitHealthyOr(t *testing.T, httpAddr string, exited <-chan error) {
	t.Helper()
	// Each try has a time limit: a server that accepts and never answers
	// would otherwise hold the test until the package's timeout.
	client := &http.Client{Timeout: time.Second}
	var last error
	if waittest.Eventually(t, "the server on "+httpAddr+" to answer /healthz", func() error {
		res, err := client.Get("http://" + httpAddr + "/healthz")
		if err == nil {
			res.Body.Close()
			return nil
		}
		select {
		case err := <-exited:
			t.Fatalf("famid exited before serving: %v", err)
		default:
		}
		last = err
		return err
	}) != nil {
		t.Fatalf("server on %s not healthy: %v", httpAddr, last)
	}
}

// TestShutdownWithADeadCollector: famid traces to a collector that accepts
// connections and never answers. On SIGTERM it stops within its grace
// period (--shutdown-timeout), saying that the queued spans were dropped.
// It used to wait for the exporter (30 s here, with OTEL_EXPORTER_OTLP_TIMEOUT
// set to an hour as an operator may), and a supervisor's kill after its
// own grace would have lost the buffered log lines too.
func TestShutdownWithADeadCollector(t *testing.T) {
	logs := stopWithADeadCollector(t, false)
	if !strings.Contains(logs, "spans not exported within the shutdown timeout (500ms), dropped") {
		t.Errorf("the shutdown does not say the spans were dropped:\n%s", logs)
	}
}

// TestHurriedShutdownWithADeadCollector: a stop hurried by a second signal
// drops the queued spans at once, and says so: it said they were not
// exported "within the shutdown timeout", which the stop never waited for.
func TestHurriedShutdownWithADeadCollector(t *testing.T) {
	logs := stopWithADeadCollector(t, true)
	if !strings.Contains(logs, "spans not exported: the stop was hurried by a second signal, dropped") || strings.Contains(logs, "shutdown timeout") {
		t.Errorf("a hurried stop does not say the spans were dropped because it was hurried:\n%s", logs)
	}
}

// stopWithADeadCollector runs famid tracing to a collector that accepts
// connections and never answers, makes one traced call and stops famid as
// SIGTERM does (and a second SIGTERM, when hurried); it returns famid's
// log once run has returned.
func stopWithADeadCollector(t *testing.T, hurried bool) string {
	collector, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 64) // held open, unread, until the end
	defer func() {
		collector.Close()
		for {
			select {
			case c := <-accepted:
				c.Close()
			default:
				return
			}
		}
	}()
	go func() {
		for {
			c, err := collector.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	ready := readyPath(t)
	for k, v := range map[string]string{
		"FAMID_DATA_DIR": t.TempDir(), "FAMID_GRPC_ADDR": loopback0, "FAMID_HTTP_ADDR": loopback0, "FAMID_METRICS_ADDR": "off", "FAMID_READY_FILE": ready,
		"FAMID_LOG_LEVEL": "warn", "FAMID_SHUTDOWN_TIMEOUT": "500ms",
		"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + collector.Addr().String(),
		"OTEL_EXPORTER_OTLP_TIMEOUT": "3600000", // ms: an hour
		"OTEL_BSP_SCHEDULE_DELAY":    "3600000", // the spans wait in the queue for the shutdown
	} {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hurry, hurryNow := context.WithCancel(context.Background())
	defer hurryNow()
	done := make(chan error, 1)
	var logs syncbuf.Buffer
	go func() { done <- run(ctx, hurry, nil, io.Discard, &logs) }()
	httpAddr := waitReady(t, ready, done).HTTPAddr
	waitHealthy(t, httpAddr)
	// A REST call is traced: its span waits in the queue.
	res, err := http.Get("http://" + httpAddr + "/v1/regions/lombardia/partners")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

	if hurried {
		hurryNow()
	}
	cancel()
	// A bound on the stop, not the assertion: a stop that waited for the
	// exporter would not log that the spans were dropped after the grace,
	// which the callers assert.
	if stopped := waittest.Receive(t, "famid to stop after SIGTERM, with 500ms of grace and a dead collector", done); stopped != nil {
		t.Fatalf("run returned %v, want nil", stopped)
	}
	if !hurried && len(accepted) == 0 { // a hurried stop does not try
		t.Error("famid never connected to the collector: the test proves nothing")
	}
	return logs.String()
}
