package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

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
	quiet := textLog(io.Discard, slog.LevelInfo)
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

// BenchmarkHTTPHandler calls the HTTP listener's handler directly, without
// a connection, with an authenticated GetPartner over REST and over
// Connect: what the server's own code costs a call on the HTTP port (the
// middlewares, routing, the gateway, the pipeline and the service), net/http's
// reading and writing of the connection left out. Its ns/op and allocs/op
// move with that code alone, where BenchmarkHotPathGet's figures also move
// with the machine's load (docs/benchmarks.md, "REST and Connect, fourth
// pass"). The process's CPU per call (cpu-ns/op) moves less with the
// load than the time does.
func BenchmarkHTTPHandler(b *testing.B) {
	ts := startServer(b, server.Config{Logger: benchLogger(b)})
	name := benchPartner(b, ts)
	h := server.HTTPHandler(ts.Server.Server)
	body, err := proto.Marshal(&famiv1.GetPartnerRequest{Name: name})
	if err != nil {
		b.Fatal(err)
	}
	requests := map[string]func() *http.Request{
		"rest": func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/v1/"+name, nil)
		},
		// A list with a query: the query's parameters are checked
		// against the route's (restquery.go), beside the same list without
		// one.
		"rest-list": func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/v1/regions/lombardia/partners", nil)
		},
		"rest-list-query": func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/v1/regions/lombardia/partners?pageSize=10&kind=PARTNER_KIND_PLAN_OFFICE", nil)
		},
		"connect": func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, famiv1connect.PartnerServiceGetPartnerProcedure, bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/proto")
			r.Header.Set("Connect-Protocol-Version", "1")
			return r
		},
	}
	for _, surface := range []string{"rest", "rest-list", "rest-list-query", "connect"} {
		b.Run(surface, func(b *testing.B) {
			w := &discardResponse{header: http.Header{}}
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				w.serve(b, h, requests[surface](), ts.token)
			}
			b.ReportMetric(float64((cpuTime()-cpu)/time.Nanosecond)/float64(b.N), "cpu-ns/op")
		})
	}
}

// discardResponse is a ResponseWriter that keeps the status and drops the
// body.
type discardResponse struct {
	header http.Header
	status int
}

func (d *discardResponse) Header() http.Header         { return d.header }
func (d *discardResponse) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardResponse) WriteHeader(code int)        { d.status = code }

// serve has h answer r, sent with token, into d, and fails b unless the
// answer is a 200.
func (d *discardResponse) serve(b *testing.B, h http.Handler, r *http.Request, token string) {
	r.Header.Set("Authorization", "Bearer "+token)
	clear(d.header)
	d.status = http.StatusOK
	h.ServeHTTP(d, r)
	if d.status != http.StatusOK {
		b.Fatalf("status %d", d.status)
	}
}
