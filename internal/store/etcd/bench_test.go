package etcd_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

// The etcd figures of docs/benchmarks.md: every sub-benchmark runs on
// bbolt (fsync per commit) and on a three-member etcd cluster on loopback
// (fsync on every member, as in production), in the same run, so the
// ratios compare like with like on the same machine.

// backends opens one store of each kind. The cluster belongs to parent
// (a sub-benchmark's cleanups run after each of its b.N rounds) and is
// shared by its sub-benchmarks, each on its own key prefix.
func backends(parent *testing.B) map[string]func(b *testing.B) store.Store {
	var (
		once    sync.Once
		cluster *clientv3.Client
		n       atomic.Int64
	)
	return map[string]func(b *testing.B) store.Store{
		"bbolt": func(b *testing.B) store.Store {
			return bolttest.Open(b, b.TempDir(), bolt.Options{Regions: regions})
		},
		"etcd3": func(b *testing.B) store.Store {
			once.Do(func() {
				cluster = etcdtest.Start(parent, etcdtest.Options{Members: 3, MaxTxnOps: 1024, Direct: true}).Client(parent)
				etcdtest.CountReads(cluster, &reads)
			})
			s, err := etcd.Open(context.Background(), etcd.Options{Client: cluster, Prefix: fmt.Sprintf("/bench-%d/", n.Add(1)), Regions: regions, MaxTxnOps: 1024})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		},
	}
}

var backendOrder = []string{"bbolt", "etcd3"}

// reads counts the reads (etcdtest.CountReads) the benchmarks' etcd stores send
// to the cluster.
var reads atomic.Int64

// BenchmarkCreate: durable creates of one region at concurrency 1 and 64.
func BenchmarkCreate(b *testing.B) {
	open := backends(b)
	for _, c := range []int{1, 64} {
		for _, name := range backendOrder {
			b.Run(fmt.Sprintf("%s/c%d", name, c), func(b *testing.B) {
				s := open[name](b)
				storetest.RunConcurrent(b, c, func(n int64) error { return storetest.BenchCreate(s, "lombardia", n) })
			})
		}
	}
}

// BenchmarkCreateInOneUpdate: the work of a create inside the region's
// transaction, with the commit's syncs spread over 200 creates an Update:
// as a bare Put ("put") and as a capability's Create puts them, after
// looking the name up ("exists+put", resource.Absent's tx.Exists). The
// ratio of the two is what the lookup adds. One op is one create; on etcd
// reads/op counts the Range requests sent to the cluster for it.
func BenchmarkCreateInOneUpdate(b *testing.B) {
	const perUpdate = 200
	open := backends(b)
	for _, name := range backendOrder {
		for _, checked := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/%s", name, map[bool]string{false: "put", true: "exists+put"}[checked]), func(b *testing.B) {
				s := open[name](b)
				b.ResetTimer()
				before := reads.Load()
				for first := int64(1); first <= int64(b.N); first += perUpdate {
					if err := storetest.BenchCreatesInOneUpdate(s, "lombardia", first, min(perUpdate, int64(b.N)-first+1), checked); err != nil {
						b.Fatal(err)
					}
				}
				if name == "etcd3" {
					b.ReportMetric(float64(reads.Load()-before)/float64(b.N), "reads/op")
				}
			})
		}
	}
}

// BenchmarkGet: one View reading one partner (on etcd, a linearizable
// read that fixes the snapshot's revision, then the Get at it).
func BenchmarkGet(b *testing.B) {
	open := backends(b)
	for _, name := range backendOrder {
		b.Run(name, func(b *testing.B) {
			s := open[name](b)
			if err := storetest.BenchCreate(s, "lombardia", 1); err != nil {
				b.Fatal(err)
			}
			pname := storetest.BenchPartner("lombardia", 1).Name
			for b.Loop() {
				p := &famiv1.Partner{}
				if err := s.View(context.Background(), "lombardia", func(tx store.ReadTx) error { return tx.Get(pname, p) }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWatchFanout: 64 watchers follow the region as the sync feed
// does (wait on Changed, read the new changes); each operation is one
// create and ends when every watcher has read it.
func BenchmarkWatchFanout(b *testing.B) {
	const watchers = 64
	open := backends(b)
	for _, name := range backendOrder {
		b.Run(name, func(b *testing.B) {
			s := open[name](b)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			seen := make(chan int64, watchers)
			var wg sync.WaitGroup
			for range watchers {
				wg.Go(func() {
					var last, sent int64
					for {
						ch := s.Changed("lombardia")
						err := s.View(ctx, "lombardia", func(tx store.ReadTx) error {
							return tx.Changes(last, func(c *famiv1.Change) bool { last = c.GetRevision(); return true })
						})
						if err != nil {
							return
						}
						if last > sent {
							seen <- last
							sent = last
						}
						select {
						case <-ch:
						case <-ctx.Done():
							return
						}
					}
				})
			}
			var n int64
			for b.Loop() {
				n++
				if err := storetest.BenchCreate(s, "lombardia", n); err != nil {
					b.Fatal(err)
				}
				for got := 0; got < watchers; {
					if <-seen >= n {
						got++
					}
				}
			}
			cancel()
			wg.Wait()
		})
	}
}
