package check

import (
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/money"
)

// A RegionSum is a region's total of one kind of money (its projects'
// budgets, its monitoring reports' committed or paid) as a write would
// leave it, with the words its refusal says it in. Each kind keeps its
// total where it keeps its records; the rule that bounds them all is
// Ceiling's.
type RegionSum struct {
	// Region is the region's name, "regions/molise": the refusal's
	// resource.
	Region string
	// Field is the request field whose amounts add up ("paid_cents",
	// "project.budget_cents"), the refusal's items, by which a client
	// words it (the web application does).
	Field string
	// Total is the region's total with the write; Change is what the
	// write adds to it, less than 0 for a write that lowers it.
	Total, Change int64
	// Saturated says the region's amounts add up past an int64 (records
	// written before the ceiling existed): Total is then that bound, and
	// the refusal cannot say by how much to lower.
	Saturated bool
	// By names what makes the change, Sum what adds up, and Lower what
	// the caller may lower instead, for the refusal's message: "this
	// report", "the paid_cents of regions/molise's reports", "this
	// report's paid_cents, or those of the region's other reports".
	By, Sum, Lower string
}

// Ceiling refuses a write that raises its region's total past
// MaxRegionCents, with LIMIT_REACHED saying by how much to lower what
// Lower names; nil lets the write pass. Only a raise is refused: a region
// past the ceiling already (its records written before the ceiling
// existed) may still lower its amounts, and make the writes that move no
// money; refusing those would leave it no way back under.
func (s RegionSum) Ceiling() error {
	if s.Change <= 0 || s.Total <= MaxRegionCents {
		return nil
	}
	if s.Saturated {
		return errs.AtLimit(s.Region, s.Field, MaxRegionCents,
			"%s already add up to more than EUR %s, past the EUR %s a region's may add up to: lower %s",
			s.Sum, money.Decimal(s.Total), money.Decimal(MaxRegionCents), s.Lower)
	}
	return errs.AtLimit(s.Region, s.Field, MaxRegionCents,
		"%s would bring %s to EUR %s, past the EUR %s a region's may add up to: lower %s, by EUR %s or more",
		s.By, s.Sum, money.Decimal(s.Total), money.Decimal(MaxRegionCents), s.Lower, money.Decimal(s.Total-MaxRegionCents))
}
