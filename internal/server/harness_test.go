package server_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/internal/store"
)

// municipalitiesFile is ISTAT's list, kept beside the repository (never
// copied into it); the path is relative to this package's directory.
const municipalitiesFile = "../../../shared/data/comuni-istat.csv"

// testServer is a famid running in the test process on free ports
// (servertest's, on a clock the test can move).
type testServer struct {
	*servertest.Server
	t testing.TB

	// token, when set, is sent by every surface client as
	// "Authorization: Bearer <token>". startServer sets it to a token of
	// adminSubject, a region_admin of lombardia.
	token string
}

// textLog is a server's logger writing text lines of level and above to
// w, for tests that read what the server logs.
func textLog(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// startServer opens and runs a server with cfg (servertest.Start), with a
// token of adminSubject for the surface clients.
func startServer(t testing.TB, cfg server.Config) *testServer {
	t.Helper()
	ts := &testServer{Server: servertest.Start(t, cfg), t: t}
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
	return ts.Token(ts.t, spec)
}

// restart stops the server and starts a new one on the same data dir (and
// the same configuration and clock, on new free ports).
func (ts *testServer) restart() *testServer {
	ts.t.Helper()
	// A token minted before the restart still verifies: the signing keys
	// live in the data dir.
	return &testServer{Server: ts.Restart(ts.t), t: ts.t, token: ts.token}
}

// storedDirectly is servertest's StoredDirectly in lombardia, with the
// token of ts kept.
func (ts *testServer) storedDirectly(write func(tx store.WriteTx) error) *testServer {
	ts.t.Helper()
	return &testServer{Server: ts.StoredDirectly(ts.t, "lombardia", write), t: ts.t, token: ts.token}
}

func (ts *testServer) grpcAddr() string { return ts.GRPCAddr() }
func (ts *testServer) httpURL() string  { return ts.URL() }

// metricsURL is /metrics on the metrics listener, which the server's
// Config must have set.
func (ts *testServer) metricsURL() string { return "http://" + ts.MetricsAddr() + "/metrics" }
