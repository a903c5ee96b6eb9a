package server

import (
	"context"
	"fmt"
	"net/http"

	"connectrpc.com/connect"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/openapi"
)

// httpHandler builds the HTTP listener's routes: Connect/gRPC/gRPC-Web per
// service, REST under /v1/, the OpenAPI document and /healthz.
func (s *Server) httpHandler(ctx context.Context, svc services, pipe *pipeline) (http.Handler, error) {
	mux := http.NewServeMux()
	opts := []connect.HandlerOption{
		connect.WithInterceptors(pipe.connectInterceptor()),
		connect.WithReadMaxBytes(s.cfg.MaxMessageBytes),
	}
	mux.Handle(famiv1connect.NewRegionServiceHandler(svc.regions, opts...))
	mux.Handle(famiv1connect.NewPartnerServiceHandler(svc.partners, opts...))
	mux.Handle(famiv1connect.NewProjectServiceHandler(svc.projects, opts...))
	mux.Handle(famiv1connect.NewNetworkServiceHandler(svc.networks, opts...))
	mux.Handle(famiv1connect.NewAuthServiceHandler(svc.auth, opts...))

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
	for _, register := range []func(context.Context, *runtime.ServeMux) error{
		func(ctx context.Context, m *runtime.ServeMux) error {
			return famiv1.RegisterRegionServiceHandler(ctx, m, s.gateway)
		},
		func(ctx context.Context, m *runtime.ServeMux) error {
			return famiv1.RegisterPartnerServiceHandler(ctx, m, s.gateway)
		},
		func(ctx context.Context, m *runtime.ServeMux) error {
			return famiv1.RegisterProjectServiceHandler(ctx, m, s.gateway)
		},
		func(ctx context.Context, m *runtime.ServeMux) error {
			return famiv1.RegisterNetworkServiceHandler(ctx, m, s.gateway)
		},
		func(ctx context.Context, m *runtime.ServeMux) error {
			return famiv1.RegisterAuthServiceHandler(ctx, m, s.gateway)
		},
	} {
		if err := register(ctx, gw); err != nil {
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
