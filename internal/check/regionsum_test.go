package check_test

import (
	"math"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
)

// TestRegionSumCeiling: the one rule of a region's money ceiling, which
// reports and project budgets both keep (TestRegionPastTheCeilingCanLowerIt,
// TestRegionBudgetCeiling drive it through their services). A write that
// raises its region's total past MaxRegionCents is refused, with
// LIMIT_REACHED naming the region, the field and the limit, and a message
// that says by how much to lower what; a total at the ceiling passes, and so
// does any write that does not raise the total, even past the ceiling.
func TestRegionSumCeiling(t *testing.T) {
	const ceiling = int64(check.MaxRegionCents)
	sum := func(total, change int64) check.RegionSum {
		return check.RegionSum{Region: "regions/molise", Field: "paid_cents", Total: total, Change: change,
			By: "this report", Sum: "the paid_cents of regions/molise's reports", Lower: "this report's paid_cents, or those of the region's other reports"}
	}
	for _, tc := range []struct {
		what          string
		total, change int64
	}{
		{"a raise to the ceiling exactly", ceiling, 1},
		{"a raise below it", ceiling - 5, 5},
		{"a lowering past it", ceiling + 100, -1},
		{"a write moving no money past it", ceiling + 100, 0},
	} {
		if err := sum(tc.total, tc.change).Ceiling(); err != nil {
			t.Errorf("%s: %v, want it passed", tc.what, err)
		}
	}
	err := sum(ceiling+1, 1).Ceiling()
	e := errs.As(err)
	if e == nil || e.Reason != errs.LimitReached || e.Metadata["resource"] != "regions/molise" || e.Metadata["items"] != "paid_cents" || e.Metadata["limit"] != "100000000000000000" {
		t.Fatalf("a raise 1 cent past the ceiling: %v (%+v), want LIMIT_REACHED on regions/molise, paid_cents, limit 10^17", err, e)
	}
	want := "this report would bring the paid_cents of regions/molise's reports to EUR 1000000000000000.01, past the EUR 1000000000000000.00 a region's may add up to: lower this report's paid_cents, or those of the region's other reports, by EUR 0.01 or more"
	if e.Message != want {
		t.Errorf("the refusal says\n%q, want\n%q", e.Message, want)
	}
	if err := sum(ceiling+100, 50).Ceiling(); err == nil || !strings.Contains(errs.As(err).Message, "by EUR 1.00 or more") {
		t.Errorf("a raise of a region past the ceiling already: %v, want refused, saying to lower by the whole excess, EUR 1.00", err)
	}
	// A region whose amounts pass an int64 has a total that is only a
	// bound: the refusal says they already pass, not by how much to lower.
	saturated := sum(math.MaxInt64, 1)
	saturated.Saturated = true
	want = "the paid_cents of regions/molise's reports already add up to more than EUR 92233720368547758.07, past the EUR 1000000000000000.00 a region's may add up to: lower this report's paid_cents, or those of the region's other reports"
	if err := saturated.Ceiling(); err == nil || errs.As(err).Message != want {
		t.Errorf("a raise of a region past an int64: %v, want refused saying\n%q", err, want)
	}
}
