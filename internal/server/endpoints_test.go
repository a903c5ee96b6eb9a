package server_test

import (
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"
	"testing"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestServiceEndpoints covers what the server offers besides the API
// methods: the OpenAPI document, /healthz, the gRPC health service and
// server reflection, and the public reference data on every surface.
func TestServiceEndpoints(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()

	for _, path := range []string{"/openapi.json", "/openapi3.json"} {
		t.Run(path, func(t *testing.T) {
			res, err := newRESTSurface(t, ts, "").send(ctx, http.MethodGet, path, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if mt, _, _ := mime.ParseMediaType(res.ContentType); res.Status != http.StatusOK || mt != "application/json" {
				t.Fatalf("GET %s: got %d %q, want 200 application/json", path, res.Status, res.ContentType)
			}
			var doc struct {
				Paths map[string]json.RawMessage `json:"paths"`
			}
			if err := json.Unmarshal(res.Body, &doc); err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			if !slices.ContainsFunc(slices.Collect(maps.Keys(doc.Paths)), func(p string) bool { return strings.HasSuffix(p, "}/partners") }) {
				t.Errorf("GET %s: no partners collection among the paths %v", path, slices.Sorted(maps.Keys(doc.Paths)))
			}
		})
	}

	t.Run("healthz", func(t *testing.T) {
		res, err := newRESTSurface(t, ts, "").send(ctx, http.MethodGet, "/healthz", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != http.StatusOK {
			t.Errorf("GET /healthz: got %d %s, want 200", res.Status, res.Body)
		}
	})

	// Health checks come from probes and load balancers, which carry no
	// token (the README's tour calls it with grpcurl and no header).
	t.Run("grpc health", func(t *testing.T) {
		conn := dialGRPC(t, ts, "")
		res, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			t.Fatalf("Health.Check: %v", err)
		}
		if res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("Health.Check: got %s, want SERVING", res.GetStatus())
		}
	})

	t.Run("reflection", func(t *testing.T) {
		conn := dialGRPC(t, ts, "")
		stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
		if err != nil {
			t.Fatalf("ServerReflectionInfo: %v", err)
		}
		if err := stream.Send(&reflectionpb.ServerReflectionRequest{
			MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
		}); err != nil {
			t.Fatalf("send: %v", err)
		}
		res, err := stream.Recv()
		if err != nil {
			t.Fatalf("recv: %v", err)
		}
		stream.CloseSend()
		var services []string
		for _, s := range res.GetListServicesResponse().GetService() {
			services = append(services, s.GetName())
		}
		for _, want := range []string{"fami.v1.PartnerService", "fami.v1.ProjectService", "fami.v1.NetworkService", "fami.v1.RegionService", "grpc.health.v1.Health"} {
			if !slices.Contains(services, want) {
				t.Errorf("reflection lists %q, want %s among them", services, want)
			}
		}
	})

	// The regions are public: no token needed, on any surface.
	for _, kind := range surfaceKinds {
		t.Run("regions over "+kind, func(t *testing.T) {
			res, err := newSurfaceAs(t, ts, kind, "").ListRegions(ctx, &famiv1.ListRegionsRequest{})
			if err != nil {
				t.Fatalf("ListRegions: %v", err)
			}
			if got := len(res.GetRegions()); got != 21 || res.GetNextPageToken() != "" {
				t.Errorf("ListRegions: got %d regions and token %q, want 21 and none", got, res.GetNextPageToken())
			}
		})
	}
}
