package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/logbuf"
	"github.com/raccordo/raccordo/internal/logtext"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// The hot-path benchmarks of issue 19 (docs/benchmarks.md). Each b.Loop
// iteration is one round that runs every contender in turn, so all of them
// see the same noise on a shared machine; a ratio is the median over the
// rounds of the ratio within each round, so a round that another process
// disturbed does not decide the figure. Client and server share the
// process, so CPU per call counts both sides.

// benchLogger logs text lines at info level into a file through a buffer,
// as famid does by default: the access log's cost is part of what is
// measured.
func benchLogger(b testing.TB) *slog.Logger {
	f, err := os.Create(filepath.Join(b.TempDir(), "famid.log"))
	if err != nil {
		b.Fatal(err)
	}
	w := logbuf.New(f, 0)
	b.Cleanup(func() { w.Close(); f.Close() })
	return slog.New(logtext.New(w, nil))
}

// bareServer is the baseline: grpc-go with no interceptor, answering
// GetPartner with a fixed Partner.
type bareServer struct {
	famiv1.UnimplementedPartnerServiceServer
	p *famiv1.Partner
}

func (s bareServer) GetPartner(context.Context, *famiv1.GetPartnerRequest) (*famiv1.Partner, error) {
	return s.p, nil
}

func startBare(b testing.TB, p *famiv1.Partner) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer()
	famiv1.RegisterPartnerServiceServer(srv, bareServer{p: p})
	go srv.Serve(lis)
	b.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// contender is one way to make a call, and what its rounds measured.
type contender struct {
	name string
	call func(ctx context.Context) error
	// serverCPU, when set, is the CPU time used so far by the server
	// process the calls go to (see hotpath_server_test.go).
	serverCPU func() time.Duration
	rounds    []round
}

// round is what one contender's calls of one round measured.
type round struct {
	qps        float64
	cpuPerCall float64 // µs of process CPU time per call
	// serverCPUPerCall is the µs of the server process's CPU time per
	// call, when the server runs in a process of its own.
	serverCPUPerCall float64
	p50, p99         float64 // µs
}

func newRound(calls int, busy, cpu time.Duration, lat []time.Duration) round {
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds())
	}
	return round{qps: float64(calls) / busy.Seconds(), cpuPerCall: float64(cpu.Microseconds()) / float64(calls), p50: pct(0.5), p99: pct(0.99)}
}

// median is the median over the rounds of f of a round.
func (k *contender) median(f func(round) float64) float64 {
	v := make([]float64, len(k.rounds))
	for i, r := range k.rounds {
		v[i] = f(r)
	}
	return medianOf(v)
}

// ratio is the median over the rounds of f(a's round) / f(b's round).
func ratio(a, b *contender, f func(round) float64) float64 {
	v := make([]float64, len(a.rounds))
	for i := range v {
		v[i] = f(a.rounds[i]) / f(b.rounds[i])
	}
	return medianOf(v)
}

// medianOf is the median of v: with an even count, the mean of the two
// middle values, so that neither side of a ratio is favoured.
func medianOf(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[n/2]
}

func qps(r round) float64 { return r.qps }
func cpu(r round) float64 { return r.cpuPerCall }
func p50(r round) float64 { return r.p50 }
func p99(r round) float64 { return r.p99 }

// run makes calls from c goroutines, each n calls, and records the round.
func (k *contender) run(b *testing.B, c, n int) {
	k.rounds = append(k.rounds, k.measure(b, c, n))
}

// measure makes calls from c goroutines, each n calls.
func (k *contender) measure(b *testing.B, c, n int) round {
	lats := make([][]time.Duration, c)
	var server0 time.Duration
	if k.serverCPU != nil {
		server0 = k.serverCPU()
	}
	cpu0 := cpuTime()
	t0 := time.Now()
	var wg sync.WaitGroup
	for i := range c {
		wg.Go(func() {
			for range n {
				s := time.Now()
				if err := k.call(context.Background()); err != nil {
					b.Error(k.name, err)
					return
				}
				lats[i] = append(lats[i], time.Since(s))
			}
		})
	}
	wg.Wait()
	r := newRound(c*n, time.Since(t0), cpuTime()-cpu0, slices.Concat(lats...))
	if k.serverCPU != nil {
		r.serverCPUPerCall = float64((k.serverCPU() - server0).Microseconds()) / float64(c*n)
	}
	return r
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchHTTPClient keeps enough idle connections for 64 concurrent callers
// over HTTP/1.1, or speaks HTTP/2 without TLS (one connection, as gRPC).
func benchHTTPClient(b *testing.B, h2 bool) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 128, MaxIdleConns: 256}
	if h2 {
		tr.Protocols = new(http.Protocols)
		tr.Protocols.SetUnencryptedHTTP2(true)
	}
	b.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// bearerContext carries token to grpc-go calls.
func bearerContext(token string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
}

// benchConn is a plaintext grpc-go connection to addr, closed with b.
func benchConn(b testing.TB, addr string) *grpc.ClientConn {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return conn
}

// BenchmarkHotPathGet is an authenticated GetPartner at concurrency 50 on
// every surface against a bare grpc-go server returning a fixed Partner.
func BenchmarkHotPathGet(b *testing.B) {
	const c, n = 50, 20
	srv := startServerProcess(b)
	req := &famiv1.GetPartnerRequest{Name: srv.Name}
	hc := benchHTTPClient(b, false)

	grpcClient := famiv1.NewPartnerServiceClient(benchConn(b, srv.GRPC))
	bareClient := famiv1.NewPartnerServiceClient(benchConn(b, srv.Bare))
	bareAnonClient := famiv1.NewPartnerServiceClient(benchConn(b, srv.Bare))
	connectClient := famiv1connect.NewPartnerServiceClient(hc, srv.HTTP, bearer(srv.Token))
	connectNoGzip := famiv1connect.NewPartnerServiceClient(hc, srv.HTTP, bearer(srv.Token), connect.WithAcceptCompression("gzip", nil, nil))
	connectH2 := famiv1connect.NewPartnerServiceClient(benchHTTPClient(b, true), srv.HTTP, bearer(srv.Token))
	webClient := famiv1connect.NewPartnerServiceClient(hc, srv.HTTP, bearer(srv.Token), connect.WithGRPCWeb())
	withToken := func(ctx context.Context) context.Context {
		return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+srv.Token)
	}
	restURL := srv.HTTP + "/v1/" + srv.Name

	// The bare server's client sends the same token (which that server
	// ignores), so that both clients do the same work and the ratio
	// compares the servers.
	bare := &contender{name: "bare", call: func(ctx context.Context) error { _, err := bareClient.GetPartner(withToken(ctx), req); return err }}
	// The same, with a client that sends no token (the figure's earlier
	// definition, in which the client's work differed too).
	bareAnon := &contender{name: "bare-anon", call: func(ctx context.Context) error { _, err := bareAnonClient.GetPartner(ctx, req); return err }}
	grpcK := &contender{name: "grpc", call: func(ctx context.Context) error { _, err := grpcClient.GetPartner(withToken(ctx), req); return err }}
	connectK := &contender{name: "connect", call: func(ctx context.Context) error { _, err := connectClient.GetPartner(ctx, req); return err }}
	connectNoGzipK := &contender{name: "connect-nogzip", call: func(ctx context.Context) error { _, err := connectNoGzip.GetPartner(ctx, req); return err }}
	connectH2K := &contender{name: "connect-h2c", call: func(ctx context.Context) error { _, err := connectH2.GetPartner(ctx, req); return err }}
	webK := &contender{name: "grpcweb", call: func(ctx context.Context) error { _, err := webClient.GetPartner(ctx, req); return err }}
	restK := &contender{name: "rest", call: func(ctx context.Context) error {
		r, _ := http.NewRequestWithContext(ctx, http.MethodGet, restURL, nil)
		r.Header.Set("Authorization", "Bearer "+srv.Token)
		res, err := hc.Do(r)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if _, err := io.Copy(io.Discard, res.Body); err != nil {
			return err
		}
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("REST GET: %s", res.Status)
		}
		return nil
	}}
	all := []*contender{bare, bareAnon, grpcK, connectK, connectNoGzipK, connectH2K, webK, restK}
	for _, k := range all { // warm up connections
		k.serverCPU = srv.cpu
		k.measure(b, c, 2)
	}
	for b.Loop() {
		for _, k := range all {
			k.run(b, c, n)
		}
	}
	for _, k := range all {
		b.ReportMetric(k.median(qps), k.name+"-qps")
		b.ReportMetric(k.median(serverCPU), k.name+"-server-us/call")
		b.ReportMetric(k.median(cpu), k.name+"-client-us/call")
	}
	b.ReportMetric(ratio(grpcK, bare, qps), "grpc/bare-qps")
	b.ReportMetric(ratio(grpcK, bareAnon, qps), "grpc/bare-anon-qps")
	b.ReportMetric(ratio(grpcK, bare, cpu), "grpc/bare-cpu")
	b.ReportMetric(ratio(grpcK, bare, serverCPU), "grpc/bare-server-cpu")
	b.ReportMetric(ratio(grpcK, bare, p99), "grpc/bare-p99")
	b.ReportMetric(ratio(connectK, grpcK, qps), "connect/grpc-qps")
	b.ReportMetric(ratio(connectNoGzipK, grpcK, qps), "connect-nogzip/grpc-qps")
	b.ReportMetric(ratio(connectH2K, grpcK, qps), "connect-h2c/grpc-qps")
	b.ReportMetric(ratio(webK, grpcK, qps), "grpcweb/grpc-qps")
	b.ReportMetric(ratio(restK, grpcK, qps), "rest/grpc-qps")
	b.ReportMetric(ratio(restK, grpcK, cpu), "rest/grpc-cpu")
	b.ReportMetric(ratio(restK, grpcK, serverCPU), "rest/grpc-server-cpu")
	b.ReportMetric(ratio(connectK, grpcK, serverCPU), "connect/grpc-server-cpu")
	b.ReportMetric(ratio(connectH2K, grpcK, serverCPU), "connect-h2c/grpc-server-cpu")
	if srv.pinned {
		b.ReportMetric(1, "server-pinned")
	}
}

// partnerIDs numbers the partners the benchmarks create.
var partnerIDs atomic.Int64

// creator makes durable CreatePartner calls over gRPC in one region.
func creator(b *testing.B, ts *testServer, region string) *contender {
	client := famiv1.NewPartnerServiceClient(benchConn(b, ts.grpcAddr()))
	token := ts.mintToken(auth.TokenSpec{Subject: "bench:" + region, Role: principal.RegionAdmin, Region: region})
	return &contender{name: region, call: func(ctx context.Context) error {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
		_, err := client.CreatePartner(ctx, &famiv1.CreatePartnerRequest{
			Parent: "regions/" + region, PartnerId: fmt.Sprintf("p%08d", partnerIDs.Add(1)),
			Partner: &famiv1.Partner{DisplayName: "Partner di prova", Kind: famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR},
		})
		return err
	}}
}

// dsyncWriter writes 4 KiB blocks with O_DSYNC, as
// `dd if=/dev/zero of=FILE bs=4k oflag=dsync` does: the disk's physical
// limit for durable commits.
func dsyncWriter(b *testing.B) *contender {
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "dsync"), os.O_CREATE|os.O_WRONLY|syscall.O_DSYNC, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	block := make([]byte, 4096)
	return &contender{name: "dsync", call: func(context.Context) error { _, err := f.Write(block); return err }}
}

// BenchmarkHotPathCreate is a durable CreatePartner through the gRPC API at
// concurrency 1 and 64 in one region, and at 64 in each of two regions at
// once, beside the disk's synced 4 KiB writes per second.
func BenchmarkHotPathCreate(b *testing.B) {
	ts := startServer(b, server.Config{Logger: benchLogger(b)})
	c1 := creator(b, ts, "lombardia")
	c64 := creator(b, ts, "lombardia")
	two := [2]*contender{creator(b, ts, "lombardia"), creator(b, ts, "veneto")}
	twoK := &contender{name: "two-regions"}
	disk := dsyncWriter(b)
	for b.Loop() {
		disk.run(b, 1, 32)
		c1.run(b, 1, 32)
		c64.run(b, 64, 8)
		// Both regions at once, 64 callers each.
		cpu0, t0 := cpuTime(), time.Now()
		var wg sync.WaitGroup
		for _, k := range two {
			wg.Go(func() { k.measure(b, 64, 8) })
		}
		wg.Wait()
		twoK.rounds = append(twoK.rounds, round{qps: 2 * 64 * 8 / time.Since(t0).Seconds(), cpuPerCall: float64((cpuTime() - cpu0).Microseconds()) / (2 * 64 * 8)})
	}
	b.ReportMetric(disk.median(qps), "dsync-writes/s")
	b.ReportMetric(c1.median(qps), "c1-creates/s")
	b.ReportMetric(c64.median(qps), "c64-creates/s")
	b.ReportMetric(twoK.median(qps), "2regions-c64-creates/s")
	b.ReportMetric(ratio(c64, c1, qps), "c64/c1")
	b.ReportMetric(ratio(twoK, c64, qps), "2regions/1region")
	b.ReportMetric(ratio(c64, disk, qps), "c64/dsync")
	b.ReportMetric(ratio(c1, disk, qps), "c1/dsync")
	b.ReportMetric(c64.median(cpu), "c64-cpu-us/create")
	b.ReportMetric(twoK.median(cpu), "2regions-cpu-us/create")
}

// BenchmarkHotPathWatchers is the write acknowledgement latency (c=1,
// gRPC) of a server with 500 open watches of the region, every one reading
// each change, against a server with none.
func BenchmarkHotPathWatchers(b *testing.B) {
	const watchers, perRound = 500, 32
	quiet := benchLogger(b)
	none := startServer(b, server.Config{Logger: quiet})
	watched := startServer(b, server.Config{Logger: quiet})
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	conn := benchConn(b, watched.grpcAddr())
	wctx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+watched.token)
	var seen atomic.Int64
	var wg sync.WaitGroup
	b.Cleanup(wg.Wait)
	b.Cleanup(cancel)
	for range watchers {
		stream, err := famiv1.NewSyncServiceClient(conn).Watch(wctx, &famiv1.WatchRequest{Parent: "regions/lombardia"})
		if err != nil {
			b.Fatal(err)
		}
		wg.Go(func() {
			for {
				res, err := stream.Recv()
				if err != nil {
					return
				}
				seen.Add(int64(len(res.GetChanges())))
			}
		})
	}
	kNone, kWatched := creator(b, none, "lombardia"), creator(b, watched, "lombardia")
	kNone.name, kWatched.name = "none", "watched"
	for b.Loop() {
		kNone.run(b, 1, perRound)
		kWatched.run(b, 1, perRound)
	}
	b.ReportMetric(kNone.median(p50), "none-p50-us")
	b.ReportMetric(kNone.median(p99), "none-p99-us")
	b.ReportMetric(kWatched.median(p50), "watched-p50-us")
	b.ReportMetric(kWatched.median(p99), "watched-p99-us")
	b.ReportMetric(ratio(kWatched, kNone, p50), "watched/none-p50")
	b.ReportMetric(ratio(kWatched, kNone, p99), "watched/none-p99")
	b.ReportMetric(float64(seen.Load())/float64(perRound*len(kWatched.rounds)), "deliveries/create")
}
