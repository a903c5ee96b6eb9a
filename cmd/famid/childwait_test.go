package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/syncbuf"
	"github.com/raccordo/raccordo/internal/waittest"
)

// readyWait bounds the wait for a famid child's --ready-file by what the
// child does, not by the wall clock. Under load a starting child mostly
// waits for a core: one took 25 s of wall time against a bare 30 s bound
// while it used about a second of CPU, so the wall clock measured the
// host, not famid. The wait goes on while the child runs and ends at
// once when it dies.
type readyWait struct {
	// cpu is the most CPU time the child may use without being ready: a
	// start takes about one second of it under -race.
	cpu time.Duration
	// stall is the longest the child may use no CPU at all: blocked, it
	// never becomes ready.
	stall time.Duration
}

// startBounds are startChild's.
var startBounds = readyWait{cpu: waittest.Bound, stall: waittest.Bound}

// readReady reads the ready file at path, if famid has written it.
func readReady(path string) (r readiness, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return r, false, nil
	}
	if err != nil {
		return r, false, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, false, fmt.Errorf("--ready-file %s: %w: %q", path, err, b)
	}
	return r, true, nil
}

// until waits for the ready file at path of the process cmd runs, whose
// result arrives on exited and whose stderr is in stderr. It returns an
// error, quoting the child's stderr, when the child exits first or goes
// past w's bounds.
func (w readyWait) until(path string, cmd *exec.Cmd, exited <-chan error, stderr *syncbuf.Buffer) (readiness, error) {
	start := time.Now()
	var used time.Duration
	progressed := start
	for {
		r, ok, err := readReady(path)
		if ok || err != nil {
			return r, err
		}
		select {
		case err := <-exited:
			return r, fmt.Errorf("famid exited before it was ready (%v), after %v; its stderr:\n%s", err, time.Since(start).Round(time.Millisecond), stderr)
		case <-time.After(5 * time.Millisecond):
		}
		// Where the CPU time cannot be read, the stall bound is a bound
		// on the wall clock.
		if cpu, err := processCPU(cmd.Process.Pid); err == nil && cpu > used {
			used, progressed = cpu, time.Now()
		}
		switch {
		case used > w.cpu:
			return r, fmt.Errorf("famid used %v of CPU in %v and is not ready; its stderr:\n%s", used, time.Since(start).Round(time.Millisecond), stderr)
		case time.Since(progressed) > w.stall:
			return r, fmt.Errorf("famid used no CPU for %v (%v in all) and is not ready; its stderr:\n%s", w.stall, used, stderr)
		}
	}
}

// TestReadyWaitFollowsTheChild: the wait for a child's ready file ends at
// once when the child exits; it ends on the child's own CPU time, used or
// not used, never on the wall clock while the child works; and its error
// quotes the child's stderr.
func TestReadyWaitFollowsTheChild(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  *exec.Cmd
		wait readyWait
		want []string // in the wait's error: why, and the child's stderr
	}{
		{"a famid that exits", exec.Command(os.Args[0], "--no-such-flag"), startBounds,
			[]string{"exited before it was ready", "no-such-flag"}},
		{"a child that spins", exec.Command("/bin/sh", "-c", "echo spinning >&2; while :; do :; done"),
			readyWait{cpu: 200 * time.Millisecond, stall: time.Hour}, []string{"of CPU", "spinning"}},
		{"a child that sleeps", exec.Command("/bin/sh", "-c", "echo sleeping >&2; exec sleep 60"),
			readyWait{cpu: time.Hour, stall: 300 * time.Millisecond}, []string{"used no CPU", "sleeping"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr syncbuf.Buffer
			tc.cmd.Env = append(os.Environ(), childEnv+"=1")
			tc.cmd.Stderr = &stderr
			if err := tc.cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited, done := make(chan error, 1), make(chan struct{})
			go func() {
				exited <- tc.cmd.Wait()
				close(done)
			}()
			t.Cleanup(func() {
				tc.cmd.Process.Kill()
				<-done
			})
			_, err := tc.wait.until(readyPath(t), tc.cmd, exited, &stderr)
			for _, want := range tc.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("the wait ended with %v, want an error saying %q", err, want)
				}
			}
		})
	}
}
