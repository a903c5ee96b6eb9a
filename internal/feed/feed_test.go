package feed_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/feed"
	"github.com/raccordo/raccordo/internal/sharedmsg"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
)

// openStore opens a store of lombardia and veneto, closed at the test's
// end.
func openStore(t testing.TB) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(t.TempDir(), bolt.Options{Regions: []string{"lombardia", "veneto"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// write creates (or updates) partner id in region.
func write(t *testing.T, s store.Store, region, id string) {
	t.Helper()
	if err := put(s, region, id); err != nil {
		t.Fatal(err)
	}
}

// put writes the partner id to region.
func put(s store.Store, region, id string) error {
	_, err := s.Update(context.Background(), region, store.Mutation{Principal: "test"}, func(tx store.WriteTx) (proto.Message, error) {
		p := &famiv1.Partner{Name: "regions/" + region + "/partners/" + id, DisplayName: id, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}
		return p, tx.Put(p)
	})
	return err
}

// writeConcurrently writes each partners to lombardia from each of
// writers goroutines at once, and returns when all are written. A writer
// stops at its first failure, and the test stops once every writer is
// done: t.Fatal must not run on the writers' goroutines.
func writeConcurrently(t *testing.T, s store.Store, writers, each int) {
	t.Helper()
	var wg sync.WaitGroup
	failed := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := put(s, "lombardia", fmt.Sprintf("w%d-%d", w, i)); err != nil {
					failed[w] = fmt.Errorf("writer %d, write %d: %w", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(failed...); err != nil {
		t.Fatal(err)
	}
}

func TestListChanges(t *testing.T) {
	s := openStore(t)
	svc := feed.New(s, feed.Options{})
	for i := range 7 {
		write(t, s, "lombardia", fmt.Sprintf("p%d", i))
	}
	write(t, s, "veneto", "elsewhere")

	var got []int64
	token := ""
	for pages := 0; ; pages++ {
		res, err := svc.ListChanges(context.Background(), &famiv1.ListChangesRequest{Parent: "regions/lombardia", PageSize: 3, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if res.GetRevision() != 7 {
			t.Fatalf("revision = %d, want 7", res.GetRevision())
		}
		for _, ch := range res.GetChanges() {
			got = append(got, ch.GetRevision())
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if fmt.Sprint(got) != "[1 2 3 4 5 6 7]" {
		t.Fatalf("revisions = %v, want 1..7 once each", got)
	}

	res, err := svc.ListChanges(context.Background(), &famiv1.ListChangesRequest{Parent: "regions/lombardia", SinceRevision: 5, ResourceTypes: []string{"fami.v1.Network"}})
	if err != nil || len(res.GetChanges()) != 0 || res.GetNextPageToken() != "" {
		t.Fatalf("filtered list = %v, %v; want no changes and no token", res, err)
	}

	for name, req := range map[string]*famiv1.ListChangesRequest{
		"since_revision": {Parent: "regions/lombardia", SinceRevision: 99},
		"page_token":     {Parent: "regions/lombardia", PageToken: "garbage"},
		"parent":         {Parent: "lombardia"},
		"page_size":      {Parent: "regions/lombardia", PageSize: -2},
	} {
		_, err := svc.ListChanges(context.Background(), req)
		if e := errs.As(err); e == nil || e.Code != errs.Invalid || e.Violations[0].Field != name {
			t.Errorf("%s: err = %v, want INVALID naming %s", name, err, name)
		}
	}
}

// TestRevisionAhead: a list or watch from a revision beyond the region's
// (a region restored or moved keeping older revisions) is refused with
// reason REVISION_AHEAD, naming since_revision, so that a mirror tells it
// by its reason. It had the code's own reason, INVALID_ARGUMENT, as any
// fault of that field.
func TestRevisionAhead(t *testing.T) {
	s := openStore(t)
	svc := feed.New(s, feed.Options{})
	write(t, s, "lombardia", "p1")
	_, listErr := svc.ListChanges(t.Context(), &famiv1.ListChangesRequest{Parent: "regions/lombardia", SinceRevision: 2})
	watchErr := svc.Watch(&famiv1.WatchRequest{Parent: "regions/lombardia", SinceRevision: 2}, &recorder{ctx: t.Context()})
	for call, err := range map[string]error{"ListChanges": listErr, "Watch": watchErr} {
		e := errs.As(err)
		if e == nil || e.Code != errs.Invalid || e.Reason != errs.RevisionAhead || len(e.Violations) != 1 || e.Violations[0].Field != "since_revision" {
			t.Errorf("%s from beyond the region's revision: err = %#v, want INVALID_ARGUMENT, reason REVISION_AHEAD, naming since_revision", call, e)
		}
	}
}

func TestCompaction(t *testing.T) {
	s := openStore(t)
	svc := feed.New(s, feed.Options{})
	for i := range 5 {
		write(t, s, "lombardia", fmt.Sprintf("p%d", i))
	}
	removed, err := s.Compact(context.Background(), "lombardia", 3)
	if err != nil || removed != 3 {
		t.Fatalf("Compact = %d, %v; want 3 removed", removed, err)
	}
	_, err = svc.ListChanges(context.Background(), &famiv1.ListChangesRequest{Parent: "regions/lombardia", SinceRevision: 2})
	if e := errs.As(err); e == nil || e.Code != errs.FailedPrecondition || e.Reason != "REVISION_COMPACTED" {
		t.Fatalf("list from a compacted revision: err = %v, want REVISION_COMPACTED", err)
	}
	res, err := svc.ListChanges(context.Background(), &famiv1.ListChangesRequest{Parent: "regions/lombardia", SinceRevision: 3})
	if err != nil || len(res.GetChanges()) != 2 || res.GetChanges()[0].GetRevision() != 4 {
		t.Fatalf("list from the compacted revision = %v, %v; want revisions 4 and 5", res, err)
	}
	if _, err := s.Compact(context.Background(), "lombardia", 6); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("compacting beyond the revision: err = %v, want INVALID", err)
	}
	err = svc.Watch(&famiv1.WatchRequest{Parent: "regions/lombardia", SinceRevision: 1}, &recorder{ctx: context.Background()})
	if e := errs.As(err); e == nil || e.Reason != "REVISION_COMPACTED" {
		t.Fatalf("watch from a compacted revision: err = %v, want REVISION_COMPACTED", err)
	}
}

// recorder is a watch stream that records what it is sent.
type recorder struct {
	famiv1.SyncService_WatchServer
	ctx context.Context
	mu  sync.Mutex
	got []*famiv1.WatchResponse
	// slow delays every send, as a consumer that reads slowly.
	slow time.Duration
}

func (r *recorder) Context() context.Context { return r.ctx }

// SendMsg records a response, shared (sharedmsg) or not: the service
// sends with SendMsg so that shared responses reach the codec.
func (r *recorder) SendMsg(m any) error {
	time.Sleep(r.slow)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, sharedmsg.Unwrap(m).(*famiv1.WatchResponse))
	return nil
}

func (r *recorder) revisions() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int64
	for _, res := range r.got {
		for _, ch := range res.GetChanges() {
			out = append(out, ch.GetRevision())
		}
	}
	return out
}

func (r *recorder) bookmarks() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, res := range r.got {
		if len(res.GetChanges()) == 0 {
			n++
		}
	}
	return n
}

// TestWatch runs watchers (one from the start, one from the middle, one
// slow) while 8 writers commit: each receives exactly the committed
// changes after its revision, in order, with no gap and no duplicate.
func TestWatch(t *testing.T) {
	s := openStore(t)
	svc := feed.New(s, feed.Options{BookmarkInterval: 20 * time.Millisecond})
	for i := range 10 {
		write(t, s, "lombardia", fmt.Sprintf("before-%d", i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	watchers := []struct {
		since int64
		rec   *recorder
	}{
		{0, &recorder{ctx: ctx}},
		{5, &recorder{ctx: ctx}},
		{10, &recorder{ctx: ctx, slow: time.Millisecond}},
	}
	var wg sync.WaitGroup
	for _, w := range watchers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := svc.Watch(&famiv1.WatchRequest{Parent: "regions/lombardia", SinceRevision: w.since}, w.rec); err != nil {
				t.Errorf("watch from %d: %v", w.since, err)
			}
		}()
	}
	writeConcurrently(t, s, 8, 25)
	const total = 10 + 8*25
	deadline := time.Now().Add(20 * time.Second)
	for _, w := range watchers {
		for len(w.rec.revisions()) < total-int(w.since) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	// Idle now: bookmarks arrive.
	for watchers[0].rec.bookmarks() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	for _, w := range watchers {
		got := w.rec.revisions()
		if len(got) != total-int(w.since) {
			t.Fatalf("watcher from %d got %d changes, want %d", w.since, len(got), total-int(w.since))
		}
		for i, rev := range got {
			if want := w.since + int64(i) + 1; rev != want {
				t.Fatalf("watcher from %d: change %d has revision %d, want %d (gap or duplicate)", w.since, i, rev, want)
			}
		}
	}
	if watchers[0].rec.bookmarks() == 0 {
		t.Error("an idle watch got no bookmark")
	}
}

// TestWatchEndsWhenTheStoreCloses: live watchers (sharing the region's
// tail) end SHUTTING_DOWN when the store closes under them, woken by the
// store's Changed. They waited for a commit that never came, until their
// stream ended.
func TestWatchEndsWhenTheStoreCloses(t *testing.T) {
	s := openStore(t)
	svc := feed.New(s, feed.Options{BookmarkInterval: time.Hour}) // only Changed wakes them
	ended := make(chan error, 2)
	recs := []*recorder{{ctx: t.Context()}, {ctx: t.Context()}}
	for _, rec := range recs {
		go func() { ended <- svc.Watch(&famiv1.WatchRequest{Parent: "regions/lombardia"}, rec) }()
	}
	write(t, s, "lombardia", "a")
	deadline := time.Now().Add(10 * time.Second)
	for _, rec := range recs {
		for len(rec.revisions()) == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range recs {
		select {
		case err := <-ended:
			if e := errs.As(err); e == nil || e.Reason != errs.ShuttingDown {
				t.Errorf("a live watch of a closed store ended with %v, want SHUTTING_DOWN", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a live watch still waits ten seconds after its store closed")
		}
	}
}

func TestWatchFilter(t *testing.T) {
	s := openStore(t)
	svc := feed.New(s, feed.Options{BookmarkInterval: 10 * time.Millisecond})
	write(t, s, "lombardia", "a")
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{ctx: ctx}
	done := make(chan error)
	go func() {
		done <- svc.Watch(&famiv1.WatchRequest{Parent: "regions/lombardia", ResourceTypes: []string{"fami.v1.Network"}}, rec)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		rec.mu.Lock()
		n := len(rec.got)
		var last int64
		if n > 0 {
			last = rec.got[n-1].GetRevision()
		}
		rec.mu.Unlock()
		if last == 1 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := rec.revisions(); len(got) != 0 {
		t.Fatalf("a Network watch got partner changes %v", got)
	}
	if rec.bookmarks() == 0 || rec.got[len(rec.got)-1].GetRevision() != 1 {
		t.Fatalf("bookmarks do not carry the region's revision past filtered changes: %v", rec.got)
	}
}

// TestWatchSharedTail runs 40 watchers, from different revisions and half
// of them slow, while 16 writers commit 800 changes: live watchers share
// the region's tail of recent changes, slow ones fall behind it and read
// the log, and each still receives exactly the changes after its revision,
// in order, with no gap and no duplicate.
func TestWatchSharedTail(t *testing.T) {
	s := openStore(t)
	svc := feed.New(s, feed.Options{BookmarkInterval: time.Hour})
	for i := range 40 {
		write(t, s, "lombardia", fmt.Sprintf("before-%d", i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	recs := make([]*recorder, 40)
	var wg sync.WaitGroup
	for i := range recs {
		recs[i] = &recorder{ctx: ctx}
		if i%2 == 1 {
			recs[i].slow = time.Millisecond
		}
		wg.Go(func() {
			if err := svc.Watch(&famiv1.WatchRequest{Parent: "regions/lombardia", SinceRevision: int64(i)}, recs[i]); err != nil {
				t.Errorf("watch from %d: %v", i, err)
			}
		})
	}
	writeConcurrently(t, s, 16, 50)
	const total = 40 + 16*50
	deadline := time.Now().Add(30 * time.Second)
	for since, rec := range recs {
		for len(rec.revisions()) < total-since && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	cancel()
	wg.Wait()
	for since, rec := range recs {
		got := rec.revisions()
		if len(got) != total-since {
			t.Fatalf("watcher from %d got %d changes, want %d", since, len(got), total-since)
		}
		for i, rev := range got {
			if want := int64(since + i + 1); rev != want {
				t.Fatalf("watcher from %d: change %d has revision %d, want %d (gap or duplicate)", since, i, rev, want)
			}
		}
	}
}

// TestWatchCoalesces checks that a live watch that has just sent holds the
// commits of the coalescing interval and sends them in one response, and
// that nothing is lost or reordered meanwhile. It runs in a synctest
// bubble, whose clock moves only when every goroutine of the test waits:
// the burst below lands within one interval (the default one) however
// loaded the machine is, and the test does not wait the intervals out.
func TestWatchCoalesces(t *testing.T) {
	synctest.Test(t, testWatchCoalesces)
}

func testWatchCoalesces(t *testing.T) {
	s := openStore(t)
	svc := feed.New(s, feed.Options{BookmarkInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{ctx: ctx}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := svc.Watch(&famiv1.WatchRequest{Parent: "regions/lombardia"}, rec); err != nil {
			t.Errorf("watch: %v", err)
		}
	})
	defer func() { cancel(); wg.Wait() }()
	waitFor := func(n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for len(rec.revisions()) < n && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
	write(t, s, "lombardia", "first")
	waitFor(1)
	for i := range 5 {
		write(t, s, "lombardia", fmt.Sprintf("burst-%d", i))
	}
	waitFor(6)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	var sizes []int
	for _, res := range rec.got {
		sizes = append(sizes, len(res.GetChanges()))
	}
	if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != 5 {
		t.Errorf("changes per response = %v, want [1 5]: the first change alone, the burst in one response", sizes)
	}
	var revs []int64
	for _, res := range rec.got {
		for _, ch := range res.GetChanges() {
			revs = append(revs, ch.GetRevision())
		}
	}
	for i, rev := range revs {
		if rev != int64(i+1) {
			t.Fatalf("revisions = %v, want 1 to 6 in order", revs)
		}
	}
}
