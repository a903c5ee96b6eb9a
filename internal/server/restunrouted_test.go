package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// TestRESTRefusalsWithoutARoute: a REST request that no route matches (an
// unknown path, a method its path does not take) gets the access line,
// the metrics and the span every call gets, once, under service "http"
// and its HTTP method ("_OTHER" for a method HTTP does not define), never
// its path: the series stay bounded whatever paths clients make up. They
// were not recorded at all, and a refusal before the gateway (a path not
// UTF-8) was recorded with an empty service and method. A query that
// cannot be read whole is refused as on a route, 400 naming it; it was a
// 404, or a 405. A method HTTP does not define is on the line, clipped
// as its path, and on the spans as http.request.method_original, clipped
// alike: the line and the pipeline's span did not have it, and the
// gateway's span was named by it and held it whole.
func TestRESTRefusalsWithoutARoute(t *testing.T) {
	t.Parallel()
	ts := startRecording(t, server.Config{})
	hc := newHTTPClient(t)
	const nowhere = "/v1/regions/lombardia/nowhere"
	counts := map[[2]string]float64{}
	for _, tt := range []struct {
		name, method, target string
		status               int
		code, field, want    string
	}{
		{"unknown path", http.MethodGet, nowhere, 404, "NOT_FOUND", "", "GET"},
		{"unknown path outside the regions", http.MethodGet, "/v1/nowhere/at/all", 404, "NOT_FOUND", "", "GET"},
		{"method the path does not take", http.MethodPut, "/v1/regions/lombardia/partners/p1", 405, "UNIMPLEMENTED", "", "PUT"},
		{"method HTTP does not define", "BREW", nowhere, 404, "NOT_FOUND", "", "_OTHER"},
		{"long method HTTP does not define", strings.Repeat("BREW", 100), nowhere, 404, "NOT_FOUND", "", "_OTHER"},
		{"query value not UTF-8", http.MethodGet, nowhere + "?q=%ff", 400, "INVALID_ARGUMENT", "q", "GET"},
		{"query key not UTF-8", http.MethodDelete, nowhere + "?%ff=1", 400, "INVALID_ARGUMENT", "query", "DELETE"},
		{"query with a semicolon", http.MethodGet, nowhere + "?a=1;b=2", 400, "INVALID_ARGUMENT", "query", "GET"},
		{"query not UTF-8 where the method is not taken", http.MethodPut, "/v1/regions/lombardia/partners/p1?q=%ff", 400, "INVALID_ARGUMENT", "q", "PUT"},
		{"path not UTF-8", http.MethodGet, "/v1/regions/%ff/nowhere", 400, "INVALID_ARGUMENT", "path", "GET"},
	} {
		since := ts.mark()
		req, err := http.NewRequestWithContext(t.Context(), tt.method, ts.httpURL()+tt.target, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+ts.token)
		hr, body := fetch(t, hc, req)
		res := &restResponse{Status: hr.StatusCode, ContentType: hr.Header.Get("Content-Type"), Header: hr.Header, Body: body}
		e, ok := asCallError(problemError(tt.method, tt.target, res))
		if !ok || e.HTTPStatus != tt.status || upperSnake(e.Code) != tt.code || tt.field != "" && !slices.Equal(e.Fields, []string{tt.field}) {
			t.Errorf("%s: HTTP %d %.200q, want %d %s naming %q", tt.name, hr.StatusCode, body, tt.status, tt.code, tt.field)
			continue
		}
		line := ts.recordedOnce(t, since, tt.name, "/http/"+tt.want, "rest", tt.code)
		if tt.want == "_OTHER" {
			if want := " method=" + clipped(tt.method); line != "" && !strings.HasSuffix(line, want) {
				t.Errorf("%s: access line %q, want it to end with%s", tt.name, line, want)
			}
			wantMethodOriginal(t, ts, since, tt.name, "http.request.method_original", clipped(tt.method))
		}
		counts[[2]string{tt.want, tt.code}]++
	}
	m := scrape(t, ts.metricsURL())
	for k, n := range counts {
		wantCounted(t, m, n, "http", k[0], k[1], "rest")
	}
	noSeriesNames(t, m, "nowhere", "BREW", `service=""`)
}

// recordingServer is a test server, with its metrics listener, whose
// access lines and spans a test reads call by call.
type recordingServer struct {
	*testServer
	log   *syncbuf.Buffer
	spans *tracetest.InMemoryExporter
}

// startRecording starts a recordingServer with cfg and its own logger,
// metrics listener and tracer.
func startRecording(t *testing.T, cfg server.Config) *recordingServer {
	rs := &recordingServer{log: new(syncbuf.Buffer), spans: tracetest.NewInMemoryExporter()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(rs.spans))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	cfg.Logger, cfg.MetricsAddr, cfg.TracerProvider = textLog(rs.log, slog.LevelInfo), "127.0.0.1:0", tp
	rs.testServer = startServer(t, cfg)
	return rs
}

// recordMark is where a call's records begin: the log's length and the
// spans' count before it.
type recordMark struct{ log, spans int }

func (rs *recordingServer) mark() recordMark {
	return recordMark{len(rs.log.String()), len(rs.spans.GetSpans())}
}

// recordedOnce fails the test (the call named what) unless what was
// recorded since the mark is one access line and one pipeline span of
// procedure, on protocol from loopback, with code; it returns the line,
// "" when there is not one.
func (rs *recordingServer) recordedOnce(t *testing.T, since recordMark, what, procedure, protocol, code string) string {
	t.Helper()
	want := " procedure=" + procedure + " protocol=" + protocol + " peer=127.0.0.1 "
	lines := server.LogLines(rs.log.String()[since.log:], "rpc")
	if len(lines) != 1 || !strings.Contains(lines[0], want) || !strings.Contains(lines[0], " code="+code+" ") {
		t.Errorf("%s: access lines %q, want one with%s code=%s", what, lines, want, code)
		lines = []string{""}
	}
	var recorded []string
	for _, s := range rs.spans.GetSpans()[since.spans:] {
		if s.Name == "pipeline" {
			recorded = append(recorded, fmt.Sprint(spanAttr(s, "rpc.service"), "/", spanAttr(s, "rpc.method"), " ", spanAttr(s, "raccordo.code")))
		}
	}
	if w := strings.TrimPrefix(procedure, "/") + " " + code; !slices.Equal(recorded, []string{w}) {
		t.Errorf("%s: pipeline spans %q, want one %q", what, recorded, w)
	}
	return lines[0]
}

// wantCounted fails the test unless the metrics m count n calls, and n
// latencies, of service and method with code on surface.
func wantCounted(t *testing.T, m map[string]float64, n float64, service, method, code, surface string) {
	t.Helper()
	for _, name := range []string{"raccordo_rpc_requests_total", "raccordo_rpc_duration_seconds_count"} {
		if v, ok := sample(m, name, `service="`+service+`"`, `method="`+method+`"`, `code="`+code+`"`, `surface="`+surface+`"`); v != n {
			t.Errorf("%s %s/%s %s on %s = %v (found %v), want %v", name, service, method, code, surface, v, ok, n)
		}
	}
}

// noSeriesNames fails the test for a series of m that names any of what
// (what the client made up).
func noSeriesNames(t *testing.T, m map[string]float64, what ...string) {
	t.Helper()
	for k := range m {
		for _, w := range what {
			if strings.Contains(k, w) {
				t.Errorf("a series names %s: %s", w, k)
			}
		}
	}
}

// spanAttr is the value of a span's attribute key, "" without one.
func spanAttr(s tracetest.SpanStub, key string) string {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value.AsString()
		}
	}
	return ""
}

// TestOverloadRefusalsWithoutAnRPC: a REST request that no route matches
// and a web form, refused by a full server before anything reads them,
// are counted under service "http" and their method, as a refused call is
// under its RPC; they were counted with an empty service and method.
func TestOverloadRefusalsWithoutAnRPC(t *testing.T) {
	t.Parallel()
	cfg := server.Config{MaxConcurrentCalls: 1, MetricsAddr: "127.0.0.1:0"}
	server.SetAdmissionHold(&cfg, time.Hour) // the held call keeps its slot for the whole test
	ts := startServer(t, cfg)
	rs := newRESTSurface(t, ts, ts.token)
	const nowhere = "/v1/regions/lombardia/nowhere"
	probe := func() error {
		res, err := rs.send(t.Context(), http.MethodGet, nowhere, nil, nil)
		if err != nil {
			return err
		}
		return problemError(http.MethodGet, nowhere, res)
	}
	finish := holdSlot(t, ts, "rest", probe)
	for range 3 {
		wantOverloaded(t, "rest", probe())
	}
	form, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.httpURL()+"/accedi", strings.NewReader("utente=x"))
	if err != nil {
		t.Fatal(err)
	}
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if hr, body := fetch(t, newHTTPClient(t), form); hr.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a web form while the server is full: HTTP %d %.200q, want 429", hr.StatusCode, body)
	}
	m := scrape(t, ts.metricsURL())
	if v, ok := sample(m, "raccordo_rpc_requests_total", `service="http"`, `method="POST"`, `code="RESOURCE_EXHAUSTED"`, `surface="web"`); v != 1 {
		t.Errorf("raccordo_rpc_requests_total http POST RESOURCE_EXHAUSTED on the web = %v (found %v), want 1", v, ok)
	}
	if v, ok := sample(m, "raccordo_rpc_requests_total", `service="http"`, `method="GET"`, `code="RESOURCE_EXHAUSTED"`, `surface="rest"`); v != 4 {
		t.Errorf("raccordo_rpc_requests_total http GET RESOURCE_EXHAUSTED = %v (found %v), want 4", v, ok)
	}
	if v, ok := sample(m, "raccordo_rate_limited_total", `service="http"`, `method="GET"`, `reason="OVERLOADED"`); v != 4 {
		t.Errorf("raccordo_rate_limited_total http GET OVERLOADED = %v (found %v), want 4", v, ok)
	}
	if v, ok := sample(m, "raccordo_rpc_requests_total", `service=""`); ok {
		t.Errorf("raccordo_rpc_requests_total without a service = %v, want none", v)
	}
	if err := finish(); err != nil {
		t.Fatalf("the held call, once whole: %v", err)
	}
}
