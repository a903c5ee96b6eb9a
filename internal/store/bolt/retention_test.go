package bolt_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

// TestRequestRetention: a request_id is remembered for the retention, then
// forgotten by later writes, after which the same id runs again.
func TestRequestRetention(t *testing.T) {
	storetest.Retention(t, func(t *testing.T, now func() time.Time) store.Store {
		s, err := bolt.Open(t.TempDir(), bolt.Options{Regions: []string{"lombardia"}, Now: now, RequestRetention: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestSystemConformance(t *testing.T) {
	storetest.RunSystem(t, func(t *testing.T) storetest.SystemStore {
		s := mustOpen(t, t.TempDir(), fixedClock)
		t.Cleanup(func() { mustClose(t, s) })
		return s
	})
}

// TestChangeRetention: the change log keeps the last ChangeRetention
// changes; older positions are compacted (watchers from there relist).
func TestChangeRetention(t *testing.T) {
	s, err := bolt.Open(t.TempDir(), bolt.Options{Regions: []string{"lombardia"}, ChangeRetention: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 30 {
		_, err := s.Update(t.Context(), "lombardia", store.Mutation{Principal: "alice"}, func(tx store.WriteTx) (proto.Message, error) {
			p := &famiv1.Partner{Name: "regions/lombardia/partners/p", DisplayName: fmt.Sprint("draft ", i)}
			return p, tx.Put(p)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err = s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		if got := tx.Compacted(); got != 20 {
			t.Errorf("compacted to %d, want 20 (30 changes, 10 kept)", got)
		}
		if err := tx.Changes(0, func(*famiv1.Change) bool { return true }); errs.As(err) == nil || errs.As(err).Reason != "REVISION_COMPACTED" {
			t.Errorf("changes from 0: got %v, want REVISION_COMPACTED", err)
		}
		n := 0
		if err := tx.Changes(20, func(*famiv1.Change) bool { n++; return true }); err != nil {
			t.Fatal(err)
		}
		if n != 10 {
			t.Errorf("%d changes retained, want 10", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestChangeRetentionInBatches: concurrent writes commit in batches, each
// pruned once for all its mutations; the log still keeps exactly the
// retained count.
func TestChangeRetentionInBatches(t *testing.T) {
	s, err := bolt.Open(t.TempDir(), bolt.Options{Regions: []string{"lombardia"}, ChangeRetention: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const writes = 64
	var wg sync.WaitGroup
	for i := range writes {
		wg.Go(func() {
			_, err := s.Update(t.Context(), "lombardia", store.Mutation{Principal: "alice"}, func(tx store.WriteTx) (proto.Message, error) {
				p := &famiv1.Partner{Name: fmt.Sprintf("regions/lombardia/partners/p%d", i)}
				return p, tx.Put(p)
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	err = s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		if got, want := tx.Compacted(), int64(writes-10); got != want {
			t.Errorf("compacted to %d, want %d (%d changes, 10 kept)", got, want, writes)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
