package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
)

// TestEtcdBackupInProgress runs the tests of an etcd famid's backup in
// progress, each with famid processes and a data dir of its own, side by
// side on one large region: writing it through etcd is the most of their
// time, and they only read it.
func TestEtcdBackupInProgress(t *testing.T) {
	t.Parallel()
	onEtcd := largeEtcdRegion(t)
	for name, test := range map[string]func(*testing.T, []string){
		"data dir is locked":           etcdDataDirIsLocked,
		"killed backup leaves no copy": killedEtcdBackupLeavesNoCopy,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, onEtcd)
		})
	}
}

// killedEtcdBackupLeavesNoCopy: an etcd famid killed with SIGKILL in the
// middle of a backup leaves its copy of the region in its data dir, which
// the next start removes; nothing in the system's temporary directory. The
// copy was written to TMPDIR/famid-backup-*, where a full copy of the
// region's personal data outlived the kill. onEtcd are famid's flags for a
// large region (largeEtcdRegion).
func killedEtcdBackupLeavesNoCopy(t *testing.T, onEtcd []string) {
	tmp := t.TempDir()
	tmpEnv := []string{"TMPDIR=" + tmp} // the children's temporary directory
	dir := t.TempDir()
	f := startChildWith(t, dir, tmpEnv, onEtcd...)
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
	f = startChildWith(t, dir, tmpEnv, onEtcd...)
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
