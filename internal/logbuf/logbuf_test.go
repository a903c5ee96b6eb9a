package logbuf_test

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/logbuf"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// Every line logged from many goroutines is there, whole, after Close, and
// they reached the underlying writer in far fewer writes than lines.
func TestCloseLosesNothing(t *testing.T) {
	var out syncbuf.Buffer
	w := logbuf.New(&out, time.Hour)
	log := slog.New(slog.NewTextHandler(w, nil))
	const goroutines, lines = 8, 1000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range lines {
				log.Info("rpc", "g", g, "i", i, "pad", strings.Repeat("x", 100))
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != goroutines*lines {
		t.Fatalf("%d lines after Close, want %d", len(got), goroutines*lines)
	}
	seen := map[string]bool{}
	for _, l := range got {
		if !strings.HasPrefix(l, "time=") || !strings.HasSuffix(l, strings.Repeat("x", 100)) {
			t.Fatalf("line cut or mixed: %q", l)
		}
		seen[l[strings.Index(l, " g=")+1:]] = true
	}
	for g := range goroutines {
		for i := range lines {
			if !seen[fmt.Sprintf("g=%d i=%d pad=%s", g, i, strings.Repeat("x", 100))] {
				t.Fatalf("line g=%d i=%d missing", g, i)
			}
		}
	}
	if out.Writes() > goroutines*lines/10 {
		t.Errorf("%d writes for %d lines: not buffered", out.Writes(), goroutines*lines)
	}
	// After Close a line goes straight through.
	log.Info("after close")
	if !strings.Contains(out.String(), "after close") {
		t.Error("a line logged after Close was not written")
	}
}

// Without Close, the lines are written within the interval.
func TestFlushesEveryInterval(t *testing.T) {
	var out syncbuf.Buffer
	w := logbuf.New(&out, 10*time.Millisecond)
	defer w.Close()
	fmt.Fprintln(w, "one line")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "one line") {
		if time.Now().After(deadline) {
			t.Fatal("the line was not flushed within 5 s with a 10 ms interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
