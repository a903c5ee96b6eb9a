package server_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/internal/openapi"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// Every REST route of the HTTP mapping reaches the RPC the mapping names,
// through the REST router and its per-collection gateway muxes: a route
// sent to the wrong mux, or served by another route's pattern, shows as
// another procedure in the access line. The calls are anonymous, so the
// pipeline refuses the ones that need a principal after writing their line.
// Sent again with a query parameter no call has, by an authenticated
// caller, each is refused by the query check of the route the gateway
// matched, whatever the caller's rights, and recorded as its RPC. Sent so
// anonymously, a route that needs a token refuses it UNAUTHENTICATED
// first, as it refused the call without the parameter (ADR 35: anonymous
// callers used to get the 400), and a public one gives the 400; either
// is recorded as the route's RPC.
func TestRESTRoutesReachTheirRPC(t *testing.T) {
	t.Parallel()
	routes, err := openapi.Routes()
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) < 50 {
		t.Fatalf("%d routes in the generated document, want them all", len(routes))
	}
	var buf syncbuf.Buffer
	ts := startServer(t, server.Config{Logger: textLog(&buf, slog.LevelInfo)})
	rs := newRESTSurface(t, ts, "")
	signedIn := newRESTSurface(t, ts, ts.token)
	variable := regexp.MustCompile(`\{[^}]+\}`)
	for _, rt := range routes {
		path := variable.ReplaceAllString(strings.ReplaceAll(rt.Path, "{region}", "lombardia"), "x1")
		var body []byte
		if rt.Method != http.MethodGet && rt.Method != http.MethodDelete {
			body = []byte("{}")
		}
		seen := len(buf.String())
		res, err := rs.send(t.Context(), rt.Method, path, nil, body)
		if err != nil {
			t.Fatalf("%s %s: %v", rt.Method, path, err)
		}
		method := strings.TrimRight(strings.TrimPrefix(rt.Operation, rt.Service+"_"), "0123456789")
		want := "procedure=/fami.v1." + rt.Service + "/" + method + " protocol=rest "
		if !strings.Contains(buf.String()[seen:], want) {
			t.Errorf("%s %s (%s): answered %d, and no access line has %q", rt.Method, path, rt.Operation, res.Status, want)
		}
		tokenRequired := res.Status == http.StatusUnauthorized && strings.Contains(string(res.Body), `"reason":"TOKEN_REQUIRED"`)
		// The same with a parameter no call has: refused on the route
		// the gateway matched (checkQuery), and recorded as its RPC.
		seen = len(buf.String())
		res, err = signedIn.send(t.Context(), rt.Method, path, url.Values{"zz": {"1"}}, body)
		if err != nil {
			t.Fatalf("%s %s?zz=1: %v", rt.Method, path, err)
		}
		if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), `"reason":"UNKNOWN_QUERY_PARAMETER"`) {
			t.Errorf("%s %s?zz=1 (%s): answered %d %.200s, want 400 UNKNOWN_QUERY_PARAMETER", rt.Method, path, rt.Operation, res.Status, res.Body)
		}
		if !strings.Contains(buf.String()[seen:], want) {
			t.Errorf("%s %s?zz=1 (%s): no access line has %q", rt.Method, path, rt.Operation, want)
		}
		// Anonymously: the caller first, then the query.
		seen = len(buf.String())
		res, err = rs.send(t.Context(), rt.Method, path, url.Values{"zz": {"1"}}, body)
		if err != nil {
			t.Fatalf("%s %s?zz=1: %v", rt.Method, path, err)
		}
		wantStatus, wantReason := http.StatusBadRequest, "UNKNOWN_QUERY_PARAMETER"
		if tokenRequired {
			wantStatus, wantReason = http.StatusUnauthorized, "TOKEN_REQUIRED"
		}
		if res.Status != wantStatus || !strings.Contains(string(res.Body), `"reason":"`+wantReason+`"`) {
			t.Errorf("%s %s?zz=1 (%s) anonymously: answered %d %.200s, want %d %s", rt.Method, path, rt.Operation, res.Status, res.Body, wantStatus, wantReason)
		}
		if !strings.Contains(buf.String()[seen:], want) {
			t.Errorf("%s %s?zz=1 (%s) anonymously: no access line has %q", rt.Method, path, rt.Operation, want)
		}
	}
}

// What a collection's gateway mux does not route goes on to the full
// gateway: a wrong method is still a 405 and an unknown path a 404, both
// problem documents naming the request.
func TestRESTRouterFallsBack(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	rs := newRESTSurface(t, ts, ts.token)
	for _, tc := range []struct {
		method, path string
		status       int
		detail       string
	}{
		{http.MethodPut, "/v1/regions/lombardia/partners/p1", http.StatusMethodNotAllowed, "PUT is not allowed on /v1/regions/lombardia/partners/p1"},
		{http.MethodGet, "/v1/regions/lombardia/partners/p1/nothing", http.StatusNotFound, "no API route for /v1/regions/lombardia/partners/p1/nothing"},
		{http.MethodGet, "/v1/regions/lombardia/nothing", http.StatusNotFound, "no API route for /v1/regions/lombardia/nothing"},
		{http.MethodGet, "/v1/regions/lombardia/partners:nothing", http.StatusNotFound, "no API route for /v1/regions/lombardia/partners:nothing"},
	} {
		res, err := rs.send(t.Context(), tc.method, tc.path, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != tc.status || res.ContentType != "application/problem+json" || !strings.Contains(string(res.Body), tc.detail) {
			t.Errorf("%s %s: %d %s %s, want %d with %q", tc.method, tc.path, res.Status, res.ContentType, res.Body, tc.status, tc.detail)
		}
	}
}
