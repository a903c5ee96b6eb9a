package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/logbuf"
	"github.com/raccordo/raccordo/internal/logtext"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
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
	// serverTimes, when set, is the CPU time used so far by the server
	// process the calls go to, and the time its threads waited for a core
	// (see hotpath_server_test.go).
	serverTimes func() (cpu, wait time.Duration)
	rounds      []round
}

// round is what one contender's calls of one round measured.
type round struct {
	qps        float64
	cpuPerCall float64 // µs of process CPU time per call
	// serverCPUPerCall is the µs of the server process's CPU time per
	// call, when the server runs in a process of its own.
	serverCPUPerCall float64
	// starved is how many of the process's threads were, on average over
	// the round, ready to run but waiting for a core (another process's
	// or another of ours): near 0 the round had the cores it wanted.
	starved float64
	// serverStarved is starved for the server process, when it runs in a
	// process of its own.
	serverStarved float64
	// allocsPerCall and bytesPerCall are the process's heap allocations
	// per call, client's and (in process) server's: the garbage
	// collector's work, counted exactly where CPU time is noisy.
	allocsPerCall, bytesPerCall float64
	p50, p99                    float64 // µs
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

// ratio is the median over the rounds of f(a's round) / f(b's round), or
// 0 when one of them did not run (hotPathOnlyEnv).
func ratio(a, b *contender, f func(round) float64) float64 {
	if len(a.rounds) == 0 || len(b.rounds) == 0 {
		return 0
	}
	v := make([]float64, min(len(a.rounds), len(b.rounds)))
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
	if n == 0 {
		return math.NaN() // a contender left out (onlyEnv)
	}
	if n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[n/2]
}

func qps(r round) float64     { return r.qps }
func cpu(r round) float64     { return r.cpuPerCall }
func starved(r round) float64 { return r.starved }
func p50(r round) float64     { return r.p50 }
func p99(r round) float64     { return r.p99 }

// clientCores is the share of a core the calling process used in a round.
func clientCores(r round) float64 { return r.cpuPerCall * r.qps / 1e6 }

// run makes calls from c goroutines, each n calls, and records the round.
func (k *contender) run(b *testing.B, c, n int) {
	k.rounds = append(k.rounds, k.measure(b, c, n))
}

// measure makes calls from c goroutines, each n calls. The process's own
// readings (its threads' run-queue times from /proc, a millisecond or so
// with every thread's file) are taken outside the CPU time it counts.
func (k *contender) measure(b *testing.B, c, n int) round {
	var server0, serverWait0 time.Duration
	if k.serverTimes != nil {
		server0, serverWait0 = k.serverTimes()
	}
	heap0, wait0 := heapAllocs(), runQueueTime()
	cpu0, t0 := cpuTime(), time.Now()
	lat := k.calls(b, c, n)
	busy, cpu := time.Since(t0), cpuTime()-cpu0
	r := newRound(c*n, busy, cpu, lat)
	r.starved = float64(runQueueTime()-wait0) / float64(busy)
	heap := heapAllocs()
	r.allocsPerCall = float64(heap[0].Value.Uint64()-heap0[0].Value.Uint64()) / float64(c*n)
	r.bytesPerCall = float64(heap[1].Value.Uint64()-heap0[1].Value.Uint64()) / float64(c*n)
	if k.serverTimes != nil {
		server, serverWait := k.serverTimes()
		r.serverCPUPerCall = float64((server - server0).Microseconds()) / float64(c*n)
		r.serverStarved = float64(serverWait-serverWait0) / float64(busy)
	}
	return r
}

// calls makes calls from c goroutines, each n calls, and returns their
// latencies.
func (k *contender) calls(b *testing.B, c, n int) []time.Duration {
	lats := make([][]time.Duration, c)
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
	return slices.Concat(lats...)
}

// heapAllocs reads the process's heap allocations so far: objects, then
// bytes.
func heapAllocs() []metrics.Sample {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s
}

// runQueueTime is how long the process's threads have waited, ready, for
// a core (the second field of Linux's /proc/self/task/*/schedstat), or 0
// where that is not available.
func runQueueTime() time.Duration {
	files, _ := filepath.Glob("/proc/self/task/*/schedstat")
	var total time.Duration
	for _, f := range files {
		var run, wait int64
		if b, err := os.ReadFile(f); err == nil {
			fmt.Sscan(string(b), &run, &wait)
			total += time.Duration(wait)
		}
	}
	return total
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

// oneWrite sends a request's head and its body in one write when the body
// is small, as grpc-go's client sends a call's headers and message.
// connect-go hands net/http a unary request's body as a reader of its own,
// which net/http does not know to be in memory; net/http then flushes the
// head before copying the body, so each call costs the client two writes
// and the server two segments to receive. Given the body as a
// bytes.Reader, net/http writes both at once (net/http's
// isKnownInMemoryReader).
type oneWrite struct{ next http.RoundTripper }

// oneWriteMax is the largest body oneWrite reads ahead: a unary request.
const oneWriteMax = 64 << 10

func (t oneWrite) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength <= 0 || r.ContentLength > oneWriteMax {
		return t.next.RoundTrip(r)
	}
	body := make([]byte, r.ContentLength)
	_, err := io.ReadFull(r.Body, body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	// A RoundTripper must not change the caller's request: a shallow copy
	// carries the new body.
	r2 := *r
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return t.next.RoundTrip(&r2)
}

// benchConn is a plaintext grpc-go connection to addr, with opts, closed
// with b.
func benchConn(b testing.TB, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return conn
}

// hotPathOnlyEnv, when set, names the contenders BenchmarkHotPathGet and
// BenchmarkHotPathCreate run, comma-separated ("grpc,connect-onewrite",
// "c64"): to profile one surface's server alone, with serverProfileEnv, or
// one create contender with -test.cpuprofile. Ratios with a contender left
// out are reported as 0.
const hotPathOnlyEnv = "RACCORDO_HOTPATH_ONLY"

// BenchmarkHotPathGet is an authenticated GetPartner at concurrency 50 on
// every surface against a bare grpc-go server returning a fixed Partner.
// Connect and gRPC-Web run twice: with connect-go's client as it comes,
// and with that client writing each request in one piece (oneWrite), as
// the gRPC contenders' grpc-go client does. Each contender reports the
// share of a core its server and its client used: the side near 1 is what
// bounds its QPS.
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
	// The same two clients writing each request in one piece (oneWrite),
	// as grpc-go's client does.
	hc1 := &http.Client{Transport: oneWrite{hc.Transport}}
	connect1W := famiv1connect.NewPartnerServiceClient(hc1, srv.HTTP, bearer(srv.Token))
	web1W := famiv1connect.NewPartnerServiceClient(hc1, srv.HTTP, bearer(srv.Token), connect.WithGRPCWeb())
	restURL := srv.HTTP + "/v1/" + srv.Name

	// The bare server's client sends the same token (which that server
	// ignores), so that both clients do the same work and the ratio
	// compares the servers.
	bare := &contender{name: "bare", call: func(ctx context.Context) error {
		_, err := bareClient.GetPartner(withBearer(ctx, srv.Token), req)
		return err
	}}
	// The same, with a client that sends no token (the figure's earlier
	// definition, in which the client's work differed too).
	bareAnon := &contender{name: "bare-anon", call: func(ctx context.Context) error { _, err := bareAnonClient.GetPartner(ctx, req); return err }}
	grpcK := &contender{name: "grpc", call: func(ctx context.Context) error {
		_, err := grpcClient.GetPartner(withBearer(ctx, srv.Token), req)
		return err
	}}
	connectK := &contender{name: "connect", call: func(ctx context.Context) error { _, err := connectClient.GetPartner(ctx, req); return err }}
	connectNoGzipK := &contender{name: "connect-nogzip", call: func(ctx context.Context) error { _, err := connectNoGzip.GetPartner(ctx, req); return err }}
	connectH2K := &contender{name: "connect-h2c", call: func(ctx context.Context) error { _, err := connectH2.GetPartner(ctx, req); return err }}
	webK := &contender{name: "grpcweb", call: func(ctx context.Context) error { _, err := webClient.GetPartner(ctx, req); return err }}
	connect1WK := &contender{name: "connect-onewrite", call: func(ctx context.Context) error { _, err := connect1W.GetPartner(ctx, req); return err }}
	web1WK := &contender{name: "grpcweb-onewrite", call: func(ctx context.Context) error { _, err := web1W.GetPartner(ctx, req); return err }}
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
	all := only(b, []*contender{bare, bareAnon, grpcK, connectK, connectNoGzipK, connectH2K, webK, restK, connect1WK, web1WK})
	for _, k := range all { // warm up connections
		k.serverTimes = srv.times
		k.calls(b, c, 2)
	}
	// Each round starts one contender further along, so that none always
	// runs first or last in a round (right after another's burst of
	// garbage to collect, or as the machine's other work comes and goes).
	for turn := 0; b.Loop(); turn++ {
		for i := range all {
			all[(turn+i)%len(all)].run(b, c, n)
		}
	}
	for _, k := range all {
		b.ReportMetric(k.median(qps), k.name+"-qps")
		b.ReportMetric(k.median(serverCPU), k.name+"-server-us/call")
		b.ReportMetric(k.median(cpu), k.name+"-client-us/call")
		// How much of a core each side used while the calls ran: near 1,
		// that side's core is what bounds the QPS.
		b.ReportMetric(k.median(serverCores), k.name+"-server-cores")
		b.ReportMetric(k.median(clientCores), k.name+"-client-cores")
	}
	b.ReportMetric(ratio(grpcK, bare, qps), "grpc/bare-qps")
	b.ReportMetric(ratio(grpcK, bareAnon, qps), "grpc/bare-anon-qps")
	b.ReportMetric(ratio(grpcK, bare, cpu), "grpc/bare-cpu")
	b.ReportMetric(ratio(grpcK, bare, serverCPU), "grpc/bare-server-cpu")
	b.ReportMetric(ratio(grpcK, bare, p99), "grpc/bare-p99")
	b.ReportMetric(ratio(connectK, grpcK, qps), "connect/grpc-qps")
	b.ReportMetric(ratio(connectNoGzipK, grpcK, qps), "connect-nogzip/grpc-qps")
	b.ReportMetric(ratio(connect1WK, grpcK, qps), "connect-onewrite/grpc-qps")
	b.ReportMetric(ratio(web1WK, grpcK, qps), "grpcweb-onewrite/grpc-qps")
	b.ReportMetric(ratio(connectH2K, grpcK, qps), "connect-h2c/grpc-qps")
	b.ReportMetric(ratio(webK, grpcK, qps), "grpcweb/grpc-qps")
	b.ReportMetric(ratio(restK, grpcK, qps), "rest/grpc-qps")
	b.ReportMetric(ratio(restK, grpcK, cpu), "rest/grpc-cpu")
	b.ReportMetric(ratio(restK, grpcK, serverCPU), "rest/grpc-server-cpu")
	b.ReportMetric(ratio(connectK, grpcK, serverCPU), "connect/grpc-server-cpu")
	b.ReportMetric(ratio(connectH2K, grpcK, serverCPU), "connect-h2c/grpc-server-cpu")
	// Threads ready to run but waiting for a core, over every round of
	// every contender: near 0 each process had its core (the issue's
	// conditions); well above, other work on the machine shared them, and
	// the QPS ratios say more of the scheduler than of the surfaces.
	var every contender
	for _, k := range all {
		every.rounds = append(every.rounds, k.rounds...)
	}
	b.ReportMetric(every.median(starved), "client-threads-waiting-for-a-core")
	b.ReportMetric(every.median(func(r round) float64 { return r.serverStarved }), "server-threads-waiting-for-a-core")
	if srv.pinned {
		b.ReportMetric(1, "server-pinned")
	}
}

// only is the contenders hotPathOnlyEnv names, or all of them.
func only(b *testing.B, all []*contender) []*contender {
	names := os.Getenv(hotPathOnlyEnv)
	if names == "" {
		return all
	}
	var kept []*contender
	for _, k := range all {
		if slices.Contains(strings.Split(names, ","), k.name) {
			kept = append(kept, k)
		}
	}
	if len(kept) == 0 {
		b.Fatalf("%s=%s names no contender", hotPathOnlyEnv, names)
	}
	return kept
}

// partnerIDs numbers the partners the benchmarks create.
var partnerIDs atomic.Int64

// newPartner is the request of every create the benchmarks make.
func newPartner(region string) *famiv1.CreatePartnerRequest {
	return &famiv1.CreatePartnerRequest{
		Parent: "regions/" + region, PartnerId: fmt.Sprintf("p%08d", partnerIDs.Add(1)),
		Partner: &famiv1.Partner{DisplayName: "Partner di prova", Kind: famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR},
	}
}

// creator, named name, makes durable CreatePartner calls over gRPC in one
// region.
func creator(b *testing.B, ts *testServer, name, region string) *contender {
	client := famiv1.NewPartnerServiceClient(benchConn(b, ts.grpcAddr()))
	token := ts.mintToken(auth.TokenSpec{Subject: "bench:" + region, Role: principal.RegionAdmin, Region: region})
	return &contender{name: name, call: func(ctx context.Context) error {
		ctx = withBearer(ctx, token)
		_, err := client.CreatePartner(ctx, newPartner(region))
		return err
	}}
}

// createPartner creates a partner in lombardia as the creators do.
func createPartner(b *testing.B, ts *testServer) *famiv1.Partner {
	client := famiv1.NewPartnerServiceClient(benchConn(b, ts.grpcAddr()))
	ctx := withBearer(context.Background(), ts.token)
	p, err := client.CreatePartner(ctx, newPartner("lombardia"))
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// dsyncWriter writes 4 KiB blocks with O_DSYNC to a file of its own, as
// `dd if=/dev/zero of=FILE bs=4k oflag=dsync` does: the disk's physical
// limit for durable commits. Two of them at once are the disk's own
// scaling with two synced files, the ceiling of two regions' writers.
func dsyncWriter(b *testing.B) *contender {
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "dsync"), os.O_CREATE|os.O_WRONLY|syscall.O_DSYNC, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	block := make([]byte, 4096)
	return &contender{name: "dsync", call: func(context.Context) error { _, err := f.Write(block); return err }}
}

// etcdPutter puts records of size bytes into a one-member etcd embedded in
// the process (etcd 3.6, the version the etcd store uses), its data dir in
// the test's temporary folder like famid's, fsync on: the contender for a
// durable create.
func etcdPutter(b *testing.B, size int) *contender {
	cli := etcdtest.Start(b, etcdtest.Options{Direct: true}).Client(b)
	val := string(make([]byte, size))
	var n atomic.Int64
	return &contender{name: "etcd", call: func(ctx context.Context) error {
		_, err := cli.Put(ctx, fmt.Sprintf("/bench/partners/p%08d", n.Add(1)), val)
		return err
	}}
}

// commits is what the group commits of a region carried in one contender's
// run, from famid's metrics: mean mutations and µs per commit.
type commits struct{ mutations, duration float64 }

// commitsSince compares two scrapes of famid's metrics.
func commitsSince(before, after map[string]float64, region string) commits {
	delta := func(name string) float64 {
		a, _ := sample(after, name, `region="`+region+`"`)
		b, _ := sample(before, name, `region="`+region+`"`)
		return a - b
	}
	n := delta("raccordo_store_commit_batch_size_count")
	return commits{mutations: delta("raccordo_store_commit_batch_size_sum") / n, duration: 1e6 * delta("raccordo_store_commit_duration_seconds_sum") / n}
}

// together runs each of ks with c goroutines of n calls, all at once, and
// returns the round of the whole: calls per second of wall time and the
// process's CPU per call.
func together(b *testing.B, ks []*contender, c, n int) round {
	wait0 := runQueueTime()
	cpu0, t0 := cpuTime(), time.Now()
	var wg sync.WaitGroup
	for _, k := range ks {
		wg.Go(func() { k.calls(b, c, n) })
	}
	wg.Wait()
	busy, cpu, calls := time.Since(t0), cpuTime()-cpu0, len(ks)*c*n
	return round{qps: float64(calls) / busy.Seconds(), cpuPerCall: float64(cpu.Microseconds()) / float64(calls), starved: float64(runQueueTime()-wait0) / float64(busy)}
}

func mapped[T any](v []T, f func(T) float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = f(x)
	}
	return out
}

// BenchmarkHotPathCreate is a durable CreatePartner through the gRPC API at
// concurrency 1 and 64 in one region, and at 64 in each of two regions at
// once, beside the disk's synced 4 KiB writes per second to one file and to
// two files at once, and etcd puts of a record of the Partner's size at 64.
func BenchmarkHotPathCreate(b *testing.B) {
	cfg := server.Config{Logger: benchLogger(b), MetricsAddr: "127.0.0.1:0"}
	// The process runs with famid's GOMAXPROCS, one P per core for the
	// handlers and one per core for the writers' syncs, and famid's GOGC
	// (the etcd contender in the same process gets them too).
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	gogc0 := debug.SetGCPercent(-1) // read, and put back at once
	debug.SetGCPercent(gogc0)
	defer debug.SetGCPercent(gogc0)
	procs, gogc := server.SetProcs(cfg), server.SetGC()
	ts := startServer(b, cfg)
	c1 := creator(b, ts, "c1", "lombardia")
	c64 := creator(b, ts, "c64", "lombardia")
	two := []*contender{creator(b, ts, "lombardia", "lombardia"), creator(b, ts, "veneto", "veneto")}
	twoK := &contender{name: "two-regions"}
	disk := dsyncWriter(b)
	disks := []*contender{dsyncWriter(b), dsyncWriter(b)}
	disk2 := &contender{name: "dsync-2files"}
	etcd := etcdPutter(b, proto.Size(createPartner(b, ts)))
	runs := only(b, []*contender{disk, disk2, c1, c64, etcd, twoK})
	metrics := ts.metricsURL()
	var batches, twoBatches []commits
	for b.Loop() {
		if slices.Contains(runs, disk) {
			disk.run(b, 1, 32)
		}
		if slices.Contains(runs, disk2) {
			disk2.rounds = append(disk2.rounds, together(b, disks, 1, 32))
		}
		if slices.Contains(runs, c1) {
			c1.run(b, 1, 32)
		}
		if slices.Contains(runs, c64) {
			before := scrape(b, metrics)
			c64.run(b, 64, 8)
			batches = append(batches, commitsSince(before, scrape(b, metrics), "lombardia"))
		}
		if slices.Contains(runs, etcd) {
			etcd.run(b, 64, 8)
		}
		if slices.Contains(runs, twoK) {
			// Both regions at once, 64 callers each.
			before := scrape(b, metrics)
			twoK.rounds = append(twoK.rounds, together(b, two, 64, 8))
			after := scrape(b, metrics)
			twoBatches = append(twoBatches, commitsSince(before, after, "lombardia"), commitsSince(before, after, "veneto"))
		}
	}
	b.ReportMetric(float64(procs), "procs")
	b.ReportMetric(float64(gogc), "gogc")
	b.ReportMetric(disk.median(qps), "dsync-writes/s")
	b.ReportMetric(disk2.median(qps), "dsync-2files-writes/s")
	b.ReportMetric(ratio(disk2, disk, qps), "dsync-2files/1file")
	b.ReportMetric(c1.median(qps), "c1-creates/s")
	b.ReportMetric(c64.median(qps), "c64-creates/s")
	b.ReportMetric(twoK.median(qps), "2regions-c64-creates/s")
	b.ReportMetric(etcd.median(qps), "etcd-c64-puts/s")
	b.ReportMetric(ratio(c64, c1, qps), "c64/c1")
	b.ReportMetric(ratio(c64, etcd, qps), "c64/etcd-c64")
	b.ReportMetric(ratio(twoK, c64, qps), "2regions/1region")
	b.ReportMetric(ratio(c64, disk, qps), "c64/dsync")
	b.ReportMetric(ratio(c1, disk, qps), "c1/dsync")
	b.ReportMetric(medianOf(mapped(batches, func(c commits) float64 { return c.mutations })), "c64-creates/commit")
	b.ReportMetric(medianOf(mapped(batches, func(c commits) float64 { return c.duration })), "c64-us/commit")
	b.ReportMetric(c64.median(cpu), "c64-cpu-us/create")
	b.ReportMetric(c64.median(func(r round) float64 { return r.allocsPerCall }), "c64-allocs/create")
	b.ReportMetric(c64.median(func(r round) float64 { return r.bytesPerCall }), "c64-B/create")
	b.ReportMetric(etcd.median(cpu), "etcd-c64-cpu-us/put")
	b.ReportMetric(c64.median(starved), "c64-threads-waiting-for-a-core")
	b.ReportMetric(twoK.median(starved), "2regions-threads-waiting-for-a-core")
	b.ReportMetric(twoK.median(cpu), "2regions-cpu-us/create")
	b.ReportMetric(medianOf(mapped(twoBatches, func(c commits) float64 { return c.mutations })), "2regions-creates/commit")
	b.ReportMetric(medianOf(mapped(twoBatches, func(c commits) float64 { return c.duration })), "2regions-us/commit")
}

// BenchmarkHotPathWatchers is the write acknowledgement latency (c=1,
// gRPC) of a server with 500 open watches of the region, every one reading
// each change, against a server with none. The watchers run in a child
// process (this test binary again, as TestBenchWatchers), as in production
// where they are other machines: their receiving shares the two cores but
// not the server's Go scheduler and heap.
func BenchmarkHotPathWatchers(b *testing.B) {
	const watchers, perRound = 500, 32
	quiet := benchLogger(b)
	none := startServer(b, server.Config{Logger: quiet})
	// One principal holds all the watches, so its stream limit is raised
	// to them (famid allows 8 by default: without this, all but 8 would be
	// refused and the benchmark would time a server with 8 watchers).
	watched := startServer(b, server.Config{Logger: quiet, MaxStreamsPerPrincipal: watchers})
	child := startWatchers(b, watched, watchers)
	kNone, kWatched := creator(b, none, "none", "lombardia"), creator(b, watched, "watched", "lombardia")
	for b.Loop() {
		kNone.run(b, 1, perRound)
		kWatched.run(b, 1, perRound)
	}
	creates := perRound * len(kWatched.rounds)
	seen, responses := child.stop(creates)
	b.ReportMetric(kNone.median(p50), "none-p50-us")
	b.ReportMetric(kNone.median(p99), "none-p99-us")
	b.ReportMetric(kWatched.median(p50), "watched-p50-us")
	b.ReportMetric(kWatched.median(p99), "watched-p99-us")
	b.ReportMetric(ratio(kWatched, kNone, p50), "watched/none-p50")
	b.ReportMetric(ratio(kWatched, kNone, p99), "watched/none-p99")
	b.ReportMetric(kWatched.median(starved), "watched-threads-waiting-for-a-core")
	b.ReportMetric(float64(seen)/float64(creates), "deliveries/create")
	b.ReportMetric(float64(responses)/float64(creates), "responses/create")
}

// watchersEnv carries the child's orders: "address token count".
const watchersEnv = "RACCORDO_BENCH_WATCHERS"

// watcherProcess is the child process holding the watches.
type watcherProcess struct {
	b     *testing.B
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
	n     int
}

// startWatchers starts the child and waits until its n watches are open.
func startWatchers(b *testing.B, ts *testServer, n int) *watcherProcess {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchWatchers$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %d", watchersEnv, ts.grpcAddr(), ts.token, n))
	stdin, out := startChild(b, cmd)
	w := &watcherProcess{b: b, cmd: cmd, stdin: stdin, out: out, n: n}
	if w.line("open") == "" {
		b.Fatal("watcher process did not start")
	}
	createPartner(b, ts)
	if w.line("ready") == "" {
		b.Fatal("watcher process: the watches did not go live")
	}
	return w
}

// line returns the child's next line, which must start with prefix.
func (w *watcherProcess) line(prefix string) string {
	for w.out.Scan() {
		if line := w.out.Text(); strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

// stop tells the child how many creates followed the first, lets every
// watch receive them (a watch may hold changes back for the coalescing
// interval), ends the watches and returns how many changes and how many
// responses carrying changes they received after the first.
func (w *watcherProcess) stop(creates int) (changes, responses int64) {
	fmt.Fprintln(w.stdin, creates)
	w.stdin.Close()
	if _, err := fmt.Sscanf(w.line("seen "), "seen %d in %d", &changes, &responses); err != nil {
		w.b.Errorf("watcher process: %v", err)
	}
	return changes - int64(w.n), responses - int64(w.n)
}

// TestBenchWatchers is BenchmarkHotPathWatchers's child process, not a
// test: it opens the watches its environment names, says "ready", reads
// until its stdin gives the number of creates that followed the first and
// every watch has received them (or 5 s have passed), then prints how
// many changes it received and in how many responses (bookmarks aside).
// Run by go test, it finds no orders and skips.
func TestBenchWatchers(t *testing.T) {
	var addr, token string
	var n int
	if _, err := fmt.Sscanf(os.Getenv(watchersEnv), "%s %s %d", &addr, &token, &n); err != nil {
		t.Skip("the child process of BenchmarkHotPathWatchers")
	}
	conn := benchConn(t, addr)
	ctx, cancel := context.WithCancel(withBearer(context.Background(), token))
	var seen, responses atomic.Int64
	var wg sync.WaitGroup
	for range n {
		stream, err := famiv1.NewSyncServiceClient(conn).Watch(ctx, &famiv1.WatchRequest{Parent: "regions/lombardia"})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for {
				res, err := stream.Recv()
				if err != nil {
					if ctx.Err() == nil {
						t.Error("watcher:", err)
					}
					return
				}
				if n := len(res.GetChanges()); n > 0 {
					seen.Add(int64(n))
					responses.Add(1)
				}
			}
		})
	}
	fmt.Println("open")
	// The parent then creates a partner: once every watcher has it, all
	// the watches are live.
	for seen.Load() < int64(n) {
		time.Sleep(time.Millisecond)
	}
	fmt.Println("ready")
	var creates int64
	fmt.Scan(&creates)
	for deadline := time.Now().Add(5 * time.Second); seen.Load() < int64(n)*(1+creates) && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	cancel()
	wg.Wait()
	fmt.Printf("seen %d in %d\n", seen.Load(), responses.Load())
}
