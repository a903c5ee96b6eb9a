package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
)

// TestEmptyDataDirIsRefused: famid on etcd with an empty --data-dir
// refuses to start, naming the flag, and writes nothing in its working directory. It started, and
// put its signing keys (keys/) and its backups in progress in the
// directory it was started from.
func TestEmptyDataDirIsRefused(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	onEtcd := []string{"--store", "etcd", "--etcd-endpoints", strings.Join(c.Endpoints(), ","), "--etcd-prefix", "/empty/",
		"--grpc-addr", loopback0, "--http-addr", loopback0, "--metrics-addr", loopback0, "--log-level", "error"}
	// An empty FAMID_DATA_DIR is as none (ff's rule for every variable):
	// the default, data.
	for name, how := range map[string]struct{ args, env []string }{
		"flag":             {args: []string{"--data-dir", ""}},
		"flag with spaces": {args: []string{"--data-dir= "}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			work := t.TempDir()
			ready := readyPath(t)
			famid := exec.Command(os.Args[0], append(append(how.args, "--ready-file", ready), onEtcd...)...)
			famid.Dir = work
			famid.Env = append(append(os.Environ(), childEnv+"=1"), how.env...)
			out, err := exitBeforeReady(t, famid, ready)
			if err == nil || errors.Is(err, errStarted) || !strings.Contains(out, "--data-dir is empty") {
				t.Errorf("famid on etcd with an empty data dir: %v\n%s\nwant it refused, naming --data-dir", err, out)
			}
			if left, _ := os.ReadDir(work); len(left) != 0 {
				t.Errorf("famid left %v in its working directory, want nothing", left)
			}
		})
	}
}
