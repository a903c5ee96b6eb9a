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

// lineBudgetCheck is how often, at most, a budget holding drops not yet
// said looks at its clock for the end of their interval. The clock is the
// server's (Config.Now), which a test moves ahead instead of waiting, and
// a timer runs on the real one: a timer set for the whole interval would
// say the drops an interval of real time after the flood, whatever the
// server's clock says.
const lineBudgetCheck = time.Second

// lineBudget bounds a kind of log line to limit per interval of its
// clock, and counts the lines it drops, for the next line written to say
// how many. Lines dropped with none written after them (the end of a
// flood) are reported once the clock says the interval that dropped them
// has ended, or at close, so that no count is lost.
type lineBudget struct {
	limit    int
	interval time.Duration
	// now is the budget's clock, the server's.
	now func() time.Time
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
	// timer, while set, looks at the clock until the interval that
	// dropped lines ends, then reports them (expire); closed stops it
	// from being set again.
	timer  *time.Timer
	closed bool
}

func newLineBudget(limit int, interval time.Duration, now func() time.Time, report func(dropped int64)) *lineBudget {
	return &lineBudget{limit: limit, interval: interval, now: now, report: report}
}

// take reports whether a line may be written now and, when it may, how
// many lines were dropped since the last one written or reported. An
// interval starts at the first line after the last one ended, so that a
// quiet spell writes the next lines at once. The first line an interval
// drops sets the timer that reports the drops at its end, unless a line
// written by then says them first. Once the budget is closed every line
// is written: no timer would report a drop any more, and the lines left
// are those of the calls the closing server was still running.
func (b *lineBudget) take() (ok bool, dropped int64) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return true, 0 // close reported every drop before it
	}
	if now.Sub(b.start) >= b.interval {
		b.start, b.written = now, 0
	}
	if b.written == b.limit {
		b.dropped++
		if b.timer == nil {
			b.timer = time.AfterFunc(b.untilCheck(now), b.expire)
		}
		return false, 0
	}
	b.written++
	dropped, b.dropped = b.dropped, 0
	return true, dropped
}

// untilCheck is how long, from now, the timer waits before it looks at
// the clock again: until the current interval ends, by the clock, and at
// most lineBudgetCheck. b.mu is held.
func (b *lineBudget) untilCheck(now time.Time) time.Duration {
	return min(b.start.Add(b.interval).Sub(now), lineBudgetCheck)
}

// expire is the timer's: once the clock says the interval that dropped
// lines has ended it reports them, unless a line written since said them
// first (or the budget closed, which said them); until then it looks
// again later.
func (b *lineBudget) expire() {
	now := b.now()
	b.mu.Lock()
	if b.closed || b.dropped == 0 {
		b.timer = nil
		b.mu.Unlock()
		return
	}
	if now.Sub(b.start) < b.interval {
		b.timer.Reset(b.untilCheck(now))
		b.mu.Unlock()
		return
	}
	dropped := b.dropped
	b.dropped, b.timer = 0, nil
	b.mu.Unlock()
	b.report(dropped)
}

// close reports the lines dropped and not yet said, at once, and sets no
// timer again: the server is closing, and its log with it.
func (b *lineBudget) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	dropped := b.dropped
	b.dropped = 0
	b.mu.Unlock()
	if dropped > 0 {
		b.report(dropped)
	}
}
