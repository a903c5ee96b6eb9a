package server

import (
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/fakeclock"
)

// A lineBudget writes limit lines an interval of its clock, drops the
// rest, and has the first line written after a drop say how many it
// dropped.
func TestLineBudget(t *testing.T) {
	var reported []int64
	var clock fakeclock.Clock
	b := newLineBudget(3, time.Minute, clock.Now, func(n int64) { reported = append(reported, n) })
	t0 := time.Date(2026, 11, 30, 21, 0, 0, 0, time.UTC)
	for _, step := range []struct {
		at      time.Duration
		ok      bool
		dropped int64
	}{
		{0, true, 0},
		{time.Second, true, 0},
		{time.Second, true, 0},
		{2 * time.Second, false, 0},
		{59 * time.Second, false, 0}, // the interval began at t0
		{time.Minute, true, 2},
		{time.Minute, true, 0},
		{time.Minute + time.Second, true, 0},
		{time.Minute + 2*time.Second, false, 0},
		{10 * time.Minute, true, 1}, // a quiet spell: a new interval at once
		{10*time.Minute + time.Second, true, 0},
	} {
		clock.Set(t0.Add(step.at))
		if ok, dropped := b.take(); ok != step.ok || dropped != step.dropped {
			t.Errorf("take at %v: %v, %d dropped; want %v, %d", step.at, ok, dropped, step.ok, step.dropped)
		}
	}
	b.close()
	if reported != nil {
		t.Errorf("close reported %v dropped, want none: every drop was said by a line written after it", reported)
	}
}

// The lines a flood drops with no line written after them are reported
// once the budget's clock, the server's, says their interval has ended:
// a test that moves the clock sees them within lineBudgetCheck. They were
// reported after an interval of real time, whatever the clock said: an
// hour here.
func TestLineBudgetReportsTheLastDrops(t *testing.T) {
	reports := make(chan int64, 10)
	const interval = time.Hour
	var clock fakeclock.Clock
	t0 := time.Date(2026, 11, 30, 21, 0, 0, 0, time.UTC)
	clock.Set(t0)
	b := newLineBudget(1, interval, clock.Now, func(n int64) { reports <- n })
	t.Cleanup(b.close)
	for i, want := range []bool{true, false, false} {
		if ok, _ := b.take(); ok != want {
			t.Fatalf("take %d: %v, want %v", i, ok, want)
		}
	}
	clock.Set(t0.Add(interval - time.Nanosecond))
	select {
	case n := <-reports:
		t.Fatalf("reported %d dropped before the clock said the interval had ended", n)
	case <-time.After(lineBudgetCheck + lineBudgetCheck/2):
	}
	clock.Set(t0.Add(interval))
	select {
	case n := <-reports:
		if n != 2 {
			t.Errorf("reported %d dropped, want 2", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the drops were not reported when the clock said their interval had ended")
	}
	if ok, dropped := b.take(); !ok || dropped != 0 {
		t.Errorf("next take: %v, %d dropped; want a line, and the reported drops not said again", ok, dropped)
	}
}

// close reports the drops not yet said at once, and no timer reports
// after it. A line after close is written: no timer would say its drop,
// which was counted and never reported.
func TestLineBudgetClose(t *testing.T) {
	var reported []int64
	var clock fakeclock.Clock
	b := newLineBudget(1, time.Hour, clock.Now, func(n int64) { reported = append(reported, n) })
	for range 4 {
		b.take()
	}
	b.close()
	if len(reported) != 1 || reported[0] != 3 {
		t.Errorf("close reported %v, want [3]", reported)
	}
	for i := range 2 {
		if ok, dropped := b.take(); !ok || dropped != 0 {
			t.Errorf("take %d after close: %v, %d dropped; want the line written", i, ok, dropped)
		}
	}
	if b.timer != nil {
		t.Error("a take after close set a timer")
	}
	b.close()
	if len(reported) != 1 {
		t.Errorf("a second close reported %v, want nothing more", reported[1:])
	}
}
