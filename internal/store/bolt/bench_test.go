package bolt_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

// The storage benchmarks of docs/benchmarks.md. Every write is durable
// (bbolt fsyncs each commit); the figures that matter are the ratios
// between sub-benchmarks measured in the same run.

func benchStore(b *testing.B) *bolt.Store {
	b.Helper()
	return bolttest.Open(b, b.TempDir(), bolt.Options{Regions: []string{"lombardia", "veneto"}})
}

// BenchmarkCreate is the durable create throughput of one region at
// concurrency 1 and 64: group commit makes the second far higher.
func BenchmarkCreate(b *testing.B) {
	for _, c := range []int{1, 64} {
		b.Run(fmt.Sprintf("c%d", c), func(b *testing.B) {
			s := benchStore(b)
			storetest.RunConcurrent(b, c, func(n int64) error { return storetest.BenchCreate(s, "lombardia", n) })
		})
	}
}

// BenchmarkCreateVsBareBatch compares the store's create path (request
// bookkeeping, stamping, change log) with a bare bbolt Batch put of the
// same bytes at the same concurrency.
func BenchmarkCreateVsBareBatch(b *testing.B) {
	const c = 64
	b.Run("store", func(b *testing.B) {
		s := benchStore(b)
		storetest.RunConcurrent(b, c, func(n int64) error { return storetest.BenchCreate(s, "lombardia", n) })
	})
	b.Run("bare-batch", func(b *testing.B) {
		db, err := bbolt.Open(filepath.Join(b.TempDir(), "bare.db"), 0o600, &bbolt.Options{FreelistType: bbolt.FreelistMapType})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		bucket := []byte("resources")
		db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket(bucket); return err })
		storetest.RunConcurrent(b, c, func(n int64) error {
			p := storetest.BenchPartner("lombardia", n)
			v, err := proto.MarshalOptions{Deterministic: true}.Marshal(p)
			if err != nil {
				return err
			}
			return db.Batch(func(tx *bbolt.Tx) error { return tx.Bucket(bucket).Put([]byte(p.Name), v) })
		})
	})
}

// BenchmarkRegions writes one region, then two at once, with 1 and with 64
// writers per region: regions commit independently (one file and writer
// each). With one writer a region waits on its fsync, and two regions
// overlap their waits; with 64, group commit already keeps both cores busy
// for one region, so a second one can add little on a 2-core machine.
func BenchmarkRegions(b *testing.B) {
	for _, perRegion := range []int{1, 64} {
		for _, regions := range [][]string{{"lombardia"}, {"lombardia", "veneto"}} {
			b.Run(fmt.Sprintf("c%d/regions=%d", perRegion, len(regions)), func(b *testing.B) {
				s := benchStore(b)
				storetest.RunConcurrent(b, perRegion*len(regions), func(n int64) error { return storetest.BenchCreate(s, regions[n%int64(len(regions))], n) })
			})
		}
	}
}

// BenchmarkGet reads one partner: its cost and allocations per operation.
func BenchmarkGet(b *testing.B) {
	s := benchStore(b)
	if err := storetest.BenchCreate(s, "lombardia", 1); err != nil {
		b.Fatal(err)
	}
	name := storetest.BenchPartner("lombardia", 1).Name
	b.ReportAllocs()
	for b.Loop() {
		p := &famiv1.Partner{}
		if err := s.View(context.Background(), "lombardia", func(tx store.ReadTx) error { return tx.Get(name, p) }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadMany reads 100 partners a time, through List and through
// the change log (Changes), as a page and a sync catch-up do: the cost per
// record of a read, checksum included.
func BenchmarkReadMany(b *testing.B) {
	s := benchStore(b)
	const n = 100
	storetest.RunConcurrent(b, 16, func(i int64) error { return storetest.BenchCreate(s, "lombardia", i) })
	for i := int64(1); i <= n; i++ {
		if err := storetest.BenchCreate(s, "lombardia", 1000+i); err != nil {
			b.Fatal(err)
		}
	}
	read := map[string]func(tx store.ReadTx) error{
		"List": func(tx store.ReadTx) error {
			return tx.List("partners", "", func(string, []byte) (bool, error) { return true, nil })
		},
		"Changes": func(tx store.ReadTx) error {
			return tx.Changes(tx.Revision()-n, func(*famiv1.Change) bool { return true })
		},
	}
	for _, name := range []string{"List", "Changes"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := s.View(context.Background(), "lombardia", read[name]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCreateAllocs is one create's allocations (its time is the fsync).
func BenchmarkCreateAllocs(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	var n int64
	for b.Loop() {
		n++
		if err := storetest.BenchCreate(s, "lombardia", n); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFill creates partners at concurrency 64 and reports how full the
// leaf pages of the region file's buckets are, and their bytes per partner.
// Keys that only grow (the change log's revisions, the request records'
// times) fill pages only as far as bbolt's FillPercent lets them.
func BenchmarkFill(b *testing.B) {
	const partners = 5000
	for b.Loop() {
		dir := b.TempDir()
		s, err := bolt.Open(dir, bolt.Options{Regions: []string{"lombardia"}})
		if err != nil {
			b.Fatal(err)
		}
		var next atomic.Int64
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				for n := next.Add(1); n <= partners; n = next.Add(1) {
					if err := storetest.BenchCreate(s, "lombardia", n); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		db, err := bbolt.Open(filepath.Join(dir, "regions", "lombardia.db"), 0o600, &bbolt.Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		db.View(func(tx *bbolt.Tx) error {
			for _, name := range []string{"changes", "resources"} {
				st := tx.Bucket([]byte(name)).Stats()
				b.ReportMetric(100*float64(st.LeafInuse)/float64(st.LeafAlloc), name+"-fill-%")
				b.ReportMetric(float64(st.LeafAlloc)/partners, name+"-B/partner")
			}
			return nil
		})
		db.Close()
	}
}

// BenchmarkIndexScans is a read that seeks one index month by month, as a
// support summary (a scan per month and dimension) and a meeting or entry
// list (a scan per month) do: 450 prefix scans in one transaction, over
// 150 months of which 36 hold keys.
func BenchmarkIndexScans(b *testing.B) {
	s := benchStore(b)
	const index, months, dims = "cells", 150, 3
	_, err := s.Update(b.Context(), "lombardia", store.Mutation{Principal: "bench"}, func(tx store.WriteTx) (proto.Message, error) {
		for m := months - 36; m < months; m++ {
			for d := range dims {
				for i := range 20 {
					if err := tx.IndexPut(index, fmt.Sprintf("t%03d\x00%d\x00%02d", m, d, i), "v"); err != nil {
						return nil, err
					}
				}
			}
		}
		return &famiv1.Partner{}, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var prefixes []string
	for m := range months {
		for d := range dims {
			prefixes = append(prefixes, fmt.Sprintf("t%03d\x00%d\x00", m, d))
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		err := s.View(b.Context(), "lombardia", func(tx store.ReadTx) error {
			for _, p := range prefixes {
				tx.IndexScan(index, p, func(string, string) bool { n++; return true })
			}
			return nil
		})
		if err != nil || n != 36*dims*20 {
			b.Fatalf("read %d keys (%v), want %d", n, err, 36*dims*20)
		}
	}
}

// BenchmarkCount counts a collection of 20,000 partners in one read three
// ways, compared in the same run: by its keys (ReadTx.Count, by=keys),
// by listing it (each record unframed and checked, by=list), and by
// decoding each listed record, as a count through a List RPC did
// (by=decode, without the pages).
//
//	go test -run '^$' -bench BenchmarkCount -benchmem -count 6 ./internal/store/bolt/
func BenchmarkCount(b *testing.B) {
	const partners = 20000
	s := benchStore(b)
	for first := int64(1); first <= partners; first += 1000 {
		if err := storetest.BenchCreatesInOneUpdate(s, "lombardia", first, 1000, false); err != nil {
			b.Fatal(err)
		}
	}
	listed := func(decode bool) func(tx store.ReadTx) (int, error) {
		return func(tx store.ReadTx) (int, error) {
			n := 0
			err := tx.List("partners", "", func(_ string, raw []byte) (bool, error) {
				n++
				if decode {
					return true, proto.Unmarshal(raw, new(famiv1.Partner))
				}
				return true, nil
			})
			return n, err
		}
	}
	for _, c := range []struct {
		name  string
		count func(tx store.ReadTx) (int, error)
	}{
		{"by=keys", func(tx store.ReadTx) (int, error) { return tx.Count("partners") }},
		{"by=list", listed(false)},
		{"by=decode", listed(true)},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				err := s.View(b.Context(), "lombardia", func(tx store.ReadTx) error {
					n, err := c.count(tx)
					if err == nil && n != partners {
						err = fmt.Errorf("counted %d partners, want %d", n, partners)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
