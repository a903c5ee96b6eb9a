package meetings

import (
	"cmp"
	"context"
	"fmt"
	"maps"
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
	network := resource.RefID(&v, "network", req.GetNetwork(), region, resource.Networks)
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
	sum := attendance{network: network, groups: map[groupKey]*tally{}}
	res := &famiv1.SummarizeAttendanceResponse{}
	err = s.store.View(ctx, region, func(tx store.ReadTx) error {
		res.Revision = tx.Revision()
		sum.view = memberView{tx: tx, who: who, allowed: map[string]bool{}}
		if network != "" {
			sees, err := sum.view.sees(req.GetNetwork())
			if err != nil {
				return err
			}
			if !sees {
				return errs.NotNetworkMember.With(errs.Error{
					Message:  errs.Sprintf("%s is not a member of %s: network members read the attendance of their own networks", orNone(who.Partner), req.GetNetwork()),
					Metadata: map[string]string{"network": req.GetNetwork(), "partner": who.Partner},
				})
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
			ferr = sum.add(mt, period(s.cal.Day(mt.GetStartTime().AsTime()), req.GetPeriod()))
			return ferr == nil
		})
		if ferr != nil {
			return ferr
		}
		res.Groups, err = sum.groupSummaries(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	res.Totals = sum.totals.summary("", "", "")
	return res, nil
}

// memberView says which networks a principal reports on: network members
// on their own networks only (DESIGN.md section 6, "reports: its
// networks"), everyone else on all. Each membership is read once.
type memberView struct {
	tx      store.ReadTx
	who     principal.Principal
	allowed map[string]bool // by network name
}

func (m memberView) sees(network string) (bool, error) {
	if m.who.Role != principal.NetworkMember {
		return true, nil
	}
	ok, seen := m.allowed[network]
	if !seen {
		var err error
		if ok, err = isMember(m.tx, network, m.who.Partner); err != nil {
			return false, err
		}
		m.allowed[network] = ok
	}
	return ok, nil
}

// groupKey is a group of an attendance summary: a network and a period.
type groupKey struct{ network, period string }

// attendance accumulates the meetings of an attendance summary: a tally
// per network the caller sees (the one asked for, or every one of the
// meeting's) and period, and the totals of the meetings counted in any.
type attendance struct {
	network string // the id of the network asked for; "" for all
	view    memberView
	groups  map[groupKey]*tally
	totals  tally
}

// add counts mt, held in period p.
func (a *attendance) add(mt *famiv1.Meeting, p string) error {
	counted := false
	for _, n := range mt.GetNetworks() {
		if a.network != "" && resource.ID(n) != a.network {
			continue
		}
		sees, err := a.view.sees(n)
		if err != nil {
			return err
		}
		if !sees {
			continue
		}
		g := a.groups[groupKey{n, p}]
		if g == nil {
			g = &tally{}
			a.groups[groupKey{n, p}] = g
		}
		g.add(mt)
		counted = true
	}
	if counted {
		a.totals.add(mt)
	}
	return nil
}

// groupSummaries are the summaries of the groups, in network then period
// order, with the networks' display names.
func (a *attendance) groupSummaries(tx store.ReadTx) ([]*famiv1.AttendanceSummary, error) {
	keys := slices.SortedFunc(maps.Keys(a.groups), func(x, y groupKey) int {
		return cmp.Or(cmp.Compare(x.network, y.network), cmp.Compare(x.period, y.period))
	})
	var out []*famiv1.AttendanceSummary
	names := map[string]string{}
	for _, k := range keys {
		dn, ok := names[k.network]
		if !ok {
			var err error
			if dn, err = displayName(tx, k.network); err != nil {
				return nil, err
			}
			names[k.network] = dn
		}
		out = append(out, a.groups[k].summary(k.network, dn, k.period))
	}
	return out, nil
}

// displayName is the display name of the network called network: "" when
// it no longer exists. A network that cannot be read (a damaged record,
// DATA_LOSS) is an error, never shown as one without a name.
func displayName(tx store.ReadTx, network string) (string, error) {
	n := &famiv1.Network{}
	_, err := store.Find(tx, network, n)
	return n.GetDisplayName(), err
}

// midnight is the start of a calendar day (a date parsed as UTC) where
// dates are read.
func (s *Service) midnight(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, s.cal.Location())
}
