package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/store/storetest"
	"github.com/raccordo/raccordo/internal/waittest"
)

// watchLog stands in for a client's Watcher and records every watch opened
// through it (its key, followed by "*" for a watch of the key's prefix),
// and those refused as compacted.
type watchLog struct {
	clientv3.Watcher
	mu  sync.Mutex
	log watches
}

// watches are the watches opened and those refused as compacted.
type watches struct{ opened, compacted []string }

// logWatches makes cli record its watches.
func logWatches(cli *clientv3.Client) *watchLog {
	w := &watchLog{Watcher: cli.Watcher}
	cli.Watcher = w
	return w
}

func (w *watchLog) Watch(ctx context.Context, key string, opts ...clientv3.OpOption) clientv3.WatchChan {
	what := key
	if end := clientv3.OpGet(key, opts...).RangeBytes(); string(end) == clientv3.GetPrefixRangeEnd(key) {
		what += "*"
	}
	w.mu.Lock()
	w.log.opened = append(w.log.opened, what)
	w.mu.Unlock()
	in, out := w.Watcher.Watch(ctx, key, opts...), make(chan clientv3.WatchResponse)
	go func() {
		defer close(out)
		for resp := range in {
			if resp.CompactRevision != 0 {
				w.mu.Lock()
				w.log.compacted = append(w.log.compacted, what)
				w.mu.Unlock()
			}
			select {
			case out <- resp:
			case <-ctx.Done():
			}
		}
	}()
	return out
}

// count is how many watches of what were opened.
func (w *watchLog) count(what string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, o := range w.log.opened {
		if o == what {
			n++
		}
	}
	return n
}

// snapshot is what w recorded so far, sorted.
func (w *watchLog) snapshot() watches {
	w.mu.Lock()
	defer w.mu.Unlock()
	return watches{opened: slices.Sorted(slices.Values(w.log.opened)), compacted: slices.Sorted(slices.Values(w.log.compacted))}
}

// twoProcesses opens two stores on the prefix /w/ of c, as two famid
// processes: running, whose watches are logged, and other, through
// otherCli. It returns once running has learned a commit of other: its
// watches are up.
func twoProcesses(t *testing.T, c *etcdtest.Cluster, otherCli *clientv3.Client) (running, other *etcd.Store, logged *watchLog) {
	t.Helper()
	cli := c.Client(t)
	logged = logWatches(cli)
	opts := etcd.Options{Prefix: "/w/", Regions: regions, MaxTxnOps: 8}
	running, other = open(t, opts, cli), open(t, opts, otherCli)
	changed := running.Changed("veneto")
	if err := createIn(t.Context(), other, "veneto", "p1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, changed, "a commit by another process did not signal Changed")
	return running, other, logged
}

// TestOneWatchPerRegion: a store watches each region's commits, plus one
// prefix of the format markers (ADR 22) for every region's and the system
// records' format: len(regions)+1 watches on the cluster, where it used to
// open two per region and then one more over the import markers, which
// only fed Damaged (asked once, at start). The store still learns
// commits and imports from another process: every read checks the
// import marker itself.
func TestOneWatchPerRegion(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	running, other, logged := twoProcesses(t, c, c.Client(t))
	cutImport(t, other, []store.Record{partnerRecord("a"), partnerRecord("b")})
	if err := waittest.Eventually(t, "the running store to see the import", func() error { return importing(running) }); err != nil {
		t.Fatalf("an import started by another process: %v", err)
	}

	want := []string{"/w/formats/*", "/w/regions/lombardia/meta/revision", "/w/regions/veneto/meta/revision"}
	if got := logged.snapshot().opened; !slices.Equal(got, want) {
		t.Errorf("watches opened: %q, want %q", got, want)
	}
}

// TestWatchesAfterCompaction cuts a store from its etcd member while
// another process starts an import and etcd's history is compacted past
// what the store has seen: its watches, resumed by the client when the cut
// ends, are refused as compacted. The store reads what it missed and
// watches again from there: it learns the import's end (its reads see the
// marker themselves) and later commits as they come.
func TestWatchesAfterCompaction(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	direct := c.DirectClient(t)
	running, other, logged := twoProcesses(t, c, direct)
	recs := []store.Record{partnerRecord("a"), partnerRecord("b"), partnerRecord("c"), partnerRecord("d")}
	const lombardia = "/w/regions/lombardia/meta/revision"

	c.Cut(0)
	cutImport(t, other, recs[:2])
	now, err := direct.Get(t.Context(), "/w/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Compact(t.Context(), now.Header.Revision); err != nil {
		t.Fatal(err)
	}
	c.Mend(0)

	if err := waittest.Eventually(t, "the running store to see the import", func() error { return importing(running) }); err != nil {
		t.Fatalf("an import started during the cut: %v", err)
	}
	if err := waittest.Eventually(t, "the revision watch opened again", func() error {
		if n := logged.count(lombardia); n < 2 {
			return fmt.Errorf("lombardia's revision watched %d times, want the watch opened again", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if compacted := logged.snapshot().compacted; !slices.Contains(compacted, lombardia) {
		t.Fatalf("watches refused as compacted: %q; the test did not compact what the store had not seen", compacted)
	}
	if err := other.ImportRegion(t.Context(), "lombardia", records(recs)); err != nil {
		t.Fatal(err)
	}
	if err := running.View(t.Context(), "lombardia", func(store.ReadTx) error { return nil }); err != nil {
		t.Fatalf("the import's end, after the watch was opened again: %v", err)
	}
	if err := other.View(t.Context(), "lombardia", func(store.ReadTx) error { return nil }); err != nil {
		t.Fatalf("the importing store after its import: %v", err)
	}
	changed := running.Changed("lombardia")
	create(t, other, "p2")
	waitFor(t, changed, "a commit by another process, after the compaction, did not signal Changed")
}

// TestSystemChangedPausesAfterAFailedWatch: when every watch and read
// fails at once, SystemChanged calls fn, with a Whole change, once as it
// starts and after each failed watch, as anything may have changed
// meanwhile, and opens the next one a moment later: six times in 450 ms
// (of a synctest bubble's clock). It used to try again at once, calling
// fn in a busy loop until ctx ended.
func TestSystemChangedPausesAfterAFailedWatch(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	cli := c.Client(t)
	failing := failWhenCut(cli)
	s := open(t, etcd.Options{Regions: regions}, cli)
	failing.cut.Store(true)
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 450*time.Millisecond)
		defer cancel()
		calls := 0
		err := s.SystemChanged(ctx, func(c store.SystemChange) {
			if !c.Whole {
				t.Errorf("change %d of failed watches: %+v, want Whole", calls+1, c)
			}
			if calls++; calls == 100 {
				cancel() // a busy loop: the bubble's clock would never move
			}
		})
		if err != ctx.Err() {
			t.Errorf("SystemChanged ended with %v, want its context's error %v", err, ctx.Err())
		}
		if calls != 6 {
			t.Errorf("fn called %d times in 450 ms of failed watches, want 6: at the start, then once per watch, 100 ms apart", calls)
		}
	})
}

// cutClient stands in for a client's reads and watches: once cut, a read
// fails and a watch ends at once, without a round trip to the cluster.
type cutClient struct {
	clientv3.KV
	clientv3.Watcher
	cut atomic.Bool
}

// failWhenCut makes cli's reads and watches fail once the result is cut.
func failWhenCut(cli *clientv3.Client) *cutClient {
	c := &cutClient{KV: cli.KV, Watcher: cli.Watcher}
	cli.KV, cli.Watcher = c, c
	return c
}

func (c *cutClient) Get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	if c.cut.Load() {
		return nil, errors.New("cut off")
	}
	return c.KV.Get(ctx, key, opts...)
}

func (c *cutClient) Watch(ctx context.Context, key string, opts ...clientv3.OpOption) clientv3.WatchChan {
	if c.cut.Load() {
		ended := make(chan clientv3.WatchResponse)
		close(ended)
		return ended
	}
	return c.Watcher.Watch(ctx, key, opts...)
}

// waitFor fails the test, saying what, unless changed closes within
// waittest's bound: a store learns of another process's commit by its etcd
// watch, within milliseconds.
func waitFor(t *testing.T, changed <-chan struct{}, what string) {
	t.Helper()
	waittest.Receive(t, what, changed)
}

// cutImport imports recs into lombardia through s and cuts the import
// short after its last record, leaving the region marked.
func cutImport(t *testing.T, s *etcd.Store, recs []store.Record) {
	t.Helper()
	cut := errors.New("cut")
	put := records(recs)
	if err := s.ImportRegion(t.Context(), "lombardia", func(p func(store.Record) error) error {
		if err := put(p); err != nil {
			return err
		}
		return cut
	}); !errors.Is(err, cut) {
		t.Fatalf("import: %v, want it cut", err)
	}
}

// records is an import's source of recs.
func records(recs []store.Record) func(put func(store.Record) error) error {
	return func(put func(store.Record) error) error {
		for _, rec := range recs {
			if err := put(rec); err != nil {
				return err
			}
		}
		return nil
	}
}

func partnerRecord(id string) store.Record {
	return store.Record{Table: store.TableResources, Key: []byte("partners/" + id), Value: []byte{}}
}

// TestSystemChangedWholeAfterCompaction: a store cut from its etcd member
// while another process writes a system record, and etcd's history is
// compacted past what the store has seen, cannot learn which keys changed
// meanwhile: its watch, resumed when the cut ends, is refused as
// compacted, and SystemChanged reports a Whole change, whose follower
// reads every record again (a revocation missed would let a revoked token
// in). The changes after it are named again.
func TestSystemChangedWholeAfterCompaction(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	direct := c.DirectClient(t)
	running, other, _ := twoProcesses(t, c, direct)
	changes := storetest.FollowChanges(t, running)
	revoke := func(jti string) {
		t.Helper()
		err := other.SystemUpdate(t.Context(), func(tx store.SystemTx) error { return tx.Put("revoked_jti", jti, []byte{0}) })
		if err != nil {
			t.Fatal(err)
		}
	}

	storetest.NextChange(t, changes, storetest.WholeChange, "the first change, Whole")
	revoke("before")
	storetest.NextChange(t, changes, storetest.Naming("revoked_jti", "before"), "a change before the cut, named")
	c.Cut(0)
	revoke("during")
	revoke("during-too") // compacted below: the history keeps it alone
	now, err := direct.Get(t.Context(), "/w/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Compact(t.Context(), now.Header.Revision); err != nil {
		t.Fatal(err)
	}
	for len(changes) > 0 { // what the cut itself reported
		<-changes
	}
	c.Mend(0)
	if first := storetest.NextChange(t, changes, storetest.AnyChange, "a change after the cut"); !first.Whole {
		t.Errorf("the first change after the cut and the compaction: %+v, want Whole", first)
	}
	revoke("after")
	storetest.NextChange(t, changes, storetest.Naming("revoked_jti", "after"), "a change after the compaction, named")
}

// TestSystemChangedCoversAFailedStartRead: when SystemChanged cannot read
// the revision it starts from (its first read fails), a system record
// written after the first, Whole, notice (after what its reader read)
// and before the watch opens is still covered: once the watch is open, a
// Whole notice comes again, its reads after where the watch starts. The
// record used to be missed: the watch started from now, and no notice
// named it.
func TestSystemChangedCoversAFailedStartRead(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	cli := c.Client(t)
	failing := failWhenCut(cli)
	opts := etcd.Options{Prefix: "/start/", Regions: regions}
	s, other := open(t, opts, cli), open(t, opts, c.Client(t))
	failing.cut.Store(true)
	changes := make(chan store.SystemChange, 64)
	ctx, cancel := context.WithCancel(t.Context())
	ended := make(chan struct{})
	defer func() { cancel(); <-ended }()
	go func() {
		defer close(ended)
		first := true
		_ = s.SystemChanged(ctx, func(c store.SystemChange) {
			if first {
				first = false
				err := other.SystemUpdate(ctx, func(tx store.SystemTx) error { return tx.Put("revoked_jti", "between", []byte{0}) })
				if err != nil {
					t.Error(err)
				}
				failing.cut.Store(false)
			}
			select {
			case changes <- c:
			case <-ctx.Done():
			}
		})
	}()
	if first := storetest.NextChange(t, changes, storetest.AnyChange, "the first change"); !first.Whole {
		t.Fatalf("the first change: %+v, want Whole", first)
	}
	covered := func(c store.SystemChange) bool { return c.Whole || storetest.Naming("revoked_jti", "between")(c) }
	storetest.NextChange(t, changes, covered, "a change covering the record written between the first change and the watch's start")
}
