package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestServicePath(t *testing.T) {
	checkStrings(t, "servicePath", servicePath, map[string]string{
		"/fami.v1.PartnerService/GetPartner":  "/fami.v1.PartnerService/",
		"/fami.v1.PartnerService/":            "/fami.v1.PartnerService/",
		"/fami.v1.PartnerService":             "",
		"/v1/regions/lombardia/partners/p1":   "/v1/",
		"//GetPartner":                        "//",
		"/":                                   "",
		"":                                    "",
		"*":                                   "",
		"fami.v1.PartnerService/GetPartner/x": "",
	})
}

// Whatever the listener's mux sends straight to REST, its ServeMux would
// have sent there too; the downloads beside REST still reach their own
// handlers.
func TestListenerMuxSkipsOnlyForREST(t *testing.T) {
	mux := newListenerMux()
	rest := namedHandler("rest")
	mux.handleREST(rest)
	for _, p := range []string{
		"GET /v1/regions/{region}/supportEntries:export",
		"GET /v1/regions/{region}/meetings.ics",
		"GET /v1/regions/{region}/networks/{network}/meetings.ics",
		"GET /healthz",
		"/",
	} {
		mux.Handle(p, namedHandler(p))
	}
	skipped := 0
	for _, target := range []string{
		"/v1/regions/lombardia/partners/p1",
		"/v1/regions/lombardia/partners",
		"/v1/regions/lombardia/partners/",
		"/v1/regions/lombardia:backup",
		"/v1/regions/lombardia/supportEntries",
		"/v1/regions/lombardia/supportEntries:export",
		"/v1/regions/lombardia/meetings.ics",
		"/v1/regions/lombardia/networks/n1/meetings.ics",
		"/v1/regions/lombardia/networks/n1/meetings%2Eics",
		"/v1/regions/lombardia%2Fnetworks/n1",
		"/v1/regions//lombardia/partners/p1",
		"/v1/regions/lombardia/../veneto/partners/p1",
		"/v1/regions/lombardia/./partners",
		"/v1/",
		"/v1",
		"/healthz",
		"/",
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodHead, http.MethodConnect} {
			r := httptest.NewRequest(method, "http://raccordo.test"+target, nil)
			h, pattern := mux.ServeMux.Handler(r)
			if mux.forREST(r) {
				skipped++
				if h != rest {
					t.Errorf("%s %s goes straight to REST; the ServeMux sends it to %T %q", method, target, h, pattern)
				}
			}
		}
	}
	if skipped == 0 {
		t.Error("no request skipped the ServeMux")
	}
	for _, target := range []string{"/v1/regions/lombardia/partners/p1", "/v1/regions/lombardia/partners"} {
		if !mux.forREST(httptest.NewRequest(http.MethodGet, target, nil)) {
			t.Errorf("GET %s goes through the ServeMux", target)
		}
	}
	mux.Handle("GET /v1/files/{name}", namedHandler("file"))
	if mux.forREST(httptest.NewRequest(http.MethodGet, "/v1/regions/lombardia/partners/p1", nil)) {
		t.Error("with a route ending in a wildcard under /v1/, a REST path still skips the ServeMux")
	}
}

// namedHandler is a handler that compares equal only to itself.
type namedHandler string

func (namedHandler) ServeHTTP(http.ResponseWriter, *http.Request) {}

// rpcCall tells the Connect, gRPC and gRPC-Web calls (which byProcedure
// answers and records as unknown procedures when the listener serves no
// such procedure), Connect GETs among them, from the web application's
// pages and forms and from REST calls.
func TestRPCCall(t *testing.T) {
	for _, tc := range []struct {
		method, target, contentType string
		want                        bool
	}{
		{http.MethodPost, "/fami.v1.Nope/Get", "application/proto", true},
		{http.MethodPost, "/fami.v1.Nope/Get", "application/json; charset=utf-8", true},
		{http.MethodPost, "/Nope/Get", "application/grpc", true},
		{http.MethodPost, "/x/y/z", "application/grpc+proto", true},
		{http.MethodPost, "/fami.v1.Nope/Get", "application/grpc-web+proto", true},
		{http.MethodPost, "/fami.v1.Nope/Watch", "application/connect+proto", true},
		{http.MethodPost, "/v1/regions/lombardia/partners", "application/json", false}, // REST
		{http.MethodPost, "/v1/nowhere", "application/json", false},
		{http.MethodPost, "/a/b/c", "application/json", false}, // not a procedure's shape
		{http.MethodPost, "/accedi", "application/x-www-form-urlencoded", false},
		{http.MethodPost, "/reti/nuova", "multipart/form-data; boundary=x", false},
		{http.MethodGet, "/fami.v1.Nope/Get?encoding=json&message=%7B%7D", "", true}, // Connect GET
		{http.MethodGet, "/fami.v1.Nope/Get?connect=v1&base64=1&encoding=proto&message=", "", true},
		{http.MethodGet, "/fami.v1.Nope/Get?connect=v1", "", true},
		{http.MethodGet, "/fami.v1.Nope/Get?encoding=json", "", false},
		{http.MethodGet, "/fami.v1.Nope/Get?message=%7B%7D", "", false},
		{http.MethodGet, "/fami.v1.Nope/Get", "", false},
		{http.MethodGet, "/reti/nuova?pagina=2", "", false}, // a page
		{http.MethodGet, "/a/b/c?connect=v1", "", false},
		{http.MethodGet, "/v1/regions?connect=v1&encoding=json&message=%7B%7D", "", false}, // REST
		{http.MethodHead, "/fami.v1.Nope/Get?connect=v1", "", false},
		{http.MethodGet, "/fami.v1.Nope/Get", "application/grpc", false},
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		if tc.contentType != "" {
			r.Header.Set("Content-Type", tc.contentType)
		}
		if got := rpcCall(r); got != tc.want {
			t.Errorf("%s %s (%s): rpcCall %v, want %v", tc.method, tc.target, tc.contentType, got, tc.want)
		}
	}
}
