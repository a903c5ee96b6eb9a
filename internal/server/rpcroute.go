package server

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
)

// The HTTP listener's calls of the API (Connect, gRPC and gRPC-Web) take a
// shorter way than its other requests: they are the hot path (issue 19,
// docs/benchmarks.md "Connect, third pass").

// procedureHandlers finds the connect-go handler of each procedure the
// HTTP listener serves ("/fami.v1.PartnerService/GetPartner") by one map
// lookup.
type procedureHandlers struct {
	served   map[string]grpc.MethodInfo
	handlers map[string]http.Handler
}

func newProcedureHandlers(served map[string]grpc.MethodInfo) procedureHandlers {
	return procedureHandlers{served: served, handlers: map[string]http.Handler{}}
}

// add maps to h every served procedure of the service that path names
// ("/fami.v1.PartnerService/"), as connect-go's generated handlers and
// grpcreflect's give them.
func (ph procedureHandlers) add(path string, h http.Handler) {
	for procedure := range ph.served {
		if strings.HasPrefix(procedure, path) {
			ph.handlers[procedure] = h
		}
	}
}

// byProcedure sends a call of one of the procedures the listener serves
// straight to its service's handler, found by one map lookup on the
// path, a Connect, gRPC or gRPC-Web call of any other procedure (an
// unknown service or method, rpcCall) to unknown, and every other request
// to next. http.ServeMux would find the same handler, after matching the
// path against the listener's every pattern on each call. A path that is
// not clean ("/fami.v1.PartnerService//GetPartner") is no longer
// redirected to its clean form: it is an unknown procedure, answered 404
// as connect-go answers one.
func byProcedure(rpcs procedureHandlers, unknown http.HandlerFunc, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := rpcs.handlers[r.URL.Path]; h != nil {
			h.ServeHTTP(w, r)
			return
		}
		if rpcCall(r) {
			unknown(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// rpcCall reports whether r is a Connect, gRPC or gRPC-Web call, by what
// its client sends: a POST whose Content-Type is one of gRPC's and
// gRPC-Web's, or Connect's (its streams', or a unary call's proto or JSON
// body, to a path of a procedure's shape); or a Connect GET (a unary call
// without side effects, connectGet).
func rpcCall(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet:
		return procedureShaped(r.URL.Path) && connectGet(r.URL.RawQuery)
	case http.MethodPost:
	default:
		return false
	}
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/grpc"), strings.HasPrefix(ct, "application/connect+"):
		return true
	case strings.HasPrefix(ct, "application/proto"), strings.HasPrefix(ct, "application/json"):
		return procedureShaped(r.URL.Path)
	}
	return false
}

// procedureShaped reports whether path has a procedure's shape,
// "/service/method", outside REST's.
func procedureShaped(p string) bool {
	svc := servicePath(p)
	return svc != "" && !strings.HasPrefix(p, restPrefix) && !strings.Contains(p[len(svc):], "/")
}

// connectGet reports whether a GET's query is a Connect unary call's, as
// the Connect protocol gives it: the protocol version, connect=v1 (which
// connect-go's clients always send), or the two parameters every such call
// must carry, encoding and message. A page of the web application takes
// none of them, so it is still served as a page.
func connectGet(rawQuery string) bool {
	if rawQuery == "" {
		return false
	}
	q, _ := url.ParseQuery(rawQuery) // a malformed pair is skipped, as connect-go's handler skips it
	return q.Get("connect") == "v1" || q.Has("encoding") && q.Has("message")
}

// servicePath is the first segment of a path with its slashes,
// "/fami.v1.PartnerService/" of "/fami.v1.PartnerService/GetPartner", or
// "" when the path has no second slash.
func servicePath(path string) string {
	if len(path) < 2 || path[0] != '/' {
		return ""
	}
	i := strings.IndexByte(path[1:], '/')
	if i < 0 {
		return ""
	}
	return path[:i+2]
}

// unaryInOneWrite lets net/http write the answer of a unary gRPC-Web call
// over HTTP/1.x in one piece. connect-go flushes a gRPC-Web answer after
// its message and again after its trailers, and over HTTP/1.1 each flush
// is a write system call and a chunk of its own: with the last chunk,
// three writes a call where a Connect answer takes one. Without the
// flushes a small answer waits in net/http's buffer until the handler
// returns and goes out whole, with a Content-Length as a Connect answer
// does (a large one goes out as the buffer fills, chunked); its message
// and trailer frames are the same bytes. Streams still flush each
// message, and HTTP/2 is left as it is. So is gRPC over HTTP/1.1: its
// trailers are HTTP trailers, which net/http sends only after a chunked
// body, and the first flush is what makes the body chunked.
func unaryInOneWrite(shed *shedder, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 1 && shed.unary[r.URL.Path] && connectProtocol(r) == connect.ProtocolGRPCWeb {
			w = unflushed{w}
		}
		next.ServeHTTP(w, r)
	})
}

// unflushed is a ResponseWriter without http.Flusher: connect-go flushes
// only a writer that has it.
type unflushed struct{ http.ResponseWriter }

// Unwrap lets http.ResponseController reach the connection (a refusal
// sets its read deadline); connect-go looks for http.Flusher on the
// writer itself, not through Unwrap.
func (u unflushed) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// restPrefix starts the path of every REST call.
const restPrefix = "/v1/"

// listenerMux is the HTTP listener's http.ServeMux, which REST calls skip
// when it would hand them to the REST handler anyway. A ServeMux matches a
// path against its patterns segment by segment, allocating for every
// wildcard on the way (3% of a REST call's server CPU and 7 of its
// allocations, issue 19); REST owns /v1/ but for a few downloads registered
// beside it ("GET /v1/regions/{region}/meetings.ics"), and those are told
// apart by their last segment. Every route of the listener is registered
// here, so that none can be shadowed.
type listenerMux struct {
	*http.ServeMux
	rest http.Handler
	// lastSegments holds the last path segment of each other route under
	// restPrefix: a path ending in none of them matches none of them.
	lastSegments map[string]bool
	// anyREST is set when another route could match a REST path whatever
	// its last segment (it ends in a wildcard or a slash, or starts with a
	// wildcard): then every request goes through the ServeMux.
	anyREST bool
}

func newListenerMux() *listenerMux {
	return &listenerMux{ServeMux: http.NewServeMux(), lastSegments: map[string]bool{}}
}

// handleREST registers the REST handler, for every path under restPrefix.
func (m *listenerMux) handleREST(h http.Handler) {
	m.ServeMux.Handle(restPrefix, h)
	m.rest = h
}

func (m *listenerMux) Handle(pattern string, h http.Handler) {
	m.ServeMux.Handle(pattern, h)
	m.note(pattern)
}

func (m *listenerMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.ServeMux.HandleFunc(pattern, h)
	m.note(pattern)
}

// note records what a route's pattern ("[METHOD ][HOST]/PATH") means for
// the REST paths.
func (m *listenerMux) note(pattern string) {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = strings.TrimLeft(p, " \t")
	}
	path := pattern[max(strings.IndexByte(pattern, '/'), 0):]
	last := path[strings.LastIndexByte(path, '/')+1:]
	switch {
	case strings.HasPrefix(path, "/{"):
		m.anyREST = true
	case !strings.HasPrefix(path, restPrefix):
	case last == "" || strings.HasPrefix(last, "{"):
		m.anyREST = true
	default:
		m.lastSegments[last] = true
	}
}

func (m *listenerMux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m.forREST(r) {
		r.Pattern = restPrefix // as the ServeMux sets it (a span's name)
		m.rest.ServeHTTP(w, r)
		return
	}
	m.ServeMux.ServeHTTP(w, r)
}

// forREST reports whether the ServeMux would hand r to the REST handler
// as it is: r's path is under restPrefix, clean (the ServeMux redirects
// other paths) and ends in a segment no other route ends in; CONNECT
// requests are routed by host. (The ServeMux compares the segments of the
// escaped path: one holding an escaped slash is two segments of r.URL.Path,
// and equals no route's literal segment.)
func (m *listenerMux) forREST(r *http.Request) bool {
	p := r.URL.Path
	if m.rest == nil || m.anyREST || r.Method == http.MethodConnect || !strings.HasPrefix(p, restPrefix) || !cleanPath(p) {
		return false
	}
	return !m.lastSegments[p[strings.LastIndexByte(p, '/')+1:]]
}

// cleanPath reports whether the ServeMux leaves path as it is: path.Clean
// changes nothing but a trailing slash, which the ServeMux keeps.
func cleanPath(p string) bool {
	c := path.Clean(p)
	return c == p || len(c) == len(p)-1 && p[len(p)-1] == '/' && p[:len(c)] == c
}
