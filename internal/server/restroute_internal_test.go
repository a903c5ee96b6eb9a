package server

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/internal/openapi"
)

func TestRequestCollection(t *testing.T) {
	checkStrings(t, "requestCollection", requestCollection, map[string]string{
		"/v1/regions/lombardia/partners/p1":                     "partners",
		"/v1/regions/lombardia/partners":                        "partners",
		"/v1/regions/lombardia/meetings:listActionItems":        "meetings",
		"/v1/regions/lombardia/networks/n1/capacityAssessments": "networks",
		"/v1/regions/lombardia/settings/monitoring":             "settings",
		"/v1/regions/lombardia/":                                "",
		"/v1/regions/lombardia:summarize":                       "",
		"/v1/regions/lombardia":                                 "",
		"/v1/regions":                                           "",
		"/v1/auth:whoami":                                       "",
		"/v2/regions/lombardia/partners/p1":                     "",
	})
}

// checkStrings checks that f, named name, maps each of cases' keys to its
// value.
func checkStrings(t *testing.T, name string, f func(string) string, cases map[string]string) {
	t.Helper()
	for in, want := range cases {
		if got := f(in); got != want {
			t.Errorf("%s(%q) = %q, want %q", name, in, got, want)
		}
	}
}

// TestRESTProcedure names the RPC of a request to every route of the
// generated document, as the admission at arrival's metrics do, and none
// for a request no route matches.
func TestRESTProcedure(t *testing.T) {
	routes, table := routeTable(t)
	rr := &restRouter{routes: table}
	variable := regexp.MustCompile(`\{[^}]+\}`)
	for _, rt := range routes {
		path := variable.ReplaceAllString(strings.ReplaceAll(rt.Path, "{region}", "lombardia"), "x1")
		want := "/fami.v1." + rt.Service + "/" + strings.TrimRight(strings.TrimPrefix(rt.Operation, rt.Service+"_"), "0123456789")
		if got := rr.procedure(httptest.NewRequest(rt.Method, path, nil)); got != want {
			t.Errorf("%s %s (%s): %q, want %q", rt.Method, path, rt.Operation, got, want)
		}
	}
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/v1/regions/lombardia/nowhere/x1", nil),
		httptest.NewRequest(http.MethodPut, "/v1/regions/lombardia/partners/x1", nil),
		httptest.NewRequest(http.MethodGet, "/v1/regions/lombardia/partners/x1:nope", nil),
		httptest.NewRequest(http.MethodGet, "/v1/regions/lombardia/partners/x1/y", nil),
	} {
		if got := rr.procedure(r); got != "" {
			t.Errorf("%s %s: %q, want none", r.Method, r.URL.Path, got)
		}
	}
}

func TestRouteCollection(t *testing.T) {
	for _, tc := range []struct {
		path string
		want string
		ok   bool
	}{
		{"/v1/regions/{region}/partners/{partner}", "partners", true},
		{"/v1/regions/{region}/supportEntries:summarize", "supportEntries", true},
		{"/v1/regions/{region}/networks/{network}/monitoring:summarize", "networks", true},
		{"/v1/regions/{region}/{collection}/{id}", "", true}, // in every collection
		{"/v1/{parent}/{collection}/{id}", "", true},
		{"/v1/regions/{region}:summarize", "", false},
		{"/v1/regions/{region}", "", false},
		{"/v1/auth:whoami", "", false},
		{"/v1/auth/{a}/b", "", false},
	} {
		got, ok := routeCollection(tc.path)
		if got != tc.want || ok != tc.ok {
			t.Errorf("routeCollection(%q) = %q, %v, want %q, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
}

// The REST router relies on every route's path having as many segments as
// the requests it matches: a deep wildcard ("**") in the HTTP mapping
// would break that (see newRESTRouter).
func TestHTTPMappingHasNoDeepWildcard(t *testing.T) {
	b, err := os.ReadFile("../../proto/fami/v1/fami_http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "**") {
			t.Errorf("fami_http.yaml:%d has a deep wildcard: %s", i+1, strings.TrimSpace(line))
		}
	}
}

func TestPatternPath(t *testing.T) {
	checkStrings(t, "patternPath", patternPath, map[string]string{
		"/v1/{name=regions/*/partners/*}":         "/v1/regions/*/partners/*",
		"/v1/{parent=regions/*}/partners":         "/v1/regions/*/partners",
		"/v1/{name=regions/*/protocols/*}:sign":   "/v1/regions/*/protocols/*:sign",
		"/v1/{name=regions/*}:backup":             "/v1/regions/*:backup",
		"/v1/regions/{region}/meetings/{meeting}": "/v1/regions/*/meetings/*",
		"/v1/auth:login":                          "/v1/auth:login",
	})
}

// routeTable is the generated document's routes and the router's table of
// them.
func routeTable(t *testing.T) ([]openapi.Route, map[string][]restRoute) {
	t.Helper()
	routes, err := openapi.Routes()
	if err != nil {
		t.Fatal(err)
	}
	table, err := restRoutes(routes, func(simple string) string { return "fami.v1." + simple })
	if err != nil {
		t.Fatal(err)
	}
	return routes, table
}
