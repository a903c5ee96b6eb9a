package storetest

import (
	"context"

	"github.com/raccordo/raccordo/internal/store"
)

// ScanFromStart is a store whose index scans that resume (IndexScanAfter)
// read from the prefix's first key and pass over the keys up to the
// position, as the lists read before the store could resume a scan: the
// baseline of the benchmarks of a list's pages within one month.
type ScanFromStart struct{ store.Store }

// View runs fn with a transaction whose IndexScanAfter reads from the start.
func (s ScanFromStart) View(ctx context.Context, region string, fn func(store.ReadTx) error) error {
	return s.Store.View(ctx, region, func(tx store.ReadTx) error { return fn(fromStartTx{tx}) })
}

type fromStartTx struct{ store.ReadTx }

func (t fromStartTx) IndexScanAfter(index, prefix, after string, fn func(key, value string) bool) {
	t.IndexScan(index, prefix, func(k, v string) bool { return k <= after || fn(k, v) })
}
