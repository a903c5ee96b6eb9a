package meetings

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// tally accumulates the attendance of the meetings of a group.
type tally struct {
	meetings    int64
	attendances int64
	partners    map[string]bool
	roles       map[famiv1.AttendeeRole]int64
	// contacts are the people named; named counts the attendances they
	// make up.
	contacts map[string]bool
	named    int64
}

func (t *tally) add(mt *famiv1.Meeting) {
	if t.partners == nil {
		t.partners, t.roles, t.contacts = map[string]bool{}, map[famiv1.AttendeeRole]int64{}, map[string]bool{}
	}
	t.meetings++
	for _, a := range mt.GetAttendance() {
		t.attendances += int64(a.GetAttendees())
		if a.GetAttendees() > 0 {
			t.partners[a.GetPartner()] = true
		}
		for _, rc := range a.GetRoles() {
			t.roles[rc.GetRole()] += int64(rc.GetCount())
		}
		for _, c := range a.GetContacts() {
			t.contacts[c] = true
		}
		t.named += int64(len(a.GetContacts()))
	}
}

func (t *tally) summary(network, displayName, period string) *famiv1.AttendanceSummary {
	out := &famiv1.AttendanceSummary{
		Network:            network,
		NetworkDisplayName: displayName,
		Period:             period,
		MeetingsHeld:       t.meetings,
		Attendances:        t.attendances,
		DistinctPartners:   int32(len(t.partners)),
		DistinctContacts:   int32(len(t.contacts)),
		NamedAttendances:   t.named,
	}
	for r := famiv1.AttendeeRole(1); int(r) < len(famiv1.AttendeeRole_name); r++ {
		if n := t.roles[r]; n > 0 {
			out.AttendancesByRole = append(out.AttendancesByRole, &famiv1.AttendeeCount{Role: r, Count: int32(min(n, math.MaxInt32))})
		}
	}
	return out
}

// period is the key of the period a day (YYYY-MM-DD) falls in.
func period(day string, p famiv1.AttendancePeriod) string {
	switch p {
	case famiv1.AttendancePeriod_ATTENDANCE_PERIOD_MONTH:
		return day[:7]
	case famiv1.AttendancePeriod_ATTENDANCE_PERIOD_QUARTER:
		m, _ := strconv.Atoi(day[5:7])
		return fmt.Sprintf("%s-Q%d", day[:4], (m-1)/3+1)
	case famiv1.AttendancePeriod_ATTENDANCE_PERIOD_YEAR:
		return day[:4]
	}
	return ""
}

// SummarizeAttendance implements fami.v1.MeetingService. It reads the HELD
// meetings that start in the range, found through the start-time index.
func (s *Service) SummarizeAttendance(ctx context.Context, req *famiv1.SummarizeAttendanceRequest) (*famiv1.SummarizeAttendanceResponse, error) {
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	network := refFormat(&v, "network", req.GetNetwork(), region, resource.Networks)
	start, okStart := check.Date(&v, "start_date", req.GetStartDate(), false)
	end, okEnd := check.Date(&v, "end_date", req.GetEndDate(), false)
	if okStart && okEnd && end.Before(start) {
		v.Add("end_date", "%s is before start_date %s", req.GetEndDate(), req.GetStartDate())
	}
	check.Enum(&v, "period", req.GetPeriod(), false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	// The range is of Italian calendar days: from midnight of start_date
	// to midnight after end_date, where dates are read.
	var from, to string
	if okStart {
		from = timeKey(timestamppb.New(s.midnight(start)))
	}
	if okEnd {
		to = timeKey(timestamppb.New(s.midnight(end.AddDate(0, 0, 1))))
	}
	who := principal.From(ctx)
	type groupKey struct{ network, period string }
	groups := map[groupKey]*tally{}
	var totals tally
	res := &famiv1.SummarizeAttendanceResponse{}
	err = s.store.View(ctx, region, func(tx store.ReadTx) error {
		res.Revision = tx.Revision()
		// Network members report on their networks only (DESIGN.md
		// section 6, "reports: its networks").
		allowed := map[string]bool{}
		visible := func(n string) bool {
			if who.Role != principal.NetworkMember {
				return true
			}
			ok, seen := allowed[n]
			if !seen {
				ok = isMember(tx, n, who.Partner)
				allowed[n] = ok
			}
			return ok
		}
		if network != "" && !visible(req.GetNetwork()) {
			return &errs.Error{
				Code:     errs.PermissionDenied,
				Reason:   "NOT_NETWORK_MEMBER",
				Message:  fmt.Sprintf("%s is not a member of %s: network members read the attendance of their own networks", orNone(who.Partner), req.GetNetwork()),
				Metadata: map[string]string{"network": req.GetNetwork(), "partner": who.Partner},
			}
		}
		var ferr error
		byStart.scan(tx, from, to, "", func(k, val string) bool {
			a := decodeMeetingAttrs(val)
			if a.state != int(famiv1.MeetingState_MEETING_STATE_HELD) || (network != "" && !slices.Contains(a.networks, network)) {
				return true
			}
			mt := &famiv1.Meeting{}
			if ferr = tx.Get(aip.Name(region, resource.Meetings, keyID(k)), mt); ferr != nil {
				return false
			}
			p := period(s.cal.Day(mt.GetStartTime().AsTime()), req.GetPeriod())
			counted := false
			for _, n := range mt.GetNetworks() {
				if (network != "" && resource.ID(n) != network) || !visible(n) {
					continue
				}
				g := groups[groupKey{n, p}]
				if g == nil {
					g = &tally{}
					groups[groupKey{n, p}] = g
				}
				g.add(mt)
				counted = true
			}
			if counted {
				totals.add(mt)
			}
			return true
		})
		if ferr != nil {
			return ferr
		}
		keys := make([]groupKey, 0, len(groups))
		for k := range groups {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b groupKey) int {
			if a.network != b.network {
				if a.network < b.network {
					return -1
				}
				return 1
			}
			if a.period < b.period {
				return -1
			}
			if a.period > b.period {
				return 1
			}
			return 0
		})
		names := map[string]string{}
		for _, k := range keys {
			dn, ok := names[k.network]
			if !ok {
				n := &famiv1.Network{}
				if tx.Get(k.network, n) == nil {
					dn = n.GetDisplayName()
				}
				names[k.network] = dn
			}
			res.Groups = append(res.Groups, groups[k].summary(k.network, dn, k.period))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Totals = totals.summary("", "", "")
	return res, nil
}

// midnight is the start of a calendar day (a date parsed as UTC) where
// dates are read.
func (s *Service) midnight(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, s.cal.Location())
}
