package server_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestLoadShedding fires many concurrent calls at a server that works on
// one at a time, on every surface: the excess is refused with
// RESOURCE_EXHAUSTED (REST: 429) and a Retry-After, and every other call
// succeeds. There was no limit: every call was queued.
func TestLoadShedding(t *testing.T) {
	ts := startServer(t, server.Config{MaxConcurrentCalls: 1})
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
			var refused, ok atomic.Int64
			var wg sync.WaitGroup
			for range 100 {
				wg.Go(func() {
					_, err := s.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: lombardia, PageSize: 200})
					if err == nil {
						ok.Add(1)
						return
					}
					e, isCall := asCallError(err)
					switch {
					case !isCall || e.Code != codes.ResourceExhausted:
						t.Errorf("got %v, want OK or RESOURCE_EXHAUSTED", err)
					case kind == "rest" && e.HTTPStatus != http.StatusTooManyRequests:
						t.Errorf("got HTTP %d, want 429", e.HTTPStatus)
					case e.RetryAfter <= 0:
						t.Errorf("refused without a Retry-After: %v", e)
					default:
						refused.Add(1)
					}
				})
			}
			wg.Wait()
			if refused.Load() == 0 || ok.Load() == 0 {
				t.Errorf("%d served, %d refused: want both", ok.Load(), refused.Load())
			}
		})
	}
}

// BenchmarkOverload measures goodput (successful calls per second) at the
// server's capacity and at twice it, in the same run, over gRPC
// (docs/benchmarks.md): first closed-loop clients as many as the
// concurrency limit (the peak), then an open-loop arrival rate of twice
// the peak's throughput. goodput-% is the second over the first (target
// >= 80); the excess is refused with a Retry-After.
func BenchmarkOverload(b *testing.B) {
	const limit = 8
	ts := startServer(b, server.Config{MaxConcurrentCalls: limit, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	name := benchPartner(b, ts)
	// gRPC: one HTTP/2 connection carries every call, so the load
	// generator's cost is not a connection per call.
	client := famiv1.NewPartnerServiceClient(benchConn(b, ts.grpcAddr()))
	ctx := bearerContext(ts.token)
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
