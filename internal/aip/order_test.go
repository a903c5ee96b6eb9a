package aip

import (
	"testing"

	"github.com/raccordo/raccordo/internal/errs"
)

// TestOrderByTime reads the orders a List by a time field takes, spaces
// aside, and refuses every other naming order_by and saying what it takes.
func TestOrderByTime(t *testing.T) {
	for orderBy, want := range map[string][2]bool{
		"": {false, false}, "  ": {false, false},
		"create_time": {true, false}, "create_time asc": {true, false}, " create_time ": {true, false},
		"create_time desc": {true, true}, "\tcreate_time   desc ": {true, true},
	} {
		var v errs.Violations
		named, newest := OrderByTime(&v, orderBy, "create_time")
		if err := v.Err(); err != nil || named != want[0] || newest != want[1] {
			t.Errorf("%q: named %v, newest first %v, %v; want %v, %v", orderBy, named, newest, err, want[0], want[1])
		}
	}
	for _, bad := range []string{"start_time", "create_time DESC", "-create_time", "create_time desc, name", "create_time\x00", "create_timedesc"} {
		var v errs.Violations
		named, newest := OrderByTime(&v, bad, "create_time")
		err := v.Err()
		if named || newest || errs.CodeOf(err) != errs.Invalid || len(errs.As(err).Violations) != 1 || errs.As(err).Violations[0].Field != "order_by" ||
			errs.As(err).Violations[0].Description != `orders by create_time only: "create_time" (oldest first) or "create_time desc" (newest first)` {
			t.Errorf("%q: named %v, newest first %v, %v; want a violation of order_by saying what it takes", bad, named, newest, err)
		}
	}
}
