package server

import (
	"sync"
	"time"
)

// The access lines of calls that name no RPC (a REST path no route
// matches, a procedure the server does not serve) are bounded: a scanner
// probing made-up paths would otherwise write a line for each. Their
// metrics still count every one.
const (
	// defaultNoRPCLines is how many such lines are written per
	// noRPCInterval, at most.
	defaultNoRPCLines = 20
	noRPCInterval     = time.Minute
)

// lineBudget bounds a kind of log line to limit per interval, and counts
// the lines it drops, for the next line written to say how many.
type lineBudget struct {
	limit    int
	interval time.Duration

	mu sync.Mutex
	// start is when the current interval began, and written the lines
	// written in it.
	start   time.Time
	written int
	// dropped counts the lines dropped since the last one written.
	dropped int64
}

func newLineBudget(limit int, interval time.Duration) *lineBudget {
	return &lineBudget{limit: limit, interval: interval}
}

// take reports whether a line may be written at now and, when it may,
// how many lines were dropped since the last one written. An interval
// starts at the first line after the last one ended, so that a quiet
// spell writes the next lines at once.
func (b *lineBudget) take(now time.Time) (ok bool, dropped int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Sub(b.start) >= b.interval {
		b.start, b.written = now, 0
	}
	if b.written == b.limit {
		b.dropped++
		return false, 0
	}
	b.written++
	dropped, b.dropped = b.dropped, 0
	return true, dropped
}
