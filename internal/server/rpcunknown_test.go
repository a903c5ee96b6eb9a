package server_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/waittest"
)

// TestUnknownProcedures: a call of a procedure the server does not serve
// (an unknown service, or an unknown method of a known one), on the gRPC
// port and as Connect, gRPC and gRPC-Web on the HTTP port, is still
// answered UNIMPLEMENTED (connect-go's 404, which its clients and grpc-go's
// read so), and now gets the access line, the metrics and the span every
// call gets, once, as OpenTelemetry names a method the server does not
// recognise: service and method "_OTHER", never what the client made up.
// The line carries the path asked, clipped, and the span the method asked
// as rpc.method_original, clipped alike. They were not recorded at all.
func TestUnknownProcedures(t *testing.T) {
	t.Parallel()
	var cfg server.Config
	server.SetNoRPCLines(&cfg, 100) // every call's line, above the 20 a minute it makes
	ts := startRecording(t, cfg)
	conn := dialGRPC(t, ts.testServer, ts.token)
	hc := newHTTPClient(t)
	surfaces := []struct {
		name string
		call func(procedure string) error
	}{
		{"grpc", func(procedure string) error {
			return grpcErr(conn.Invoke(t.Context(), procedure, &emptypb.Empty{}, &emptypb.Empty{}))
		}},
		{"connect", connectCaller(t, hc, ts.testServer)},
		{"grpc", connectCaller(t, hc, ts.testServer, connect.WithGRPC())}, // on the HTTP port
		{"grpcweb", connectCaller(t, hc, ts.testServer, connect.WithGRPCWeb())},
		// A Connect GET, which went to the web application's 404 unrecorded.
		{"connect", connectCaller(t, hc, ts.testServer, connect.WithHTTPGet(), connect.WithIdempotency(connect.IdempotencyNoSideEffects))},
	}
	long := "/fami.v1.PartnerService/" + strings.Repeat("x", 1000)
	counts := map[string]float64{}
	for _, s := range surfaces {
		for _, procedure := range []string{"/fami.v1.Nope/Get", "/fami.v1.PartnerService/Nope", "/Nope/Get", long} {
			since := ts.mark()
			what := s.name + " " + procedure[:min(len(procedure), 40)]
			if e, ok := asCallError(s.call(procedure)); !ok || e.Code != codes.Unimplemented {
				t.Errorf("%s: %v, want UNIMPLEMENTED", what, e)
				continue
			}
			line := ts.recordedOnce(t, since, what, "/_OTHER/_OTHER", s.name, "UNIMPLEMENTED")
			if path := procedure[:min(len(procedure), 200)]; line != "" && !strings.HasSuffix(line, " path="+path) && !strings.HasSuffix(line, " path="+path+"...") {
				t.Errorf("%s: access line %q, want the path asked, clipped to 200 bytes", what, line)
			}
			wantMethodOriginal(t, ts, since, what, "rpc.method_original", strings.TrimPrefix(clipped(procedure), "/"))
			counts[s.name]++
		}
	}
	m := scrape(t, ts.metricsURL())
	for surface, n := range counts {
		wantCounted(t, m, n, "_OTHER", "_OTHER", "UNIMPLEMENTED", surface)
	}
	noSeriesNames(t, m, "Nope", "xxx")
}

// wantMethodOriginal fails the test unless the pipeline spans recorded
// since the mark carry want, what a client asked clipped to 200 bytes as
// the access line's path, as key: rpc.method_original or
// http.request.method_original, OpenTelemetry's attributes of a method
// recorded as "_OTHER"; and no span is named by what was asked, nor holds
// it in another attribute, nor holds more of it in key. The spans named
// only "_OTHER", and on the gRPC port otelgrpc's span was named by the
// procedure asked, unclipped.
func wantMethodOriginal(t *testing.T, ts *recordingServer, since recordMark, what, key, want string) {
	t.Helper()
	asked := want[:min(len(want), 40)]
	for _, s := range ts.spans.GetSpans()[since.spans:] {
		if got := spanAttr(s, key); (s.Name == "pipeline" || got != "") && got != want {
			t.Errorf("%s: span %s %s %.250q, want %q", what, s.Name, key, got, want)
		}
		if strings.Contains(s.Name, asked) {
			t.Errorf("%s: a span is named %.60q, what was asked", what, s.Name)
		}
		for _, a := range s.Attributes {
			if string(a.Key) != key && strings.Contains(a.Value.String(), asked) {
				t.Errorf("%s: span %s has %s %.60q, what was asked", what, s.Name, a.Key, a.Value.String())
			}
		}
	}
}

// clipped is asked as the access line and the spans hold it: its first
// 200 bytes, marked "..." when there were more.
func clipped(asked string) string {
	if len(asked) > 200 {
		return asked[:200] + "..."
	}
	return asked
}

// connectCaller calls a procedure with an empty message through a
// connect-go client on ts's HTTP port (Connect, or the protocol opts
// choose) and reports its error as a *callError.
func connectCaller(t *testing.T, hc connect.HTTPClient, ts *testServer, opts ...connect.ClientOption) func(string) error {
	opts = append(opts, bearer(ts.token))
	return func(procedure string) error {
		client := connect.NewClient[emptypb.Empty, emptypb.Empty](hc, ts.httpURL()+procedure, opts...)
		_, err := client.CallUnary(t.Context(), connect.NewRequest(&emptypb.Empty{}))
		return connectErr(err)
	}
}

// TestCallsNamingNoRPCLogBounded: the access lines of calls that name no
// RPC (REST paths no route matches, procedures the server does not serve),
// which scanners make by the thousand, are bounded to a few a minute,
// every surface together, while their metrics count every call, and the
// other calls' lines are untouched. Every such call wrote a line.
func TestCallsNamingNoRPCLogBounded(t *testing.T) {
	t.Parallel()
	var cfg server.Config
	const lines, calls = 4, 15
	server.SetNoRPCLines(&cfg, lines)
	ts := startRecording(t, cfg)
	conn := dialGRPC(t, ts.testServer, ts.token)
	rs := newRESTSurface(t, ts.testServer, ts.token)
	for i := range calls {
		path := fmt.Sprintf("/v1/regions/lombardia/nowhere%d", i)
		res, err := rs.send(t.Context(), http.MethodGet, path, nil, nil)
		if err != nil || res.Status != http.StatusNotFound {
			t.Fatalf("GET %s: %v, %v; want 404", path, res, err)
		}
		procedure := fmt.Sprintf("/fami.v1.Nope%d/Get", i)
		if e, ok := asCallError(grpcErr(conn.Invoke(t.Context(), procedure, &emptypb.Empty{}, &emptypb.Empty{}))); !ok || e.Code != codes.Unimplemented {
			t.Fatalf("%s: %v, want UNIMPLEMENTED", procedure, e)
		}
	}
	if _, err := famiv1.NewPartnerServiceClient(conn).GetPartner(t.Context(), &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/nobody"}); err == nil {
		t.Fatal("GetPartner of a missing partner succeeded")
	}
	var noRPC []string
	partner := 0
	for _, l := range server.LogLines(ts.log.String(), "rpc") {
		switch {
		case strings.Contains(l, " procedure=/http/GET "), strings.Contains(l, " procedure=/_OTHER/_OTHER "):
			noRPC = append(noRPC, l)
		case strings.Contains(l, " procedure=/fami.v1.PartnerService/GetPartner "):
			partner++
		}
	}
	if len(noRPC) != lines || partner != 1 {
		t.Errorf("%d access lines of calls naming no RPC, %d of GetPartner; want %d and 1: %q", len(noRPC), partner, lines, noRPC)
	}
	m := scrape(t, ts.metricsURL())
	wantCounted(t, m, calls, "http", "GET", "NOT_FOUND", "rest")
	wantCounted(t, m, calls, "_OTHER", "_OTHER", "UNIMPLEMENTED", "grpc")

	// No line followed the flood to say how many it dropped: shutting
	// down says it. It was never logged.
	if err := ts.Stop(); err != nil {
		t.Fatal(err)
	}
	said := suppressedSaid(t, ts.log.String())
	if want := int64(2*calls - lines); said != want {
		t.Errorf("the log says %d lines suppressed, want %d: %s", said, want, ts.log.String())
	}
}

// suppressedSaid is how many access lines log says were suppressed, in
// all.
func suppressedSaid(t *testing.T, log string) int64 {
	t.Helper()
	var said int64
	for _, l := range strings.Split(log, "\n") {
		if _, n, ok := strings.Cut(l, " suppressed="); ok {
			k, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			said += k
		}
	}
	return said
}

// TestNoRPCDropsSaidOnTheServersClock: the access lines a flood of calls
// naming no RPC dropped, with no line after them to say it, are said once
// the server's clock (Config.Now) says their minute has ended, while the
// server runs: a test moves the clock rather than wait. They were said a
// minute of real time after the flood, whatever the server's clock said.
func TestNoRPCDropsSaidOnTheServersClock(t *testing.T) {
	t.Parallel()
	var cfg server.Config
	server.SetNoRPCLines(&cfg, 1)
	ts := startRecording(t, cfg)
	conn := dialGRPC(t, ts.testServer, ts.token)
	const calls = 4
	for i := range calls {
		procedure := fmt.Sprintf("/fami.v1.Nope%d/Get", i)
		if e, ok := asCallError(grpcErr(conn.Invoke(t.Context(), procedure, &emptypb.Empty{}, &emptypb.Empty{}))); !ok || e.Code != codes.Unimplemented {
			t.Fatalf("%s: %v, want UNIMPLEMENTED", procedure, e)
		}
	}
	ts.Clock.Advance(time.Minute)
	// A bound on the log line's coming, not the assertion, which follows.
	_ = waittest.Eventually(t, "the line saying the suppressed lines", func() error {
		if suppressedSaid(t, ts.log.String()) == 0 {
			return errors.New("not said yet")
		}
		return nil
	})
	if said := suppressedSaid(t, ts.log.String()); said != calls-1 {
		t.Errorf("once the server's clock passed the minute, the log says %d lines suppressed, want %d: %s", said, calls-1, ts.log.String())
	}
}

// TestUnknownProcedureJoinsTheCallersTrace: the span of a call of a
// procedure the server does not serve, on the gRPC port, where otelgrpc
// makes no span of its own for it, still joins the caller's trace, below
// the caller's span.
func TestUnknownProcedureJoinsTheCallersTrace(t *testing.T) {
	t.Parallel()
	ts := startRecording(t, server.Config{})
	conn := dialGRPC(t, ts.testServer, ts.token)
	const traceID, parent = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	ctx := metadata.AppendToOutgoingContext(t.Context(), "traceparent", "00-"+traceID+"-"+parent+"-01")
	since := ts.mark()
	if e, ok := asCallError(grpcErr(conn.Invoke(ctx, "/fami.v1.Nope/Get", &emptypb.Empty{}, &emptypb.Empty{}))); !ok || e.Code != codes.Unimplemented {
		t.Fatalf("/fami.v1.Nope/Get: %v, want UNIMPLEMENTED", e)
	}
	var joined []string
	for _, s := range ts.spans.GetSpans()[since.spans:] {
		joined = append(joined, fmt.Sprint(s.Name, " ", s.SpanContext.TraceID(), " ", s.Parent.SpanID()))
	}
	if want := []string{"pipeline " + traceID + " " + parent}; !slices.Equal(joined, want) {
		t.Errorf("spans (name, trace, parent) %q, want %q", joined, want)
	}
}
