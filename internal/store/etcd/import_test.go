package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/waittest"
)

// TestInterruptedImport cancels an import into a real etcd member after
// several of its transactions have committed. A store opened then does
// not serve the region: it answers UNAVAILABLE / REGION_IMPORTING naming
// the region and the command to run, and serves the other regions. It
// used to serve the half-imported region as revision 0 with part of its
// resources. Running the import again starts over and ends with the
// region exactly as exported, served; a third import is refused, as the
// region is no longer empty. A store open before the import (a famid left
// running) stops serving the region when the import marks it and serves
// it again, as imported, when the import ends.
func TestInterruptedImport(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	want, wantRev := exported(t, c, "/source/", 60)
	records := func(ctx context.Context, cancel context.CancelFunc, upTo int) func(put func(store.Record) error) error {
		return func(put func(store.Record) error) error {
			for i, rec := range want {
				if i == upTo {
					cancel() // the operator's Ctrl-C, midway
				}
				if err := put(rec); err != nil {
					return err
				}
			}
			return ctx.Err()
		}
	}
	// Eight operations a transaction: the cancel comes after a dozen
	// transactions have committed.
	opts, target := etcd.Options{Prefix: "/target/", Regions: regions, MaxTxnOps: 8}, c.Client(t)
	// A famid already running on the cluster, as the import starts.
	running := open(t, opts, target)
	importer := open(t, opts, target)
	ctx, cancel := context.WithCancel(t.Context())
	err := importer.ImportRegion(ctx, "lombardia", records(ctx, cancel, len(want)/2))
	importer.Close()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled import: %v, want context.Canceled", err)
	}
	keys, err := c.Client(t).Get(t.Context(), "/target/regions/lombardia/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || keys.Count == 0 {
		t.Fatalf("the cancelled import wrote %d keys (%v), want some: the test proves nothing", keys.Count, err)
	}

	if err := waittest.Eventually(t, "the running store to see the import", func() error { return importing(running) }); err != nil {
		t.Errorf("the store open during the cut import: %v", err)
	}
	st := open(t, opts, target)
	err = st.View(t.Context(), "lombardia", func(tx store.ReadTx) error { return nil })
	e := errs.As(err)
	if e == nil || e.Code != errs.Unavailable || e.Reason != "REGION_IMPORTING" ||
		!strings.Contains(e.Message, "region lombardia") || !strings.Contains(e.Message, "famictl restore") {
		t.Errorf("a half-imported region: got %v, want UNAVAILABLE REGION_IMPORTING naming the region and famictl restore", err)
	}
	if err := tryCreate(t.Context(), st, "late"); errs.As(err) == nil || errs.As(err).Reason != "REGION_IMPORTING" {
		t.Errorf("a write to a half-imported region: %v, want REGION_IMPORTING", err)
	}
	if d := damaged(st); len(d) != 1 || d["lombardia"] == nil {
		t.Errorf("Damaged() = %v, want lombardia alone", d)
	}
	if err := st.View(t.Context(), "veneto", func(tx store.ReadTx) error { return nil }); err != nil {
		t.Errorf("veneto, untouched: %v", err)
	}
	st.Close()

	// Again, to its end: it starts over.
	importer = open(t, opts, target)
	never := func() {}
	if err := importer.ImportRegion(t.Context(), "lombardia", records(t.Context(), never, -1)); err != nil {
		t.Fatalf("the import run again: %v", err)
	}
	err = importer.ImportRegion(t.Context(), "lombardia", records(t.Context(), never, -1))
	if e := errs.As(err); e == nil || e.Reason != "REGION_NOT_EMPTY" {
		t.Errorf("a third import: %v, want REGION_NOT_EMPTY", err)
	}
	importer.Close()
	st = open(t, opts, target)
	if d := damaged(st); len(d) != 0 {
		t.Errorf("Damaged() = %v after the import finished, want none", d)
	}
	got, gotRev := exportAll(t, st)
	if gotRev != wantRev || !slices.EqualFunc(got, want, sameRecord) {
		t.Errorf("imported region: %d records at revision %d, want the exported %d at %d", len(got), gotRev, len(want), wantRev)
	}
	// The store open all along serves the region again, as imported.
	if err := waittest.Eventually(t, "the running store to serve the imported region", func() error { return running.View(t.Context(), "lombardia", func(store.ReadTx) error { return nil }) }); err != nil {
		t.Fatalf("the store open during the import, after it finished: %v", err)
	}
	if got, gotRev := exportAll(t, running); gotRev != wantRev || len(got) != len(want) {
		t.Errorf("the store open during the import reads %d records at revision %d, want %d at %d", len(got), gotRev, len(want), wantRev)
	}
}

// importing is nil when s answers REGION_IMPORTING for lombardia to a
// read, which reads the import marker. (Damaged reports only the imports
// unfinished when the store opened: the server asks it once, at start.)
func importing(s *etcd.Store) error {
	err := s.View(context.Background(), "lombardia", func(store.ReadTx) error { return nil })
	if e := errs.As(err); e == nil || e.Reason != "REGION_IMPORTING" {
		return fmt.Errorf("a read: got %v, want REGION_IMPORTING", err)
	}
	return nil
}

func exportAll(t *testing.T, s *etcd.Store) ([]store.Record, int64) {
	t.Helper()
	var recs []store.Record
	rev, err := s.ExportRegion(t.Context(), "lombardia", func(r store.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs, rev
}

// exported writes n projects p00, p01... of Lombardia under prefix on c,
// and returns the region as exported, with its revision: the source of
// an import.
func exported(t *testing.T, c *etcdtest.Cluster, prefix string, n int) ([]store.Record, int64) {
	t.Helper()
	src := open(t, etcd.Options{Prefix: prefix, Regions: regions}, c.Client(t))
	for i := range n {
		create(t, src, fmt.Sprintf("p%02d", i))
	}
	return exportAll(t, src)
}

func sameRecord(a, b store.Record) bool {
	return a.Table == b.Table && a.Index == b.Index && string(a.Key) == string(b.Key) && string(a.Value) == string(b.Value)
}

// damaged is the store's Damaged, as the server finds it (an optional
// method), or nil.
func damaged(s store.Store) map[string]error {
	if d, ok := s.(interface{ Damaged() map[string]error }); ok {
		return d.Damaged()
	}
	return nil
}

// TestRestoreContinuesAboveIssued: a restore that replaces a region read
// its revision before deleting its keys, continues from the revision it
// is given and compacts every older position, so a reader of the change
// log from before the restore is told to list again and the next write
// gets a revision above every one issued. Once its keys are deleted by
// other means, the region's high-water mark still says how far it got at
// its last restore, as a lower bound.
func TestRestoreContinuesAboveIssued(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	s := open(t, etcd.Options{Prefix: "/r/", Regions: regions, MaxTxnOps: 8}, c.Client(t))
	for i := range 5 {
		create(t, s, fmt.Sprintf("p%02d", i))
	}
	backup, at := exportAll(t, s)
	for i := 5; i < 8; i++ {
		create(t, s, fmt.Sprintf("p%02d", i))
	}
	if err := s.ImportRegion(t.Context(), "lombardia", records(backup)); errs.As(err) == nil || errs.As(err).Reason != "REGION_NOT_EMPTY" {
		t.Fatalf("an import over a region with keys: %v, want REGION_NOT_EMPTY", err)
	}

	type seen struct {
		issued int64
		exact  bool
	}
	restore := func(replace bool, bump int64) seen {
		t.Helper()
		var got seen
		err := s.RestoreRegion(t.Context(), "lombardia", records(backup), etcd.RestoreOptions{Replace: replace, Continue: func(issued int64, exact bool) (int64, error) {
			got = seen{issued, exact}
			return max(issued, at) + bump, nil
		}})
		if err != nil {
			t.Fatalf("restore: %v", err)
		}
		return got
	}
	if got, want := restore(true, 100), (seen{8, true}); got != want {
		t.Errorf("the replaced region issued %+v, want %+v", got, want)
	}
	var rev, compacted int64
	if err := waittest.Eventually(t, "the running store to see the restore", func() error {
		return s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
			rev, compacted = tx.Revision(), tx.Compacted()
			if ok, err := tx.Exists("regions/lombardia/partners/p06"); ok || err != nil {
				t.Errorf("a partner written after the backup: exists %v, %v", ok, err)
			}
			if err := tx.Changes(at-1, func(*famiv1.Change) bool { return true }); errs.As(err) == nil || errs.As(err).Reason != "REVISION_COMPACTED" {
				t.Errorf("changes after %d, before the restore: %v, want REVISION_COMPACTED", at-1, err)
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if rev != 108 || compacted != 108 {
		t.Errorf("restored revision %d, compacted %d, want both 108 (8 issued + 100)", rev, compacted)
	}
	create(t, s, "p09")
	if err := s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		if tx.Revision() != 109 {
			t.Errorf("the first write after the restore got revision %d, want 109", tx.Revision())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// An operator deletes the region's keys by hand and imports again:
	// the high-water mark of the last restore survives, a lower bound
	// only, since famid wrote 109 after it.
	if _, err := c.Client(t).Delete(t.Context(), "/r/regions/lombardia/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	if got, want := restore(false, 1), (seen{108, false}); got != want {
		t.Errorf("the emptied region issued %+v, want %+v", got, want)
	}

	// A region famid wrote and nothing restored: its first commit left
	// the mark, so its keys deleted by hand are not taken for a region
	// that never held data.
	for i := range 3 {
		if err := createIn(t.Context(), s, "veneto", fmt.Sprintf("v%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Client(t).Delete(t.Context(), "/r/regions/veneto/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	var got seen
	err := s.RestoreRegion(t.Context(), "veneto", records(nil), etcd.RestoreOptions{Continue: func(issued int64, exact bool) (int64, error) {
		got = seen{issued, exact}
		return 0, errors.New("refused")
	}})
	if want := (seen{1, false}); err == nil || got != want {
		t.Errorf("restore of veneto, emptied by hand: %v, issued %+v, want refused as Continue says, with %+v", err, got, want)
	}
}

// deafWatcher is an etcd watcher that never reports anything: a store on
// it stands for a famid whose watch has not delivered an event yet.
type deafWatcher struct{ clientv3.Watcher }

func (deafWatcher) Watch(ctx context.Context, _ string, _ ...clientv3.OpOption) clientv3.WatchChan {
	ch := make(chan clientv3.WatchResponse)
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}

// TestReplaceUnseenByWatch: a --replace restore wipes the region in the
// transaction that sets its import marker. A famid whose watch has not
// reported the marker (here: never will) answers REGION_IMPORTING to
// reads, writes, exports and compactions until the import ends, never the
// wiped region as empty (revision 0, which told a mirror its position was
// beyond the head), and serves the restored region once it has ended.
func TestReplaceUnseenByWatch(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	opts := etcd.Options{Prefix: "/deaf/", Regions: regions, MaxTxnOps: 8}
	deafClient := c.Client(t)
	deafClient.Watcher = deafWatcher{deafClient.Watcher}
	deaf := open(t, opts, deafClient)
	for i := range 10 {
		create(t, deaf, fmt.Sprintf("p%02d", i))
	}
	backup, at := exportAll(t, deaf)
	create(t, deaf, "p10")

	refused := func(what string, err error) {
		t.Helper()
		if e := errs.As(err); e == nil || e.Reason != "REGION_IMPORTING" {
			t.Errorf("%s during the import: %v, want REGION_IMPORTING", what, err)
		}
	}
	during := func(put func(store.Record) error) error {
		// The import has marked and wiped the region: the deaf store
		// must not serve it, in any way. What a refused View's fn read
		// is void, as after any failed read (see store.ReadTx).
		refused("a read", deaf.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
			return tx.Changes(tx.Revision(), func(*famiv1.Change) bool { return true })
		}))
		refused("a write", tryCreate(t.Context(), deaf, "late"))
		_, err := deaf.ExportRegion(t.Context(), "lombardia", func(store.Record) error { return nil })
		refused("an export", err)
		_, err = deaf.Compact(t.Context(), "lombardia", 1)
		refused("a compaction", err)
		return records(backup)(put)
	}
	importer := open(t, opts, c.Client(t))
	if err := importer.RestoreRegion(t.Context(), "lombardia", during, etcd.RestoreOptions{Replace: true}); err != nil {
		t.Fatalf("restore: %v", err)
	}
	// The marker's removal is unseen too, yet the restored region is
	// served, as it is in etcd.
	if err := deaf.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		// The backup's revisions were to be kept, but p10 had been given
		// at+1: the region continues from it, giving none out again
		// (TestReplaceKeepingRevisionsContinuesAtIssued).
		if tx.Revision() != at+1 {
			t.Errorf("after the restore: revision %d, want %d, the highest issued (the backup's %d and p10's)", tx.Revision(), at+1, at)
		}
		for _, id := range []string{"p09", "p10", "late"} {
			ok, err := tx.Exists("regions/lombardia/partners/" + id)
			if err != nil || ok != (id == "p09") {
				t.Errorf("after the restore: %s exists %v (%v), want %v", id, ok, err, id == "p09")
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("a read after the restore: %v", err)
	}
}

// TestRestoreKeepsNoRecordBytes: a record's bytes are the source's only
// during put (bolt.ReadRegionFile's lie in the backup's mapping, unmapped
// once it returns), so a source that overwrites them after each put still
// restores the region exactly. The meta records were kept, unmapped, until
// the last transaction, which faulted or wrote garbage revisions.
func TestRestoreKeepsNoRecordBytes(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	want, wantRev := exported(t, c, "/src/", 3)
	dst := open(t, etcd.Options{Prefix: "/dst/", Regions: regions}, c.Client(t))
	err := dst.ImportRegion(t.Context(), "lombardia", func(put func(store.Record) error) error {
		for _, rec := range want {
			rec.Value = slices.Clone(rec.Value)
			if err := put(rec); err != nil {
				return err
			}
			for i := range rec.Value {
				rec.Value[i] = 0xff // the source reuses its buffer
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	got, gotRev := exportAll(t, dst)
	if gotRev != wantRev || !slices.EqualFunc(got, want, sameRecord) {
		t.Errorf("restored revision %d and %d records, want %d and %d records equal to the source's", gotRev, len(got), wantRev, len(want))
	}
}

// TestEmptiedRegionRefusesWrites: a region whose keys are deleted by hand
// (etcdctl del --prefix) while famid runs used to take its next write at
// revision 1, issuing revisions twice: a regional system that had seen
// later ones never saw the new writes. Its high-water mark says it has
// issued revisions, so the write is refused with DATA_LOSS /
// REGION_KEYS_DELETED naming the region and the restore to run, and
// nothing is written; after a restore --replace writes work again and
// continue above the restored revision.
func TestEmptiedRegionRefusesWrites(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	cli := c.Client(t)
	s := open(t, etcd.Options{Prefix: "/e/", Regions: regions}, cli)
	backup, at := backedUpThen(t, s, 2)
	if _, err := cli.Delete(t.Context(), "/e/regions/lombardia/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	issuedBefore, err := cli.Get(t.Context(), "/e/issued/lombardia")
	if err != nil || len(issuedBefore.Kvs) != 1 {
		t.Fatalf("the high-water mark before the refused write: %v, %v", issuedBefore, err)
	}

	err = tryCreate(t.Context(), s, "again")
	e := errs.As(err)
	if e == nil || e.Code != errs.DataLoss || e.Reason != "REGION_KEYS_DELETED" || e.Metadata["region"] != "lombardia" ||
		!strings.Contains(e.Message, "region lombardia") || !strings.Contains(e.Message, "famictl restore --etcd-endpoints") || !strings.Contains(e.Message, "--replace") {
		t.Fatalf("a write to a region emptied by hand: %v, want DATA_LOSS REGION_KEYS_DELETED naming the region and famictl restore --replace", err)
	}
	keys, err := cli.Get(t.Context(), "/e/regions/lombardia/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || keys.Count != 0 {
		t.Errorf("the refused write left %d keys (%v), want none", keys.Count, err)
	}
	if after, err := cli.Get(t.Context(), "/e/issued/lombardia"); err != nil || len(after.Kvs) != 1 || after.Kvs[0].ModRevision != issuedBefore.Kvs[0].ModRevision {
		t.Errorf("the refused write moved the high-water mark: %v, %v", after, err)
	}
	// Another region, never written, takes its first write.
	if err := createIn(t.Context(), s, "veneto", "v0"); err != nil {
		t.Errorf("the first write to veneto: %v", err)
	}

	err = s.RestoreRegion(t.Context(), "lombardia", records(backup), etcd.RestoreOptions{Replace: true, Continue: func(issued int64, exact bool) (int64, error) {
		return max(issued, at) + 100, nil
	}})
	if err != nil {
		t.Fatalf("restore --replace: %v", err)
	}
	create(t, s, "after")
	wantRevision(t, s, at+101, "the first write after the restore")
}

// TestImportKeepingRevisionsRefusedWhereIssued: an import that keeps the
// backup's revisions (ImportRegion: RestoreRegion without Continue) into
// a region whose keys were deleted by hand, after it had issued
// revisions, is refused before it writes anything: REGION_NOT_EMPTY,
// naming the region, the revision it issued at least and the restore
// that continues above it. Before, an empty backup was imported: the
// region was left without a revision key beside its high-water mark, so
// it stayed refused as emptied, and a backup from before the last writes
// gave those writes' revisions out again.
func TestImportKeepingRevisionsRefusedWhereIssued(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	cli := c.Client(t)
	const prefix = "/i/"
	s := open(t, etcd.Options{Prefix: prefix, Regions: regions}, cli)
	backup, at := backedUpThen(t, s, 1)
	if _, err := cli.Delete(t.Context(), prefix+"regions/lombardia/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}

	for name, recs := range map[string][]store.Record{"an empty backup": nil, "a backup at revision 3": backup} {
		before, rev := keysUnder(t, cli, prefix)
		err := s.ImportRegion(t.Context(), "lombardia", records(recs))
		e := errs.As(err)
		if e == nil || e.Code != errs.FailedPrecondition || e.Reason != errs.RegionNotEmpty || e.Metadata["region"] != "lombardia" ||
			!strings.Contains(e.Message, "region lombardia") || !strings.Contains(e.Message, "at least 1") || !strings.Contains(e.Message, "famictl restore --etcd-endpoints") {
			t.Errorf("import of %s into a region emptied by hand: %v, want FAILED_PRECONDITION REGION_NOT_EMPTY naming the region, its high-water mark and famictl restore", name, err)
		}
		if after, afterRev := keysUnder(t, cli, prefix); afterRev != rev || !sameKeys(after, before) {
			t.Errorf("the refused import of %s changed the cluster (revision %d, was %d)", name, afterRev, rev)
		}
	}
	if err := keysDeleted(tryCreate(t.Context(), s, "again")); err != nil {
		t.Errorf("a write after the refused imports: %v", err)
	}

	// A restore that continues above the mark, as famictl restore does.
	err := s.RestoreRegion(t.Context(), "lombardia", records(nil), etcd.RestoreOptions{Continue: func(issued int64, exact bool) (int64, error) {
		return max(issued, at) + 100, nil
	}})
	if err != nil {
		t.Fatalf("restore of an empty backup above the mark: %v", err)
	}
	create(t, s, "after")
	wantRevision(t, s, at+101, "the first write after the restore")
}

// TestReplaceKeepingRevisionsContinuesAtIssued: a restore --replace
// without Continue (the backup's revisions kept) over a region that had
// issued revisions past the backup's continues from the highest it
// issued, known exactly as the replace read it, every older position
// compacted. Its records are written before the backup's revision is
// known, the region already wiped, so refusing then would lose it. Before,
// an empty backup left the region without a revision beside its
// high-water mark, refused as emptied, and an older backup gave its later
// revisions out again.
func TestReplaceKeepingRevisionsContinuesAtIssued(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	s := open(t, etcd.Options{Prefix: "/k/", Regions: regions}, c.Client(t))
	backup, at := backedUpThen(t, s, 2)

	issued := at + 2
	for _, tc := range []struct {
		name string
		recs []store.Record
		want []string
	}{
		{"an empty backup", nil, nil},
		{"a backup at revision 3", backup, []string{"p0", "p1", "p2"}},
	} {
		if err := s.RestoreRegion(t.Context(), "lombardia", records(tc.recs), etcd.RestoreOptions{Replace: true}); err != nil {
			t.Fatalf("restore --replace of %s: %v", tc.name, err)
		}
		err := waittest.Eventually(t, "the restored revisions", func() error {
			return s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
				if tx.Revision() != issued || tx.Compacted() != issued {
					return fmt.Errorf("revision %d, compacted %d, want both %d, the highest issued", tx.Revision(), tx.Compacted(), issued)
				}
				var got []string
				if err := tx.List("partners", "", func(id string, _ []byte) (bool, error) { got = append(got, id); return true, nil }); err != nil {
					return err
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("after the restore of %s: partners %q, want %q", tc.name, got, tc.want)
				}
				if err := tx.Changes(at, func(*famiv1.Change) bool { return true }); errs.As(err) == nil || errs.As(err).Reason != "REVISION_COMPACTED" {
					t.Errorf("after the restore of %s: changes after %d: %v, want REVISION_COMPACTED", tc.name, at, err)
				}
				return nil
			})
		})
		if err != nil {
			t.Fatalf("after the restore of %s: %v", tc.name, err)
		}
		create(t, s, "after-"+strings.ReplaceAll(tc.name, " ", "-"))
		issued++
		wantRevision(t, s, issued, "the first write after the restore of "+tc.name)
	}
}

// TestKeepingRevisionsRefusedUpFront: a restore --replace that keeps the
// backup's revisions over a region that had issued more, given the
// backup's revision up front (RestoreOptions.Revision, which famictl
// passes), is refused before it writes anything, as bolt's FileLock.Restore
// refuses the same restore (TestRestoreKeepingRevisionsRefusedWhereIssued):
// FAILED_PRECONDITION REGION_NOT_EMPTY, naming the region and both
// revisions, the cluster unchanged and the region still served. Without
// it the region was wiped first and continued from the highest revision
// issued (TestReplaceKeepingRevisionsContinuesAtIssued, kept for callers
// that do not pass it). A backup at the region's own revision (a move)
// keeps its revisions; records at another revision than the one given
// fail the import.
func TestKeepingRevisionsRefusedUpFront(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	cli := c.Client(t)
	const prefix = "/u/"
	s := open(t, etcd.Options{Prefix: prefix, Regions: regions}, cli)
	backup, at := backedUpThen(t, s, 2)
	issued := at + 2

	for _, tc := range []struct {
		name string
		recs []store.Record
		rev  int64
	}{
		{"an empty backup", nil, 0},
		{"a backup at revision 3", backup, at},
	} {
		before, rev := keysUnder(t, cli, prefix)
		err := s.RestoreRegion(t.Context(), "lombardia", records(tc.recs), etcd.RestoreOptions{Replace: true, Revision: new(tc.rev)})
		e := errs.As(err)
		if e == nil || e.Code != errs.FailedPrecondition || e.Reason != errs.RegionNotEmpty || e.Metadata["region"] != "lombardia" ||
			!strings.Contains(e.Message, fmt.Sprintf("region lombardia has issued revision %d, past the backup's %d", issued, tc.rev)) || !strings.Contains(e.Message, "--bump-revision") {
			t.Errorf("restore --replace of %s keeping its revisions: %v, want FAILED_PRECONDITION REGION_NOT_EMPTY naming the region, both revisions and --bump-revision", tc.name, err)
		}
		if after, afterRev := keysUnder(t, cli, prefix); afterRev != rev || !sameKeys(after, before) {
			t.Errorf("the refused restore of %s changed the cluster (revision %d, was %d)", tc.name, afterRev, rev)
		}
		wantRevision(t, s, issued, "the region after the refused restore of "+tc.name)
	}

	// Records at another revision than the one given fail the import,
	// which is then run again as it should have been.
	cont := func(issued int64, _ bool) (int64, error) { return issued + 100, nil }
	err := s.RestoreRegion(t.Context(), "lombardia", records(backup), etcd.RestoreOptions{Replace: true, Continue: cont, Revision: new(at + 1)})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("the backup holds revision %d, not the %d given", at, at+1)) {
		t.Errorf("restore of records at %d given as %d: %v, want refused naming both", at, at+1, err)
	}
	if err := importing(s); err != nil {
		t.Errorf("after the failed import: %v", err)
	}
	if err := s.RestoreRegion(t.Context(), "lombardia", records(backup), etcd.RestoreOptions{Replace: true, Continue: cont, Revision: new(at)}); err != nil {
		t.Fatalf("restore --replace above the revisions issued: %v", err)
	}
	issued += 100
	if err := waittest.Eventually(t, "the revision after the restore", func() error {
		return s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
			if tx.Revision() != issued {
				return fmt.Errorf("after the restore: revision %d, want %d", tx.Revision(), issued)
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}

	// A backup of the region as it is keeps its revisions.
	create(t, s, "p5")
	moved, movedAt := exportAll(t, s)
	if err := s.RestoreRegion(t.Context(), "lombardia", records(moved), etcd.RestoreOptions{Replace: true, Revision: new(movedAt)}); err != nil {
		t.Fatalf("restore --replace of the region at its own revision %d: %v", movedAt, err)
	}
	if err := waittest.Eventually(t, "the revisions after the move", func() error {
		return s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
			if tx.Revision() != movedAt || tx.Compacted() != issued {
				return fmt.Errorf("after the move: revision %d, compacted %d, want %d and %d (the backup's)", tx.Revision(), tx.Compacted(), movedAt, issued)
			}
			return nil
		})
	}); err != nil {
		t.Error(err)
	}
}

// keysDeleted is nil when err is DATA_LOSS / REGION_KEYS_DELETED naming
// lombardia and the restore to run.
func keysDeleted(err error) error {
	e := errs.As(err)
	if e == nil || e.Code != errs.DataLoss || e.Reason != "REGION_KEYS_DELETED" || e.Metadata["region"] != "lombardia" ||
		!strings.Contains(e.Message, "region lombardia") || !strings.Contains(e.Message, "famictl restore --etcd-endpoints") || !strings.Contains(e.Message, "--replace") {
		return fmt.Errorf("got %v, want DATA_LOSS REGION_KEYS_DELETED naming the region and famictl restore --replace", err)
	}
	return nil
}

// TestEmptiedRegionRefusesReads: a region whose keys are deleted by hand
// was served to readers as an empty region (revision 0, no partners: a
// mirror was told its position was beyond the head, a national list
// counted nothing), while its writes were refused. Its high-water mark
// says it has issued revisions, so reads, a read of nothing, exports and
// compactions are refused too, with the writes' DATA_LOSS /
// REGION_KEYS_DELETED, and a store opened then names it in Damaged. A
// region never written has no mark and still reads as empty.
func TestEmptiedRegionRefusesReads(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	cli := c.Client(t)
	s := open(t, etcd.Options{Prefix: "/e/", Regions: regions}, cli)
	create(t, s, "p0")
	create(t, s, "p1")
	if _, err := cli.Delete(t.Context(), "/e/regions/lombardia/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}

	var listed int
	err := s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		return tx.List("partners", "", func(string, []byte) (bool, error) { listed++; return true, nil })
	})
	if err := keysDeleted(err); err != nil || listed != 0 {
		t.Errorf("a list of the emptied region (%d listed): %v", listed, err)
	}
	if err := keysDeleted(s.View(t.Context(), "lombardia", func(store.ReadTx) error { return nil })); err != nil {
		t.Errorf("a read of nothing: %v", err)
	}
	if _, err := s.ExportRegion(t.Context(), "lombardia", func(store.Record) error { return nil }); keysDeleted(err) != nil {
		t.Errorf("an export: %v", keysDeleted(err))
	}
	if _, err := s.Compact(t.Context(), "lombardia", 1); keysDeleted(err) != nil {
		t.Errorf("a compaction: %v", keysDeleted(err))
	}
	later := open(t, etcd.Options{Prefix: "/e/", Regions: regions}, cli)
	if d := damaged(later); keysDeleted(d["lombardia"]) != nil || len(d) != 1 {
		t.Errorf("a store opened on the emptied region: Damaged %v, want lombardia's REGION_KEYS_DELETED alone", d)
	}

	// Veneto, never written, reads as an empty region.
	if err := s.View(t.Context(), "veneto", func(tx store.ReadTx) error {
		if rev := tx.Revision(); rev != 0 {
			t.Errorf("veneto, never written: revision %d, want 0", rev)
		}
		return nil
	}); err != nil {
		t.Errorf("a read of veneto, never written: %v", err)
	}
}

// TestOlderRegionEmptied: a region written only by a famid from before
// the high-water key has none. Restored with --replace, its revision key
// says how far it got, and watchers ahead relist. But once its keys were
// deleted by hand, nothing said it had held data: it read as a new
// region, a restore was told it had issued nothing, exactly (so a bump
// counted from the backup's revision and a watcher ahead of the backup
// was not told to relist, and --bump-revision 0 was allowed). A famid of
// this version now sets the key to the region's revision when it opens
// the region, so the emptied region is refused and its restore continues
// above the revision it had reached: a watcher there relists.
func TestOlderRegionEmptied(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	cli := c.Client(t)
	opts := etcd.Options{Prefix: "/o/", Regions: regions}
	older := open(t, opts, cli)
	for i := range 3 {
		create(t, older, fmt.Sprintf("p%d", i))
		if err := createIn(t.Context(), older, "veneto", fmt.Sprintf("v%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	backup, at := exportAll(t, older)
	var venetoBackup []store.Record
	if _, err := older.ExportRegion(t.Context(), "veneto", func(r store.Record) error {
		venetoBackup = append(venetoBackup, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	create(t, older, "p3")
	create(t, older, "p4")
	older.Close()
	// What a famid from before the key leaves: no high-water key.
	if _, err := cli.Delete(t.Context(), "/o/issued/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}

	s := open(t, opts, cli) // the upgraded famid
	type seen struct {
		issued int64
		exact  bool
	}
	var got seen
	restore := func(region string, backup []store.Record, replace bool) error {
		return s.RestoreRegion(t.Context(), region, records(backup), etcd.RestoreOptions{Replace: replace, Continue: func(issued int64, exact bool) (int64, error) {
			got = seen{issued, exact}
			return max(issued, at) + 1, nil // the smallest bump
		}})
	}
	// relisted is nil when a watcher at revision last, the highest the
	// region issued, is told to list again.
	relisted := func(region string, last int64) error {
		return s.View(t.Context(), region, func(tx store.ReadTx) error {
			err := tx.Changes(last, func(*famiv1.Change) bool { return true })
			if e := errs.As(err); e == nil || e.Reason != "REVISION_COMPACTED" {
				return fmt.Errorf("%s: changes after %d, the last revision issued before the restore: %v (revision %d, compacted %d), want REVISION_COMPACTED", region, last, err, tx.Revision(), tx.Compacted())
			}
			return nil
		})
	}
	// restored restores region from backup, and checks what the restore
	// was told the region had issued and that a watcher there relists.
	restored := func(what, region string, backup []store.Record, replace bool, want seen) {
		t.Helper()
		if err := restore(region, backup, replace); err != nil {
			t.Fatalf("%s: restore: %v", what, err)
		}
		if got != want {
			t.Errorf("%s: issued %+v, want %+v", what, got, want)
		}
		if err := relisted(region, want.issued); err != nil {
			t.Error(err)
		}
	}

	// Veneto, replaced with its keys in place: its revision key is read.
	restored("veneto replaced", "veneto", venetoBackup, true, seen{3, true})

	// Lombardia, emptied by hand after the upgraded famid opened it.
	if _, err := cli.Delete(t.Context(), "/o/regions/lombardia/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	if err := keysDeleted(s.View(t.Context(), "lombardia", func(store.ReadTx) error { return nil })); err != nil {
		t.Errorf("a read of lombardia, emptied by hand: %v", err)
	}
	restored("lombardia emptied by hand", "lombardia", backup, false, seen{5, false})
}

// backedUpThen creates partners p0 to p2 in s's lombardia, exports them
// (the backup at revision at), then creates more partners from p3 on, which
// the backup lacks.
func backedUpThen(t *testing.T, s *etcd.Store, more int) (backup []store.Record, at int64) {
	t.Helper()
	for i := range 3 {
		create(t, s, fmt.Sprintf("p%d", i))
	}
	backup, at = exportAll(t, s)
	for i := range more {
		create(t, s, fmt.Sprintf("p%d", 3+i))
	}
	return backup, at
}
