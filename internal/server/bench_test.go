package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/server"
)

// BenchmarkGetPartner measures one GetPartner through a real server, with
// authentication and authorisation (a verified, cached JWT and the policy
// table) and with them turned off, over gRPC and Connect. The ratio of the
// two is the cost of auth (docs/benchmarks.md).
func BenchmarkGetPartner(b *testing.B) {
	for _, mode := range []struct {
		name   string
		noAuth bool
	}{{"auth", false}, {"noauth", true}} {
		ts := startServer(b, server.Config{InsecureNoAuth: mode.noAuth, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		name := benchPartner(b, ts)
		req := &famiv1.GetPartnerRequest{Name: name}

		b.Run("grpc/"+mode.name, func(b *testing.B) {
			conn, err := grpc.NewClient(ts.grpcAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			client := famiv1.NewPartnerServiceClient(conn)
			ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+ts.token)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := client.GetPartner(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
		b.Run("connect/"+mode.name, func(b *testing.B) {
			client := famiv1connect.NewPartnerServiceClient(http.DefaultClient, ts.httpURL(), bearer(ts.token))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := client.GetPartner(context.Background(), req); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
		ts.stop()
	}
}

// benchPartner creates one partner through the server and returns its name.
func benchPartner(b *testing.B, ts *testServer) string {
	b.Helper()
	client := famiv1connect.NewPartnerServiceClient(http.DefaultClient, ts.httpURL(), bearer(ts.token))
	p, err := client.CreatePartner(context.Background(), &famiv1.CreatePartnerRequest{
		Parent: "regions/lombardia", PartnerId: "udp-bergamo",
		Partner: &famiv1.Partner{DisplayName: "Ufficio di Piano di Bergamo", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE},
	})
	if err != nil {
		b.Fatal(err)
	}
	return p.GetName()
}

// bearer makes a Connect client send a bearer token.
func bearer(token string) connect.ClientOption {
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+token)
			return next(ctx, req)
		}
	}))
}
