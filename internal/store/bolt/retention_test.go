package bolt_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
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
