package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// TestUnknownProcedures: a call of a procedure the server does not serve
// (an unknown service, or an unknown method of a known one), on the gRPC
// port and as Connect, gRPC and gRPC-Web on the HTTP port, is still
// answered UNIMPLEMENTED (connect-go's 404, which its clients and grpc-go's
// read so), and now gets the access line, the metrics and the span every
// call gets, once, as OpenTelemetry names a method the server does not
// recognise: service and method "_OTHER", never what the client made up.
// The line carries the path asked, clipped. They were not recorded at
// all.
func TestUnknownProcedures(t *testing.T) {
	var buf syncbuf.Buffer
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	ts := startServer(t, server.Config{Logger: textLog(&buf, slog.LevelInfo), MetricsAddr: "127.0.0.1:0", TracerProvider: tp})
	conn := dialGRPC(t, ts, ts.token)
	hc := newHTTPClient(t)
	surfaces := []struct {
		name string
		call func(procedure string) error
	}{
		{"grpc", func(procedure string) error {
			return grpcErr(conn.Invoke(t.Context(), procedure, &emptypb.Empty{}, &emptypb.Empty{}))
		}},
		{"connect", connectCaller(t, hc, ts)},
		{"grpc", connectCaller(t, hc, ts, connect.WithGRPC())}, // on the HTTP port
		{"grpcweb", connectCaller(t, hc, ts, connect.WithGRPCWeb())},
	}
	long := "/fami.v1.PartnerService/" + strings.Repeat("x", 1000)
	counts := map[string]float64{}
	for _, s := range surfaces {
		for _, procedure := range []string{"/fami.v1.Nope/Get", "/fami.v1.PartnerService/Nope", "/Nope/Get", long} {
			seen, spansSeen := len(buf.String()), len(spans.GetSpans())
			what := s.name + " " + procedure[:min(len(procedure), 40)]
			if e, ok := asCallError(s.call(procedure)); !ok || e.Code != codes.Unimplemented {
				t.Errorf("%s: %v, want UNIMPLEMENTED", what, e)
				continue
			}
			want := " procedure=/_OTHER/_OTHER protocol=" + s.name + " peer=127.0.0.1 "
			lines := logLines(buf.String()[seen:], "rpc")
			if len(lines) != 1 || !strings.Contains(lines[0], want) || !strings.Contains(lines[0], " code=UNIMPLEMENTED ") {
				t.Errorf("%s: access lines %q, want one with%s code=UNIMPLEMENTED", what, lines, want)
			} else if path := procedure[:min(len(procedure), 200)]; !strings.HasSuffix(lines[0], " path="+path) && !strings.HasSuffix(lines[0], " path="+path+"...") {
				t.Errorf("%s: access line %q, want the path asked, clipped to 200 bytes", what, lines[0])
			}
			var recorded []string
			for _, sp := range spans.GetSpans()[spansSeen:] {
				if sp.Name == "pipeline" {
					recorded = append(recorded, fmt.Sprint(spanAttr(sp, "rpc.service"), "/", spanAttr(sp, "rpc.method"), " ", spanAttr(sp, "raccordo.code")))
				}
			}
			if w := "_OTHER/_OTHER UNIMPLEMENTED"; !slices.Equal(recorded, []string{w}) {
				t.Errorf("%s: pipeline spans %q, want one %q", what, recorded, w)
			}
			counts[s.name]++
		}
	}
	m := scrape(t, ts.metricsURL())
	for surface, n := range counts {
		for _, name := range []string{"raccordo_rpc_requests_total", "raccordo_rpc_duration_seconds_count"} {
			if v, ok := sample(m, name, `service="_OTHER"`, `method="_OTHER"`, `code="UNIMPLEMENTED"`, `surface="`+surface+`"`); v != n {
				t.Errorf("%s _OTHER/_OTHER on %s = %v (found %v), want %v", name, surface, v, ok, n)
			}
		}
	}
	for k := range m {
		if strings.Contains(k, "Nope") || strings.Contains(k, "xxx") {
			t.Errorf("a series names what the client made up: %s", k)
		}
	}
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
	var buf syncbuf.Buffer
	cfg := server.Config{Logger: textLog(&buf, slog.LevelInfo), MetricsAddr: "127.0.0.1:0"}
	const lines, calls = 4, 15
	server.SetNoRPCLines(&cfg, lines)
	ts := startServer(t, cfg)
	conn := dialGRPC(t, ts, ts.token)
	rs := newRESTSurface(t, ts, ts.token)
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
	for _, l := range logLines(buf.String(), "rpc") {
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
	if v, _ := sample(m, "raccordo_rpc_requests_total", `service="http"`, `method="GET"`, `code="NOT_FOUND"`, `surface="rest"`); v != calls {
		t.Errorf("raccordo_rpc_requests_total http GET NOT_FOUND = %v, want %d", v, calls)
	}
	if v, _ := sample(m, "raccordo_rpc_requests_total", `service="_OTHER"`, `method="_OTHER"`, `code="UNIMPLEMENTED"`, `surface="grpc"`); v != calls {
		t.Errorf("raccordo_rpc_requests_total _OTHER/_OTHER UNIMPLEMENTED = %v, want %d", v, calls)
	}
}
