package storetest

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store"
)

// The helpers of the stores' benchmarks (docs/benchmarks.md), so that
// every backend measures the same writes.

// BenchPartner is the n-th partner the benchmarks write in region.
func BenchPartner(region string, n int64) *famiv1.Partner {
	return &famiv1.Partner{
		Name:        fmt.Sprintf("regions/%s/partners/p%09d", region, n),
		DisplayName: fmt.Sprintf("Partner %d", n),
		Kind:        famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR,
		FiscalCode:  "01199250158",
	}
}

// BenchCreate writes BenchPartner(region, n) in a transaction of its own.
func BenchCreate(s store.Store, region string, n int64) error {
	_, err := s.Update(context.Background(), region, store.Mutation{Principal: "bench"}, func(tx store.WriteTx) (proto.Message, error) {
		p := BenchPartner(region, n)
		return p, tx.Put(p)
	})
	return err
}

// BenchCreatesInOneUpdate writes the partners BenchPartner(region, first)
// to BenchPartner(region, first+n-1) in one Update, each put as a
// capability's Create puts it when checked is set: after looking its name
// up (resource.Absent's tx.Exists). It measures the work inside the
// region's transaction, which the syncs of a durable commit would hide.
func BenchCreatesInOneUpdate(s store.Store, region string, first, n int64, checked bool) error {
	_, err := s.Update(context.Background(), region, store.Mutation{Principal: "bench"}, func(tx store.WriteTx) (proto.Message, error) {
		var p *famiv1.Partner
		for i := first; i < first+n; i++ {
			p = BenchPartner(region, i)
			if checked {
				if taken, err := tx.Exists(p.GetName()); err != nil || taken {
					return nil, cmp.Or(err, fmt.Errorf("%s is taken", p.GetName()))
				}
			}
			if err := tx.Put(p); err != nil {
				return nil, err
			}
		}
		return p, nil
	})
	return err
}

// RunConcurrent calls op b.N times from c goroutines, with n from 1 to
// b.N, and reports the rate as writes/s.
func RunConcurrent(b *testing.B, c int, op func(n int64) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range c {
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				if err := op(n); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
}
