package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/atomicfile"
	"github.com/raccordo/raccordo/internal/filelock"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// childEnv makes the test binary run famictl instead of the tests, so
// that a test kills a real famictl process without a separate build.
const childEnv = "FAMICTL_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// famictlChild is famictl running in its own process.
type famictlChild struct {
	cmd    *exec.Cmd
	out    syncbuf.Buffer
	exited chan error
}

// startFamictl runs famictl with args in a process of its own, killed
// when the test ends.
func startFamictl(t *testing.T, args ...string) *famictlChild {
	t.Helper()
	c := &famictlChild{cmd: exec.Command(os.Args[0], args...), exited: make(chan error, 1)}
	c.cmd.Env = append(os.Environ(), childEnv+"=1")
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.exited <- c.cmd.Wait() }()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.exited
	})
	return c
}

// killWhen kills c with SIGKILL once ready holds, checked every 5ms; it
// fails the test when c exits first, or after a minute (a hang guard).
func (c *famictlChild) killWhen(t *testing.T, what string, ready func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !ready(); {
		select {
		case err := <-c.exited:
			c.exited <- err
			t.Fatalf("famictl exited (%v) before %s:\n%s", err, what, c.out.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("famictl did not reach %s in a minute:\n%s", what, c.out.String())
		}
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := <-c.exited
	c.exited <- err
}

// stalledBackup is an AdminService that sends the first part of a backup
// and no more, as a server whose network is lost.
type stalledBackup struct {
	famiv1connect.UnimplementedAdminServiceHandler
	part []byte
}

func (s stalledBackup) BackupRegion(ctx context.Context, _ *famiv1.BackupRegionRequest, stream *connect.ServerStream[famiv1.BackupRegionResponse]) error {
	if err := stream.Send(&famiv1.BackupRegionResponse{Revision: 7, Size: 10 * int64(len(s.part)), Data: s.part}); err != nil {
		return err
	}
	<-ctx.Done()
	return ctx.Err()
}

// TestKilledBackupLeavesNoPartialCopy: a famictl backup killed with
// SIGKILL in the middle of its download leaves its partial copy (a
// hidden .tmp-* beside --out), which the next backup into that directory
// removes, saying so; a copy that another backup is writing stays. The
// partial copy, a region's personal data, stayed for good.
func TestKilledBackupLeavesNoPartialCopy(t *testing.T) {
	stalled := stalledBackup{part: bytes.Repeat([]byte("x"), 64<<10)}
	mux := http.NewServeMux()
	mux.Handle(famiv1connect.NewAdminServiceHandler(stalled))
	hung := httptest.NewServer(mux)
	defer hung.Close()

	dir := t.TempDir()
	partial := func() []string {
		temps, _ := filepath.Glob(filepath.Join(dir, ".tmp-*"))
		return temps
	}
	c := startFamictl(t, "backup", "--server", hung.URL, "--token", "x", "--region", "lombardia", "--out", filepath.Join(dir, "lombardia.db"), "--quiet")
	c.killWhen(t, "the first part written", func() bool {
		p := partial()
		fi, err := os.Stat(strings.Join(p, ""))
		return len(p) == 1 && err == nil && fi.Size() == int64(len(stalled.part))
	})
	left := partial()[0]

	// Another backup into the directory is under way: its copy stays.
	other, err := atomicfile.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Discard()

	f := startFamid(t)
	var out, errOut bytes.Buffer
	if err := run([]string{"backup", "--server", f.url, "--token", f.admin, "--region", "lombardia", "--out", filepath.Join(dir, "lombardia.db"), "--quiet"}, &out, &errOut); err != nil {
		t.Fatalf("the next backup: %v (%s)", err, errOut.String())
	}
	if got := partial(); len(got) != 1 || got[0] != other.Name() {
		t.Errorf("after the next backup, the directory holds %v, want only the copy being written, %s", got, other.Name())
	}
	if !strings.Contains(errOut.String(), "removed "+left) {
		t.Errorf("the next backup says %q, want it to name the partial copy it removed, %s", errOut.String(), left)
	}
}

// TestKilledRestoreLeavesNoCopy: a famictl restore killed with SIGKILL
// after it copied the backup beside the region file, before it installed
// it, leaves the copy (<region>.db.restore), which famid's next start
// removes. The copy, a whole region's data, stayed until a restore of the
// region ran again.
//
// The test holds the copy's name locked (bbolt's lock), so that the
// restore, once it has copied, waits to open it (up to 1s) and is killed
// there.
func TestKilledRestoreLeavesNoCopy(t *testing.T) {
	f := startFamid(t)
	backup := filepath.Join(t.TempDir(), "lombardia.db")
	var out, errOut bytes.Buffer
	if err := run([]string{"backup", "--server", f.url, "--token", f.admin, "--region", "lombardia", "--out", backup, "--quiet"}, &out, &errOut); err != nil {
		t.Fatalf("backup: %v (%s)", err, errOut.String())
	}
	size := fileSize(t, backup)
	dataDir := t.TempDir()
	target := bolt.RegionFile(dataDir, "lombardia")
	st, err := bolt.Open(dataDir, bolt.Options{Regions: []string{"lombardia"}})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	copied := target + ".restore"
	held, err := os.OpenFile(copied, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := filelock.TryLock(held); err != nil {
		t.Fatal(err)
	}
	c := startFamictl(t, "restore", "--data-dir", dataDir, "--region", "lombardia", "--from", backup)
	c.killWhen(t, "the backup copied", func() bool { fi, err := os.Stat(copied); return err == nil && fi.Size() == size })
	held.Close()
	if fileSize(t, copied) != size {
		t.Fatalf("the killed restore left no whole copy at %s", copied)
	}

	st, err = bolt.Open(dataDir, bolt.Options{Regions: []string{"lombardia"}})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := os.Stat(copied); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after famid's next start, the killed restore's copy is still there: %v", err)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
