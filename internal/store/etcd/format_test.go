package etcd_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/store/storetest"
	"github.com/raccordo/raccordo/internal/waittest"
)

// keysUnder returns every key of prefix with its value and revisions, and
// the cluster's revision: what a store that writes nothing leaves as it
// was.
func keysUnder(t *testing.T, cli *clientv3.Client, prefix string) ([]*mvccpb.KeyValue, int64) {
	t.Helper()
	resp, err := cli.Get(t.Context(), prefix, clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	return resp.Kvs, resp.Header.Revision
}

func sameKeys(a, b []*mvccpb.KeyValue) bool {
	return slices.EqualFunc(a, b, func(x, y *mvccpb.KeyValue) bool {
		return string(x.Key) == string(y.Key) && string(x.Value) == string(y.Value) && x.ModRevision == y.ModRevision
	})
}

// wantFormat checks the format marker stored at key.
func wantFormat(t *testing.T, cli *clientv3.Client, key, want string) {
	t.Helper()
	resp, err := cli.Get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != want {
		t.Errorf("format marker %s: %v, want %q", key, resp.Kvs, want)
	}
}

// writtenUnder starts a member and writes the project p1 of Lombardia
// under prefix through a store it closes again; it returns the member's
// client and the store's options.
func writtenUnder(t *testing.T, prefix string) (*clientv3.Client, etcd.Options) {
	t.Helper()
	cli := etcdtest.Start(t, etcdtest.Options{NoFsync: true}).Client(t)
	opts := etcd.Options{Prefix: prefix, Regions: regions}
	s := open(t, opts, cli)
	create(t, s, "p1")
	s.Close()
	return cli, opts
}

// TestNewerFormat: on a real etcd member, a region whose format marker
// names a format this famid does not know (a newer famid's) is not served,
// imported into nor exported: it answers DATA_FORMAT_UNKNOWN naming its
// etcd prefix, the format found and what to do, and the other region is
// served. System records of such a format stop the open. Neither changes
// a key: the keys, their revisions and the cluster's revision are as
// they were. That includes the region's high-water mark, outside its
// range, which a store opening a region without one (as an older famid
// left it) raises: not into a newer format's region. The test could not
// see it before: the mark was there, and it skipped every key written
// after the refusal began.
func TestNewerFormat(t *testing.T) {
	const prefix = "/format/"
	cli, opts := writtenUnder(t, prefix)
	for _, key := range []string{"system", "regions/lombardia", "regions/veneto"} {
		wantFormat(t, cli, prefix+"formats/"+key, string(store.FormatMarker()))
	}

	if _, err := cli.Put(t.Context(), prefix+"formats/regions/lombardia", "2"); err != nil {
		t.Fatal(err)
	}
	// Without its high-water mark, as a region written by an older famid:
	// a store of this format that opened it would raise the mark, a key of
	// its own, into the newer famid's region.
	if _, err := cli.Delete(t.Context(), prefix+"issued/lombardia"); err != nil {
		t.Fatal(err)
	}
	before, _ := keysUnder(t, cli, prefix)
	s := open(t, opts, cli)
	where := "etcd prefix " + prefix + "regions/lombardia/"
	err := s.View(t.Context(), "lombardia", func(store.ReadTx) error { return nil })
	storetest.WantFormatUnknown(t, "a read of the region", err, where, "2")
	if e := errs.As(err); e.Metadata["region"] != "lombardia" {
		t.Errorf("metadata %v does not name the region", e.Metadata)
	}
	storetest.WantFormatUnknown(t, "a write", tryCreate(t.Context(), s, "p2"), where, "2")
	_, err = s.ExportRegion(t.Context(), "lombardia", func(store.Record) error { return nil })
	storetest.WantFormatUnknown(t, "an export", err, where, "2")
	err = s.ImportRegion(t.Context(), "lombardia", func(func(store.Record) error) error { return nil })
	storetest.WantFormatUnknown(t, "an import", err, where, "2")
	if d := damaged(s); len(d) != 1 || errs.As(d["lombardia"]) == nil || errs.As(d["lombardia"]).Reason != errs.DataFormatUnknown {
		t.Errorf("Damaged() = %v, want lombardia's DATA_FORMAT_UNKNOWN alone", d)
	}
	if err := createIn(t.Context(), s, "veneto", "v1"); err != nil {
		t.Errorf("the other region: %v", err)
	}
	s.Close()
	after, _ := keysUnder(t, cli, prefix)
	// veneto's write is the only change: lombardia's keys, in its range or
	// not (its high-water mark), are as they were.
	venetos := func(kv *mvccpb.KeyValue) bool { return strings.Contains(string(kv.Key), "veneto") }
	if n := len(after) - len(before); n <= 0 || !sameKeys(slices.DeleteFunc(after, venetos), slices.DeleteFunc(before, venetos)) {
		t.Errorf("lombardia's keys changed while its format was refused")
	}

	if _, err := cli.Put(t.Context(), prefix+"formats/system", "2"); err != nil {
		t.Fatal(err)
	}
	before, rev := keysUnder(t, cli, prefix)
	opts.Client = cli
	if s, err = etcd.Open(t.Context(), opts); err == nil {
		s.Close()
	}
	storetest.WantFormatUnknown(t, "an open", err, "the system records in etcd (keys "+prefix+"system/", "2")
	if after, afterRev := keysUnder(t, cli, prefix); afterRev != rev || !sameKeys(after, before) {
		t.Errorf("the refused open changed the cluster (revision %d, was %d)", afterRev, rev)
	}
}

// TestFormatMarkedAtFirstOpen: data written before the format marker
// existed (no marker under the prefix) is read as it was, and its first
// open records this famid's format for the system records and every
// region served; stores opening at once agree on it.
func TestFormatMarkedAtFirstOpen(t *testing.T) {
	const prefix = "/old/"
	cli, _ := writtenUnder(t, prefix)
	if _, err := cli.Delete(t.Context(), prefix+"formats/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}

	stores := make(chan error, 3)
	for range cap(stores) {
		go func() {
			s, err := etcd.Open(t.Context(), etcd.Options{Client: cli, Prefix: prefix, Regions: regions})
			if err == nil {
				err = s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
					if tx.Revision() != 1 {
						return fmt.Errorf("revision %d, want 1", tx.Revision())
					}
					return nil
				})
				s.Close()
			}
			stores <- err
		}()
	}
	for range cap(stores) {
		if err := <-stores; err != nil {
			t.Errorf("a store opened on data from before the marker: %v", err)
		}
	}
	for _, key := range []string{"system", "regions/lombardia", "regions/veneto"} {
		wantFormat(t, cli, prefix+"formats/"+key, string(store.FormatMarker()))
	}
}

// TestFormatRaisedWhileRunning: a newer famid on the same cluster raises
// a region's format, then the system records', while this store runs.
// The very next write is refused with DATA_FORMAT_UNKNOWN and writes
// nothing, whether the store's watch has reported the change yet (the
// region is no longer served) or not (the commit compares the marker);
// reads are refused once the watch reports it. The other region is
// served. When the marker names this famid's format again, the region is
// served again.
func TestFormatRaisedWhileRunning(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	cli := c.Client(t)
	for i := range 10 {
		prefix := fmt.Sprintf("/raised-%d/", i)
		s := open(t, etcd.Options{Prefix: prefix, Regions: regions}, cli)
		create(t, s, "p1")
		before, _ := keysUnder(t, cli, prefix+"regions/lombardia/")
		if _, err := cli.Put(t.Context(), prefix+"formats/regions/lombardia", "2"); err != nil {
			t.Fatal(err)
		}
		where := "etcd prefix " + prefix + "regions/lombardia/"
		storetest.WantFormatUnknown(t, "a write after the format was raised", tryCreate(t.Context(), s, "p2"), where, "2")
		if after, _ := keysUnder(t, cli, prefix+"regions/lombardia/"); !sameKeys(after, before) {
			t.Fatalf("a write landed in the region after its format was raised")
		}
		if err := waittest.Eventually(t, "the raised format refused", func() error {
			err := s.View(t.Context(), "lombardia", func(store.ReadTx) error { return nil })
			if e := errs.As(err); e != nil && e.Reason == errs.DataFormatUnknown {
				return nil
			}
			return fmt.Errorf("got %v, want DATA_FORMAT_UNKNOWN", err)
		}); err != nil {
			t.Fatalf("a read after the format was raised: %v", err)
		}
		if err := createIn(t.Context(), s, "veneto", "v1"); err != nil {
			t.Errorf("the other region: %v", err)
		}

		if _, err := cli.Put(t.Context(), prefix+"formats/system", "2"); err != nil {
			t.Fatal(err)
		}
		err := s.SystemUpdate(t.Context(), func(tx store.SystemTx) error { return tx.Put("accounts", "a", []byte("x")) })
		storetest.WantFormatUnknown(t, "a system write after the format was raised", err, "the system records in etcd", "2")
		if keys, err := cli.Get(t.Context(), prefix+"system/", clientv3.WithPrefix(), clientv3.WithCountOnly()); err != nil || keys.Count != 0 {
			t.Fatalf("a system write landed after the format was raised: %d keys (%v)", keys.Count, err)
		}

		if _, err := cli.Put(t.Context(), prefix+"formats/regions/lombardia", string(store.FormatMarker())); err != nil {
			t.Fatal(err)
		}
		if err := waittest.Eventually(t, "a create once the marker names this format again", func() error { return tryCreate(t.Context(), s, "p3") }); err != nil {
			t.Errorf("the region once its marker names this format again: %v", err)
		}
		s.Close()
	}
}
