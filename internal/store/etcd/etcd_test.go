package etcd_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
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
	return open(t, etcd.Options{Prefix: conformancePrefix(), Regions: regions, Now: now}, c.Client(t))
}

func conformancePrefix() string { return fmt.Sprintf("/conformance-%d/", prefixes.Add(1)) }

// open opens a store on opts through cli, closed when the test ends. Close
// is idempotent: a test may close it earlier, as a process that stops.
func open(t *testing.T, opts etcd.Options, cli *clientv3.Client) *etcd.Store {
	t.Helper()
	opts.Client = cli
	s, err := etcd.Open(t.Context(), opts)
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
		storetest.RunSystem(t, func(t *testing.T) storetest.SystemStore { return openOn(t, c, steppingClock()) })
	})
	t.Run("RecordChecksum", func(t *testing.T) {
		storetest.RecordChecksum(t, func(t *testing.T) (store.Store, storetest.Damage) {
			prefix := conformancePrefix()
			s := open(t, etcd.Options{Prefix: prefix, Regions: regions, Now: steppingClock()}, c.Client(t))
			return s, func(t *testing.T, region, marker string) {
				etcdtest.Damage(t, c.Client(t), prefix+"regions/"+region+"/", marker)
			}
		})
	})
	t.Run("RequestRetention", func(t *testing.T) {
		storetest.Retention(t, func(t *testing.T, now func() time.Time) store.Store {
			return open(t, etcd.Options{Prefix: conformancePrefix(), Regions: regions, Now: now, RequestRetention: time.Hour}, c.Client(t))
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
	sa, sb := open(t, opts, c.Client(t)), open(t, opts, c.Client(t))

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
	s := open(t, etcd.Options{Regions: regions, MaxTxnOps: 8}, c.Client(t))
	_, err := s.Update(t.Context(), "lombardia", store.Mutation{Principal: "users/alice"}, func(tx store.WriteTx) (proto.Message, error) {
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
	return createAs(ctx, s, region, id, store.Mutation{Principal: "users/alice"})
}

// createAs is createIn as the mutation m: with a RequestID, a retry of a
// write whose answer was lost replays it instead of writing again.
func createAs(ctx context.Context, s store.Store, region, id string, m store.Mutation) error {
	_, err := store.Mutate(ctx, s, region, m, func(tx store.WriteTx) (*famiv1.Partner, error) {
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
	s := open(t, etcd.Options{Regions: regions, RequestTimeout: 300 * time.Millisecond}, c.Client(t))
	c.Kill(0)
	err := tryCreate(t.Context(), s, "lost")
	if errs.CodeOf(err) != errs.Unavailable {
		t.Fatalf("Update with the cluster down: got %v (code %v), want Unavailable", err, errs.CodeOf(err))
	}
	c.Restart(0)
	// The client reconnects with a backoff: retry as a caller would, with
	// a request id. An attempt can commit and still time out (a member
	// just restarted answers slowly on a busy machine); without the id its
	// retry wrote the partner a second time, at revision 2.
	after := store.Mutation{Principal: "users/alice", RequestID: "create-after", Fingerprint: []byte("after")}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		err := createAs(t.Context(), s, "lombardia", "after", after)
		if err == nil {
			break
		}
		if errs.CodeOf(err) != errs.Unavailable || time.Now().After(deadline) {
			t.Fatalf("Update after the cluster came back: %v", err)
		}
	}
	wantRevision(t, s, 1, "revision after the cluster came back")
}

// TestClosedAfterItsClient: famid closes the store, then its etcd client.
// The system records (accounts, service tokens, revocations) were still
// read and written between the two and then answered plain UNAVAILABLE;
// now, as the regions, they answer SHUTTING_DOWN from Close on, whatever
// the client does (the conformance suite checks the client still open).
func TestClosedAfterItsClient(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	cli := c.Client(t)
	s := open(t, etcd.Options{Regions: regions}, cli)
	if err := s.SystemUpdate(t.Context(), func(tx store.SystemTx) error { return tx.Put("accounts", "alice", []byte("a")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cli.Close(); err != nil {
		t.Fatal(err)
	}
	for what, err := range map[string]error{
		"SystemView":   s.SystemView(t.Context(), func(store.SystemTx) error { return nil }),
		"SystemUpdate": s.SystemUpdate(t.Context(), func(tx store.SystemTx) error { return tx.Put("accounts", "bob", []byte("b")) }),
		"View":         s.View(t.Context(), "lombardia", func(store.ReadTx) error { return nil }),
		"Update":       tryCreate(t.Context(), s, "late"),
	} {
		if e := errs.As(err); e == nil || e.Reason != errs.ShuttingDown {
			t.Errorf("%s after Close and the client's: %v, want SHUTTING_DOWN", what, err)
		}
	}
}

// TestBareRecordsStillRead: region records written before the etcd store
// framed them (bare protobuf, ADR 12) are read as they are, and framed by
// their next write, so a cluster needs no migration.
func TestBareRecordsStillRead(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	cli := c.Client(t)
	prefix := "/bare/"
	s := open(t, etcd.Options{Prefix: prefix, Regions: regions}, cli)
	old := &famiv1.Partner{Name: "regions/lombardia/partners/old", DisplayName: "Written by an older famid"}
	raw, err := proto.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	key := prefix + "regions/lombardia/res/partners/old"
	if _, err := cli.Put(t.Context(), key, string(raw)); err != nil {
		t.Fatal(err)
	}
	got := new(famiv1.Partner)
	if err := s.View(t.Context(), "lombardia", func(tx store.ReadTx) error { return tx.Get(old.Name, got) }); err != nil {
		t.Fatalf("Get of a bare record: %v", err)
	}
	if got.DisplayName != old.DisplayName {
		t.Errorf("bare record read as %q, want %q", got.DisplayName, old.DisplayName)
	}
	if _, err := store.Mutate(t.Context(), s, "lombardia", store.Mutation{Principal: "alice"}, func(tx store.WriteTx) (*famiv1.Partner, error) {
		got.DisplayName = "Written again"
		return got, tx.Put(got)
	}); err != nil {
		t.Fatal(err)
	}
	resp, err := cli.Get(t.Context(), key)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("read back: %v", err)
	}
	if p, ok := store.OpenFrame(resp.Kvs[0].Value); !ok || len(p) == 0 {
		t.Errorf("the record is not framed after its next write: % x", resp.Kvs[0].Value[:min(8, len(resp.Kvs[0].Value))])
	}
}

// TestExportChecksRecords: an export (famictl backup, copy to bbolt)
// carries every record's payload alone, checked: a damaged record stops
// it with DATA_LOSS naming the record, never written into the copy.
func TestExportChecksRecords(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	prefix := "/export/"
	s := open(t, etcd.Options{Prefix: prefix, Regions: regions}, c.Client(t))
	p := &famiv1.Partner{Name: "regions/lombardia/partners/pa", DisplayName: "MARKER-export"}
	if _, err := store.Mutate(t.Context(), s, "lombardia", store.Mutation{Principal: "alice"}, func(tx store.WriteTx) (*famiv1.Partner, error) {
		return p, tx.Put(p)
	}); err != nil {
		t.Fatal(err)
	}
	var framed []string
	if _, err := s.ExportRegion(t.Context(), "lombardia", func(r store.Record) error {
		if store.Framed(r.Table) {
			if _, ok := store.OpenFrame(r.Value); ok {
				framed = append(framed, r.Table+" "+string(r.Key))
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("export: %v", err)
	}
	if len(framed) > 0 {
		t.Errorf("the export carries frames, want payloads alone: %v", framed)
	}
	etcdtest.Damage(t, c.Client(t), prefix+"regions/lombardia/", "MARKER-export")
	_, err := s.ExportRegion(t.Context(), "lombardia", func(store.Record) error { return nil })
	// The change log comes first in the key range: the export stops at the
	// partner's change.
	if e := errs.As(err); e == nil || e.Code != errs.DataLoss || e.Reason != errs.RecordCorrupt || e.Metadata["record"] != "change 1 of region lombardia" {
		t.Errorf("export of a damaged region: got %v, want DATA_LOSS RECORD_CORRUPT naming change 1 of region lombardia", err)
	}
}
