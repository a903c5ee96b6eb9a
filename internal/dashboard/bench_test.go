package dashboard_test

import (
	"context"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/dashboard"
	"github.com/raccordo/raccordo/internal/heaptest"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/monitoring"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/protocols"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/storetest"
	"github.com/raccordo/raccordo/internal/support"
)

// benchPartners is the size of the benchmark's one region: twenty pages
// of the largest size.
const benchPartners = 20000

// peakLive wraps the partners' count and samples, as it is answered, the
// heap still live: what the dashboard holds of the partners it counted.
type peakLive struct {
	dashboard.Sources
	heaptest.Peak
}

func (p *peakLive) CountPartners(ctx context.Context, region string) (map[famiv1.PartnerKind]int32, error) {
	kinds, err := p.Sources.Partners.CountPartners(ctx, region)
	p.Sample()
	return kinds, err
}

// BenchmarkSummarizeRegion summarizes one region of benchPartners partners
// (real bbolt file, the real services) and reports, beside -benchmem's
// figures, peak-live-B: the most heap live as the partners' count is
// answered (until the partners were counted in one read, as each page of
// them was: one page when the pages read before were let go, the whole
// region when they were held). The sample costs a collection, so sec/op
// is not the summary's speed: BenchmarkRegionCounts measures it.
//
//	go test -run '^$' -bench BenchmarkSummarizeRegion -benchmem -count 6 ./internal/dashboard/
func BenchmarkSummarizeRegion(b *testing.B) {
	st, err := bolt.Open(b.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
	if err != nil {
		b.Fatalf("bolt.Open: %v", err)
	}
	b.Cleanup(func() { st.Close() })
	for first := int64(1); first <= benchPartners; first += 1000 {
		if err := storetest.BenchCreatesInOneUpdate(st, "lombardia", first, 1000, false); err != nil {
			b.Fatal(err)
		}
	}
	reg := registry.New(st, nil)
	src := dashboard.Sources{
		Partners: reg.Partners(), Networks: reg.Networks(), Protocols: protocols.New(st, protocols.Options{}),
		Meetings: meetings.New(st, meetings.Options{}), Support: support.New(st, support.Options{}), Monitoring: monitoring.New(st, monitoring.Options{}),
	}
	peak := &peakLive{Sources: src}
	src.Partners = peak
	d := dashboard.New(src)
	ctx := principal.With(b.Context(), principal.Principal{Subject: "test:ministry", Role: principal.Ministry})
	req := &famiv1.SummarizeRegionsRequest{Name: "regions/lombardia", Period: "2026-q3"}
	for b.Loop() {
		b.StopTimer()
		peak.Start()
		b.StartTimer()
		res, err := d.SummarizeRegions(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if got := res.GetTotals().GetPartners(); got != benchPartners {
			b.Fatalf("counted %d partners, want %d", got, benchPartners)
		}
	}
	b.ReportMetric(float64(peak.Max()), "peak-live-B")
}
