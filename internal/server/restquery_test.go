package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// TestRESTUnknownQueryParameters: a query parameter the call does not have
// (a typo, a field its path or body sets) is refused with a 400 naming it,
// on every kind of REST route: one that reads its query, one whose body is
// the whole request, and the downloads. The gateway used to ignore it, so
// a misspelt filter or update mask gave a wrong answer and no error.
func TestRESTUnknownQueryParameters(t *testing.T) {
	t.Parallel()
	_, rs, api := restWithPartner(t, server.Config{})
	ctx := t.Context()
	before := snapshot(t, ctx, api)
	partners := "/v1/" + lombardia + "/partners"
	for _, tt := range []struct {
		name, method, path string
		query              url.Values
		body               []byte
		field              string
	}{
		{"misspelt filter", http.MethodGet, partners, url.Values{"pageSize": {"5"}, "shwArchived": {"true"}}, nil, "shwArchived"},
		{"field of no request", http.MethodGet, partners, url.Values{"filtr": {"x"}}, nil, "filtr"},
		{"field the path sets", http.MethodGet, partners, url.Values{"parent": {"regions/veneto"}}, nil, "parent"},
		{"field inside a scalar", http.MethodGet, partners, url.Values{"pageSize.value": {"5"}}, nil, "pageSize.value"},
		{"misspelt update mask", http.MethodPatch, partners + "/udp-milano", url.Values{"update_maks": {"displayName"}}, []byte(`{"displayName":"Altro"}`), "update_maks"},
		{"field the body sets", http.MethodPatch, partners + "/udp-milano", url.Values{"updateMask": {"displayName"}, "partner.displayName": {"Altro"}}, []byte(`{"displayName":"Altro"}`), "partner.displayName"},
		{"query of a whole-body call", http.MethodPost, "/v1/auth:login", url.Values{"usernme": {"x"}}, []byte(`{"username":"nobody@lombardia","password":"wrong password"}`), "usernme"},
		{"download", http.MethodGet, "/v1/" + lombardia + "/supportEntries:export", url.Values{"startDat": {"2026-01-01"}}, nil, "startDat"},
		{"calendar feed", http.MethodGet, "/v1/" + lombardia + "/meetings.ics", url.Values{"strtFrom": {"2026-01-01T00:00:00Z"}}, nil, "strtFrom"},
		{"backup", http.MethodGet, "/v1/" + lombardia + ":backup", url.Values{"compact": {"true"}}, nil, "compact"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := rs.send(ctx, tt.method, tt.path, tt.query, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			e, ok := asCallError(problemError(tt.method, tt.path, res))
			if !ok || e.HTTPStatus != http.StatusBadRequest || e.Code != codes.InvalidArgument ||
				e.Reason != "UNKNOWN_QUERY_PARAMETER" || !slices.Equal(e.Fields, []string{tt.field}) {
				t.Errorf("%s %s?%s: got HTTP %d %.200q, want 400 UNKNOWN_QUERY_PARAMETER naming %s", tt.method, tt.path, tt.query.Encode(), res.Status, res.Body, tt.field)
			}
		})
	}
	wantNothingWritten(t, ctx, api, before)
}

// TestRESTKnownQueryParameters: the parameters clients send keep working,
// in the proto names and the JSON names the gateway accepts alike.
func TestRESTKnownQueryParameters(t *testing.T) {
	t.Parallel()
	_, rs, api := restWithPartner(t, server.Config{})
	ctx := t.Context()
	partners := "/v1/" + lombardia + "/partners"
	for _, tt := range []struct {
		method, path string
		query        url.Values
		body         []byte
	}{
		{http.MethodGet, partners, url.Values{"pageSize": {"5"}, "showArchived": {"true"}}, nil},
		{http.MethodGet, partners, url.Values{"page_size": {"5"}, "show_archived": {"true"}, "kind": {"PARTNER_KIND_PLAN_OFFICE"}}, nil},
		{http.MethodPatch, partners + "/udp-milano", url.Values{"update_mask": {"description"}}, []byte(`{"description":"uno"}`)},
		{http.MethodPatch, partners + "/udp-milano", url.Values{"updateMask": {"description"}}, []byte(`{"description":"due"}`)},
		{http.MethodGet, "/v1/" + lombardia + "/supportEntries:export", url.Values{"startDate": {"2026-01-01"}, "end_date": {"2026-01-31"}}, nil},
		{http.MethodGet, "/v1/" + lombardia + "/meetings.ics", url.Values{"startFrom": {"2026-01-01T00:00:00Z"}}, nil},
	} {
		res, err := rs.send(ctx, tt.method, tt.path, tt.query, tt.body)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != http.StatusOK {
			t.Errorf("%s %s?%s: got HTTP %d %.200q, want 200", tt.method, tt.path, tt.query.Encode(), res.Status, res.Body)
		}
	}
	p, err := api.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: partnerName("udp-milano")})
	if err != nil || p.GetDescription() != "due" {
		t.Errorf("after the two updates: %v, %v; want description \"due\"", p, err)
	}
}

// TestRESTQueryReadWhole: a query net/url cannot read whole (a semicolon
// between pairs, a bad escape, more than 10,000 pairs) is refused naming
// "query". r.URL.Query() drops what it cannot read without a word, so a
// download (a calendar feed) answered as if the parameter had not been
// sent.
func TestRESTQueryReadWhole(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	rs := newRESTSurface(t, ts, ts.token)
	for _, path := range []string{"/v1/" + lombardia + "/partners", "/v1/" + lombardia + "/meetings.ics"} {
		for _, raw := range []string{"pageSize=5;filtr=x", "startFrom=2026-01-01T00:00:00Z;x=1", "filtr=%zz", "startFrom=%zz", strings.Repeat("x=1&", 10001)} {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.httpURL()+path+"?"+raw, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+ts.token)
			hr, body := fetch(t, rs.hc, req)
			res := &restResponse{Status: hr.StatusCode, ContentType: hr.Header.Get("Content-Type"), Header: hr.Header, Body: body}
			e, ok := asCallError(problemError(http.MethodGet, path, res))
			if !ok || e.HTTPStatus != http.StatusBadRequest || !slices.Equal(e.Fields, []string{"query"}) {
				t.Errorf("GET %s?%s: got HTTP %d %.200q, want 400 naming query", path, raw, hr.StatusCode, body)
			}
		}
	}
}

// TestRESTRefusalsBeforeThePipelineAreRecorded: a REST request refused
// before its call reaches the pipeline (its query checked against the
// route's, a query not UTF-8, a query or body the gateway cannot decode,
// a body over the limit, a download's query) gets the access line and the
// metrics every call gets, once, with the code the caller sees; they had
// neither. A call the pipeline refuses is still recorded once, not again
// by the gateway's error handler.
func TestRESTRefusalsBeforeThePipelineAreRecorded(t *testing.T) {
	t.Parallel()
	for _, tracing := range []bool{false, true} {
		t.Run(fmt.Sprintf("tracing=%v", tracing), func(t *testing.T) {
			testRESTRefusalsRecorded(t, tracing)
		})
	}
}

// testRESTRefusalsRecorded is TestRESTRefusalsBeforeThePipelineAreRecorded
// with tracing off (REST calls made on the gateway's goroutine) or on
// (through the in-process channel).
func testRESTRefusalsRecorded(t *testing.T, tracing bool) {
	var buf syncbuf.Buffer
	cfg := server.Config{Logger: textLog(&buf, slog.LevelInfo), MetricsAddr: "127.0.0.1:0", MaxMessageBytes: 64 << 10}
	if tracing {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewInMemoryExporter()))
		t.Cleanup(func() { tp.Shutdown(context.Background()) })
		cfg.TracerProvider = tp
	}
	ts := startServer(t, cfg)
	rs := newRESTSurface(t, ts, ts.token)
	partners := "/v1/" + lombardia + "/partners"
	counts := map[[2]string]float64{}
	for _, tt := range []struct {
		name, method, path, query string
		body                      []byte
		procedure, code, reason   string
		status                    int
	}{
		{"unknown parameter", http.MethodGet, partners, "filtr=x", nil, "PartnerService/ListPartners", "INVALID_ARGUMENT", "UNKNOWN_QUERY_PARAMETER", 400},
		{"unreadable query", http.MethodGet, partners, "pageSize=5;x=1", nil, "PartnerService/ListPartners", "INVALID_ARGUMENT", "INVALID_ARGUMENT", 400},
		{"query not UTF-8", http.MethodGet, partners, "query=%ff", nil, "PartnerService/ListPartners", "INVALID_ARGUMENT", "INVALID_ARGUMENT", 400},
		{"undecodable parameter", http.MethodGet, partners, "pageSize=many", nil, "PartnerService/ListPartners", "INVALID_ARGUMENT", "INVALID_ARGUMENT", 400},
		{"undecodable body", http.MethodPost, partners, "partnerId=p1", []byte(`{"displayName":`), "PartnerService/CreatePartner", "INVALID_ARGUMENT", "INVALID_ARGUMENT", 400},
		{"body over the limit", http.MethodPost, partners, "", []byte(`{"displayName":"` + strings.Repeat("x", 100<<10) + `"}`), "PartnerService/CreatePartner", "INVALID_ARGUMENT", "BODY_TOO_LARGE", 413},
		{"download's query", http.MethodGet, "/v1/" + lombardia + "/supportEntries:export", "startDat=2026-01-01", nil, "SupportService/ExportSupportEntries", "INVALID_ARGUMENT", "UNKNOWN_QUERY_PARAMETER", 400},
		{"refused by the service", http.MethodGet, partners + "/nobody", "", nil, "PartnerService/GetPartner", "NOT_FOUND", "NOT_FOUND", 404},
		{"watch's query", http.MethodGet, "/v1/" + lombardia + "/changes:watch", "sinceRevison=1", nil, "SyncService/Watch", "INVALID_ARGUMENT", "UNKNOWN_QUERY_PARAMETER", 400},
	} {
		seen := len(buf.String())
		req, err := http.NewRequestWithContext(t.Context(), tt.method, ts.httpURL()+tt.path+"?"+tt.query, bytes.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+ts.token)
		req.Header.Set("Content-Type", "application/json")
		hr, body := fetch(t, rs.hc, req)
		var doc struct{ Code, Reason string }
		if err := json.Unmarshal(body, &doc); err != nil || hr.StatusCode != tt.status || doc.Code != tt.code || doc.Reason != tt.reason {
			t.Fatalf("%s: HTTP %d %.200q, want %d %s %s", tt.name, hr.StatusCode, body, tt.status, tt.code, tt.reason)
		}
		kind := "rpc"
		if strings.HasSuffix(tt.procedure, "/Watch") {
			kind = "stream" // logged as the pipeline logs a stream
		}
		lines := server.LogLines(buf.String()[seen:], kind)
		want := " procedure=/fami.v1." + tt.procedure + " protocol=rest peer=127.0.0.1 "
		if len(lines) != 1 || !strings.Contains(lines[0], want) || !strings.Contains(lines[0], " code="+tt.code+" duration=") {
			t.Errorf("%s: access lines %q, want one with%s code=%s", tt.name, lines, want, tt.code)
		}
		counts[[2]string{tt.procedure, tt.code}]++
	}
	m := scrape(t, ts.metricsURL())
	for k, n := range counts {
		method := k[0][strings.IndexByte(k[0], '/')+1:]
		for _, name := range []string{"raccordo_rpc_requests_total", "raccordo_rpc_duration_seconds_count"} {
			if v, ok := sample(m, name, `method="`+method+`"`, `code="`+k[1]+`"`, `surface="rest"`); v != n {
				t.Errorf("%s %s %s = %v (found %v), want %v", name, method, k[1], v, ok, n)
			}
		}
	}
}
