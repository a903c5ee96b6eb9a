package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/raccordo/raccordo/internal/errs"
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
//
// The same table names the RPC a request calls before the gateway has
// routed it (procedure), for the admission at arrival's metrics, and the
// query parameters it has: any other is refused where a gateway mux has
// routed the request (checkQuery, restquery.go), so that the route is
// matched once. A request the gateway refuses before calling the service
// (checkQuery, or a body or query it cannot decode), and one that no
// route matches (routingError), are recorded as the pipeline records every
// call it runs (refuseREST).
type restRouter struct {
	pipe         *pipeline
	all          *runtime.ServeMux
	byCollection map[string]*runtime.ServeMux
	// routes are the gateway's routes by the collection of the requests
	// they match; under "" those that match requests of any collection
	// or of none.
	routes map[string][]restRoute
	// gets are the procedures a GET route calls; writes those another
	// method's route calls.
	gets, writes map[string]bool
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

// newRESTRouter builds the router's table for the gRPC services names
// (full names), recording its refusals through pipe. Which services have
// routes in which collection comes from the generated OpenAPI document,
// which protoc-gen-openapiv2 writes from the same HTTP mapping as the
// gateway's code, one path segment per resource name segment
// (expand_slashed_path_patterns). The mapping uses no deep wildcard
// ("**"), so a route's path has as many segments as the requests it
// matches (TestHTTPMappingHasNoDeepWildcard keeps it so). The gateway
// muxes take the router's options (options), then mount gives it its
// muxes.
func newRESTRouter(pipe *pipeline, names []string) (*restRouter, error) {
	routes, err := openapi.Routes()
	if err != nil {
		return nil, err
	}
	fullNames := map[string]string{}
	for _, name := range names {
		fullNames[name[strings.LastIndexByte(name, '.')+1:]] = name
	}
	table, err := restRoutes(routes, func(simple string) string { return fullNames[simple] })
	if err != nil {
		return nil, err
	}
	gets, writes := map[string]bool{}, map[string]bool{}
	for _, routes := range table {
		for _, rt := range routes {
			if rt.method == http.MethodGet {
				gets[rt.procedure] = true
			} else {
				writes[rt.procedure] = true
			}
		}
	}
	return &restRouter{pipe: pipe, byCollection: map[string]*runtime.ServeMux{}, routes: table, gets: gets, writes: writes}, nil
}

// reads reports whether procedure is called by a GET route: a read, whose
// tagged answer taggedRead may make a 304.
func (rr *restRouter) reads(procedure string) bool { return rr.gets[procedure] }

// options are the router's options of every gateway mux: the query check
// on each route the mux routes, and the error handlers that record the
// gateway's own refusals, a request that no route matches included.
func (rr *restRouter) options() []runtime.ServeMuxOption {
	return []runtime.ServeMuxOption{runtime.WithMiddlewares(rr.checkQuery), runtime.WithErrorHandler(rr.gatewayError),
		runtime.WithRoutingErrorHandler(rr.routingError)}
}

// mount gives the router the gateway mux all, on which every service of
// svcs (svcs[i] is the gRPC service names[i]) is registered with opts,
// and a mux of its own for each collection, calling the services through
// conn.
func (rr *restRouter) mount(ctx context.Context, all *runtime.ServeMux, opts []runtime.ServeMuxOption, svcs []service, names []string, conn grpc.ClientConnInterface) error {
	routes, err := openapi.Routes()
	if err != nil {
		return err
	}
	rr.all = all
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
	for c, in := range members {
		if c == "" {
			continue
		}
		mux := runtime.NewServeMux(opts...)
		for i, svc := range svcs {
			simple := names[i][strings.LastIndexByte(names[i], '.')+1:]
			if in[simple] || members[""][simple] {
				if err := svc.gateway(ctx, mux, conn); err != nil {
					return fmt.Errorf("register gateway for %s: %w", c, err)
				}
			}
		}
		rr.byCollection[c] = mux
	}
	return nil
}

// restRoutes parses routes into the table procedure reads: by the
// collection of the requests they match, under "" those that match
// requests of any collection or of none. service gives a route's gRPC
// service's full name from its simple one.
func restRoutes(routes []openapi.Route, service func(simple string) string) (map[string][]restRoute, error) {
	table := map[string][]restRoute{}
	for _, rt := range routes {
		c, _ := routeCollection(rt.Path)
		parsed, err := parseRoute(rt, service(rt.Service))
		if err != nil {
			return nil, err
		}
		table[c] = append(table[c], parsed)
	}
	return table, nil
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

// A restRoute is a route of the generated document, parsed to match
// requests: its path's segments ("" for a variable), its custom verb and
// the RPC it calls.
type restRoute struct {
	method    string
	segs      []string
	verb      string
	procedure string
	// create says the route has a standard Create's shape (AIP-133): a
	// POST to a collection, its last segment a literal and no custom
	// verb. Whatever its method's name: ClosePeriod creates a closed
	// period.
	create bool
	// input is the request message's type; query the fields (queryField)
	// of the query parameters the document lists, named in takes.
	input protoreflect.MessageDescriptor
	query map[string]bool
	takes []string
}

// parseRoute parses rt, a route of the gRPC service service
// ("fami.v1.PartnerService"). Its operation id is the service's simple
// name, "_" and the method, with a number after it for the method's
// further bindings ("MonitoringService_SummarizeMonitoring2").
func parseRoute(rt openapi.Route, service string) (restRoute, error) {
	r := restRoute{method: rt.Method}
	r.segs, r.verb = splitPath(rt.Path)
	r.create = rt.Method == http.MethodPost && r.verb == "" && !isVariable(r.segs[len(r.segs)-1])
	for i, seg := range r.segs {
		if isVariable(seg) {
			r.segs[i] = ""
		}
	}
	d, _ := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return r, fmt.Errorf("route %s %s: no service %q", rt.Method, rt.Path, service)
	}
	m, _ := strings.CutPrefix(rt.Operation, rt.Service+"_")
	for sd.Methods().ByName(protoreflect.Name(m)) == nil {
		if m == "" || m[len(m)-1] < '0' || m[len(m)-1] > '9' {
			return r, fmt.Errorf("route %s %s: operation %s is no method of %s", rt.Method, rt.Path, rt.Operation, service)
		}
		m = m[:len(m)-1]
	}
	r.procedure = "/" + service + "/" + m
	r.input = sd.Methods().ByName(protoreflect.Name(m)).Input()
	r.query, r.takes = make(map[string]bool, len(rt.Query)), rt.Query
	for _, name := range rt.Query {
		f, ok := queryField(r.input, name)
		if !ok {
			return r, fmt.Errorf("route %s %s: query parameter %s is no field of %s", rt.Method, rt.Path, name, r.input.FullName())
		}
		r.query[f] = true
	}
	return r, nil
}

// unknownQuery refuses the query parameters of q that are not the route's.
func (rt *restRoute) unknownQuery(q url.Values) error {
	return unknownQuery(q, func(key string) bool {
		f, ok := queryField(rt.input, key)
		return ok && rt.query[f]
	}, rt.takes)
}

// splitPath splits a path, or a route's path template, into its segments
// and the custom verb after the last one's colon.
func splitPath(path string) (segs []string, verb string) {
	segs = strings.Split(strings.TrimPrefix(path, "/"), "/")
	last := len(segs) - 1
	if i := strings.LastIndexByte(segs[last], ':'); i >= 0 {
		segs[last], verb = segs[last][:i], segs[last][i+1:]
	}
	return segs, verb
}

func (rt *restRoute) matches(method string, segs []string, verb string) bool {
	if rt.method != method || rt.verb != verb || len(rt.segs) != len(segs) {
		return false
	}
	for i, seg := range rt.segs {
		if seg != segs[i] && (seg != "" || segs[i] == "") {
			return false
		}
	}
	return true
}

// procedure is the RPC r calls ("/fami.v1.PartnerService/GetPartner"),
// from the first route of the table that matches it, or "" when none
// does.
func (rr *restRouter) procedure(r *http.Request) string {
	if rt := rr.route(r); rt != nil {
		return rt.procedure
	}
	return ""
}

// recordedAs is the procedure a refusal of r is recorded under: the RPC
// it calls, or unrouted's name ("/http/GET") when no route matches it.
func (rr *restRouter) recordedAs(r *http.Request) string {
	if p := rr.procedure(r); p != "" {
		return p
	}
	return unrouted(r.Method)
}

// route is the first route of the table that matches r, nil when none
// does.
func (rr *restRouter) route(r *http.Request) *restRoute {
	segs, verb := splitPath(r.URL.Path)
	c := requestCollection(r.URL.Path)
	if rt := matchRoute(rr.routes[c], r.Method, segs, verb); rt != nil || c == "" {
		return rt
	}
	return matchRoute(rr.routes[""], r.Method, segs, verb)
}

// matchRoute returns the first of routes that matches a request, nil when
// none does.
func matchRoute(routes []restRoute, method string, segs []string, verb string) *restRoute {
	for i := range routes {
		if routes[i].matches(method, segs, verb) {
			return &routes[i]
		}
	}
	return nil
}

// checkQuery is the gateway muxes' middleware: it refuses a request whose
// query cannot be read whole, or has a parameter its route does not take
// (restquery.go), where a mux has routed the request, so that its route
// is matched once, by the gateway. It authenticates the caller first
// (authenticateEarly, ADR 35), as the other surfaces do before they
// decode a body: a caller without a valid token, of a route that needs
// one, is refused UNAUTHENTICATED whatever its query; an authenticated
// caller learns of a parameter no route of the path takes before the
// rights are applied, as a body that does not decode is answered on
// Connect (TestRESTRoutesReachTheirRPC). The path
// variables the mux found are kept on the request's ticket, for a
// refusal of its body (gatewayError). Each handler of a mux serves one
// route, a pattern and a method: the route of the table it serves is
// found at its first request, from the pattern the mux matched, and kept.
func (rr *restRouter) checkQuery(next runtime.HandlerFunc) runtime.HandlerFunc {
	var (
		once sync.Once
		rt   *restRoute
	)
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		once.Do(func() { rt = rr.patternRoute(r) })
		if t := ticketOf(r.Context()); t != nil {
			t.params = params // the mux's own map: no allocation
		}
		if r.URL.RawQuery != "" {
			var err error
			procedure := unrouted(r.Method) // a pattern the document does not list
			if rt != nil {
				// The caller first (ADR 35): the query is what a REST
				// call asks, as a body is, which no caller refused
				// UNAUTHENTICATED gets read.
				procedure = rt.procedure
				// A REST call has its ticket (admitREST), which carries the
				// principal found: the context is the same.
				_, err = rr.pipe.authenticateEarly(r.Context(), call{procedure: procedure, protocol: surfaceREST, header: r.Header.Get}, false)
			}
			var q url.Values
			if err == nil {
				q, err = readQuery(r.URL.RawQuery)
			}
			if err == nil && rt != nil {
				err = rt.unknownQuery(q)
			}
			if err != nil {
				rr.pipe.refuseREST(w, r, procedure, err, arrival(r.Context()))
				return
			}
		}
		next(w, r, params)
	}
}

// gatewayError is the gateway's error handler: every REST error, whether
// from a service or from the gateway itself, becomes a problem document.
// An error of the gateway's own (a body or a query parameter it cannot
// decode, before it calls the service) is recorded as the pipeline
// records a call, since the pipeline never saw it (refuseREST), after
// the caller's authentication and rights (refusalOf); a call the
// pipeline began is recorded already (recordedREST).
func (rr *restRouter) gatewayError(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	if recordedREST(r.Context()) {
		p, retryAfter := problemFromStatus(status.Convert(err))
		writeProblem(w, conditionFailed(r.Context(), p), retryAfter)
		return
	}
	procedure, ok := runtime.RPCMethod(ctx)
	if !ok { // refused before the gateway named the call
		procedure = rr.recordedAs(r)
	}
	rr.pipe.refuseREST(w, r, procedure, rr.refusalOf(r, procedure, status.Convert(err).Err()), arrival(r.Context()))
}

// refusalOf is the refusal of a REST request of procedure that the
// gateway refuses for its contents (err: a body, or a query value, it
// cannot decode) before calling the service: the refusal of the caller's
// authentication or rights when there is one, as the pipeline would give
// it (pipeline.admit), else err. Without it a caller of another region,
// or with no token, got 400 for a body that did not decode and 403, 404
// or 401 for one that did, where every other surface checks who calls
// before what is asked.
//
// The rights are decided on the request that the path variables of the
// route the gateway matched make (kept by checkQuery), which hold the
// region: the body is not decoded again. A request that the path alone
// cannot decide (a rule's field in the body, which that request lacks:
// INVALID_ARGUMENT) keeps err, which names what is at fault, as does one
// refused before the gateway matched a route, and a body over the limit:
// that is the transport's refusal (413), before authentication as on
// every surface.
func (rr *restRouter) refusalOf(r *http.Request, procedure string, err error) error {
	t := ticketOf(r.Context())
	if t == nil || t.params == nil || bodyTooLarge(status.Convert(err).Message()) {
		return err
	}
	rt := rr.patternRoute(r)
	if rt == nil || rt.procedure != procedure {
		return err
	}
	mt, found := protoregistry.GlobalTypes.FindMessageByName(rt.input.FullName())
	if found != nil {
		return err
	}
	req := mt.New().Interface()
	for field, value := range t.params {
		if runtime.PopulateFieldFromPath(req, field, value) != nil {
			return err // the gateway's own refusal of the path names it
		}
	}
	c := call{procedure: rt.procedure, protocol: surfaceREST, header: r.Header.Get, peer: hostOf(r.RemoteAddr), req: req}
	_, who, denied := rr.pipe.admit(r.Context(), c)
	if who.Authenticated() {
		// Checked: the refusal's access line names the caller.
		t.who, t.authenticated = who, true
	}
	if denied != nil && errs.CodeOf(denied) != errs.Invalid {
		return denied
	}
	return err
}

// routingError answers a request that no route matches (404, or 405 for
// a method its path does not take) and records it as the pipeline records
// a call, under unrouted's name. A query that cannot be read whole is
// refused first, 400 naming it, as on a route (checkQuery): it is a
// malformed request whatever its path names, as a path that is not UTF-8
// is (utf8Only): 400 is HTTP's answer to malformed syntax (RFC 9110,
// section 15.5.1), which is checked before the resource is looked for, as
// net/http answers 400 to a request target it cannot parse before any
// handler sees it.
func (rr *restRouter) routingError(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	procedure, start := unrouted(r.Method), arrival(r.Context())
	if r.URL.RawQuery != "" {
		if _, err := readQuery(r.URL.RawQuery); err != nil {
			rr.pipe.refuseREST(w, r, procedure, err, start)
			return
		}
	}
	rr.pipe.answerREST(w, r, procedure, routingProblem(r, httpStatus), 0, start)
}

// patternRoute is the route of the table that a gateway mux's pattern,
// the one it matched r to, is: the route of r's method whose path has the
// same literal segments in the same places and the same verb; nil for a
// pattern the generated document does not list.
func (rr *restRouter) patternRoute(r *http.Request) *restRoute {
	pat, ok := runtime.HTTPPattern(r.Context())
	if !ok {
		return nil
	}
	segs, verb := splitPath(patternPath(pat.String()))
	for i, seg := range segs {
		if seg == "*" {
			segs[i] = ""
		}
	}
	for _, routes := range rr.routes {
		for i := range routes {
			if rt := &routes[i]; rt.method == r.Method && rt.verb == verb && slices.Equal(rt.segs, segs) {
				return rt
			}
		}
	}
	return nil
}

// patternPath writes a gateway pattern's path template
// ("/v1/{name=regions/*/partners/*}:archive") with its variables'
// templates in their place ("/v1/regions/*/partners/*:archive"), a bare
// variable ("{region}") as "*".
func patternPath(pattern string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(pattern, '{')
		end := strings.IndexByte(pattern, '}')
		if open < 0 || end < open {
			b.WriteString(pattern)
			return b.String()
		}
		b.WriteString(pattern[:open])
		if _, tmpl, ok := strings.Cut(pattern[open+1:end], "="); ok {
			b.WriteString(tmpl)
		} else {
			b.WriteByte('*')
		}
		pattern = pattern[end+1:]
	}
}
