package server

import (
	"net/http"
	"strings"

	"connectrpc.com/connect"
)

// The HTTP listener's calls of the API (Connect, gRPC and gRPC-Web) take a
// shorter way than its other requests: they are the hot path (issue 19,
// docs/benchmarks.md "Connect, third pass").

// byService sends a call of one of the API's services
// ("/fami.v1.PartnerService/GetPartner") straight to that service's
// handler, found by one map lookup on the path's first segment, and every
// other request to next. http.ServeMux would find the same handler, after
// matching the path against the listener's every pattern on each call. A
// path that is not clean ("/fami.v1.PartnerService//GetPartner") is no
// longer redirected to its clean form: connect-go answers it 404 as an
// unknown procedure.
func byService(services map[string]http.Handler, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := services[servicePath(r.URL.Path)]; h != nil {
			h.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
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
