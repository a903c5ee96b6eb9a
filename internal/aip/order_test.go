package aip

import (
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
)

// TestOrderByTime reads the orders a List by a time field takes, spaces
// aside, each answered spelt one way, and refuses every other naming
// order_by and saying what it takes.
func TestOrderByTime(t *testing.T) {
	type want struct {
		byField, newest bool
		spelt           string
	}
	for _, o := range []struct {
		order TimeOrder
		cases map[string]want
	}{
		{TimeOrder{Field: "create_time"}, map[string]want{
			"": {false, false, ""}, "  ": {false, false, ""},
			"create_time": {true, false, "create_time"}, "create_time asc": {true, false, "create_time"}, " create_time ": {true, false, "create_time"},
			"create_time desc": {true, true, "create_time desc"}, "\tcreate_time   desc ": {true, true, "create_time desc"},
		}},
		{TimeOrder{Field: "create_time", Default: true}, map[string]want{
			"": {true, false, ""}, "create_time": {true, false, ""}, "create_time  asc": {true, false, ""},
			" create_time desc": {true, true, "create_time desc"},
		}},
	} {
		for orderBy, want := range o.cases {
			var v errs.Violations
			req := &famiv1.ListCalendarTokensRequest{Parent: "regions/lombardia", OrderBy: orderBy}
			got, byField, newest := OrderByTime(&v, req, o.order)
			if err := v.Err(); err != nil || byField != want.byField || newest != want.newest || got.GetOrderBy() != want.spelt || got.GetParent() != req.GetParent() {
				t.Errorf("%+v, %q: %q, by the field %v, newest first %v, %v; want %q, %v, %v", o.order, orderBy, got.GetOrderBy(), byField, newest, err, want.spelt, want.byField, want.newest)
			}
			if req.GetOrderBy() != orderBy {
				t.Errorf("%+v, %q: the request was changed to %q, want a copy", o.order, orderBy, req.GetOrderBy())
			}
		}
	}
	for _, bad := range []string{"start_time", "create_time DESC", "-create_time", "create_time desc, name", "create_time\x00", "create_timedesc"} {
		var v errs.Violations
		_, byField, newest := OrderByTime(&v, &famiv1.ListCalendarTokensRequest{OrderBy: bad}, TimeOrder{Field: "create_time"})
		err := v.Err()
		if byField || newest || errs.CodeOf(err) != errs.Invalid || len(errs.As(err).Violations) != 1 || errs.As(err).Violations[0].Field != "order_by" ||
			errs.As(err).Violations[0].Description != `orders by create_time only: "create_time" (oldest first) or "create_time desc" (newest first)` {
			t.Errorf("%q: by the field %v, newest first %v, %v; want a violation of order_by saying what it takes", bad, byField, newest, err)
		}
	}
}
