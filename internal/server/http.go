package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"connectrpc.com/connect"
	"connectrpc.com/grpcreflect"
	"connectrpc.com/otelconnect"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/openapi"
	"github.com/raccordo/raccordo/internal/opendata"
	"github.com/raccordo/raccordo/internal/web"
)

// compressMinBytes is the smallest Connect, gRPC or gRPC-Web response the
// HTTP listener compresses (when the client accepts gzip).
const compressMinBytes = 1 << 10

// httpHandler builds the HTTP listener's routes: Connect/gRPC/gRPC-Web per
// service and reflection, REST under /v1/, the OpenAPI documents, the JWKS,
// /healthz, /readyz and the web application at "/"; around them
// the REST spans, gRPC-Web's text mode, CORS and the headers every answer
// carries by default (privateByDefault).
func (s *Server) httpHandler(ctx context.Context, svcs []service, pipe *pipeline) (http.Handler, error) {
	mux := newListenerMux()
	interceptors := []connect.Interceptor{pipe.connectInterceptor()}
	if s.tracing {
		otelConnect, err := otelconnect.NewInterceptor(
			otelconnect.WithTracerProvider(s.cfg.TracerProvider),
			otelconnect.WithPropagator(propagator),
			// A caller's trace context is the parent of the server's span,
			// so a trace runs end to end (the default only links it).
			otelconnect.WithTrustRemote(),
			otelconnect.WithoutMetrics(),
		)
		if err != nil {
			return nil, err
		}
		interceptors = slices.Insert(interceptors, 0, connect.Interceptor(otelConnect))
	}
	opts := []connect.HandlerOption{
		connect.WithInterceptors(interceptors...),
		connect.WithReadMaxBytes(s.cfg.MaxMessageBytes),
		// A small message gains a few bytes from gzip for a lot of CPU.
		connect.WithCompressMinBytes(compressMinBytes),
	}
	opts = append(opts, connectCodecs(pipe.undecoded)...)
	var names []string
	rpcs := newProcedureHandlers(pipe.served)
	for _, svc := range svcs {
		path, h := svc.connect(opts...)
		rpcs.add(path, pipe.cutStreamsOnStop(unaryInOneWrite(pipe.shed, pipe.shed.admitConnect(authBeforeDecode(pipe, h)))))
		names = append(names, strings.Trim(path, "/"))
	}
	// Reflection, as on the gRPC port, so that grpcurl and
	// `buf curl --reflect` work on either; public like the OpenAPI document.
	reflector := grpcreflect.NewStaticReflector(names...)
	rpcs.add(grpcreflect.NewHandlerV1(reflector, opts...))
	rpcs.add(grpcreflect.NewHandlerV1Alpha(reflector, opts...))

	router, err := newRESTRouter(pipe, names)
	if err != nil {
		return nil, fmt.Errorf("REST router: %w", err)
	}
	// The HTTP mapping tells the pipeline the writes, on every surface,
	// before any listener serves.
	pipe.writes = router.writes
	gwOpts := []runtime.ServeMuxOption{
		runtime.WithMarshalerOption(runtime.MIMEWildcard, restMarshaler{&runtime.JSONPb{
			MarshalOptions: protojson.MarshalOptions{EmitUnpopulated: false},
			// Unknown fields are refused rather than silently dropped, so
			// a misspelt field is an error naming it, not lost data.
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}}),
		runtime.WithOutgoingHeaderMatcher(gatewayHeader),
		runtime.WithIncomingHeaderMatcher(noHeader),
		// A request is the call its method and path name in the OpenAPI
		// document, nothing else: by default the gateway serves a form
		// POST as its path's GET, or as the method X-HTTP-Method-Override
		// names, while the admission counted a POST.
		runtime.WithDisablePathLengthFallback(),
		runtime.WithDisableHTTPMethodOverride(),
		runtime.WithForwardResponseOption(taggedRead(router.reads)),
	}
	gwOpts = append(gwOpts, router.options()...)
	gw := runtime.NewServeMux(gwOpts...)
	conn := conditionalConn{s.gateway, s.log}
	for _, svc := range svcs {
		if err := svc.gateway(ctx, gw, conn); err != nil {
			return nil, fmt.Errorf("register gateway: %w", err)
		}
	}
	if err := router.mount(ctx, gw, gwOpts, svcs, names, conn); err != nil {
		return nil, fmt.Errorf("REST router: %w", err)
	}
	rest := pipe.shed.admitREST(problemStatus(utf8Only(pipe, router.recordedAs, conditions(pipe, router.route, expiredAtZero(limitBody(router, int64(s.cfg.MaxMessageBytes)))))), router.recordedAs)
	mux.handleREST(rest)
	// The backup's path ends in a custom verb after a wildcard, which
	// net/http's patterns cannot express and the gateway's router parses;
	// registered after the services, it is matched before GetRegion's
	// GET /v1/{name=regions/*}.
	if err := gw.HandlePath(http.MethodGet, "/v1/{name=regions/*}:backup", s.backupFile(pipe)); err != nil {
		return nil, fmt.Errorf("register the backup download: %w", err)
	}
	for _, svc := range svcs {
		if svc.routes != nil {
			svc.routes(mux, pipe)
		}
	}
	// Open data is anonymous: it bypasses the pipeline's authentication
	// and reads through the services as the national reader.
	mux.Handle("GET "+opendata.Prefix, s.openData)
	mux.Handle("GET /opendata", http.RedirectHandler(opendata.Prefix, http.StatusMovedPermanently))
	mux.Handle("GET /openapi.json", openapi.Handler())
	mux.Handle("GET /openapi3.json", openapi.Handler3())
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "max-age=300")
		w.Write(s.keys.JWKS())
	})
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	// The web application calls the services over the gateway's in-process
	// channel, so its pages run the same pipeline as REST, logged and
	// counted as the web surface.
	app, err := web.New(callerConn{s.gateway, webCaller}, web.Options{Logger: s.log, Now: s.cfg.Now, Policy: pipe.policy, Owned: ownedTypes()})
	if err != nil {
		return nil, fmt.Errorf("web application: %w", err)
	}
	mux.Handle("/", pipe.shed.admitWeb(http.MaxBytesHandler(app, int64(s.cfg.MaxMessageBytes)), app.Refused))
	// REST calls (the gateway's and the downloads) get a server span
	// here; Connect, gRPC and gRPC-Web calls get theirs from otelconnect.
	outer := func(h http.Handler) http.Handler {
		return recoverHTTP(s, privateByDefault(withCORS(s.cfg.CORSOrigins, grpcWebText(s.cfg.MaxMessageBytes, byProcedure(rpcs, pipe.connectUnknown, h)))))
	}
	if !s.tracing {
		return outer(mux), nil
	}
	traced := otelhttp.NewHandler(clipMethodOriginal(mux), "gateway",
		otelhttp.WithTracerProvider(s.cfg.TracerProvider),
		otelhttp.WithPropagators(propagator),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithFilter(func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/v1/") }),
		// "gateway GET /v1/regions/{region}/meetings.ics": the route's
		// pattern once the mux has matched it, never the raw path with its
		// ids, nor a method HTTP does not define (knownMethod).
		otelhttp.WithSpanNameFormatter(func(op string, r *http.Request) string {
			_, pattern, _ := strings.Cut(r.Pattern, " ")
			if pattern == "" {
				pattern = r.Pattern
			}
			return strings.TrimSpace(op + " " + knownMethod(r.Method) + " " + pattern)
		}),
	)
	return outer(traced), nil
}

// clipMethodOriginal clips the http.request.method_original that
// otelhttp gives the span of a request whose method HTTP does not define
// (httpMethodOriginal): otelhttp records the method whole, and a client
// may send one as long as the header cap.
func clipMethodOriginal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if knownMethod(r.Method) == otherMethod {
			trace.SpanFromContext(r.Context()).SetAttributes(httpMethodOriginal(r.Method))
		}
		next.ServeHTTP(w, r)
	})
}

// privateByDefault marks every answer of the HTTP listener as one no
// cache may keep (Cache-Control: no-store) and whose type is the one it
// says (X-Content-Type-Options: nosniff): REST, Connect and gRPC-Web
// answers carry a region's data, and a shared cache must not hand them to
// another caller. no-store is a default, set before the handler runs: an
// answer with caching rules of its own replaces it (open data's public
// max-age, the OpenAPI documents' and the calendar feeds' no-cache, the
// JWKS's max-age, the web's static files).
func privateByDefault(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setPrivate(w.Header())
		next.ServeHTTP(w, r)
	})
}

func setPrivate(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

// gatewayHeader maps the gRPC response headers the gateway forwards to REST:
// retry-after (a refused stream) and etag (an answer's entity tag, which
// the gateway's connection sets: tagAnswer) as the HTTP headers, the
// others with grpc-gateway's usual Grpc-Metadata- prefix.
func gatewayHeader(key string) (string, bool) {
	switch key {
	case "retry-after":
		return "Retry-After", true
	case "etag":
		return "ETag", true
	}
	return runtime.MetadataHeaderPrefix + key, true
}

// noHeader forwards no request header to the services beyond the two the
// gateway always passes: Authorization (as "authorization") and the
// client's address (as "x-forwarded-for"), the only ones the pipeline
// reads. grpc-gateway's default matcher also copies the permanent HTTP
// headers (Accept, User-Agent, ...) as grpcgateway- metadata, which
// nothing reads and which the in-process call copies once more (issue 19).
func noHeader(string) (string, bool) { return "", false }

// compressedHeaders name the encodings of a request body on the Connect,
// gRPC and gRPC-Web protocols.
var compressedHeaders = []string{"Content-Encoding", "Connect-Content-Encoding", "Grpc-Encoding"}

// authBeforeDecode authenticates a Connect, gRPC or gRPC-Web call on the
// HTTP port (authenticateEarly) before connect-go reads and decodes its
// body, which it does before any interceptor: a caller refused
// UNAUTHENTICATED is refused whatever its body, and costs no decoding
// (docs/benchmarks.md, "Anonymous calls refused before their body").
// Its refusal is recorded as the pipeline records a call (refuse).
func authBeforeDecode(p *pipeline, next http.Handler) http.Handler {
	errw := connect.NewErrorWriter()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		compressed := false
		for _, h := range compressedHeaders {
			if v := r.Header.Get(h); v != "" && v != "identity" {
				compressed = true
			}
		}
		c := call{procedure: r.URL.Path, protocol: connectProtocol(r), header: r.Header.Get, peer: hostOf(r.RemoteAddr)}
		ctx, err := p.authenticateEarly(r.Context(), c, compressed)
		if err != nil {
			errw.Write(w, r, toConnect(p.refuse(r.Context(), c, err, arrival(r.Context()))))
			return
		}
		if ctx != r.Context() { // a stream's principal, which its ticket would carry
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// utf8Only refuses a REST request whose path is not UTF-8 with a 400
// naming "path", recorded as a call of the RPC procedure names
// (refuseREST). The gateway would copy the bytes into proto string
// fields, which cannot hold them, and fail with a 500. A query is
// checked where it is read whole, once (readQuery).
func utf8Only(pipe *pipeline, procedure func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !utf8.ValidString(r.URL.Path) {
			pipe.refuseREST(w, r, procedure(r), errs.InvalidField("path", "is not valid UTF-8"), arrival(r.Context()))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// expiredAtZero gives a REST request whose Grpc-Timeout is zero a context
// already past its deadline, as connect-go gives a Connect, gRPC or
// gRPC-Web call of a zero timeout, so that it answers DEADLINE_EXCEEDED
// on every surface. grpc-gateway reads a zero timeout as none asked: the
// call ran, within the server's timeout, as if the client had set none.
func expiredAtZero(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !zeroTimeout(r.Header.Get("Grpc-Timeout")) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 0)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// zeroTimeout reports whether v is a gRPC timeout of zero: digits, all
// zeros, and a unit (H, M, S, m, u or n).
func zeroTimeout(v string) bool {
	n := len(v)
	return n >= 2 && strings.IndexByte("HMSmun", v[n-1]) >= 0 && strings.Trim(v[:n-1], "0") == ""
}

// limitBody is http.MaxBytesHandler for requests with a body: a request
// without one (a GET) is not copied to limit a body it does not have.
func limitBody(next http.Handler, n int64) http.Handler {
	limited := http.MaxBytesHandler(next, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		limited.ServeHTTP(w, r)
	})
}

// recoverHTTP turns a panic in a plain HTTP handler into a 500 problem
// (connect-go and grpc-go handlers recover in the pipeline). It is the
// outermost layer, so that a panic anywhere is caught; the headers the
// handler had set before it panicked are dropped (resetForError).
func recoverHTTP(s *Server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic in HTTP handler", "path", r.URL.Path, "panic", fmt.Sprint(v))
				resetForError(w.Header())
				writeProblem(w, problem{Type: "about:blank", Status: 500, Title: "Internal Server Error", Code: "INTERNAL", Detail: "internal error"}, 0)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// resetForError drops the headers a handler set for an answer it never
// wrote (open data's public max-age, a download's Content-Disposition, an
// ETag) before an error is written in its place, keeping the CORS headers
// the browser needs to read that error and the listener's defaults.
func resetForError(h http.Header) {
	for k := range h {
		if k != "Vary" && !strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
	setPrivate(h)
}
