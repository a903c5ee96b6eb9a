package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

// TestRestoreRefusesNewerBackup: a backup written by a newer famid, in a
// data format this famictl does not know, is refused by famictl restore,
// into a data dir and into etcd, with DATA_FORMAT_UNKNOWN naming the
// backup, the format found and what to do. Nothing is installed nor
// imported, and the backup is left as it was.
func TestRestoreRefusesNewerBackup(t *testing.T) {
	src := t.TempDir()
	writeHistory(t, src)
	backup, _ := bolttest.CopyRegion(t, src, "lombardia")
	bolttest.SetFormat(t, backup, []byte("2"))
	before, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	dst := t.TempDir()
	err = run([]string{"restore", "--data-dir", dst, "--region", "lombardia", "--from", backup}, &out, &errOut)
	storetest.WantFormatUnknown(t, "restore into a data dir", err, backup, "2")
	if _, err := os.Stat(bolt.RegionFile(dst, "lombardia")); !os.IsNotExist(err) {
		t.Errorf("the refused backup was installed: %v", err)
	}

	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	err = run([]string{"restore", "--etcd-endpoints", strings.Join(c.Endpoints(), ","), "--etcd-prefix", "/newer/", "--region", "lombardia", "--from", backup}, &out, &errOut)
	storetest.WantFormatUnknown(t, "restore into etcd", err, backup, "2")
	if resp, err := c.Client(t).Get(t.Context(), "/newer/regions/", clientv3.WithPrefix(), clientv3.WithCountOnly()); err != nil || resp.Count != 0 {
		t.Errorf("the refused backup was imported: %d keys (%v)", resp.Count, err)
	}
	if after, err := os.ReadFile(backup); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the refused restores changed the backup (%v)", err)
	}
}
