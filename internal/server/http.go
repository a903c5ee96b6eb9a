package server

import (
	"context"
	"fmt"
	"net/http"

	"connectrpc.com/connect"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/raccordo/raccordo/internal/openapi"
)

// httpHandler builds the HTTP listener's routes: Connect/gRPC/gRPC-Web per
// service, REST under /v1/, the OpenAPI document and /healthz.
func (s *Server) httpHandler(ctx context.Context, svcs []service, pipe *pipeline) (http.Handler, error) {
	mux := http.NewServeMux()
	opts := []connect.HandlerOption{
		connect.WithInterceptors(pipe.connectInterceptor()),
		connect.WithReadMaxBytes(s.cfg.MaxMessageBytes),
	}
	for _, svc := range svcs {
		mux.Handle(svc.connect(opts...))
	}

	gw := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
			MarshalOptions: protojson.MarshalOptions{EmitUnpopulated: false},
			// Unknown fields are refused rather than silently dropped, so
			// a misspelt field is an error naming it, not lost data.
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}),
		runtime.WithErrorHandler(gatewayError),
		runtime.WithRoutingErrorHandler(routingError),
	)
	for _, svc := range svcs {
		if err := svc.gateway(ctx, gw, s.gateway); err != nil {
			return nil, fmt.Errorf("register gateway: %w", err)
		}
	}
	mux.Handle("/v1/", http.MaxBytesHandler(gw, int64(s.cfg.MaxMessageBytes)))
	mux.Handle("GET /openapi.json", openapi.Handler())
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "max-age=300")
		w.Write(s.keys.JWKS())
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"status":"SERVING"}`)
	})
	return recoverHTTP(s, mux), nil
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
