package dashboard

import (
	"testing"
	"time"
)

func TestLastQuarter(t *testing.T) {
	for _, c := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), "2026-q3"},
		{time.Date(2026, 4, 1, 0, 0, 0, 0, rome), "2026-q1"},
		// 23:30 UTC on 31 March is already April in Italy.
		{time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC), "2026-q1"},
		{time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC), "2025-q4"},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, rome), "2025-q4"},
	} {
		if got := lastQuarter(c.now); got != c.want {
			t.Errorf("lastQuarter(%s) = %s, want %s", c.now, got, c.want)
		}
	}
}
