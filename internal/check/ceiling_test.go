package check_test

import (
	"math"
	"testing"

	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
)

// TestMoneyBoundsCannotOverflow checks the arithmetic of MaxRegionCents'
// comment against the constants: a region at its ceiling plus the largest
// write (a report or a project's budget, before it is refused), and the
// nation of regions at their ceiling, stay within an int64.
func TestMoneyBoundsCannotOverflow(t *testing.T) {
	const maxLines = 100 // a report's expenditures: the project's actions (at most 100), each once
	largestReport := int64(maxLines) * check.MaxCents
	largestBudget := int64(check.MaxCents) // a project's budget_cents, and an extension's
	for _, w := range []struct {
		what  string
		cents int64
	}{{"report", largestReport}, {"project's budget", largestBudget}} {
		if check.MaxRegionCents > math.MaxInt64-w.cents {
			t.Errorf("a region at %d plus a %s of %d overflows", int64(check.MaxRegionCents), w.what, w.cents)
		}
	}
	if regions := int64(len(aip.RegionIDs())); check.MaxRegionCents+largestReport > math.MaxInt64/regions {
		t.Errorf("%d regions at %d each overflow", regions, int64(check.MaxRegionCents))
	}
}
