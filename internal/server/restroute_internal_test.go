package server

import (
	"os"
	"strings"
	"testing"
)

func TestRequestCollection(t *testing.T) {
	for path, want := range map[string]string{
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
	} {
		if got := requestCollection(path); got != want {
			t.Errorf("requestCollection(%q) = %q, want %q", path, got, want)
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
