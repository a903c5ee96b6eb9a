package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"connectrpc.com/connect"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/openapi"
	"github.com/raccordo/raccordo/internal/support"
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
	rest := http.MaxBytesHandler(gw, int64(s.cfg.MaxMessageBytes))
	mux.Handle("/v1/", rest)
	mux.Handle("GET /v1/regions/{region}", s.backupHandler(pipe, rest))
	for _, svc := range svcs {
		if svc.routes != nil {
			svc.routes(mux, pipe)
		}
	}
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
