package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store"
)

// writeMany has workers goroutines each put perWorker distinct partners in
// region, one Update each, and returns the etags the Updates returned.
func writeMany(t *testing.T, s store.Store, region string, workers, perWorker int) []string {
	t.Helper()
	etags := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			m := store.Mutation{Principal: fmt.Sprintf("users/worker-%02d", w)}
			for i := range perWorker {
				p := newPartner(region, fmt.Sprintf("w%02d-%03d", w, i))
				res, err := store.Mutate(t.Context(), s, region, m, func(tx store.WriteTx) (*famiv1.Partner, error) {
					return p, tx.Put(p)
				})
				if err != nil {
					t.Errorf("worker %d, Update %d in %s: %v", w, i, region, err)
					return
				}
				etags[w] = append(etags[w], res.GetEtag())
			}
		})
	}
	wg.Wait()
	return slices.Concat(etags...)
}

// wantLog fails the test unless region's revision is n and its change log
// holds revisions 1..n, each creating a different partner from writeMany.
func wantLog(t *testing.T, s store.Store, region string, workers, perWorker int, etags []string) {
	t.Helper()
	n := int64(workers * perWorker)
	if got := revision(t, s, region); got != n {
		t.Errorf("%s revision: got %d, want %d", region, got, n)
	}
	chs := changes(t, s, region, 0)
	if got, want := revisions(chs), seq(1, n); !slices.Equal(got, want) {
		t.Errorf("%s change revisions: got %d changes %v, want 1..%d", region, len(got), got, n)
	}
	seen := map[string]int{}
	for _, ch := range chs {
		seen[ch.GetResourceName()]++
		if ch.GetOperation() != famiv1.ChangeOperation_CHANGE_OPERATION_CREATE {
			t.Errorf("%s change %d: got operation %v, want CREATE", region, ch.GetRevision(), ch.GetOperation())
		}
	}
	for w := range workers {
		for i := range perWorker {
			name := partnerName(region, fmt.Sprintf("w%02d-%03d", w, i))
			if seen[name] != 1 {
				t.Errorf("%s changes of %s: got %d, want 1", region, name, seen[name])
			}
		}
	}
	if got := listIDs(t, s, region, "partners", ""); len(got) != int(n) {
		t.Errorf("%s partners: got %d, want %d", region, len(got), n)
	}
	distinct := slices.Compact(slices.Sorted(slices.Values(etags)))
	if len(etags) != int(n) || len(distinct) != int(n) {
		t.Errorf("%s etags: got %d, %d distinct, want %d distinct", region, len(etags), len(distinct), n)
	}
}

// checkSnapshot fails the test unless a View of region is consistent:
// every writeMany Update adds one partner and one change, so the revision,
// the number of changes and the number of partners agree. It may run on any
// goroutine, and reports whether the snapshot was consistent.
func checkSnapshot(t *testing.T, s store.Store, region string) bool {
	t.Helper()
	ok := true
	err := s.View(t.Context(), region, func(tx store.ReadTx) error {
		rev := tx.Revision()
		var chs []int64
		if err := tx.Changes(0, func(ch *famiv1.Change) bool {
			chs = append(chs, ch.GetRevision())
			return true
		}); err != nil {
			return err
		}
		partners := 0
		if err := tx.List("partners", "", func(string, []byte) (bool, error) {
			partners++
			return true, nil
		}); err != nil {
			return err
		}
		if !slices.Equal(chs, seq(1, rev)) || int64(partners) != rev {
			t.Errorf("%s snapshot: revision %d, %d changes (%v), %d partners; want them to agree", region, rev, len(chs), chs, partners)
			ok = false
		}
		return nil
	})
	if err != nil {
		t.Errorf("View(%s): %v", region, err)
		return false
	}
	return ok
}

func testConcurrency(t *testing.T, open func(t *testing.T) store.Store) {
	subtests[store.Store]{
		{"OneRegion", concurrencyOneRegion},
		{"TwoRegions", concurrencyTwoRegions},
		{"WithFailures", concurrencyWithFailures},
		{"ReadersSeeSnapshots", concurrencyReadersSeeSnapshots},
	}.run(t, open)
}

func concurrencyOneRegion(t *testing.T, s store.Store) {
	etags := writeMany(t, s, lombardia, 16, 25)
	wantLog(t, s, lombardia, 16, 25, etags)
}

func concurrencyTwoRegions(t *testing.T, s store.Store) {
	var wg sync.WaitGroup
	etags := map[string][]string{}
	var mu sync.Mutex
	for _, r := range []string{lombardia, veneto} {
		wg.Go(func() {
			e := writeMany(t, s, r, 8, 25)
			mu.Lock()
			defer mu.Unlock()
			etags[r] = e
		})
	}
	wg.Wait()
	for _, r := range []string{lombardia, veneto} {
		wantLog(t, s, r, 8, 25, etags[r])
	}
}

// concurrencyWithFailures: failing mutations among concurrent ones (which
// an implementation may commit together) keep none of their writes and cost
// the others nothing.
func concurrencyWithFailures(t *testing.T, s store.Store) {
	const workers, perWorker = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				fails := (w+i)%3 == 0
				p := newPartner(lombardia, fmt.Sprintf("w%02d-%03d", w, i))
				_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
					if err := tx.Put(p); err != nil {
						return nil, err
					}
					if err := tx.IndexPut("by_name", p.GetName(), "x"); err != nil {
						return nil, err
					}
					if fails {
						return nil, errBoom
					}
					return p, nil
				})
				if fails && !errors.Is(err, errBoom) {
					t.Errorf("failing Update of %s: got %v, want %v", p.GetName(), err, errBoom)
				}
				if !fails && err != nil {
					t.Errorf("Update of %s: %v", p.GetName(), err)
				}
			}
		})
	}
	wg.Wait()

	var want []string
	for w := range workers {
		for i := range perWorker {
			if (w+i)%3 != 0 {
				want = append(want, fmt.Sprintf("w%02d-%03d", w, i))
			}
		}
	}
	if got := listIDs(t, s, lombardia, "partners", ""); !slices.Equal(got, want) {
		t.Errorf("partners: got %d %q, want %d %q", len(got), got, len(want), want)
	}
	n := int64(len(want))
	if got := revision(t, s, lombardia); got != n {
		t.Errorf("revision: got %d, want %d", got, n)
	}
	if got := revisions(changes(t, s, lombardia, 0)); !slices.Equal(got, seq(1, n)) {
		t.Errorf("change revisions: got %v, want 1..%d", got, n)
	}
	view(t, s, lombardia, func(tx store.ReadTx) error {
		if got := scan(t, tx, "by_name", ""); len(got) != len(want) {
			t.Errorf("index entries: got %d, want %d", len(got), len(want))
		}
		return nil
	})
}

func concurrencyReadersSeeSnapshots(t *testing.T, s store.Store) {
	done := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for {
				if !checkSnapshot(t, s, lombardia) {
					return
				}
				select {
				case <-done:
					return
				default:
				}
			}
		})
	}
	etags := writeMany(t, s, lombardia, 8, 25)
	close(done)
	readers.Wait()
	wantLog(t, s, lombardia, 8, 25, etags)
	checkSnapshot(t, s, lombardia)
}
