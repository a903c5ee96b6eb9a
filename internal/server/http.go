package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"connectrpc.com/connect"
	"connectrpc.com/grpcreflect"
	"connectrpc.com/otelconnect"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/raccordo/raccordo/internal/openapi"
	"github.com/raccordo/raccordo/internal/opendata"
	"github.com/raccordo/raccordo/internal/web"
)

// httpHandler builds the HTTP listener's routes: Connect/gRPC/gRPC-Web per
// service and reflection, REST under /v1/, the OpenAPI documents, the JWKS,
// /healthz, /readyz, /metrics and the web application at "/"; around them
// the REST spans, gRPC-Web's text mode and CORS.
func (s *Server) httpHandler(ctx context.Context, svcs []service, pipe *pipeline) (http.Handler, error) {
	mux := http.NewServeMux()
	otelConnect, err := otelconnect.NewInterceptor(
		otelconnect.WithTracerProvider(s.cfg.TracerProvider),
		otelconnect.WithPropagator(propagator),
		// A caller's trace context is the parent of the server's span, so
		// a trace runs end to end (the default only links it).
		otelconnect.WithTrustRemote(),
		otelconnect.WithoutMetrics(),
	)
	if err != nil {
		return nil, err
	}
	opts := []connect.HandlerOption{
		connect.WithInterceptors(otelConnect, pipe.connectInterceptor()),
		connect.WithReadMaxBytes(s.cfg.MaxMessageBytes),
	}
	var names []string
	for _, svc := range svcs {
		path, h := svc.connect(opts...)
		mux.Handle(path, h)
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
	)
	for _, svc := range svcs {
		if err := svc.gateway(ctx, gw, s.gateway); err != nil {
			return nil, fmt.Errorf("register gateway: %w", err)
		}
	}
	rest := problemStatus(http.MaxBytesHandler(gw, int64(s.cfg.MaxMessageBytes)))
	mux.Handle("/v1/", rest)
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
