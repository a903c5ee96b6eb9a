package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestDamagedSystemFileStopsTheStart damages the system.db of a data dir a
// real famid wrote, then starts famid on it: it must exit at once with a
// message naming the file and how to put it back, and leave the file as it
// found it. Before, a 0-byte system.db started as a new system with no
// account (every account, service token and revocation silently gone), a
// truncated one killed the process with SIGBUS, and a garbage one said
// only "invalid database".
func TestDamagedSystemFileStopsTheStart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs real server processes")
	}
	written := t.TempDir()
	startChild(t, written).stop(t)
	whole, err := os.ReadFile(bolt.SystemFile(written))
	if err != nil {
		t.Fatal(err)
	}
	for name, damaged := range map[string][]byte{
		"empty":     {},
		"truncated": whole[:len(whole)/2],
		"garbage":   bytes.Repeat([]byte("not bbolt "), len(whole)/10),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := bolt.SystemFile(dir)
			if err := os.WriteFile(path, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			msg := startFails(t, dir, "a "+name+" system.db")
			for _, want := range []string{"system file " + path, "cp <backup>/system.db " + path} {
				if !strings.Contains(msg, want) {
					t.Errorf("stderr %q does not say %q", msg, want)
				}
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, damaged) {
				t.Errorf("famid changed the damaged system.db (%d bytes, was %d)", len(after), len(damaged))
			}
		})
	}
}

// startFails starts famid on data dir dir (what), which must exit at once
// with status 1; it returns what famid wrote on standard error.
func startFails(t *testing.T, dir, what string) string {
	t.Helper()
	// A famid that starts serves until this deadline kills it.
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "--data-dir", dir, "--grpc-addr", loopback0, "--http-addr", loopback0, "--metrics-addr", loopback0, "--log-level", "error")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("famid on %s: %v, want exit status 1; stderr:\n%s", what, err, stderr.String())
	}
	return stderr.String()
}

// TestSystemFileOfNewerFormatStopsTheStart: famid started on a data dir a
// newer famid left, whose system.db is in a data format this one does not
// know (a downgrade), exits at once naming the file, the format found and
// what to do, and leaves the file byte for byte as it was: never framed a
// second time as if it were old.
func TestSystemFileOfNewerFormatStopsTheStart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs real server processes")
	}
	dir := t.TempDir()
	startChild(t, dir).stop(t)
	path := bolt.SystemFile(dir)
	bolttest.SetFormat(t, path, []byte("2"))
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	msg := startFails(t, dir, "a system.db of a newer format")
	for _, want := range []string{path, `format "2"`, "upgrade famid", "copies taken before"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr %q does not say %q", msg, want)
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Errorf("famid changed the system.db of a newer format")
	}
}

// TestFirstStartLeavesNoEmptySystemFile: a start interrupted while it
// creates system.db leaves at most system.db.new, never an empty system.db
// that the next start could not tell from a damaged one; the next start
// creates it whole and serves.
func TestFirstStartLeavesNoEmptySystemFile(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs real server processes")
	}
	dir := t.TempDir()
	// What a kill during bbolt's set-up of the new file leaves.
	if err := os.WriteFile(filepath.Join(dir, "system.db.new"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	startChild(t, dir).stop(t)
	if fi, err := os.Stat(bolt.SystemFile(dir)); err != nil || fi.Size() == 0 {
		t.Fatalf("system.db after the first start: %v, %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "system.db.new")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("system.db.new left behind: %v", err)
	}
	startChild(t, dir).stop(t)
}
