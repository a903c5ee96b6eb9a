package syncbuf_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/raccordo/raccordo/internal/syncbuf"
)

// Every write from many goroutines is there, whole, and counted.
func TestConcurrentWrites(t *testing.T) {
	var b syncbuf.Buffer
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				fmt.Fprintf(&b, "g%d-%d\n", g, i)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := strings.Count(b.String(), "\n"); got != 800 || b.Writes() != 800 {
		t.Fatalf("%d lines in %d writes, want 800 in 800", got, b.Writes())
	}
	for g := range 8 {
		if !strings.Contains(b.String(), fmt.Sprintf("\ng%d-99\n", g)) {
			t.Errorf("goroutine %d's last line is missing", g)
		}
	}
}
