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
