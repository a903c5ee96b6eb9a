package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/syncbuf"
)

// etcdDataDirIsLocked: a second etcd famid started on the data dir of a
// running one is refused at once, naming the dir, and the first's backup
// in progress keeps its copy. The second started, and removed the first's
// copies of the regions it was sending. onEtcd are famid's flags for a
// large region (largeEtcdRegion).
func etcdDataDirIsLocked(t *testing.T, onEtcd []string) {
	dir := t.TempDir()
	first := startChild(t, dir, onEtcd...)
	defer stallBackup(t, first.httpAddr, mintAdminToken(t, dir), "rest").Close()
	copies := func() []string {
		in, _ := filepath.Glob(filepath.Join(dir, "backups-in-progress", "*", "*"))
		return in
	}
	if n := len(copies()); n != 1 {
		t.Fatalf("the stalled backup has %d copies in the data dir, want 1", n)
	}

	// The second famid gives up after its 200ms lock timeout. Without
	// the data dir's lock it gets ready: it is stopped and the test fails.
	ready := readyPath(t)
	second := exec.Command(os.Args[0], append([]string{"--data-dir", dir, "--grpc-addr", loopback0, "--http-addr", loopback0,
		"--metrics-addr", loopback0, "--log-level", "error", "--lock-timeout", "200ms", "--ready-file", ready}, onEtcd...)...)
	second.Env = append(os.Environ(), childEnv+"=1")
	out, err := exitBeforeReady(t, second, ready)
	if errors.Is(err, errStarted) {
		t.Fatalf("a second famid on the same data dir started:\n%s", out)
	}
	if err == nil || !strings.Contains(out, "data dir "+dir+" is in use by another famid") {
		t.Errorf("the second famid on the same data dir: %v\n%s\nwant it refused, naming the dir", err, out)
	}
	if left := copies(); len(left) != 1 {
		t.Errorf("after the second famid's start, the first's backup copies are %v, want its one copy", left)
	}
	waitHealthyOr(t, first.httpAddr, first.exited)
}

// errStarted says that a famid expected to fail got ready, or still ran
// after a minute (a hang guard, not a timing assertion).
var errStarted = errors.New("famid started")

// exitBeforeReady starts famid, a command with --ready-file ready that is
// expected to fail, and waits until it either exits, returning the error
// of its exit, or writes its ready file, returning errStarted once it is
// killed. It returns what famid wrote on its standard output and error.
func exitBeforeReady(t *testing.T, famid *exec.Cmd, ready string) (string, error) {
	t.Helper()
	var out syncbuf.Buffer
	famid.Stdout, famid.Stderr = &out, &out
	if err := famid.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- famid.Wait() }()
	err := errStarted
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		if _, statErr := os.Stat(ready); statErr == nil {
			break
		}
		select {
		case err = <-exited:
			return out.String(), err
		case <-time.After(10 * time.Millisecond):
		}
	}
	famid.Process.Kill()
	<-exited
	return out.String(), err
}
