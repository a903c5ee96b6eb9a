package resource_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/heaptest"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// countSeeded returns a real bbolt store with Lombardia's n partners, each
// of about size bytes, every third one archived.
func countSeeded(tb testing.TB, n, size int) (store.Store, context.Context) {
	tb.Helper()
	pad := strings.Repeat("x", size)
	return seededWith(tb, n, func(i int) *famiv1.Partner {
		id := fmt.Sprintf("p%05d", i)
		return &famiv1.Partner{Name: aip.Name("lombardia", resource.Partners, id), DisplayName: id + pad, Archived: i%3 == 0}
	})
}

// live is CountWithin's open over the partners, keeping the live ones;
// seen is called with each partner tested.
func live(seen func(*famiv1.Partner)) func(store.ReadTx) (string, func(*famiv1.Partner) (bool, error), error) {
	return func(store.ReadTx) (string, func(*famiv1.Partner) (bool, error), error) {
		return resource.Partners, func(p *famiv1.Partner) (bool, error) {
			seen(p)
			return !p.GetArchived(), nil
		}, nil
	}
}

// TestCountWithinHoldsOneRecord counts 3,000 partners of 2 KB each (6 MB
// decoded) and measures, at the last one, the heap live above what was
// live before the count: a count that held the collection, or a page of
// it, would keep megabytes; one that streams holds the record under test.
func TestCountWithinHoldsOneRecord(t *testing.T) {
	const n, size = 3000, 2048
	s, ctx := countSeeded(t, n, size)
	tested := 0
	var held uint64
	base := heaptest.Live()
	got, err := resource.CountWithin(ctx, s, "lombardia", live(func(*famiv1.Partner) {
		if tested++; tested == n {
			held = heaptest.Live() - min(base, heaptest.Live())
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if want := int32(n - (n+2)/3); got != want || tested != n {
		t.Fatalf("counted %d of %d tested, want %d of %d", got, tested, want, n)
	}
	if limit := uint64(64 * size); held > limit {
		t.Errorf("%d bytes live at the last record, want at most %d: the count holds the records it tested", held, limit)
	}
}

// BenchmarkCountWithin counts 10,000 partners of 200 bytes: what a count
// allocates per record read (B/op, allocs/op over the whole count) and the
// most heap it keeps live (peak-live-B, sampled every 1,000 records).
func BenchmarkCountWithin(b *testing.B) {
	const n = 10000
	s, ctx := countSeeded(b, n, 200)
	var peak heaptest.Peak
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		peak.Start()
		b.StartTimer()
		tested := 0
		if _, err := resource.CountWithin(ctx, s, "lombardia", live(func(*famiv1.Partner) {
			if tested++; tested%1000 == 0 {
				b.StopTimer()
				peak.Sample()
				b.StartTimer()
			}
		})); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(peak.Max()), "peak-live-B")
}
