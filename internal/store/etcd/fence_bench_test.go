package etcd

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
)

// BenchmarkFences measures what a region's fences add to the two etcd
// requests they ride on, against the same requests without them, in
// pairs: every round sends the fenced request and its bare baseline, in
// alternating order, on the same three-member cluster (loopback, fsync on
// every member), so both see the same load and the ratio of the two
// times is the fences' cost. docs/benchmarks.md has the figures.
//
//   - read: a snapshot's first read (firstRead: the key, the import
//     marker counted and the revision key compared, in one Txn) against
//     a plain linearizable Get of the key, which is what it was before
//     the fences;
//   - read-txn: the part of read that is the Txn itself: the key alone
//     in a Txn, against the same Get;
//   - commit: a commit of the guard and one 200-byte record compared on
//     the guard, the format marker and the import marker (as region.try
//     does) against the same commit compared on the guard alone.
//
// The ratios are upper bounds for a whole View or Update, which do more
// around the same round trip (decoding, the batch's other reads).
func BenchmarkFences(b *testing.B) {
	c := etcdtest.Start(b, etcdtest.Options{Members: 3, Direct: true})
	s, err := Open(context.Background(), Options{Client: c.Client(b), Prefix: "/fences/", Regions: []string{"lombardia"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	r := s.regions["lombardia"]
	ctx := context.Background()
	guard, res := r.base+keyRevision, r.base+rangeRes+"partners/p0"
	value := string(make([]byte, 200))
	if _, err := s.kv.Put(ctx, guard, string(revBytes(1))); err != nil {
		b.Fatal(err)
	}

	b.Run("read", func(b *testing.B) {
		pairs(b, func() error {
			_, err := r.firstRead(ctx, res)
			return err
		}, func() error {
			_, err := s.kv.Get(ctx, res)
			return err
		})
	})
	// The part of read that is the Txn itself, without fences: one range
	// in a Txn against the same Get.
	b.Run("read-txn", func(b *testing.B) {
		pairs(b, func() error {
			_, err := s.kv.Txn(ctx).Then(clientv3.OpGet(res)).Commit()
			return err
		}, func() error {
			_, err := s.kv.Get(ctx, res)
			return err
		})
	})
	b.Run("commit", func(b *testing.B) {
		at, err := s.kv.Get(ctx, guard)
		if err != nil {
			b.Fatal(err)
		}
		guardRev := at.Kvs[0].ModRevision
		commit := func(fences ...clientv3.Cmp) error {
			resp, err := s.kv.Txn(ctx).
				If(append([]clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(guard), "=", guardRev)}, fences...)...).
				Then(clientv3.OpPut(guard, string(revBytes(1))), clientv3.OpPut(res, value)).
				Else(r.format.read()).
				Commit()
			if err == nil && !resp.Succeeded {
				b.Fatal("the guard moved: no other writer runs")
			}
			if err == nil {
				guardRev = resp.Header.Revision
			}
			return err
		}
		pairs(b, func() error { return commit(r.format.unchanged(), r.unmarked()) }, func() error { return commit() })
	})
}

// pairs runs fenced and bare once each per round, the first of the two
// alternating, and reports their mean times and the ratio of the totals.
// An operation is one pair.
func pairs(b *testing.B, fenced, bare func() error) {
	var tf, tb time.Duration
	timed := func(op func() error, total *time.Duration) {
		start := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		*total += time.Since(start)
	}
	n := 0
	for b.Loop() {
		if n%2 == 0 {
			timed(fenced, &tf)
			timed(bare, &tb)
		} else {
			timed(bare, &tb)
			timed(fenced, &tf)
		}
		n++
	}
	b.ReportMetric(float64(tf.Nanoseconds())/float64(n), "fenced-ns/op")
	b.ReportMetric(float64(tb.Nanoseconds())/float64(n), "bare-ns/op")
	b.ReportMetric(float64(tf)/float64(tb), "fenced/bare")
}
