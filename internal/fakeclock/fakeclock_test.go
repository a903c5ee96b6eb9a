package fakeclock_test

import (
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/fakeclock"
)

func TestClockStandsWhereSet(t *testing.T) {
	var c fakeclock.Clock
	if !c.Now().IsZero() {
		t.Fatalf("a new clock says %v, want the zero time", c.Now())
	}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	c.Set(at)
	if got := c.Now(); !got.Equal(at) {
		t.Fatalf("Now = %v after Set(%v)", got, at)
	}
	now := c.Now
	c.Set(at.Add(time.Hour))
	if got := now(); !got.Equal(at.Add(time.Hour)) {
		t.Fatalf("a Now taken before Set says %v, want %v", got, at.Add(time.Hour))
	}
}

func TestShiftedRunsAheadByWhatWasAdded(t *testing.T) {
	var c fakeclock.Shifted
	before := time.Now()
	if got := c.Now(); got.Before(before) || got.After(time.Now()) {
		t.Fatalf("a new shifted clock says %v, want the real time", got)
	}
	c.Advance(time.Hour)
	c.Advance(30 * time.Second)
	before = time.Now()
	got := c.Now()
	if lo, hi := before.Add(time.Hour+30*time.Second), time.Now().Add(time.Hour+30*time.Second); got.Before(lo) || got.After(hi) {
		t.Fatalf("after Advance(1h) and Advance(30s) the clock says %v, want within [%v, %v]", got, lo, hi)
	}
}
