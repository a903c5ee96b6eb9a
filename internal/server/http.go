package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"connectrpc.com/connect"
	"connectrpc.com/grpcreflect"
	"connectrpc.com/otelconnect"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/openapi"
	"github.com/raccordo/raccordo/internal/opendata"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/support"
	"github.com/raccordo/raccordo/internal/web"
)

// compressMinBytes is the smallest Connect, gRPC or gRPC-Web response the
// HTTP listener compresses (when the client accepts gzip).
const compressMinBytes = 1 << 10

// httpHandler builds the HTTP listener's routes: Connect/gRPC/gRPC-Web per
// service and reflection, REST under /v1/, the OpenAPI documents, the JWKS,
// /healthz, /readyz, /metrics and the web application at "/"; around them
// the REST spans, gRPC-Web's text mode and CORS.
func (s *Server) httpHandler(ctx context.Context, svcs []service, pipe *pipeline) (http.Handler, error) {
	mux := http.NewServeMux()
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
		connect.WithCodec(connectCodec{}),
		// A small message gains a few bytes from gzip for a lot of CPU.
		connect.WithCompressMinBytes(compressMinBytes),
	}
	var names []string
	for _, svc := range svcs {
		path, h := svc.connect(opts...)
		mux.Handle(path, authBeforeInflate(pipe, h))
		names = append(names, strings.Trim(path, "/"))
	}
	// Reflection, as on the gRPC port, so that grpcurl and
	// `buf curl --reflect` work on either; public like the OpenAPI document.
	reflector := grpcreflect.NewStaticReflector(names...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector, opts...))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector, opts...))

	gw := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, restMarshaler{&runtime.JSONPb{
			MarshalOptions: protojson.MarshalOptions{EmitUnpopulated: false},
			// Unknown fields are refused rather than silently dropped, so
			// a misspelt field is an error naming it, not lost data.
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}}),
		runtime.WithErrorHandler(gatewayError),
		runtime.WithRoutingErrorHandler(routingError),
		runtime.WithOutgoingHeaderMatcher(gatewayHeader),
	)
	for _, svc := range svcs {
		if err := svc.gateway(ctx, gw, s.gateway); err != nil {
			return nil, fmt.Errorf("register gateway: %w", err)
		}
	}
	rest := problemStatus(utf8Only(http.MaxBytesHandler(gw, int64(s.cfg.MaxMessageBytes))))
	mux.Handle("/v1/", rest)
	mux.Handle("GET /v1/regions/{region}", s.backupHandler(pipe, rest))
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
	mux.Handle("GET /metrics", s.metricsHandler())
	// The web application calls the services over the gateway's in-process
	// channel, so its pages run the same pipeline as REST.
	app, err := web.New(s.gateway, web.Options{Logger: s.log})
	if err != nil {
		return nil, fmt.Errorf("web application: %w", err)
	}
	mux.Handle("/", http.MaxBytesHandler(app, int64(s.cfg.MaxMessageBytes)))
	// REST calls (the gateway's and the downloads) get a server span
	// here; Connect, gRPC and gRPC-Web calls get theirs from otelconnect.
	if !s.tracing {
		return recoverHTTP(s, withCORS(s.cfg.CORSOrigins, grpcWebText(s.cfg.MaxMessageBytes, mux))), nil
	}
	traced := otelhttp.NewHandler(mux, "gateway",
		otelhttp.WithTracerProvider(s.cfg.TracerProvider),
		otelhttp.WithPropagators(propagator),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithFilter(func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/v1/") }),
		// "gateway GET /v1/regions/{region}/meetings.ics": the route's
		// pattern once the mux has matched it, never the raw path with its
		// ids.
		otelhttp.WithSpanNameFormatter(func(op string, r *http.Request) string {
			_, pattern, _ := strings.Cut(r.Pattern, " ")
			if pattern == "" {
				pattern = r.Pattern
			}
			return strings.TrimSpace(op + " " + r.Method + " " + pattern)
		}),
	)
	return recoverHTTP(s, withCORS(s.cfg.CORSOrigins, grpcWebText(s.cfg.MaxMessageBytes, traced))), nil
}

// gatewayHeader maps the gRPC response headers the gateway forwards to REST:
// retry-after (a refused stream) as the HTTP header, the others with
// grpc-gateway's usual Grpc-Metadata- prefix.
func gatewayHeader(key string) (string, bool) {
	if key == "retry-after" {
		return "Retry-After", true
	}
	return runtime.MetadataHeaderPrefix + key, true
}

// compressedHeaders name the encodings of a request body on the Connect,
// gRPC and gRPC-Web protocols.
var compressedHeaders = []string{"Content-Encoding", "Connect-Content-Encoding", "Grpc-Encoding"}

// authBeforeInflate authenticates a compressed request before its body is
// decompressed: inflating is the costly part of reading it (a 4 MB gzip
// body is seconds of CPU), so a caller without valid credentials is refused
// first. Uncompressed requests go straight on (the pipeline authenticates
// them as usual).
func authBeforeInflate(p *pipeline, next http.Handler) http.Handler {
	errw := connect.NewErrorWriter()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		compressed := false
		for _, h := range compressedHeaders {
			if v := r.Header.Get(h); v != "" && v != "identity" {
				compressed = true
			}
		}
		if compressed && !p.noAuth {
			who, err := p.authenticate(call{header: r.Header.Get})
			if err == nil && !who.Authenticated() {
				err = &errs.Error{Code: errs.Unauthenticated, Reason: "TOKEN_REQUIRED", Message: "a compressed request needs a bearer token"}
			}
			if err != nil {
				errw.Write(w, r, toConnect(toStatus(r.Context(), p.log, r.URL.Path, err)))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// utf8Only refuses a REST request whose path or query is not UTF-8 with a
// 400 naming the part at fault. The gateway would copy the bytes into
// proto string fields, which cannot hold them, and fail with a 500.
func utf8Only(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		field := ""
		if !utf8.ValidString(r.URL.Path) {
			field = "path"
		}
		for k, vs := range r.URL.Query() {
			if !utf8.ValidString(k) {
				field = "query"
			}
			for _, v := range vs {
				if !utf8.ValidString(v) {
					field = k
				}
			}
		}
		if field != "" {
			detail := "is not valid UTF-8"
			writeProblem(w, problem{Type: "urn:raccordo:problem:invalid-argument", Status: http.StatusBadRequest, Title: http.StatusText(http.StatusBadRequest),
				Code: "INVALID_ARGUMENT", Reason: "INVALID_ARGUMENT", Detail: "invalid " + field + ": " + detail,
				Violations: []violation{{Field: field, Description: detail}}}, 0)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// recoverHTTP turns a panic in a plain HTTP handler into a 500 problem
// (connect-go and grpc-go handlers recover in the pipeline).
func recoverHTTP(s *Server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic in HTTP handler", "path", r.URL.Path, "panic", fmt.Sprint(v))
				writeProblem(w, problem{Type: "about:blank", Status: 500, Title: "Internal Server Error", Code: "INTERNAL", Detail: "internal error"}, 0)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// exportSupportCSV serves GET /v1/regions/{region}/supportEntries:export,
// the REST face of SupportService.ExportSupportEntries: the same rows as a
// CSV download (support.WriteCSV). The query parameters are the RPC's
// fields, read as the gateway reads them (startDate=2022-01-01,
// groupBy=SUPPORT_GROUP_BY_MONTH, states=...), and the request is admitted
// by the pipeline as that RPC. An error before the first byte is a problem
// document; one after it cuts the connection, so a client never mistakes a
// truncated file for a whole one.
func exportSupportCSV(pipe *pipeline, sup *support.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := &famiv1.ExportSupportEntriesRequest{}
		if err := runtime.PopulateQueryParameters(req, r.URL.Query(), utilities.NewDoubleArray([][]string{{"parent"}})); err != nil {
			writeProblem(w, problemFromStatus(status.New(codes.InvalidArgument, err.Error())), 0)
			return
		}
		region := r.PathValue("region")
		req.Parent = "regions/" + region
		name := "support-entries-" + region + ".csv"
		if gb := req.GetGroupBy(); gb != famiv1.SupportGroupBy_SUPPORT_GROUP_BY_UNSPECIFIED {
			name = "support-summary-" + region + "-by-" + strings.ToLower(strings.TrimPrefix(gb.String(), "SUPPORT_GROUP_BY_")) + ".csv"
		}
		out := &csvDownload{w: w, filename: name}
		var failed bool
		pipe.serveHTTP(w, r, famiv1connect.SupportServiceExportSupportEntriesProcedure, req, func(ctx context.Context) (bool, error) {
			err := sup.WriteCSV(ctx, out, req)
			failed = err != nil
			return out.started, err
		})
		if failed && out.started {
			panic(http.ErrAbortHandler)
		}
	})
}

// csvDownload sends the CSV headers with the first byte of the body.
type csvDownload struct {
	w        http.ResponseWriter
	filename string
	started  bool
}

func (d *csvDownload) Write(b []byte) (int, error) {
	if !d.started {
		d.started = true
		h := d.w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8; header=present")
		h.Set("Content-Disposition", `attachment; filename="`+d.filename+`"`)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		d.w.WriteHeader(http.StatusOK)
	}
	return d.w.Write(b)
}

// meetingCalendar serves the iCalendar feeds, the REST face of
// MeetingService.ExportMeetingCalendar (the gateway cannot answer
// text/calendar): GET /v1/regions/{region}/meetings.ics,
// /v1/regions/{region}/networks/{network}/meetings.ics and
// /v1/regions/{region}/facilitators/{subject}/meetings.ics, with an
// optional startFrom query parameter (RFC 3339). The request is admitted by
// the pipeline as that RPC, authenticated either by the Authorization
// header or, since calendar clients cannot send headers, by a feed token
// (?token=..., see meetings.Service.FeedPrincipal), never both. The answer
// carries an ETag, so a polling client gets 304 Not Modified while nothing
// changed.
func meetingCalendar(pipe *pipeline, mtg *meetings.Service) http.Handler {
	const procedure = famiv1connect.MeetingServiceExportMeetingCalendarProcedure
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		region := r.PathValue("region")
		q := r.URL.Query()
		token, withToken := q.Get("token"), q.Has("token")
		q.Del("token")
		req := &famiv1.ExportMeetingCalendarRequest{}
		// The path says whose feed it is: the query cannot override it.
		inPath := utilities.NewDoubleArray([][]string{{"parent"}, {"network"}, {"facilitator"}})
		if err := runtime.PopulateQueryParameters(req, q, inPath); err != nil {
			writeProblem(w, problemFromStatus(status.New(codes.InvalidArgument, err.Error())), 0)
			return
		}
		req.Parent = "regions/" + region
		if n := r.PathValue("network"); n != "" {
			req.Network = req.Parent + "/networks/" + n
		}
		req.Facilitator = r.PathValue("subject")
		serve := func(ctx context.Context) (bool, error) {
			res, err := mtg.ExportMeetingCalendar(ctx, req)
			if err != nil {
				return false, err
			}
			sum := sha256.Sum256([]byte(res.GetCalendar()))
			etag := `"` + hex.EncodeToString(sum[:16]) + `"`
			h := w.Header()
			h.Set("ETag", etag)
			// The URL may carry a token: no shared cache keeps the feed.
			h.Set("Cache-Control", "private, no-cache")
			if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, etag) {
				w.WriteHeader(http.StatusNotModified)
				return true, nil
			}
			h.Set("Content-Type", res.GetContentType())
			h.Set("Content-Disposition", `inline; filename="`+res.GetFilename()+`"`)
			h.Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, res.GetCalendar())
			return true, nil
		}
		switch {
		case !withToken:
			pipe.serveHTTP(w, r, procedure, req, serve)
		case r.Header.Get("Authorization") != "":
			err := errs.InvalidField("token", "send a feed token or an Authorization header, not both")
			writeProblem(w, problemFromStatus(toStatus(r.Context(), pipe.log, procedure, err)), 0)
		default:
			pipe.serveHTTPAs(w, r, procedure, req, func(ctx context.Context) (principal.Principal, error) {
				return mtg.FeedPrincipal(ctx, region, token)
			}, serve)
		}
	})
}

// serveHTTPAs is serveHTTP for a caller identified by something other than
// the Authorization header (a calendar feed token): resolve returns its
// principal, and the policy table's rule for procedure admits it or not,
// as for any other call.
func (p *pipeline) serveHTTPAs(w http.ResponseWriter, r *http.Request, procedure string, req proto.Message,
	resolve func(context.Context) (principal.Principal, error), fn func(ctx context.Context) (started bool, err error)) {
	noHeader := func(string) string { return "" }
	c := call{procedure: procedure, protocol: "rest", header: noHeader, peer: hostOf(r.RemoteAddr), req: req}
	started := false
	err := p.stream(r.Context(), c, func(ctx context.Context, _ admission) error {
		who, err := resolve(ctx)
		if err != nil {
			return err
		}
		if !p.noAuth {
			if err := p.policy.Authorize(procedure, who, req); err != nil {
				return err
			}
		}
		p.log.InfoContext(ctx, "feed token", "procedure", procedure, "principal", who.Subject, "role", string(who.Role))
		started, err = fn(principal.With(ctx, who))
		return err
	})
	if err != nil && !started {
		st := toStatus(r.Context(), p.log, procedure, err)
		writeProblem(w, problemFromStatus(st), retryInfo(st))
	}
}
