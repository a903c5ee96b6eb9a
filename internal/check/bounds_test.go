package check_test

import (
	"slices"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
)

func TestBounds(t *testing.T) {
	many := func(n int) []string { return make([]string, n) }
	att := func(roles int) *famiv1.PartnerAttendance {
		return &famiv1.PartnerAttendance{Roles: make([]*famiv1.AttendeeCount, roles)}
	}
	cases := []struct {
		name   string
		err    error
		fields []string
	}{
		{"within limits", check.Bounds(&famiv1.BatchApproveSupportEntriesRequest{Names: many(check.MaxRepeated)}), nil},
		{"top-level list", check.Bounds(&famiv1.BatchApproveSupportEntriesRequest{Names: many(check.MaxRepeated + 1)}), []string{"names"}},
		{"nested list", check.Bounds(&famiv1.CreateNetworkRequest{Network: &famiv1.Network{Members: make([]*famiv1.Member, 60000)}}), []string{"network.members"}},
		{"override above the default", check.Bounds(&famiv1.CreateNetworkRequest{Network: &famiv1.Network{Municipalities: many(1500)}}), nil},
		{"list inside a list", check.Bounds(&famiv1.RecordAttendanceRequest{Attendance: []*famiv1.PartnerAttendance{att(1), att(21)}}), []string{"attendance[1].roles"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			if e := errs.As(tc.err); e != nil {
				for _, v := range e.Violations {
					got = append(got, v.Field)
				}
			} else if tc.err != nil {
				t.Fatalf("got %v, want an *errs.Error", tc.err)
			}
			if !slices.Equal(got, tc.fields) {
				t.Errorf("got violations of %q, want %q (%v)", got, tc.fields, tc.err)
			}
		})
	}
}

// A request within its limits without lists, as most calls' are, is
// checked without an allocation.
func TestBoundsWithinLimitsAllocatesNothing(t *testing.T) {
	req := &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/p1"}
	if n := testing.AllocsPerRun(100, func() { check.Bounds(req) }); n != 0 {
		t.Errorf("Bounds allocates %v times a call", n)
	}
}
