package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"

	"github.com/raccordo/raccordo/internal/openapi"
)

// restRouter puts a routing table in front of the gateway. grpc-gateway's
// ServeMux tries its patterns one after another, about 45 for a GET, each
// failure costing two allocations and an errors.As (11% of a REST call's
// server CPU, issue 19). The router looks at the request's collection, the
// segment after the region ("partners" in
// /v1/regions/lombardia/partners/p1), and hands the request to a gateway
// mux holding only the services with routes in that collection, so a few
// patterns are tried instead of all of them.
//
// The sub-muxes are the full gateway mux's equals (the same options, the
// same services in the same order), so a request they route is served as
// the full mux would serve it. Whatever they do not route (an unknown path,
// a wrong method) goes on to the full mux, which answers it or writes its
// 404 or 405: a route missing from the table costs time, never an answer.
type restRouter struct {
	all          *runtime.ServeMux
	byCollection map[string]*runtime.ServeMux
}

func (rr *restRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if mux := rr.byCollection[requestCollection(r.URL.Path)]; mux != nil {
		mux.ServeHTTP(w, r)
		return
	}
	rr.all.ServeHTTP(w, r)
}

// regionPrefix starts the path of every resource under a region.
const regionPrefix = "/v1/regions/"

// requestCollection is the collection of a request path,
// /v1/regions/{region}/{collection}[/...][:verb], or "" for any other path.
func requestCollection(path string) string {
	rest, ok := strings.CutPrefix(path, regionPrefix)
	if !ok {
		return ""
	}
	if _, rest, ok = strings.Cut(rest, "/"); !ok {
		return ""
	}
	c, _, _ := strings.Cut(rest, "/")
	c, _, _ = strings.Cut(c, ":")
	return c
}

// newRESTRouter builds the router of the gateway mux all, on which every
// service of svcs (svcs[i] is the gRPC service names[i]) is registered
// with opts, calling the services through conn. Which services have routes
// in which collection comes from the generated OpenAPI document, which
// protoc-gen-openapiv2 writes from the same HTTP mapping as the gateway's
// code, one path segment per resource name segment
// (expand_slashed_path_patterns). The mapping uses no deep wildcard
// ("**"), so a route's path has as many segments as the requests it
// matches (TestHTTPMappingHasNoDeepWildcard keeps it so).
func newRESTRouter(ctx context.Context, all *runtime.ServeMux, opts []runtime.ServeMuxOption, svcs []service, names []string, conn grpc.ClientConnInterface) (*restRouter, error) {
	routes, err := openapi.Routes()
	if err != nil {
		return nil, err
	}
	// The simple names of the services with routes in each collection;
	// under "" those whose route's collection is a variable (in every
	// collection).
	members := map[string]map[string]bool{}
	for _, rt := range routes {
		c, ok := routeCollection(rt.Path)
		if !ok {
			continue
		}
		if members[c] == nil {
			members[c] = map[string]bool{}
		}
		members[c][rt.Service] = true
	}
	// What a sub-mux does not route goes on to the full mux.
	opts = append(opts[:len(opts):len(opts)], runtime.WithRoutingErrorHandler(
		func(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, _ int) {
			all.ServeHTTP(w, r)
		}))
	rr := &restRouter{all: all, byCollection: map[string]*runtime.ServeMux{}}
	for c, in := range members {
		if c == "" {
			continue
		}
		mux := runtime.NewServeMux(opts...)
		for i, svc := range svcs {
			simple := names[i][strings.LastIndexByte(names[i], '.')+1:]
			if in[simple] || members[""][simple] {
				if err := svc.gateway(ctx, mux, conn); err != nil {
					return nil, fmt.Errorf("register gateway for %s: %w", c, err)
				}
			}
		}
		rr.byCollection[c] = mux
	}
	return rr, nil
}

// routeCollection is the collection a route's requests can have: the
// literal in its fourth segment, "" when that segment is a variable (any
// collection), and false when the route cannot match a path under
// regionPrefix with a collection (fewer segments, or another literal
// before).
func routeCollection(path string) (string, bool) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(segs) < 4 {
		return "", false
	}
	for i, want := range strings.Split(strings.Trim(regionPrefix, "/"), "/") {
		if segs[i] != want && !isVariable(segs[i]) {
			return "", false
		}
	}
	c, _, _ := strings.Cut(segs[3], ":")
	if isVariable(c) {
		return "", true
	}
	return c, true
}

func isVariable(seg string) bool { return strings.HasPrefix(seg, "{") }
