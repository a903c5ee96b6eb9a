package server

import (
	"testing"
	"time"
)

// A lineBudget writes limit lines an interval, drops the rest, and has
// the first line written after a drop say how many it dropped.
func TestLineBudget(t *testing.T) {
	b := newLineBudget(3, time.Minute)
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
}
