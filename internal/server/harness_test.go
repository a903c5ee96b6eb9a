package server_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/fakeclock"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// municipalitiesFile is ISTAT's list, kept beside the repository (never
// copied into it); the path is relative to this package's directory.
const municipalitiesFile = "../../../shared/data/comuni-istat.csv"

// testServer is a famid running in the test process on free ports.
type testServer struct {
	t   testing.TB
	cfg server.Config
	srv *server.Server
	// clock is the server's clock (Config.Now) when the test gave none:
	// the real time, until the test moves it ahead to pass an expiry or a
	// closing time instead of waiting for it.
	clock *fakeclock.Shifted

	// token, when set, is sent by every surface client as
	// "Authorization: Bearer <token>". startServer sets it to a token of
	// adminSubject, a region_admin of lombardia.
	token string

	cancel context.CancelFunc
	done   chan error
	// stopped is set once stop has been called.
	stopped bool
}

// textLog is a server's logger writing text lines of level and above to
// w, for tests that read what the server logs.
func textLog(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// startServer opens and runs a server with cfg; empty addresses become
// free loopback ports, an empty DataDir a fresh temporary directory. The
// server is stopped (and its Run error checked) when the test ends.
func startServer(t testing.TB, cfg server.Config) *testServer {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.GRPCAddr == "" {
		cfg.GRPCAddr = "127.0.0.1:0"
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	var clock *fakeclock.Shifted
	if cfg.Now == nil {
		clock = &fakeclock.Shifted{}
		cfg.Now = clock.Now
	}
	srv, err := server.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("server.Open: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{t: t, cfg: cfg, srv: srv, clock: clock, cancel: cancel, done: make(chan error, 1)}
	go func() { ts.done <- srv.Run(ctx) }()
	t.Cleanup(ts.stop)
	ts.token = ts.mintToken(regionAdminSpec("lombardia"))
	return ts
}

// adminSubject is the subject of the token every surface sends by default.
const adminSubject = "test:region_admin:lombardia"

// regionAdminSpec is the token spec of region's admin (for lombardia,
// adminSubject's).
func regionAdminSpec(region string) auth.TokenSpec {
	return auth.TokenSpec{Subject: "test:region_admin:" + region, Role: principal.RegionAdmin, Region: region}
}

// ministrySpec is the token spec of the ministry.
var ministrySpec = auth.TokenSpec{Subject: "test:ministry", Role: principal.Ministry}

// mintToken signs a token for spec (valid for an hour when spec.TTL is
// zero) with the data dir's key, as famictl token create does, at the
// server's time.
func (ts *testServer) mintToken(spec auth.TokenSpec) string {
	ts.t.Helper()
	if spec.TTL == 0 {
		spec.TTL = time.Hour
	}
	keys, err := auth.LoadKeys(ts.cfg.DataDir)
	if err != nil {
		ts.t.Fatalf("load signing keys: %v", err)
	}
	token, _, err := keys.Sign(spec, ts.cfg.Now())
	if err != nil {
		ts.t.Fatalf("sign token: %v", err)
	}
	return token
}

// testLogger logs warnings and errors into the test's output, so an
// internal error in the server shows next to the failing test.
func testLogger(t testing.TB) *slog.Logger {
	return textLog(t.Output(), slog.LevelWarn)
}

// stop shuts the server down gracefully and waits for Run to return. It is
// safe to call more than once.
func (ts *testServer) stop() {
	ts.t.Helper()
	if ts.stopped {
		return
	}
	ts.stopped = true
	ts.cancel()
	if err := <-ts.done; err != nil {
		ts.t.Errorf("server Run returned %v, want nil after a graceful shutdown", err)
	}
}

// restart stops the server and starts a new one on the same data dir (and
// the same configuration, on new free ports).
func (ts *testServer) restart() *testServer {
	ts.t.Helper()
	ts.stop()
	cfg := ts.cfg
	cfg.GRPCAddr, cfg.HTTPAddr = "", ""
	next := startServer(ts.t, cfg)
	// A token minted before the restart still verifies: the signing keys
	// live in the data dir.
	next.token = ts.token
	return next
}

func (ts *testServer) grpcAddr() string { return ts.srv.GRPCAddr() }
func (ts *testServer) httpURL() string  { return "http://" + ts.srv.HTTPAddr() }

// metricsURL is /metrics on the metrics listener, which the server's
// Config must have set.
func (ts *testServer) metricsURL() string { return "http://" + ts.srv.MetricsAddr() + "/metrics" }
