package server_test

import (
	"net"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/waittest"
)

// TestCallInFlightWhenTheStoreCloses: a call whose request is still
// coming when the server stops outlives the graceful shutdown's bound, so
// it reaches the services after the store closed. It is answered
// SHUTTING_DOWN, 503 on REST, an UNAVAILABLE clients retry (it was the
// plain UNAVAILABLE reason, which the web showed as an internal error).
// Nothing was written, and the same create on the restarted server
// succeeds. The surfaces are those of the HTTP port: the stop closes a
// gRPC call's connection (the transport's UNAVAILABLE) before its
// message can reach the services.
func TestCallInFlightWhenTheStoreCloses(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"connect", "grpcweb", "rest"} {
		t.Run(kind, func(t *testing.T) {
			cfg := server.Config{ShutdownTimeout: 100 * time.Millisecond, MetricsAddr: "127.0.0.1:0"}
			server.SetAdmissionHold(&cfg, time.Hour) // the held call is counted until its body comes
			ts := startServer(t, cfg)
			finish, ended := startHeld(t, ts, kind, "cpia-9")
			waitMetric(t, ts, "raccordo_calls_in_progress", 1, ended)
			if err := ts.Stop(); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			err := finish()
			ce, ok := asCallError(err)
			if !ok || ce.Code != codes.Unavailable || ce.Reason != "SHUTTING_DOWN" || (kind == "rest" && ce.HTTPStatus != http.StatusServiceUnavailable) {
				t.Fatalf("a create reaching a closed store: %v, want UNAVAILABLE SHUTTING_DOWN (503 on REST)", err)
			}

			api := newSurface(t, ts.restart(), "grpc")
			_, err = api.GetPartner(t.Context(), &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/cpia-9"})
			wantCode(t, "the partner refused by a closed store", err, codes.NotFound)
			if _, err := api.CreatePartner(t.Context(), &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "cpia-9",
				Partner: &famiv1.Partner{DisplayName: "Held", Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}}); err != nil {
				t.Errorf("the same create on the restarted server: %v", err)
			}
		})
	}
}

// TestShutdownClosesEveryListenerAtOnce: once the drain delay is over, a
// stop closes the gRPC listener with the HTTP ones, then waits for the
// calls in progress on all of them together, within the one shutdown
// timeout. It closed them one after the other: while a REST call in
// progress held the HTTP listener's shutdown, the gRPC port still took new
// connections and calls, for up to the whole timeout, and the gRPC calls
// in progress then had only what the HTTP wait had left of it. The REST
// call is still answered, by the store it started on.
func TestShutdownClosesEveryListenerAtOnce(t *testing.T) {
	t.Parallel()
	ts, finish, stopped := stopWithACallInProgress(t, 2*waittest.Bound)
	waitRefused(t, "gRPC", ts.GRPCAddr())
	if err := finish(); err != nil {
		t.Errorf("the REST call in progress when the stop began: %v, want it answered", err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// stopWithACallInProgress starts a server with shutdownTimeout, holds a
// REST create in progress (its body not sent), and stops the server: it
// returns once the stop has closed the HTTP listener, with the function
// that sends the held call's body and returns its answer, and the channel
// the stop's result comes on.
func stopWithACallInProgress(t *testing.T, shutdownTimeout time.Duration) (ts *testServer, finish func() error, stopped <-chan error) {
	cfg := server.Config{ShutdownTimeout: shutdownTimeout, MetricsAddr: "127.0.0.1:0"}
	server.SetAdmissionHold(&cfg, time.Hour) // the held call is counted until its body comes
	ts = startServer(t, cfg)
	finish, ended := startHeld(t, ts, "rest", "held-1")
	waitMetric(t, ts, "raccordo_calls_in_progress", 1, ended)
	stop := make(chan error, 1)
	go func() { stop <- ts.Stop() }()
	waitRefused(t, "HTTP", ts.HTTPAddr())
	return ts, finish, stop
}

// waitRefused waits until nothing listens on addr any more, and fails the
// test if something still does after waittest's bound. The call in
// progress is held until the test lets it go, and the stop's timeout is
// longer than the bound, so a listener that waited for the call, or for
// the timeout, still takes connections when the bound is over.
func waitRefused(t *testing.T, what, addr string) {
	t.Helper()
	waittest.Until(t, "the "+what+" listener to refuse connections while a call is in progress", func() bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return true
		}
		conn.Close()
		return false
	})
}

// TestHurryEndsTheWaitForCallsInProgress: Hurry (famid's second SIGTERM)
// during a stop waiting for a call in progress ends the stop at once, as
// the shutdown timeout would, rather than after the call.
func TestHurryEndsTheWaitForCallsInProgress(t *testing.T) {
	t.Parallel()
	ts, _, stopped := stopWithACallInProgress(t, time.Minute)
	ts.Hurry()
	// The shutdown timeout, a minute, is twice the bound: a stop that
	// waited for it, or for the call, would still be running.
	if err := waittest.Receive(t, "the stop to end after Hurry, with a call in progress", stopped); err != nil {
		t.Errorf("Stop: %v", err)
	}
}
