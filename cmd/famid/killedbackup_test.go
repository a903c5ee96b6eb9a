package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
)

// TestKilledEtcdBackupLeavesNoCopy: an etcd famid killed with SIGKILL in
// the middle of a backup leaves its copy of the region in its data dir,
// which the next start removes; nothing in the system's temporary
// directory. The copy was written to TMPDIR/famid-backup-*, where a full
// copy of the region's personal data outlived the kill.
func TestKilledEtcdBackupLeavesNoCopy(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the children's temporary directory
	onEtcd := largeEtcdRegion(t)
	dir := t.TempDir()
	f := startChild(t, dir, onEtcd...)
	defer stallBackup(t, f.httpAddr, mintAdminToken(t, dir), "rest").Close()
	f.kill(t)

	copies := func() []string {
		in, _ := filepath.Glob(filepath.Join(dir, "backups-in-progress", "*", "*"))
		left, _ := os.ReadDir(tmp)
		for _, e := range left {
			in = append(in, filepath.Join(tmp, e.Name()))
		}
		return in
	}
	if left := copies(); len(left) != 1 || !strings.HasPrefix(left[0], dir) {
		t.Fatalf("the killed backup left %v, want one copy in the data dir %s", left, dir)
	}
	f = startChild(t, dir, onEtcd...)
	f.terminate(t, "SIGTERM")
	if left := copies(); len(left) > 0 {
		t.Errorf("after the next start: %v, want no copy of the region", left)
	}
}

// largeEtcdRegion starts an etcd cluster whose lombardia holds 16 MiB,
// more than the sockets' buffers hold (a backup of it stalls when its
// client reads nothing), and returns famid's flags for it.
func largeEtcdRegion(t *testing.T) (onEtcd []string) {
	t.Helper()
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	const prefix = "/large/"
	st, err := etcd.Open(t.Context(), etcd.Options{Client: c.Client(t), Prefix: prefix, Regions: []string{"lombardia"}})
	if err != nil {
		t.Fatal(err)
	}
	putLarge(t, st, 128)
	st.Close()
	return []string{"--store", "etcd", "--etcd-endpoints", strings.Join(c.Endpoints(), ","), "--etcd-prefix", prefix}
}
