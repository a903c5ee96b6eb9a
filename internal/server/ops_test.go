package server_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/waittest"
)

// scrape reads url's Prometheus text exposition into "name{labels}" ->
// value, labels as the exposition writes them (sorted by name).
func scrape(t testing.TB, url string) map[string]float64 {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, res.Status)
	}
	out := map[string]float64{}
	for sc := bufio.NewScanner(res.Body); sc.Scan(); {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// sample returns the value of the sample of name whose labels include
// every one of labels (`key="value"`), and whether there is one.
func sample(m map[string]float64, name string, labels ...string) (float64, bool) {
	for k, v := range m {
		n, ls, _ := strings.Cut(k, "{")
		if n != name {
			continue
		}
		all := true
		for _, l := range labels {
			all = all && strings.Contains(ls, l)
		}
		if all {
			return v, true
		}
	}
	return 0, false
}

// commitMetrics are the histograms a region's writer records for each
// commit, in the order it records them.
var commitMetrics = []string{
	"raccordo_store_commit_duration_seconds_count",
	"raccordo_store_commit_batch_size_count",
	"raccordo_store_commit_write_seconds_count",
}

// scrapeCommitted scrapes url until it holds every commit metric of
// region, for waittest's bound at most (a broken server's), and returns
// the last scrape. A region's writer answers its writers before it
// records the commit (internal/store/bolt's writer), and a scrape gathers
// the histograms concurrently, so a scrape right after a write may hold
// none of them, or only the later ones.
func scrapeCommitted(t testing.TB, url, region string) map[string]float64 {
	t.Helper()
	var m map[string]float64
	_ = waittest.Eventually(t, "the commit metrics of "+region, func() error {
		m = scrape(t, url)
		for _, name := range commitMetrics {
			if _, ok := sample(m, name, `region="`+region+`"`); !ok {
				return fmt.Errorf("no %s", name)
			}
		}
		return nil
	}) // the caller checks what the last scrape holds
	return m
}

// TestMetricsEverySurface calls the server on every surface and reads
// /metrics on the metrics listener: a count per RPC and surface, the
// store's commit histogram and gauges, login failures, the Go runtime.
func TestMetricsEverySurface(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{AdminAddr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0"})
	ctx := t.Context()
	for _, kind := range surfaceKinds {
		s := newSurface(t, ts, kind)
		if _, err := s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia}); err != nil {
			t.Fatalf("%s: list partners: %v", kind, err)
		}
	}
	seedPartner(t, ctx, newSurface(t, ts, "rest"))
	// Six wrong passwords for one username: five failures, then the
	// limiter refuses.
	anon := newSurfaceAs(t, ts, "connect", "")
	for range 6 {
		if _, err := anon.Login(ctx, &famiv1.LoginRequest{Username: "nobody", Password: "wrong password"}); err == nil {
			t.Fatal("login with a wrong password succeeded")
		}
	}

	m := scrapeCommitted(t, ts.metricsURL(), "lombardia")
	for _, kind := range surfaceKinds {
		v, ok := sample(m, "raccordo_rpc_requests_total", `service="fami.v1.PartnerService"`, `method="ListPartners"`, `code="OK"`, `surface="`+kind+`"`)
		if !ok || v != 1 {
			t.Errorf("raccordo_rpc_requests_total ListPartners OK on %s = %v (found %v), want 1", kind, v, ok)
		}
		if v, ok := sample(m, "raccordo_rpc_duration_seconds_count", `method="ListPartners"`, `surface="`+kind+`"`); !ok || v != 1 {
			t.Errorf("raccordo_rpc_duration_seconds_count ListPartners on %s = %v, want 1", kind, v)
		}
	}
	checks := []struct {
		name   string
		labels []string
		min    float64
	}{
		{"raccordo_rpc_requests_total", []string{`method="CreatePartner"`, `surface="rest"`, `code="OK"`}, 1},
		{"raccordo_store_commit_duration_seconds_count", []string{`region="lombardia"`}, 1},
		{"raccordo_store_commit_batch_size_sum", []string{`region="lombardia"`}, 1},
		{"raccordo_store_commit_write_seconds_count", []string{`region="lombardia"`}, 1},
		{"raccordo_store_revision", []string{`region="lombardia"`}, 1},
		{"raccordo_store_changelog_length", []string{`region="lombardia"`}, 1},
		{"raccordo_auth_failures_total", []string{`reason="LOGIN_FAILED"`}, 5},
		{"raccordo_rate_limited_total", []string{`method="Login"`, `reason="TOO_MANY_LOGIN_FAILURES"`}, 1},
		{"go_goroutines", nil, 1},
	}
	for _, c := range checks {
		if v, ok := sample(m, c.name, c.labels...); !ok || v < c.min {
			t.Errorf("%s%v = %v (found %v), want at least %v", c.name, c.labels, v, ok, c.min)
		}
	}
	if v, ok := sample(m, "raccordo_store_revision", `region="veneto"`); !ok || v != 0 {
		t.Errorf("raccordo_store_revision veneto = %v (found %v), want 0", v, ok)
	}

	// The admin listener serves pprof and the same metrics; the public
	// listener has neither.
	admin := "http://" + ts.AdminAddr()
	if got := scrape(t, admin+"/metrics"); len(got) == 0 {
		t.Error("admin /metrics is empty")
	}
	for _, c := range []struct {
		url  string
		want int
	}{{admin + "/debug/pprof/", http.StatusOK}, {admin + "/debug/pprof/goroutine?debug=1", http.StatusOK}, {ts.httpURL() + "/debug/pprof/", http.StatusNotFound}, {ts.httpURL() + "/metrics", http.StatusNotFound}} {
		res, err := http.Get(c.url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("GET %s: %d, want %d", c.url, res.StatusCode, c.want)
		}
	}
}

// TestTraceOfARESTCall sends a REST call with a W3C traceparent and
// follows its trace in an in-memory exporter: the gateway's span, the
// in-process gRPC hop, the pipeline and the store, one trace, each span a
// descendant of the caller's.
func TestTraceOfARESTCall(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	ts := startServer(t, server.Config{TracerProvider: tp})
	exp.Reset() // the start's own reads (upgradeRegions) are no call's

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	body := []byte(`{"displayName":"CPIA 5 Milano","kind":"PARTNER_KIND_ADULT_EDUCATION_CENTRE"}`)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.httpURL()+"/v1/regions/lombardia/partners?partnerId=cpia-5", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+ts.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	res, b := fetch(t, http.DefaultClient, req)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("create partner: %s %s", res.Status, b)
	}
	tp.ForceFlush(t.Context())

	spans := exp.GetSpans()
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range spans {
		byID[s.SpanContext.SpanID()] = s
	}
	// chain walks from a span up to the caller's, by name.
	chain := func(s tracetest.SpanStub) []string {
		var names []string
		for {
			names = append(names, s.Name)
			p, ok := byID[s.Parent.SpanID()]
			if !ok {
				names = append(names, "caller:"+s.Parent.SpanID().String())
				return names
			}
			s = p
		}
	}
	var store *tracetest.SpanStub
	for i, s := range spans {
		if s.Name == "store.update" {
			store = &spans[i]
		}
		if s.SpanContext.TraceID().String() != traceID {
			t.Errorf("span %q is in trace %s, want the caller's %s", s.Name, s.SpanContext.TraceID(), traceID)
		}
	}
	if store == nil {
		t.Fatalf("no store.update span among %d spans", len(spans))
	}
	got := strings.Join(chain(*store), " < ")
	want := "store.update < pipeline < fami.v1.PartnerService/CreatePartner < fami.v1.PartnerService/CreatePartner < gateway POST /v1/ < caller:" + parentID
	if got != want {
		t.Errorf("span chain\n got  %s\n want %s", got, want)
	}
}

// TestHealthAndReadiness checks /healthz, /readyz and gRPC health per
// service name, before and during a shutdown: once shutdown begins, the
// server keeps answering for the drain delay but says NOT_SERVING, so a
// load balancer stops sending it calls.
func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	// The drain lasts until the test hurries it: its checks run while it
	// lasts, however slow the machine.
	ts := startServer(t, server.Config{DrainDelay: time.Hour})
	ctx := t.Context()
	health := healthpb.NewHealthClient(dialGRPC(t, ts, ""))
	get := func(path string) int {
		t.Helper()
		res, err := http.Get(ts.httpURL() + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	check := func(service string) healthpb.HealthCheckResponse_ServingStatus {
		t.Helper()
		res, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatalf("health check %q: %v", service, err)
		}
		return res.GetStatus()
	}
	services := []string{"", "fami.v1.PartnerService", "fami.v1.SyncService", "fami.v1.AdminService"}

	if got := get("/healthz"); got != http.StatusOK {
		t.Errorf("/healthz: %d, want 200", got)
	}
	if got := get("/readyz"); got != http.StatusOK {
		t.Errorf("/readyz: %d, want 200", got)
	}
	for _, svc := range services {
		if got := check(svc); got != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health %q: %s, want SERVING", svc, got)
		}
	}
	if _, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: "fami.v1.NoSuchService"}); status.Code(err) != codes.NotFound {
		t.Errorf("health of an unknown service: %v, want NOT_FOUND", err)
	}

	go ts.Stop() // begin the shutdown; its Run error is checked at cleanup
	defer ts.Hurry()
	waittest.Until(t, "/readyz to say 503 once the shutdown began", func() bool {
		return get("/readyz") == http.StatusServiceUnavailable
	})
	if got := get("/healthz"); got != http.StatusOK {
		t.Errorf("/healthz while draining: %d, want 200 (alive)", got)
	}
	for _, svc := range services {
		if got := check(svc); got != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Errorf("health %q while draining: %s, want NOT_SERVING", svc, got)
		}
	}
}

// TestTracePropagatesOnEverySurface sends a traceparent on gRPC, Connect
// and gRPC-Web and checks that the pipeline's and the store's spans join
// the caller's trace, below the caller's span.
func TestTracePropagatesOnEverySurface(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	ts := startServer(t, server.Config{TracerProvider: tp})
	const traceID = "0af7651916cd43dd8448eb211c80319c"
	parents := map[string]string{"grpc": "b7ad6b7169203331", "connect": "c7ad6b7169203332", "grpcweb": "d7ad6b7169203333"}
	req := &famiv1.ListPartnersRequest{Parent: lombardia}
	withTrace := func(parent string) connect.ClientOption {
		return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, r connect.AnyRequest) (connect.AnyResponse, error) {
				r.Header().Set("Authorization", "Bearer "+ts.token)
				r.Header().Set("traceparent", "00-"+traceID+"-"+parent+"-01")
				return next(ctx, r)
			}
		}))
	}
	ctx := metadata.AppendToOutgoingContext(t.Context(), "traceparent", "00-"+traceID+"-"+parents["grpc"]+"-01")
	if _, err := famiv1.NewPartnerServiceClient(dialGRPC(t, ts, ts.token)).ListPartners(ctx, req); err != nil {
		t.Fatalf("grpc: %v", err)
	}
	if _, err := famiv1connect.NewPartnerServiceClient(newHTTPClient(t), ts.httpURL(), withTrace(parents["connect"])).ListPartners(t.Context(), req); err != nil {
		t.Fatalf("connect: %v", err)
	}
	if _, err := famiv1connect.NewPartnerServiceClient(newHTTPClient(t), ts.httpURL(), connect.WithGRPCWeb(), withTrace(parents["grpcweb"])).ListPartners(t.Context(), req); err != nil {
		t.Fatalf("grpcweb: %v", err)
	}

	// A transport's span (otelgrpc's, otelconnect's) ends after the answer
	// is written, so it may be exported after the client has returned: the
	// check is repeated until it holds or waittest's bound has passed (a
	// bound for broken spans, not a speed asserted).
	var problems []string
	_ = waittest.Eventually(t, "every surface's spans", func() error {
		if problems = traceProblems(exp.GetSpans(), traceID, parents); len(problems) > 0 {
			return errors.New(problems[0])
		}
		return nil
	})
	for _, p := range problems {
		t.Error(p)
	}
}

// traceProblems says, for each surface, what is wrong with the spans
// recorded under its caller's span of trace traceID.
func traceProblems(spans tracetest.SpanStubs, traceID string, parents map[string]string) []string {
	var problems []string
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range spans {
		byID[s.SpanContext.SpanID()] = s
	}
	// root follows a span's parents up to the first one not recorded here:
	// the caller's.
	root := func(s tracetest.SpanStub) string {
		for {
			p, ok := byID[s.Parent.SpanID()]
			if !ok {
				return s.Parent.SpanID().String()
			}
			s = p
		}
	}
	for surface, parent := range parents {
		var names []string
		for _, s := range spans {
			if s.SpanContext.TraceID().String() == traceID && root(s) == parent {
				names = append(names, s.Name)
				if s.Name == "pipeline" {
					for _, a := range s.Attributes {
						if a.Key == "raccordo.surface" && a.Value.AsString() != surface {
							problems = append(problems, fmt.Sprintf("%s: the pipeline span says surface %q", surface, a.Value.AsString()))
						}
					}
				}
			}
		}
		if !slices.Contains(names, "pipeline") || !slices.Contains(names, "store.view") {
			problems = append(problems, fmt.Sprintf("%s: spans under the caller's %v, want pipeline and store.view", surface, names))
		}
	}
	return problems
}
