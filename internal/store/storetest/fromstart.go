package storetest

import (
	"context"
	"slices"

	"github.com/raccordo/raccordo/internal/store"
)

// ScanFromStart is a store whose index scans that resume read from the
// prefix's first key, as the lists read before the store could resume a
// scan: IndexScanAfter passes over the keys up to the position, and
// IndexScanBefore, the reverse scan, reads the prefix forwards and holds
// the keys before the position to give them back last first. The
// baseline of the benchmarks of a list's pages within one month.
type ScanFromStart struct{ store.Store }

// View runs fn with a transaction whose resumed scans read from the start.
func (s ScanFromStart) View(ctx context.Context, region string, fn func(store.ReadTx) error) error {
	return s.Store.View(ctx, region, func(tx store.ReadTx) error { return fn(fromStartTx{tx}) })
}

type fromStartTx struct{ store.ReadTx }

func (t fromStartTx) IndexScanAfter(index, prefix, after string, fn func(key, value string) bool) {
	t.IndexScan(index, prefix, func(k, v string) bool { return k <= after || fn(k, v) })
}

func (t fromStartTx) IndexScanBefore(index, prefix, before string, fn func(key, value string) bool) {
	type entry struct{ k, v string }
	var held []entry
	t.IndexScan(index, prefix, func(k, v string) bool {
		if before != "" && k >= before {
			return false
		}
		held = append(held, entry{k, v})
		return true
	})
	for _, e := range slices.Backward(held) {
		if !fn(e.k, e.v) {
			return
		}
	}
}
