package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// TestLoadShedding holds the only slot of a server that works on one call
// at a time with a call whose request has not arrived whole, on every
// surface, and fires many concurrent calls: every one is refused with
// RESOURCE_EXHAUSTED (REST: 429) and a Retry-After, on every surface (the
// limit is shared), and once the held call has finished, calls are served
// again. The slot is taken as a call arrives, before its request is read.
// There was no limit: every call was queued. The refusals are counted
// under their RPC and surface, REST's too (they had no service or method).
func TestLoadShedding(t *testing.T) {
	t.Parallel()
	cfg := server.Config{MaxConcurrentCalls: 1, MetricsAddr: "127.0.0.1:0"}
	server.SetAdmissionHold(&cfg, time.Hour) // a held call keeps its slot for the whole test
	ts := startServer(t, cfg)
	seed := newSurface(t, ts, "grpc")
	for i := range 200 {
		if _, err := seed.CreatePartner(t.Context(), &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: fmt.Sprintf("p%03d", i),
			Partner: &famiv1.Partner{DisplayName: "Partner", Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			s := newSurface(t, ts, kind)
			list := func() error {
				_, err := s.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: lombardia, PageSize: 200})
				return err
			}
			finish := holdSlot(t, ts, kind, list)
			var refused atomic.Int64
			var wg sync.WaitGroup
			for range 100 {
				wg.Go(func() {
					if wantOverloaded(t, kind, list()) {
						refused.Add(1)
					}
				})
			}
			wg.Wait()
			if refused.Load() != 100 {
				t.Errorf("%d of 100 calls refused while the server was full, want all", refused.Load())
			}
			m := scrape(t, ts.metricsURL())
			if v, ok := sample(m, "raccordo_rpc_requests_total", `method="ListPartners"`, `code="RESOURCE_EXHAUSTED"`, `surface="`+kind+`"`); v < 100 {
				t.Errorf("raccordo_rpc_requests_total ListPartners RESOURCE_EXHAUSTED on %s = %v (found %v), want at least 100", kind, v, ok)
			}
			if v, ok := sample(m, "raccordo_rate_limited_total", `service=""`); ok {
				t.Errorf("raccordo_rate_limited_total without a service = %v, want none", v)
			}
			for _, other := range surfaceKinds {
				_, err := newSurface(t, ts, other).ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: lombardia})
				wantOverloaded(t, other, err)
			}
			if err := finish(); err != nil {
				t.Fatalf("the held call, once whole: %v", err)
			}
			if err := list(); err != nil {
				t.Errorf("after the held call: %v, want served", err)
			}
		})
	}
}

// TestStalledCallGivesBackItsSlot: a call that sends its headers and then
// stalls keeps its slot only for the admission hold, so stalled clients
// cannot hold the server's capacity; once whole, the call takes a slot
// again and is served. The server counts the slot given back
// (raccordo_calls_stalled_total): a call that held its slot for the whole
// hold, where a probe of the slot while it is held would race the hold on
// a busy machine.
func TestStalledCallGivesBackItsSlot(t *testing.T) {
	t.Parallel()
	const hold = time.Second
	cfg := server.Config{MaxConcurrentCalls: 1, MetricsAddr: "127.0.0.1:0"}
	server.SetAdmissionHold(&cfg, hold)
	ts := startServer(t, cfg)
	for i, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			s := newSurface(t, ts, kind)
			waitMetric(t, ts, "raccordo_calls_in_progress", 0, nil)
			finish, ended := startHeld(t, ts, kind, "stalled-"+kind)
			waitMetric(t, ts, "raccordo_calls_stalled_total", float64(i+1), ended)
			if _, err := s.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: lombardia}); err != nil {
				t.Fatalf("with a stalled call past its hold: %v, want served", err)
			}
			select {
			case <-ended:
				t.Fatal("the stalled call ended before its request was whole")
			default:
			}
			if err := finish(); err != nil {
				t.Fatalf("the stalled call, once whole: %v", err)
			}
		})
	}
}

// wantOverloaded reports whether err is the refusal of an overloaded
// server on kind, and fails t if it is anything else.
func wantOverloaded(t *testing.T, kind string, err error) bool {
	t.Helper()
	e, isCall := asCallError(err)
	switch {
	case !isCall || e.Code != codes.ResourceExhausted || e.Reason != "OVERLOADED":
		t.Errorf("%s: got %v, want RESOURCE_EXHAUSTED OVERLOADED", kind, err)
	case kind == "rest" && e.HTTPStatus != http.StatusTooManyRequests:
		t.Errorf("%s: got HTTP %d, want 429", kind, e.HTTPStatus)
	case e.RetryAfter <= 0:
		t.Errorf("%s: refused without a Retry-After: %v", kind, e)
	default:
		return true
	}
	return false
}

// holdSlot fills a server that works on one call at a time with a held
// call on kind (startHeld), and returns once the server counts the held
// call in progress and probe is refused. Nothing else calls the server
// meanwhile, so the one call in progress is the held one; but a call
// gives its slot back as its handler returns, a moment after its client
// has the answer, so holdSlot first waits for the slots of the calls
// already answered. The server needs its metrics listener, and an
// admission hold longer than the test (SetAdmissionHold).
func holdSlot(t *testing.T, ts *testServer, kind string, probe func() error) (finish func() error) {
	t.Helper()
	waitMetric(t, ts, "raccordo_calls_in_progress", 0, nil)
	finish, ended := startHeld(t, ts, kind, "held-"+kind)
	waitMetric(t, ts, "raccordo_calls_in_progress", 1, ended)
	if !wantOverloaded(t, kind, probe()) {
		t.FailNow()
	}
	return finish
}

// waitMetric waits until the server's metric name (a sample without
// labels) is n, polling its metrics listener; the minute is a watchdog.
// It fails t if ended is closed first: the call that was to be counted
// ended.
func waitMetric(t *testing.T, ts *testServer, name string, n float64, ended <-chan struct{}) {
	t.Helper()
	if ts.MetricsAddr() == "" {
		t.Fatalf("the server has no metrics listener to read %s from", name)
	}
	var got float64
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		select {
		case <-ended:
			t.Fatalf("the held call ended before the server counted it (%s %v, want %v)", name, got, n)
		default:
		}
		var ok bool
		if got, ok = sample(scrape(t, ts.metricsURL()), name); !ok {
			t.Fatalf("no %s in the metrics", name)
		}
		if got == n {
			return
		}
	}
	t.Fatalf("%s is %v after a minute, want %v", name, got, n)
}

// startHeld starts a CreatePartner on kind whose request message is held
// back: its headers reach the server, which admits the call as it
// arrives, but its body waits until finish, which sends it and returns
// the call's error. ended is closed if the call ends before that.
func startHeld(t *testing.T, ts *testServer, kind, id string) (finish func() error, ended <-chan struct{}) {
	t.Helper()
	req := &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: id,
		Partner: &famiv1.Partner{DisplayName: "Held", Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}}
	done := make(chan struct{})
	if kind == "grpc" {
		// A client stream sends its headers at once and its message when
		// told; the server's answer, a refusal included, ends the wait
		// for its headers.
		conn := dialGRPC(t, ts, "")
		ctx := withBearer(t.Context(), ts.token)
		stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true}, famiv1.PartnerService_CreatePartner_FullMethodName)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			stream.Header()
			close(done)
		}()
		return func() error {
			if err := stream.SendMsg(req); err != nil {
				return err
			}
			if err := stream.CloseSend(); err != nil {
				return err
			}
			return grpcErr(stream.RecvMsg(new(famiv1.Partner)))
		}, done
	}
	c := newRPCClient(t, ts, kind, ts.token)
	gate := make(chan struct{})
	t.Cleanup(func() {
		select {
		case <-gate:
		default:
			close(gate)
		}
	})
	held := &http.Client{Transport: heldBody{base: http.DefaultTransport.(*http.Transport).Clone(), gate: gate}}
	if kind == "rest" {
		c.rest.hc = held
	} else {
		c.hc = held
	}
	var err error
	go func() {
		_, err = surfaceOf(c).CreatePartner(t.Context(), req)
		close(done)
	}()
	return func() error {
		close(gate)
		<-done
		return err
	}, done
}

// heldBody sends a request's headers at once and its body once gate is
// closed (net/http flushes the headers before a body it must stream).
type heldBody struct {
	base http.RoundTripper
	gate chan struct{}
}

func (h heldBody) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(io.MultiReader(gateReader(h.gate), r.Body))
	r.GetBody = nil
	return h.base.RoundTrip(r)
}

// gateReader reads nothing once gate is closed, and blocks until then.
type gateReader chan struct{}

func (g gateReader) Read([]byte) (int, error) {
	<-g
	return 0, io.EOF
}

// BenchmarkOverload measures goodput (successful calls per second) at the
// server's capacity and at twice it, in the same run, over gRPC
// (docs/benchmarks.md): first closed-loop clients as many as the
// concurrency limit (the peak), then an open-loop arrival rate of twice
// the peak's throughput. goodput-% is the second over the first (target
// >= 80); the excess is refused with a Retry-After.
func BenchmarkOverload(b *testing.B) {
	const limit = 8
	ts := startServer(b, server.Config{MaxConcurrentCalls: limit, Logger: textLog(io.Discard, slog.LevelInfo)})
	name := benchPartner(b, ts)
	// gRPC: one HTTP/2 connection carries every call, so the load
	// generator's cost is not a connection per call.
	client := famiv1.NewPartnerServiceClient(benchConn(b, ts.grpcAddr()))
	ctx := withBearer(context.Background(), ts.token)
	call := func() error {
		_, err := client.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: name})
		return err
	}
	const phase = time.Second
	for b.Loop() {
		// Peak: as many closed-loop clients as the limit.
		var served atomic.Int64
		stop := time.Now().Add(phase)
		var wg sync.WaitGroup
		for range limit {
			wg.Go(func() {
				for time.Now().Before(stop) {
					if call() == nil {
						served.Add(1)
					}
				}
			})
		}
		wg.Wait()
		peak := float64(served.Load()) / phase.Seconds()

		// Twice the peak, open loop: arrivals do not wait for answers.
		served.Store(0)
		var refused atomic.Int64
		interval := time.Duration(float64(time.Second) / (2 * peak))
		start := time.Now()
		for n := 0; time.Since(start) < phase; n++ {
			if d := time.Until(start.Add(time.Duration(n) * interval)); d > 0 {
				time.Sleep(d)
			}
			wg.Go(func() {
				if err := call(); err == nil {
					served.Add(1)
				} else {
					refused.Add(1)
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start).Seconds()
		goodput := float64(served.Load()) / elapsed
		b.ReportMetric(peak, "peak-calls/s")
		b.ReportMetric(goodput, "2x-goodput-calls/s")
		b.ReportMetric(100*goodput/peak, "goodput-%")
		b.ReportMetric(float64(refused.Load())/elapsed, "refused/s")
	}
}

// TestRefusalReadsNoBody refuses HTTP/1.1 calls whose body is not all
// sent, on each surface of the HTTP port and a download, while the server
// is full: the
// client sends the headers and the first KiB of a body announced at 1 MiB
// (or chunked, of unknown length) and holds the rest, and the refusal must
// come all the same, with a Retry-After, closing the connection rather
// than waiting to read the body. gRPC-Web's text mode and the web's forms
// read the whole body before the call was admitted, and net/http read a
// chunked body (up to 256 KiB), or a small one, before it wrote the
// refusal: all waited for the client. A small body sent whole is read,
// and its connection kept for the next call.
func TestRefusalReadsNoBody(t *testing.T) {
	t.Parallel()
	cfg := server.Config{MaxConcurrentCalls: 1, MetricsAddr: "127.0.0.1:0"}
	server.SetAdmissionHold(&cfg, time.Hour)
	ts := startServer(t, cfg)
	probe := newSurface(t, ts, "grpc")
	finish := holdSlot(t, ts, "grpc", func() error {
		_, err := probe.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: lombardia})
		return err
	})
	defer finish()

	const create = "/fami.v1.PartnerService/CreatePartner"
	surfaces := []struct {
		name, request, contentType string
		// refused reports whether an answer is the surface's refusal.
		refused func(*http.Response) bool
	}{
		{"connect", "POST " + create, "application/proto", httpStatus(http.StatusTooManyRequests)},
		{"grpcweb", "POST " + create, "application/grpc-web+proto", grpcStatus("8")},
		{"grpcwebtext", "POST " + create, "application/grpc-web-text", grpcStatus("8")},
		{"rest", "POST /v1/regions/lombardia/partners?partnerId=p1", "application/json", httpStatus(http.StatusTooManyRequests)},
		// A download is a GET, admitted in the pipeline; a body is
		// unusual there, and hostile.
		{"download", "GET /v1/regions/lombardia/supportEntries:export", "text/plain", httpStatus(http.StatusTooManyRequests)},
		// The web's forms, the sign-in's first: it read its form before
		// any call was admitted.
		{"web", "POST /accedi", "application/x-www-form-urlencoded", httpStatus(http.StatusTooManyRequests)},
	}
	for _, s := range surfaces {
		head := s.request + " HTTP/1.1\r\nHost: famid\r\nContent-Type: " + s.contentType +
			"\r\nConnect-Protocol-Version: 1\r\nX-Grpc-Web: 1\r\nAuthorization: Bearer " + ts.token + "\r\n"
		first := strings.Repeat("A", 1<<10) // base64 text, so that text mode could decode it
		t.Run(s.name+"/announced", func(t *testing.T) {
			conn, br := dialHTTP(t, ts)
			writeString(t, conn, head+fmt.Sprintf("Content-Length: %d\r\n\r\n", 1<<20)+first)
			wantRefusedAndClosed(t, conn, br, s.refused)
		})
		t.Run(s.name+"/chunked", func(t *testing.T) {
			conn, br := dialHTTP(t, ts)
			writeString(t, conn, head+fmt.Sprintf("Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", len(first), first))
			wantRefusedAndClosed(t, conn, br, s.refused)
		})
		// A small body held after its first bytes: net/http read it to
		// keep the connection, until its read timeout (60 s).
		t.Run(s.name+"/held", func(t *testing.T) {
			conn, br := dialHTTP(t, ts)
			writeString(t, conn, head+fmt.Sprintf("Content-Length: %d\r\n\r\n", 2*len(first))+first)
			wantRefusedAndClosed(t, conn, br, s.refused)
		})
		t.Run(s.name+"/whole", func(t *testing.T) {
			conn, br := dialHTTP(t, ts)
			body := "AAAA" // a small body, sent with the headers
			for range 2 {
				writeString(t, conn, head+fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body))
				res := readAnswer(t, br)
				if !s.refused(res) || res.Header.Get("Retry-After") == "" || res.Close {
					t.Fatalf("got %s %v (close %t), want the refusal with a Retry-After on a kept-alive connection", res.Status, res.Header, res.Close)
				}
			}
		})
	}
}

// wantRefusedAndClosed reads the answer to a request whose body is held,
// and fails t unless it is a refusal with a Retry-After that closes the
// connection, and the server then closes it.
func wantRefusedAndClosed(t *testing.T, conn net.Conn, br *bufio.Reader, refused func(*http.Response) bool) {
	t.Helper()
	res := readAnswer(t, br)
	if !refused(res) || res.Header.Get("Retry-After") == "" || !res.Close {
		t.Errorf("got %s %v (close %t), want the refusal with a Retry-After, closing the connection", res.Status, res.Header, res.Close)
	}
	// A read that times out is the server keeping the connection, not
	// closing it.
	if n, err := br.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the server kept the connection open after its refusal (%d more bytes, %v)", n, err)
	}
}

// dialHTTP opens a connection to the server's HTTP port. A read waits
// 30 s at most: a server that waits for a held body answers only at its
// ReadTimeout (60 s), when net/http gives up reading.
func dialHTTP(t *testing.T, ts *testServer) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", ts.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	return conn, bufio.NewReader(conn)
}

func writeString(t *testing.T, conn net.Conn, s string) {
	t.Helper()
	if _, err := io.WriteString(conn, s); err != nil {
		t.Fatal(err)
	}
}

// readAnswer reads an answer and its body.
func readAnswer(t *testing.T, br *bufio.Reader) *http.Response {
	t.Helper()
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	return res
}

func httpStatus(code int) func(*http.Response) bool {
	return func(r *http.Response) bool { return r.StatusCode == code }
}

// grpcStatus is a gRPC-Web trailers-only answer with the status code.
func grpcStatus(code string) func(*http.Response) bool {
	return func(r *http.Response) bool {
		return r.StatusCode == http.StatusOK && r.Header.Get("Grpc-Status") == code
	}
}

// TestOverloadRefusalsLogged: the calls refused at the concurrency limit
// as they arrive get access lines, a bounded number per surface: the
// first ones of each surface are written like any call's (code
// RESOURCE_EXHAUSTED, the peer), the rest only counted, and the count of
// those dropped is said once, with the surface, when the server closes
// (or the interval ends). The metrics count every refusal. They had no
// line at all.
func TestOverloadRefusalsLogged(t *testing.T) {
	t.Parallel()
	const lines, refusals = 2, 5
	var buf syncbuf.Buffer
	cfg := server.Config{MaxConcurrentCalls: 1, MetricsAddr: "127.0.0.1:0", Logger: textLog(&buf, slog.LevelInfo)}
	server.SetAdmissionHold(&cfg, time.Hour) // the held call keeps its slot for the whole test
	server.SetOverloadLines(&cfg, lines)
	ts := startServer(t, cfg)
	for _, kind := range surfaceKinds {
		s := newSurface(t, ts, kind)
		list := func() error {
			_, err := s.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: lombardia})
			return err
		}
		finish := holdSlot(t, ts, kind, list) // one refusal
		for range refusals - 1 {
			wantOverloaded(t, kind, list())
		}
		if err := finish(); err != nil {
			t.Fatalf("%s: the held call, once whole: %v", kind, err)
		}
	}
	m := scrape(t, ts.metricsURL())
	ts.Stop()
	for _, kind := range surfaceKinds {
		if v, _ := sample(m, "raccordo_rpc_requests_total", `method="ListPartners"`, `code="RESOURCE_EXHAUSTED"`, `surface="`+kind+`"`); v != refusals {
			t.Errorf("raccordo_rpc_requests_total ListPartners RESOURCE_EXHAUSTED on %s = %v, want %d", kind, v, refusals)
		}
		want := "procedure=/fami.v1.PartnerService/ListPartners protocol=" + kind + " peer=127.0.0.1 principal=\"\" code=RESOURCE_EXHAUSTED"
		if n := strings.Count(buf.String(), want); n != lines {
			t.Errorf("%d access lines %q, want %d", n, want, lines)
		}
		said := fmt.Sprintf(`msg="access lines suppressed" protocol=%s code=RESOURCE_EXHAUSTED suppressed=%d`, kind, refusals-lines)
		if !strings.Contains(buf.String(), said) {
			t.Errorf("no line %q in\n%s", said, buf.String())
		}
	}
}
