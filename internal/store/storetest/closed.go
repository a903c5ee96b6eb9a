package storetest

import (
	"fmt"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// testClosed covers Close: a write in flight while the store closes is
// either committed or answered SHUTTING_DOWN (UNAVAILABLE, which clients
// retry), never an internal error; a read, write or compaction arriving
// after it is answered SHUTTING_DOWN without running fn.
func testClosed(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	put(t, s, alice, newPartner(lombardia, "before"))

	const writers = 8
	start := make(chan struct{})
	var wg sync.WaitGroup
	errc := make(chan error, writers*4)
	for w := range writers {
		wg.Go(func() {
			<-start
			for i := range 4 {
				_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
					p := newPartner(lombardia, fmt.Sprintf("w%d-%d", w, i))
					return p, tx.Put(p)
				})
				errc <- err
			}
		})
	}
	close(start)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			wantShuttingDown(t, "a write in flight while the store closes", err)
		}
	}

	ran := false
	err := s.View(t.Context(), lombardia, func(store.ReadTx) error { ran = true; return nil })
	wantShuttingDown(t, "View after Close", err)
	_, err = s.Update(t.Context(), lombardia, alice, func(store.WriteTx) (proto.Message, error) {
		ran = true
		return newPartner(lombardia, "after"), nil
	})
	wantShuttingDown(t, "Update after Close", err)
	_, err = s.Compact(t.Context(), lombardia, 1)
	wantShuttingDown(t, "Compact after Close", err)
	if ran {
		t.Error("fn ran on a closed store")
	}
}

// wantShuttingDown fails the test unless err is the store's answer of a
// closed store.
func wantShuttingDown(t testing.TB, what string, err error) {
	t.Helper()
	if e := errs.As(err); e == nil || e.Code != errs.Unavailable || e.Reason != errs.ShuttingDown {
		t.Errorf("%s: got %v, want UNAVAILABLE SHUTTING_DOWN", what, err)
	}
}
