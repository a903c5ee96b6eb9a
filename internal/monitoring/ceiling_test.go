package monitoring_test

import (
	"math"
	"testing"

	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/monitoring"
)

// TestMoneyBoundsCannotOverflow checks the arithmetic of MaxRegionCents'
// comment against the constants: a region at its ceiling plus the largest
// report (before it is refused), and the nation of regions at their
// ceiling, stay within an int64.
func TestMoneyBoundsCannotOverflow(t *testing.T) {
	const maxLines = 100 // a report's expenditures: the project's actions (at most 100), each once
	largestReport := int64(maxLines) * check.MaxCents
	if monitoring.MaxRegionCents > math.MaxInt64-largestReport {
		t.Errorf("a region at %d plus a report of %d overflows", int64(monitoring.MaxRegionCents), largestReport)
	}
	if regions := int64(len(aip.RegionIDs())); monitoring.MaxRegionCents > math.MaxInt64/regions {
		t.Errorf("%d regions at %d each overflow", regions, int64(monitoring.MaxRegionCents))
	}
}
