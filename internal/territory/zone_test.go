package territory_test

import (
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/territory"
)

// TestRome: Italy's zone, with summer time, from the embedded database.
func TestRome(t *testing.T) {
	if territory.Rome.String() != "Europe/Rome" {
		t.Fatalf("Rome is %v", territory.Rome)
	}
	_, winter := time.Date(2026, 1, 15, 12, 0, 0, 0, territory.Rome).Zone()
	_, summer := time.Date(2026, 7, 15, 12, 0, 0, 0, territory.Rome).Zone()
	if winter != 3600 || summer != 7200 {
		t.Errorf("offsets %d in winter, %d in summer; want 3600 and 7200", winter, summer)
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
