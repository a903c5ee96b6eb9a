package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/waittest"
)

// TestCopyRegionBboltEtcdBbolt moves a region from bbolt to etcd (famictl
// restore --etcd-endpoints of the region file) and back (famictl backup
// through a famid on etcd, famictl restore into a data dir): the region
// that comes back holds the same records, and so the same change log
// revision by revision, as the one that left.
func TestCopyRegionBboltEtcdBbolt(t *testing.T) {
	src := t.TempDir()
	writeHistory(t, src)
	srcFile := filepath.Join(src, "regions", "lombardia.db")

	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	endpoints := strings.Join(c.Endpoints(), ",")
	var out, errOut bytes.Buffer
	restoreEtcd := []string{"restore", "--etcd-endpoints", endpoints, "--etcd-prefix", "/copy/", "--region", "lombardia", "--from", srcFile, "--bump-revision", "0"}
	if err := run(restoreEtcd, &out, &errOut); err != nil {
		t.Fatalf("restore into etcd: %v (%s)", err, errOut.String())
	}
	if err := run(restoreEtcd, &out, &errOut); err == nil {
		t.Error("a second import into the same etcd region succeeded, want it refused")
	}
	// The import frames resources and changes as famid writes them (ADR 12).
	for _, table := range []string{"res/", "chg/"} {
		resp, err := c.Client(t).Get(t.Context(), "/copy/regions/lombardia/"+table, clientv3.WithPrefix())
		if err != nil || len(resp.Kvs) == 0 {
			t.Fatalf("read the imported %s: %v, %d keys", table, err, len(resp.Kvs))
		}
		for _, kv := range resp.Kvs {
			if _, ok := store.OpenFrame(kv.Value); !ok {
				t.Errorf("imported %q is not framed", kv.Key)
				break
			}
		}
	}

	f := startServer(t, servertest.EtcdConfig(c.Endpoints(), "/copy/"))
	token := f.token(auth.TokenSpec{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"})
	backupFile := filepath.Join(t.TempDir(), "lombardia-from-etcd.db")
	if err := run([]string{"backup", "--server", f.url, "--token", token, "--region", "lombardia", "--out", backupFile, "--quiet"}, &out, &errOut); err != nil {
		t.Fatalf("backup from famid on etcd: %v (%s)", err, errOut.String())
	}
	dst := t.TempDir()
	// A move, not a recovery: nothing was written since the backup, so the
	// revisions are kept (a recovery continues above them).
	if err := run([]string{"restore", "--data-dir", dst, "--region", "lombardia", "--from", backupFile, "--bump-revision", "0"}, &out, &errOut); err != nil {
		t.Fatalf("restore into a data dir: %v (%s)", err, errOut.String())
	}

	before, revBefore := records(t, srcFile)
	after, revAfter := records(t, filepath.Join(dst, "regions", "lombardia.db"))
	if revBefore != revAfter || revBefore == 0 {
		t.Errorf("revision: %d before the round trip, %d after", revBefore, revAfter)
	}
	if !slices.Equal(before, after) {
		t.Errorf("the region changed on its way through etcd:\n before %d records\n after  %d records", len(before), len(after))
		for i := range min(len(before), len(after)) {
			if before[i] != after[i] {
				t.Errorf("first difference: %q vs %q", before[i], after[i])
				break
			}
		}
	}
	t.Logf("%d records, revision %d, identical after bbolt -> etcd -> bbolt", len(before), revBefore)
}

// records lists a region file's records, sorted, as comparable strings.
func records(t *testing.T, path string) ([]string, int64) {
	t.Helper()
	var out []string
	rev, err := bolt.ReadRegionFile(path, func(r store.Record) error {
		out = append(out, fmt.Sprintf("%s|%s|%x|%x", r.Table, r.Index, r.Key, r.Value))
		return nil
	})
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	slices.Sort(out)
	return out, rev
}

// writeHistory gives lombardia in data dir a history with every kind of
// record: creates, updates, deletes, index entries, request records and a
// compacted change log.
func writeHistory(t *testing.T, dir string) {
	t.Helper()
	s, err := bolt.Open(dir, bolt.Options{Regions: []string{"lombardia"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	for i := range 40 {
		m := store.Mutation{Principal: "users/alice"}
		if i%3 == 0 {
			m.RequestID, m.Fingerprint = fmt.Sprintf("req-%d", i), []byte{byte(i)}
		}
		_, err := s.Update(ctx, "lombardia", m, func(tx store.WriteTx) (proto.Message, error) {
			id := fmt.Sprintf("p%02d", i%25)
			p := &famiv1.Partner{Name: "regions/lombardia/partners/" + id, DisplayName: fmt.Sprintf("Partner %d", i)}
			if i%7 == 6 {
				if err := tx.Delete(p.Name); err == nil {
					return &emptypb.Empty{}, tx.IndexDelete("by_name", id)
				}
			}
			if err := tx.Put(p); err != nil {
				return nil, err
			}
			return p, tx.IndexPut("by_name", id, p.DisplayName)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Compact(ctx, "lombardia", 10); err != nil {
		t.Fatal(err)
	}
}

// TestRestoreOnEtcdRelists is the restore of a damaged region on etcd,
// with famid and a regional system's mirror running: back up at 3, write
// past it, and restore the backup with --replace (no etcdctl del). The
// restored region continues above every revision issued, a reader of the
// change log from before is told to list again, and the mirror, which had
// seen a write the backup does not hold, relists and ends holding exactly
// the server's partners. Before, an etcd import kept the backup's
// revisions: the next write reused 4, which the mirror had already seen.
func TestRestoreOnEtcdRelists(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	endpoints := strings.Join(c.Endpoints(), ",")
	f := startServer(t, servertest.EtcdConfig(c.Endpoints(), "/r/"))
	admin := f.token(auth.TokenSpec{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"})
	cf := f.flags(f.token(auth.TokenSpec{Subject: "system:test", Role: principal.RegionalSystem, Region: "lombardia"}))
	partners := f.flags(admin).sdk().Partners
	create := func(id string) {
		t.Helper()
		// The server learns the end of an import from its etcd watch,
		// within milliseconds: until then the region is UNAVAILABLE.
		var err error
		waittest.Until(t, "a write to "+id, func() bool {
			_, err = partners.CreatePartner(t.Context(), &famiv1.CreatePartnerRequest{Parent: "regions/lombardia", PartnerId: id,
				Partner: &famiv1.Partner{DisplayName: "Partner " + id, Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}})
			return connect.CodeOf(err) != connect.CodeUnavailable
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		create(fmt.Sprintf("kept-%d", i))
	}
	file := filepath.Join(t.TempDir(), "lombardia.db")
	var out, errOut bytes.Buffer
	if err := run([]string{"backup", "--server", f.url, "--token", admin, "--region", "lombardia", "--out", file, "--quiet"}, &out, &errOut); err != nil {
		t.Fatalf("backup: %v (%s)", err, errOut.String())
	}
	mirror := t.TempDir()
	stop := startMirror(t, cf, mirror)
	defer func() { stop() }()
	create("lost") // 4, after the backup
	if _, err := partners.DeletePartner(t.Context(), &famiv1.DeletePartnerRequest{Name: "regions/lombardia/partners/kept-0"}); err != nil {
		t.Fatal(err)
	}
	waittest.Until(t, "the mirror at revision 5", func() bool { return mirrorRevision(mirror) == "5" })

	restore := []string{"restore", "--etcd-endpoints", endpoints, "--etcd-prefix", "/r/", "--region", "lombardia", "--from", file}
	if err := run(restore, &out, &errOut); err == nil || !strings.Contains(err.Error(), "--replace") {
		t.Fatalf("restore over a region with keys, without --replace: %v, want a refusal naming --replace", err)
	}
	if err := run(append(restore, "--replace", "--bump-revision", "0"), &out, &errOut); err == nil || !strings.Contains(err.Error(), "issued revision 5, past the backup's 3") {
		t.Fatalf("a move (--bump-revision 0) over a region written past the backup: %v, want it refused", err)
	}
	out.Reset()
	if err := run(append(restore, "--replace"), &out, &errOut); err != nil {
		t.Fatalf("restore --replace: %v (%s)", err, errOut.String())
	}
	if !strings.Contains(out.String(), "continue from 1000005") {
		t.Errorf("restore says %q, want the revisions to continue from 1000005 (5 issued + 1,000,000)", out.String())
	}

	_, err := cf.sdk().Sync.ListChanges(t.Context(), &famiv1.ListChangesRequest{Parent: "regions/lombardia", SinceRevision: 3})
	if connect.CodeOf(err) != connect.CodeFailedPrecondition || !strings.Contains(err.Error(), "compacted to 1000005") {
		t.Errorf("changes since 3, the backup's revision: %v, want REVISION_COMPACTED so the reader lists again", err)
	}
	create("after") // 1000006
	waittest.Until(t, "the mirror at revision 1000006", func() bool { return mirrorRevision(mirror) == "1000006" })
	stop()
	stop = func() {}
	files, _ := filepath.Glob(filepath.Join(mirror, "partners", "*.json"))
	var got []string
	for _, f := range files {
		got = append(got, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	if want := []string{"after", "kept-0", "kept-1", "kept-2"}; !slices.Equal(got, want) {
		t.Errorf("the mirror holds %q after the restore, want the server's %q", got, want)
	}

	// Keys deleted by hand (etcdctl del --prefix): the region's highest
	// revision is no longer known, so a move is refused, and a restore
	// continues above the mark its last restore left.
	if _, err := c.Client(t).Delete(t.Context(), "/r/regions/lombardia/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	if err := run(append(restore, "--bump-revision", "0"), &out, &errOut); err == nil || !strings.Contains(err.Error(), "highest revision is unknown") {
		t.Fatalf("a move into a region emptied by hand: %v, want it refused", err)
	}
	out.Reset()
	if err := run(restore, &out, &errOut); err != nil || !strings.Contains(out.String(), "continue from 2000005") {
		t.Fatalf("restore into a region emptied by hand: %v, %q, want the revisions to continue from 2000005", err, out.String())
	}
}
