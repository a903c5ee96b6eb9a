package bolt_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
)

// TestRequestRetention: a request_id is remembered for the retention, then
// forgotten by later writes, after which the same id runs again.
func TestRequestRetention(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s, err := bolt.Open(t.TempDir(), bolt.Options{Regions: []string{"lombardia"}, Now: clock, RequestRetention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs := 0
	create := func(id, requestID string) {
		t.Helper()
		m := store.Mutation{Principal: "alice", RequestID: requestID, Fingerprint: []byte(id)}
		_, err := s.Update(context.Background(), "lombardia", m, func(tx store.WriteTx) (proto.Message, error) {
			if requestID != "" {
				runs++
			}
			p := &famiv1.Partner{Name: "regions/lombardia/partners/" + id, DisplayName: id}
			return p, tx.Put(p)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	create("p1", "req-1")
	advance(30 * time.Minute)
	create("p1", "req-1") // a retry within the retention replays
	if runs != 1 {
		t.Fatalf("a retry within the retention ran the mutation again (%d runs)", runs)
	}
	advance(31 * time.Minute)
	create("other", "") // any later write prunes what has expired
	create("p1", "req-1")
	if runs != 2 {
		t.Fatalf("after the retention the request_id was still remembered (%d runs, want 2)", runs)
	}
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
