package etcd_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

var regions = []string{"lombardia", "veneto"}

// steppingClock returns a clock that advances one second at every reading.
func steppingClock() func() time.Time {
	var mu sync.Mutex
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
}

// prefixes gives every store of a test run its own key range, so the
// conformance suite's many empty stores share one embedded member.
var prefixes atomic.Int64

func openOn(t *testing.T, c *etcdtest.Cluster, now func() time.Time) *etcd.Store {
	t.Helper()
	s, err := etcd.Open(t.Context(), etcd.Options{
		Client:  c.Client(t),
		Prefix:  fmt.Sprintf("/conformance-%d/", prefixes.Add(1)),
		Regions: regions,
		Now:     now,
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	t.Run("Store", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store { return openOn(t, c, steppingClock()) })
	})
	t.Run("System", func(t *testing.T) {
		storetest.RunSystem(t, func(t *testing.T) store.System { return openOn(t, c, steppingClock()) })
	})
	t.Run("RequestRetention", func(t *testing.T) {
		storetest.Retention(t, func(t *testing.T, now func() time.Time) store.Store {
			s, err := etcd.Open(t.Context(), etcd.Options{Client: c.Client(t), Prefix: fmt.Sprintf("/conformance-%d/", prefixes.Add(1)),
				Regions: regions, Now: now, RequestRetention: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
}

// TestTwoProcesses has two stores on the same key range, as two famid
// processes on one cluster: their concurrent writes conflict, retry, and
// still make one gapless change log, and each store's Changed reports the
// other's commits.
func TestTwoProcesses(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	opts := etcd.Options{Prefix: "/shared/", Regions: regions, MaxTxnOps: 16}
	a, b := opts, opts
	a.Client, b.Client = c.Client(t), c.Client(t)
	sa, err := etcd.Open(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Close()
	sb, err := etcd.Open(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()

	changed := sb.Changed("lombardia")
	create(t, sa, "first")
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("a commit through one store did not signal Changed on the other")
	}

	const workers, each = 16, 10
	var wg sync.WaitGroup
	for w := range workers {
		s := []*etcd.Store{sa, sb}[w%2]
		wg.Go(func() {
			for i := range each {
				create(t, s, fmt.Sprintf("w%02d-%02d", w, i))
			}
		})
	}
	wg.Wait()
	const n = workers*each + 1
	for _, s := range []*etcd.Store{sa, sb} {
		err := s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
			if tx.Revision() != n {
				t.Errorf("revision: got %d, want %d", tx.Revision(), n)
			}
			next := int64(1)
			err := tx.Changes(0, func(ch *famiv1.Change) bool {
				if ch.GetRevision() != next {
					t.Errorf("change log: got revision %d, want %d", ch.GetRevision(), next)
				}
				next++
				return true
			})
			if next != n+1 {
				t.Errorf("change log: %d changes, want %d", next-1, n)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestTooLarge: a mutation that cannot fit in one transaction fails and
// writes nothing; smaller ones queued with it still commit.
func TestTooLarge(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	s, err := etcd.Open(t.Context(), etcd.Options{Client: c.Client(t), Regions: regions, MaxTxnOps: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Update(t.Context(), "lombardia", store.Mutation{Principal: "users/alice"}, func(tx store.WriteTx) (proto.Message, error) {
		for i := range 5 {
			if err := tx.Put(partner(fmt.Sprintf("big-%d", i))); err != nil {
				return nil, err
			}
		}
		return &emptypb.Empty{}, nil
	})
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("a 16-operation mutation with a limit of 8: got %v, want too large", err)
	}
	create(t, s, "small")
	wantRevision(t, s, 1, "revision")
}

func partner(id string) *famiv1.Partner {
	return &famiv1.Partner{Name: "regions/lombardia/partners/" + id, DisplayName: "Partner " + id}
}

// wantRevision fails the test, as what, unless lombardia is at revision
// want.
func wantRevision(t *testing.T, s store.Store, want int64, what string) {
	t.Helper()
	err := s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		if tx.Revision() != want {
			t.Errorf("%s: got %d, want %d", what, tx.Revision(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// create stores a new partner in lombardia.
func create(t *testing.T, s store.Store, id string) {
	t.Helper()
	if err := tryCreate(t.Context(), s, id); err != nil {
		t.Errorf("create %s: %v", id, err)
	}
}

// tryCreate stores a new partner in lombardia and returns the store's
// error.
func tryCreate(ctx context.Context, s store.Store, id string) error {
	return createIn(ctx, s, "lombardia", id)
}

// createIn stores a new partner in region and returns the store's error.
func createIn(ctx context.Context, s store.Store, region, id string) error {
	_, err := store.Mutate(ctx, s, region, store.Mutation{Principal: "users/alice"}, func(tx store.WriteTx) (*famiv1.Partner, error) {
		p := &famiv1.Partner{Name: "regions/" + region + "/partners/" + id, DisplayName: "Partner " + id}
		return p, tx.Put(p)
	})
	return err
}

// TestUnavailable: with the cluster gone, a write fails with Unavailable
// (safe to retry with its request_id) within the request timeout, and
// writes nothing once the cluster is back.
func TestUnavailable(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	s, err := etcd.Open(t.Context(), etcd.Options{Client: c.Client(t), Regions: regions, RequestTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c.Kill(0)
	err = tryCreate(t.Context(), s, "lost")
	if errs.CodeOf(err) != errs.Unavailable {
		t.Fatalf("Update with the cluster down: got %v (code %v), want Unavailable", err, errs.CodeOf(err))
	}
	c.Restart(0)
	// The client reconnects with a backoff: retry as a caller would.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		err := tryCreate(t.Context(), s, "after")
		if err == nil {
			break
		}
		if errs.CodeOf(err) != errs.Unavailable || time.Now().After(deadline) {
			t.Fatalf("Update after the cluster came back: %v", err)
		}
	}
	wantRevision(t, s, 1, "revision after the cluster came back")
}
