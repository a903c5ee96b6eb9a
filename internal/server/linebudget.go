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
// the lines it drops, for the next line written to say how many. Lines
// dropped with none written after them (the end of a flood) are reported
// as the interval that dropped them ends, or at close, so that no count
// is lost.
type lineBudget struct {
	limit    int
	interval time.Duration
	// report writes the count of lines dropped that no line written has
	// said, when their interval ends or the budget closes.
	report func(dropped int64)

	mu sync.Mutex
	// start is when the current interval began, and written the lines
	// written in it.
	start   time.Time
	written int
	// dropped counts the lines dropped since the last one written or
	// reported.
	dropped int64
	// timer, while set, reports the dropped lines when the interval that
	// dropped them ends; closed stops it from being set again.
	timer  *time.Timer
	closed bool
}

func newLineBudget(limit int, interval time.Duration, report func(dropped int64)) *lineBudget {
	return &lineBudget{limit: limit, interval: interval, report: report}
}

// take reports whether a line may be written at now and, when it may,
// how many lines were dropped since the last one written or reported. An
// interval starts at the first line after the last one ended, so that a
// quiet spell writes the next lines at once. The first line an interval
// drops sets the timer that reports the drops at its end, unless a line
// written by then says them first.
func (b *lineBudget) take(now time.Time) (ok bool, dropped int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Sub(b.start) >= b.interval {
		b.start, b.written = now, 0
	}
	if b.written == b.limit {
		b.dropped++
		if b.timer == nil && !b.closed {
			b.timer = time.AfterFunc(b.start.Add(b.interval).Sub(now), b.flush)
		}
		return false, 0
	}
	b.written++
	dropped, b.dropped = b.dropped, 0
	return true, dropped
}

// flush reports the lines dropped and not yet said, if any.
func (b *lineBudget) flush() {
	b.mu.Lock()
	dropped := b.dropped
	b.dropped, b.timer = 0, nil
	b.mu.Unlock()
	if dropped > 0 {
		b.report(dropped)
	}
}

// close reports the lines dropped and not yet said, at once, and sets no
// timer again: the server is closing, and its log with it.
func (b *lineBudget) close() {
	b.mu.Lock()
	b.closed = true
	if b.timer != nil {
		b.timer.Stop()
	}
	b.mu.Unlock()
	b.flush()
}
