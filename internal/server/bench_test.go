package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/sdk"
)

// BenchmarkAuthOverhead measures one GetPartner through a real server with
// authentication and authorisation (a verified, cached JWT and the policy
// table) and through a second server with them turned off, over gRPC and
// Connect. The two calls alternate in one loop, so both see the same noise;
// auth-throughput-% is the authenticated call's throughput relative to the
// other (docs/benchmarks.md; target >= 85%).
func BenchmarkAuthOverhead(b *testing.B) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	withAuth := startServer(b, server.Config{Logger: quiet})
	noAuth := startServer(b, server.Config{InsecureNoAuth: true, Logger: quiet})
	reqAuth := &famiv1.GetPartnerRequest{Name: benchPartner(b, withAuth)}
	reqNo := &famiv1.GetPartnerRequest{Name: benchPartner(b, noAuth)}

	type getter func() error
	surfaces := map[string]func(ts *testServer, req *famiv1.GetPartnerRequest) getter{
		"grpc": func(ts *testServer, req *famiv1.GetPartnerRequest) getter {
			client := famiv1.NewPartnerServiceClient(benchConn(b, ts.grpcAddr()))
			ctx := withBearer(context.Background(), ts.token)
			return func() error { _, err := client.GetPartner(ctx, req); return err }
		},
		"connect": func(ts *testServer, req *famiv1.GetPartnerRequest) getter {
			client := famiv1connect.NewPartnerServiceClient(http.DefaultClient, ts.httpURL(), bearer(ts.token))
			return func() error { _, err := client.GetPartner(context.Background(), req); return err }
		},
	}
	for _, name := range []string{"grpc", "connect"} {
		b.Run(name, func(b *testing.B) {
			getAuth, getNo := surfaces[name](withAuth, reqAuth), surfaces[name](noAuth, reqNo)
			var inAuth, inNo time.Duration
			for b.Loop() {
				t0 := time.Now()
				if err := getAuth(); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := getNo(); err != nil {
					b.Fatal(err)
				}
				inAuth, inNo = inAuth+t1.Sub(t0), inNo+time.Since(t1)
			}
			b.ReportMetric(float64(inAuth.Nanoseconds())/float64(b.N), "auth-ns/call")
			b.ReportMetric(float64(inNo.Nanoseconds())/float64(b.N), "noauth-ns/call")
			b.ReportMetric(100*float64(inNo)/float64(inAuth), "auth-throughput-%")
		})
	}
}

// benchPartner creates one partner through the server and returns its name.
func benchPartner(b testing.TB, ts *testServer) string {
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

// bearer makes a Connect client send a bearer token, on unary and
// streaming calls.
func bearer(token string) connect.ClientOption {
	return connect.WithInterceptors(sdk.Bearer(token))
}
