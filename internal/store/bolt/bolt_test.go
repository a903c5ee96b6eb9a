package bolt_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

var regions = []string{"lombardia", "veneto"}

// start is the first reading of the test clocks.
var start = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// steppingClock returns a clock that advances one second at every reading,
// so consecutive mutations get distinct, predictable times.
func steppingClock() func() time.Time {
	var mu sync.Mutex
	now := start
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
}

// fixedClock always reads start.
func fixedClock() time.Time { return start }

// mustOpen opens dir with the test regions and a 100ms lock timeout.
func mustOpen(t testing.TB, dir string, now func() time.Time) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(dir, bolt.Options{Regions: regions, LockTimeout: 100 * time.Millisecond, Now: now})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return s
}

// mustClose closes s and fails the test on error.
func mustClose(t testing.TB, s *bolt.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// openTemp opens a store in a new temporary dir, closed when the test ends.
func openTemp(t *testing.T) store.Store {
	t.Helper()
	s := mustOpen(t, t.TempDir(), steppingClock())
	t.Cleanup(func() { mustClose(t, s) })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, openTemp)
	t.Run("RecordChecksum", func(t *testing.T) {
		storetest.RecordChecksum(t, func(t *testing.T) (store.Store, storetest.Damage) {
			dir := t.TempDir()
			s := mustOpen(t, dir, steppingClock())
			t.Cleanup(func() { mustClose(t, s) })
			return s, func(t *testing.T, region, marker string) { bolttest.Damage(t, dir, region, marker) }
		})
	})
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, fixedClock)
	defer mustClose(t, s)
	for _, f := range []string{"system.db", "regions/lombardia.db", "regions/veneto.db"} {
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			t.Errorf("data file %s: %v", f, err)
			continue
		}
		if !fi.Mode().IsRegular() {
			t.Errorf("data file %s: got mode %v, want a regular file", f, fi.Mode())
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "regions"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"lombardia.db", "veneto.db"}; !slices.Equal(names, want) {
		t.Errorf("files in regions/: got %q, want %q", names, want)
	}
}

// recorded is what a store holds, read back for comparison.
type recorded struct {
	partners map[string]*famiv1.Partner
	revision map[string]int64
	changes  map[string][]*famiv1.Change
	index    map[string]string
}

func record(t *testing.T, s store.Store, names []string) recorded {
	t.Helper()
	r := recorded{partners: map[string]*famiv1.Partner{}, revision: map[string]int64{}, changes: map[string][]*famiv1.Change{}, index: map[string]string{}}
	for _, region := range regions {
		err := s.View(t.Context(), region, func(tx store.ReadTx) error {
			r.revision[region] = tx.Revision()
			for _, n := range names {
				if !strings.HasPrefix(n, "regions/"+region+"/") {
					continue
				}
				p := new(famiv1.Partner)
				if err := tx.Get(n, p); err != nil {
					return err
				}
				r.partners[n] = p
			}
			tx.IndexScan("by_code", "", func(k, v string) bool {
				r.index[region+"/"+k] = v
				return true
			})
			return tx.Changes(0, func(ch *famiv1.Change) bool {
				r.changes[region] = append(r.changes[region], ch)
				return true
			})
		})
		if err != nil {
			t.Fatalf("View(%s): %v", region, err)
		}
	}
	return r
}

func putPartner(t *testing.T, s store.Store, region string, m store.Mutation, p *famiv1.Partner) *famiv1.Partner {
	t.Helper()
	got, err := store.Mutate(t.Context(), s, region, m, func(tx store.WriteTx) (*famiv1.Partner, error) {
		if err := tx.Put(p); err != nil {
			return nil, err
		}
		return p, tx.IndexPut("by_code", p.GetFiscalCode(), p.GetName())
	})
	if err != nil {
		t.Fatalf("Put(%s): %v", p.GetName(), err)
	}
	return got
}

func partner(region, id, code string) *famiv1.Partner {
	return &famiv1.Partner{
		Name:        "regions/" + region + "/partners/" + id,
		DisplayName: "Partner " + id,
		Kind:        famiv1.PartnerKind_PARTNER_KIND_MUNICIPALITY,
		FiscalCode:  code,
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, fixedClock)
	alice := store.Mutation{Principal: "users/alice"}
	retry := store.Mutation{Principal: "users/alice", RequestID: "request-1", Fingerprint: []byte("fingerprint-1")}

	p1 := putPartner(t, s, "lombardia", alice, partner("lombardia", "p1", "01199250158"))
	p1.DisplayName = "Comune di Milano"
	p1 = putPartner(t, s, "lombardia", alice, p1)
	first := putPartner(t, s, "lombardia", retry, partner("lombardia", "p2", "80002210158"))
	putPartner(t, s, "veneto", alice, partner("veneto", "v1", "00339370272"))
	gone := putPartner(t, s, "veneto", alice, partner("veneto", "v2", "00000000000"))
	_, err := s.Update(t.Context(), "veneto", alice, func(tx store.WriteTx) (proto.Message, error) {
		return &emptypb.Empty{}, tx.Delete(gone.GetName())
	})
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	names := []string{p1.GetName(), first.GetName(), "regions/veneto/partners/v1"}

	if want := timestamppb.New(start); !proto.Equal(p1.GetCreateTime(), want) || !proto.Equal(p1.GetUpdateTime(), want) {
		t.Errorf("times with a fixed clock: got create %v, update %v, want %v", p1.GetCreateTime().AsTime(), p1.GetUpdateTime().AsTime(), start)
	}
	before := record(t, s, names)
	mustClose(t, s)

	s = mustOpen(t, dir, fixedClock)
	defer mustClose(t, s)
	after := record(t, s, names)

	for _, n := range names {
		if !proto.Equal(after.partners[n], before.partners[n]) {
			t.Errorf("%s after reopen:\n got %v\nwant %v", n, after.partners[n], before.partners[n])
		}
	}
	if after.partners[p1.GetName()].GetEtag() != p1.GetEtag() {
		t.Errorf("etag of p1 after reopen: got %q, want %q", after.partners[p1.GetName()].GetEtag(), p1.GetEtag())
	}
	for _, region := range regions {
		if after.revision[region] != before.revision[region] {
			t.Errorf("%s revision after reopen: got %d, want %d", region, after.revision[region], before.revision[region])
		}
		if !slices.EqualFunc(after.changes[region], before.changes[region], func(a, b *famiv1.Change) bool { return proto.Equal(a, b) }) {
			t.Errorf("%s change log after reopen:\n got %v\nwant %v", region, after.changes[region], before.changes[region])
		}
	}
	if got, want := before.revision, map[string]int64{"lombardia": 3, "veneto": 3}; got["lombardia"] != want["lombardia"] || got["veneto"] != want["veneto"] {
		t.Errorf("revisions before reopen: got %v, want %v", got, want)
	}
	if len(after.index) != 4 || after.index["lombardia/01199250158"] != p1.GetName() {
		t.Errorf("index after reopen: got %v, want the 4 fiscal codes", after.index)
	}

	t.Run("RequestIDReplays", func(t *testing.T) {
		ran := false
		got, err := s.Update(t.Context(), "lombardia", retry, func(tx store.WriteTx) (proto.Message, error) {
			ran = true
			return &emptypb.Empty{}, nil
		})
		if err != nil {
			t.Fatalf("retry after reopen: %v", err)
		}
		if ran {
			t.Errorf("retry after reopen ran fn again")
		}
		if !proto.Equal(got, first) {
			t.Errorf("retry after reopen:\n got %v\nwant %v", got, first)
		}
	})

	t.Run("WritesContinue", func(t *testing.T) {
		_, err := s.Update(t.Context(), "lombardia", alice, func(tx store.WriteTx) (proto.Message, error) {
			return &emptypb.Empty{}, tx.Delete(p1.GetName())
		})
		if err != nil {
			t.Fatalf("Delete after reopen: %v", err)
		}
		err = s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
			if got, want := tx.Revision(), before.revision["lombardia"]+1; got != want {
				t.Errorf("revision: got %d, want %d", got, want)
			}
			return tx.Changes(before.revision["lombardia"], func(ch *famiv1.Change) bool {
				if ch.GetOperation() != famiv1.ChangeOperation_CHANGE_OPERATION_DELETE || ch.GetResourceType() != "fami.v1.Partner" {
					t.Errorf("change after reopen: got %v, want a DELETE of a fami.v1.Partner", ch)
				}
				return true
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// openAsync runs bolt.Open in a goroutine and fails the test if it has not
// returned long after its lock timeout.
func openAsync(t *testing.T, dir string) (*bolt.Store, error) {
	t.Helper()
	type result struct {
		s   *bolt.Store
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := bolt.Open(dir, bolt.Options{Regions: regions, LockTimeout: 100 * time.Millisecond})
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		return r.s, r.err
	case <-time.After(30 * time.Second):
		t.Fatalf("Open of a locked dir with LockTimeout 100ms still waiting after 30s")
		return nil, nil
	}
}

func TestLocked(t *testing.T) {
	t.Run("SecondOpen", func(t *testing.T) {
		dir := t.TempDir()
		s := mustOpen(t, dir, fixedClock)
		second, err := openAsync(t, dir)
		if err == nil {
			mustClose(t, second)
			t.Fatalf("second Open of %s: got no error, want %v", dir, bolt.ErrLocked)
		}
		if !errors.Is(err, bolt.ErrLocked) {
			t.Errorf("second Open: got %v, want an error wrapping %v", err, bolt.ErrLocked)
		}
		if !strings.Contains(err.Error(), dir) {
			t.Errorf("second Open: got %q, want the path %s in it", err, dir)
		}
		if second != nil {
			t.Errorf("second Open: got a store with the error")
		}

		// Closing the first store releases the dir.
		mustClose(t, s)
		third, err := openAsync(t, dir)
		if err != nil {
			t.Fatalf("Open after Close: %v", err)
		}
		mustClose(t, third)
	})

	t.Run("RegionFile", func(t *testing.T) {
		// A failed Open releases the files it had already locked.
		dir := t.TempDir()
		mustClose(t, mustOpen(t, dir, fixedClock))
		veneto := filepath.Join(dir, "regions", "veneto.db")
		held, err := bbolt.Open(veneto, 0o600, &bbolt.Options{Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer held.Close()

		_, err = openAsync(t, dir)
		if !errors.Is(err, bolt.ErrLocked) {
			t.Errorf("Open with veneto.db locked: got %v, want an error wrapping %v", err, bolt.ErrLocked)
		}
		if err != nil && !strings.Contains(err.Error(), veneto) {
			t.Errorf("Open with veneto.db locked: got %q, want the path %s in it", err, veneto)
		}
		for _, f := range []string{"system.db", "regions/lombardia.db"} {
			db, err := bbolt.Open(filepath.Join(dir, filepath.FromSlash(f)), 0o600, &bbolt.Options{Timeout: 100 * time.Millisecond})
			if err != nil {
				t.Errorf("%s after a failed Open: %v, want it released", f, err)
				continue
			}
			db.Close()
		}
	})
}

// TestCheck runs bbolt's consistency check on every file after a workload
// of concurrent creates, updates, deletes, index writes, retries and failed
// mutations, with values large enough to split pages.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, steppingClock())
	var wg sync.WaitGroup
	for _, region := range regions {
		for w := range 4 {
			wg.Go(func() {
				m := store.Mutation{Principal: fmt.Sprintf("users/worker-%d", w)}
				for i := range 40 {
					id := fmt.Sprintf("w%d-%03d", w, i)
					p := partner(region, id, fmt.Sprintf("%011d", w*1000+i))
					p.Description = strings.Repeat("descrizione lunga ", 50+i*10)
					m.RequestID, m.Fingerprint = id, []byte(id)
					fails := i%7 == 0
					fn := func(tx store.WriteTx) (proto.Message, error) {
						if err := tx.Put(p); err != nil {
							return nil, err
						}
						if err := tx.IndexPut("by_code", p.GetFiscalCode(), p.GetName()); err != nil {
							return nil, err
						}
						// Delete the previous partner, when it was stored.
						if i%3 == 0 && i > 0 && (i-1)%7 != 0 {
							prev := fmt.Sprintf("regions/%s/partners/w%d-%03d", region, w, i-1)
							if err := tx.Delete(prev); err != nil {
								return nil, err
							}
							if err := tx.IndexDelete("by_code", fmt.Sprintf("%011d", w*1000+i-1)); err != nil {
								return nil, err
							}
						}
						if fails {
							return nil, errors.New("failed on purpose")
						}
						return p, nil
					}
					_, err := s.Update(t.Context(), region, m, fn)
					if (err != nil) != fails {
						t.Errorf("%s Update %s: got error %v, want failure %v", region, id, err, fails)
					}
					if i%5 == 0 && !fails {
						if _, err := s.Update(t.Context(), region, m, fn); err != nil {
							t.Errorf("%s retry of %s: %v", region, id, err)
						}
					}
				}
			})
		}
	}
	wg.Wait()
	mustClose(t, s)

	for _, f := range []string{"system.db", "regions/lombardia.db", "regions/veneto.db"} {
		t.Run(f, func(t *testing.T) {
			bolttest.Check(t, filepath.Join(dir, filepath.FromSlash(f)))
		})
	}
}

// TestCloseAnswersEveryWrite: writes racing Close each get an answer, none
// waits for ever: committed (and then found after a reopen) or refused as
// the store closing (errs.Unavailable).
func TestCloseAnswersEveryWrite(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, fixedClock)
	alice := store.Mutation{Principal: "users/alice"}
	const writers, each = 64, 20
	var mu sync.Mutex
	var committed []string
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				p := &famiv1.Partner{Name: fmt.Sprintf("regions/lombardia/partners/w%d-%d", w, i)}
				_, err := s.Update(t.Context(), "lombardia", alice, func(tx store.WriteTx) (proto.Message, error) { return p, tx.Put(p) })
				if errs.CodeOf(err) == errs.Unavailable {
					return
				}
				if err != nil {
					t.Errorf("write during Close: %v, want success or UNAVAILABLE", err)
					return
				}
				mu.Lock()
				committed = append(committed, p.Name)
				mu.Unlock()
			}
		})
	}
	time.Sleep(5 * time.Millisecond) // some writes in, some queued
	mustClose(t, s)
	answered := make(chan struct{})
	go func() { wg.Wait(); close(answered) }()
	select {
	case <-answered:
	case <-time.After(10 * time.Second):
		t.Fatal("writes still waiting 10 s after Close returned")
	}

	s = mustOpen(t, dir, fixedClock)
	defer mustClose(t, s)
	record(t, s, committed) // fails on an acknowledged write that is missing
	if len(committed) == 0 {
		t.Error("no write committed before Close: the test proved nothing")
	}
}

// TestRevisionInBatches: the writer keeps a region's revision per batch
// and writes it into the file once per commit. Under 64 concurrent
// writers, some failing after their writes (their batch runs again
// without them), every mutation reads the revision its own changes
// advanced, and after a reopen the file's revision and change log hold
// exactly the committed changes, 1..n without a gap.
func TestRevisionInBatches(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, fixedClock)
	alice := store.Mutation{Principal: "users/alice"}
	errBoom := errors.New("boom")
	const writers, each = 64, 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	committed := 0
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				fails := (w+i)%5 == 0
				_, err := s.Update(t.Context(), "lombardia", alice, func(tx store.WriteTx) (proto.Message, error) {
					for k := range 2 {
						before := tx.Revision()
						p := &famiv1.Partner{Name: fmt.Sprintf("regions/lombardia/partners/w%d-%d-%d", w, i, k)}
						if err := tx.Put(p); err != nil {
							return nil, err
						}
						if got := tx.Revision(); got != before+1 || p.GetEtag() != fmt.Sprint(got) {
							return nil, fmt.Errorf("revision %d after a put at %d (etag %s)", got, before, p.GetEtag())
						}
					}
					if fails {
						return nil, errBoom
					}
					return &emptypb.Empty{}, nil
				})
				switch {
				case fails && !errors.Is(err, errBoom):
					t.Errorf("failing write: got %v, want %v", err, errBoom)
				case !fails && err != nil:
					t.Errorf("write: %v", err)
				case !fails:
					mu.Lock()
					committed += 2
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	mustClose(t, s)

	s = mustOpen(t, dir, fixedClock)
	defer mustClose(t, s)
	var revs []int64
	err := s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		if got := tx.Revision(); got != int64(committed) {
			t.Errorf("revision in the file: got %d, want %d", got, committed)
		}
		return tx.Changes(0, func(ch *famiv1.Change) bool { revs = append(revs, ch.GetRevision()); return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range revs {
		if r != int64(i+1) {
			t.Fatalf("change log: revision %d at position %d, want 1..%d without a gap", r, i, committed)
		}
	}
	if len(revs) != committed {
		t.Errorf("change log: %d changes, want %d", len(revs), committed)
	}
}
