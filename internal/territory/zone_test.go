package territory_test

import (
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/territory"
)

// TestRome: Italy's zone, with summer time, from the embedded database.
func TestRome(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want int
	}{
		{time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), 3600},
		{time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC), 7200},
	} {
		if _, off := tc.at.In(territory.Rome).Zone(); off != tc.want || territory.Rome.String() != "Europe/Rome" {
			t.Errorf("%v in %v: offset %d, want %d", tc.at, territory.Rome, off, tc.want)
		}
	}
}

// TestCalendar: days are counted in the calendar's zone (Rome by default),
// so 23:30 UTC on 31 December is already the new year in Italy.
func TestCalendar(t *testing.T) {
	at := time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC)
	c := territory.NewCalendar(func() time.Time { return at }, nil)
	if c.Today() != "2026-01-01" || c.Location() != territory.Rome || !c.Now().Equal(at) {
		t.Errorf("Rome: today %s in %v at %v", c.Today(), c.Location(), c.Now())
	}
	if got := territory.NewCalendar(func() time.Time { return at }, time.UTC).Today(); got != "2025-12-31" {
		t.Errorf("UTC: today %s, want 2025-12-31", got)
	}
	if d := territory.NewCalendar(nil, nil).Now(); time.Since(d) > time.Minute || time.Since(d) < 0 {
		t.Errorf("default clock: %v", d)
	}
}
