package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/raccordo/raccordo/internal/syncbuf"
	"github.com/raccordo/raccordo/internal/waittest"
)

// TestMemoryLimitFromCgroup starts famid, a process of its own, in a
// memory cgroup limited to 512 MiB and reads the soft memory limit it
// chose in its start-up line: 90% of the cgroup's, or GOMEMLIMIT where the
// environment sets it. It needs root and a memory controller it can write
// (cgroup v1 or v2).
func TestMemoryLimitFromCgroup(t *testing.T) {
	dir, limitFile := memoryCgroup(t, 512<<20)
	for _, tt := range []struct {
		env  []string
		want string
	}{
		{nil, `gomemlimit=460MiB gomemlimit_from="90% of the cgroup's 512MiB in ` + limitFile + `"`},
		{[]string{"GOMEMLIMIT=300MiB"}, `gomemlimit=300MiB gomemlimit_from="GOMEMLIMIT in the environment"`},
	} {
		if line := startLineIn(t, dir, tt.env); !strings.Contains(line, tt.want) {
			t.Errorf("famid in a 512 MiB cgroup, environment %q, logged\n%s\nwant %s", tt.env, line, tt.want)
		}
	}
}

// memoryCgroup makes a memory cgroup limited to limit bytes, removed when
// the test ends, and returns its directory and the file of its limit; it
// skips the test where it cannot.
func memoryCgroup(t *testing.T, limit int64) (dir, limitFile string) {
	t.Helper()
	name := fmt.Sprintf("famid-test-%d", os.Getpid())
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err == nil {
		dir, limitFile = filepath.Join("/sys/fs/cgroup/memory", name), "memory.limit_in_bytes"
	} else if b, err := os.ReadFile("/sys/fs/cgroup/cgroup.subtree_control"); err == nil && strings.Contains(string(b), "memory") {
		dir, limitFile = filepath.Join("/sys/fs/cgroup", name), "memory.max"
	} else {
		t.Skip("no memory controller at /sys/fs/cgroup (cgroup v1) nor enabled for children of /sys/fs/cgroup (v2)")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot make a memory cgroup (root needed): %v", err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil {
			t.Errorf("removing the test's cgroup: %v", err)
		}
	})
	limitFile = filepath.Join(dir, limitFile)
	if err := os.WriteFile(limitFile, []byte(fmt.Sprint(limit)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, limitFile
}

// startLineIn runs famid, with env added to the test's environment less
// its GOMEMLIMIT, in the cgroup dir from its first instruction on (a
// shell moves itself there, then execs famid), stops it once ready and
// returns its "famid starting" line.
func startLineIn(t *testing.T, dir string, env []string) string {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", `echo $$ > "$0/cgroup.procs" && exec "$@"`, dir,
		os.Args[0], "--data-dir", t.TempDir(), "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--metrics-addr", "", "--log-level", "info", "--log-json=false")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, childEnv+"=1"), env...)
	var logs syncbuf.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if waittest.Eventually(t, "famid ready", func() error {
		if strings.Contains(logs.String(), "famid ready") {
			return nil
		}
		select {
		case err := <-exited:
			t.Fatalf("famid exited before it was ready (%v):\n%s", err, logs.String())
		default:
		}
		return errors.New("not ready")
	}) != nil {
		cmd.Process.Kill()
		<-exited
		t.Fatalf("famid not ready after %v:\n%s", waittest.Bound, logs.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err != nil {
		t.Fatalf("famid did not exit cleanly on SIGTERM: %v\n%s", err, logs.String())
	}
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "famid starting") {
			return line
		}
	}
	t.Fatalf("no start-up line in famid's log:\n%s", logs.String())
	return ""
}
