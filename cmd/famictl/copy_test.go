package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
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

	f := startServer(t, server.Config{Store: server.StoreEtcd, Etcd: server.EtcdConfig{ClientConfig: etcd.ClientConfig{Endpoints: c.Endpoints()}, Prefix: "/copy/"}})
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
