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

	writesRaceClose(t, s.Close, "a write in flight while the store closes", func(w, i int) error {
		_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
			p := newPartner(lombardia, fmt.Sprintf("w%d-%d", w, i))
			return p, tx.Put(p)
		})
		return err
	})

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

// testChangedAtClose covers Changed and Close: the channel a watcher holds
// closes when the store closes, and Changed afterwards returns a closed
// one, so that a watcher waiting for commits wakes, reads, is answered
// SHUTTING_DOWN and ends. Both waited for ever.
func testChangedAtClose(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	put(t, s, alice, newPartner(lombardia, "before"))
	held := s.Changed(lombardia)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for what, ch := range map[string]<-chan struct{}{
		"the channel held while the store closed": held,
		"Changed(lombardia) after Close":          s.Changed(lombardia),
		"Changed(veneto) after Close":             s.Changed("veneto"),
	} {
		select {
		case <-ch:
		default:
			t.Errorf("%s is open: its watcher would wait for ever", what)
		}
	}
	err := s.View(t.Context(), lombardia, func(store.ReadTx) error { return nil })
	wantShuttingDown(t, "View of a woken watcher", err)
}

// writesRaceClose runs eight writers of four writes each (write(w, i))
// against closing the store (closeStore): each write in flight is either
// committed or answered SHUTTING_DOWN (what names it in the errors).
func writesRaceClose(t *testing.T, closeStore func() error, what string, write func(w, i int) error) {
	t.Helper()
	const writers = 8
	start := make(chan struct{})
	var wg sync.WaitGroup
	errc := make(chan error, writers*4)
	for w := range writers {
		wg.Go(func() {
			<-start
			for i := range 4 {
				errc <- write(w, i)
			}
		})
	}
	close(start)
	if err := closeStore(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			wantShuttingDown(t, what, err)
		}
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
