package main

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/waittest"
)

// TestSecondSignalHurriesTheStop: a famid process draining after SIGTERM
// (an hour's --drain-delay) stops at once on a second SIGTERM, cleanly:
// exit code 0, its ready file removed, its data files whole. The second
// signal was ignored, so an operator's second Ctrl-C waited out the drain
// delay and the calls in progress.
func TestSecondSignalHurriesTheStop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := startChild(t, dir, "--drain-delay", "1h")
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitNotReady(t, c.httpAddr)
	start := time.Now()
	// The wait's bound guards a hang: a stop that waited for the drain
	// delay would take an hour, one hurried takes milliseconds.
	c.terminate(t, "a second SIGTERM")
	t.Logf("stopped %v after the second SIGTERM", time.Since(start).Round(time.Millisecond))
	if _, err := os.Stat(c.ready); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ready file after a hurried stop: %v, want it removed, as on a clean stop", err)
	}
	checkFiles(t, dir, 0)
}

// waitNotReady waits until the server on httpAddr answers /readyz with
// 503, as it does once its shutdown has begun.
func waitNotReady(t *testing.T, httpAddr string) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	waittest.Until(t, "/readyz to answer 503 after SIGTERM", func() bool {
		res, err := client.Get("http://" + httpAddr + "/readyz")
		if err != nil {
			t.Fatalf("/readyz while draining: %v", err)
		}
		res.Body.Close()
		return res.StatusCode == http.StatusServiceUnavailable
	})
}

// terminate sends famid SIGTERM and waits (waittest's bound guards a
// hang, it is not a timed assertion) for it to exit with code 0; what
// names the signal in the failures.
func (c *child) terminate(t *testing.T, what string) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := waittest.Receive(t, "famid to stop after "+what, c.exited); err != nil {
		t.Fatalf("famid stopped by %s: %v, want exit code 0", what, err)
	}
}
