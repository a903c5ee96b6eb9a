package server

import (
	"testing"
	"time"
)

// A lineBudget writes limit lines an interval, drops the rest, and has
// the first line written after a drop say how many it dropped.
func TestLineBudget(t *testing.T) {
	var reported []int64
	b := newLineBudget(3, time.Minute, func(n int64) { reported = append(reported, n) })
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
		if ok, dropped := b.take(t0.Add(step.at)); ok != step.ok || dropped != step.dropped {
			t.Errorf("take at %v: %v, %d dropped; want %v, %d", step.at, ok, dropped, step.ok, step.dropped)
		}
	}
	b.close()
	if reported != nil {
		t.Errorf("close reported %v dropped, want none: every drop was said by a line written after it", reported)
	}
}

// The lines a flood drops with no line written after them are reported
// when their interval ends. They were said only by the next line written,
// which may never come.
func TestLineBudgetReportsTheLastDrops(t *testing.T) {
	reports := make(chan int64, 10)
	const interval = 50 * time.Millisecond
	b := newLineBudget(1, interval, func(n int64) { reports <- n })
	t.Cleanup(b.close)
	start := time.Now()
	for i, want := range []bool{true, false, false} {
		if ok, _ := b.take(start); ok != want {
			t.Fatalf("take %d: %v, want %v", i, ok, want)
		}
	}
	select {
	case n := <-reports:
		if n != 2 {
			t.Errorf("reported %d dropped, want 2", n)
		}
		if waited := time.Since(start); waited < interval {
			t.Errorf("reported after %v, before the interval (%v) ended", waited, interval)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the drops were not reported when their interval ended")
	}
	if ok, dropped := b.take(start.Add(interval)); !ok || dropped != 0 {
		t.Errorf("next take: %v, %d dropped; want a line, and the reported drops not said again", ok, dropped)
	}
}

// close reports the drops not yet said at once, and no timer reports
// after it.
func TestLineBudgetClose(t *testing.T) {
	var reported []int64
	b := newLineBudget(1, time.Hour, func(n int64) { reported = append(reported, n) })
	now := time.Now()
	for range 4 {
		b.take(now)
	}
	b.close()
	if len(reported) != 1 || reported[0] != 3 {
		t.Errorf("close reported %v, want [3]", reported)
	}
	b.take(now)
	if b.timer != nil {
		t.Error("a drop after close set a timer")
	}
}
