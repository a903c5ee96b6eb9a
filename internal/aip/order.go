package aip

import (
	"strings"

	"github.com/raccordo/raccordo/internal/errs"
)

// OrderByTime reads a List's order_by (AIP-132) where the one order it
// takes besides its default is by the time field: "" is the default
// (named false), field or "field asc" oldest first, "field desc" newest
// first; spaces between words aside. Anything else is a violation of
// order_by, which says what it takes. A page token resumes only in the
// order it was issued for, as it is bound to the whole request (ADR 20).
func OrderByTime(v *errs.Violations, orderBy, field string) (named, newestFirst bool) {
	switch strings.Join(strings.Fields(orderBy), " ") {
	case "":
		return false, false
	case field, field + " asc":
		return true, false
	case field + " desc":
		return true, true
	}
	v.Add("order_by", "orders by %[1]s only: %[2]q (oldest first) or %[3]q (newest first)", field, field, field+" desc")
	return false, false
}
