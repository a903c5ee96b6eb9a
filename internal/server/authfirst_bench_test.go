package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// BenchmarkAnonymousLargeBody is the CPU an anonymous call with a body
// of about 4 MB costs the server (and its client, the same whatever the
// server does) on gRPC and on Connect (JSON, over h2c, so that a refused
// stream is reset rather than its connection closed), against the same
// anonymous call with a small body, in the same run: the ratio
// x-small-cpu says what the body adds to a refusal. The body is a
// BatchGetPartners of 100,000 names, every one a string to allocate when
// it is decoded. Each call is refused UNAUTHENTICATED (checked).
func BenchmarkAnonymousLargeBody(b *testing.B) {
	ts := startServer(b, server.Config{Logger: benchLogger(b), MaxMessageBytes: 8 << 20})
	large := &famiv1.BatchGetPartnersRequest{Parent: lombardia}
	for i := range 100_000 {
		large.Names = append(large.Names, fmt.Sprintf("regions/lombardia/partners/p%07d", i))
	}
	small := &famiv1.BatchGetPartnersRequest{Parent: lombardia, Names: []string{"regions/lombardia/partners/p"}}
	conn := benchConn(b, ts.grpcAddr(), grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(8<<20)))
	hc := benchHTTPClient(b, true)
	cpu := map[string]float64{}
	for _, size := range []string{"small", "4MB"} {
		msg := map[string]*famiv1.BatchGetPartnersRequest{"small": small, "4MB": large}[size]
		wire, err := proto.Marshal(msg)
		if err != nil {
			b.Fatal(err)
		}
		json, err := protojson.Marshal(msg)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: %d bytes (protobuf), %d bytes (JSON)", size, len(wire), len(json))
		b.Run(size+"/grpc", func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				in, out := wire, []byte(nil)
				err := conn.Invoke(b.Context(), famiv1.PartnerService_BatchGetPartners_FullMethodName, &in, &out, grpc.ForceCodecV2(rawCodec{}))
				if status.Code(err) != codes.Unauthenticated {
					b.Fatalf("got %v, want UNAUTHENTICATED", err)
				}
			}
			cpu[size+"/grpc"] = float64(cpuTime()-start) / float64(b.N)
			b.ReportMetric(cpu[size+"/grpc"], "cpu-ns/op")
			if small := cpu["small/grpc"]; size != "small" && small > 0 {
				b.ReportMetric(cpu[size+"/grpc"]/small, "x-small-cpu")
			}
		})
		b.Run(size+"/connect", func(b *testing.B) {
			url := ts.httpURL() + "/" + strings.TrimPrefix(famiv1.PartnerService_BatchGetPartners_FullMethodName, "/")
			start := cpuTime()
			for b.Loop() {
				req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, url, bytes.NewReader(json))
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				res, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusUnauthorized {
					b.Fatalf("got HTTP %d, want 401", res.StatusCode)
				}
			}
			cpu[size+"/connect"] = float64(cpuTime()-start) / float64(b.N)
			b.ReportMetric(cpu[size+"/connect"], "cpu-ns/op")
			if small := cpu["small/connect"]; size != "small" && small > 0 {
				b.ReportMetric(cpu[size+"/connect"]/small, "x-small-cpu")
			}
		})
	}
}
