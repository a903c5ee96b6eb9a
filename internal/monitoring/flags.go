package monitoring

import (
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/money"
)

// defaultThreshold is how far behind its straight line an indicator or the
// spending may fall before it is flagged, when the region has not set it.
const defaultThreshold = 20

// overdueDays is how long after a quarter's end its report may still be
// missing before it is overdue.
const overdueDays = 30

// findFlags returns the deviations of a report found against the plan of p:
// late activities, indicators and spending behind their straight lines by
// more than threshold percent. paidToDate is what the project paid up to the
// quarter's end, this report included.
func findFlags(p *famiv1.Project, r *famiv1.MonitoringReport, q quarter, paidToDate int64, threshold int32) []*famiv1.MonitoringFlag {
	var flags []*famiv1.MonitoringFlag
	add := func(kind famiv1.MonitoringFlagKind, subject, format string, args ...any) {
		flags = append(flags, &famiv1.MonitoringFlag{Kind: kind, Subject: subject, Detail: errs.Sprintf(format, args...)})
	}
	end := q.end()
	tolerance := 1 - float64(threshold)/100

	states := map[string]famiv1.ActivityState{}
	for _, a := range r.GetActivities() {
		states[a.GetActivity()] = a.GetState()
	}
	for _, a := range p.GetTimetable() {
		state := states[a.GetCode()]
		start, _ := date(a.GetPlannedStart())
		finish, _ := date(a.GetPlannedEnd())
		switch {
		case state == famiv1.ActivityState_ACTIVITY_STATE_COMPLETED || state == famiv1.ActivityState_ACTIVITY_STATE_CANCELLED:
		case state == famiv1.ActivityState_ACTIVITY_STATE_LATE:
			add(famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_ACTIVITY_LATE, a.GetCode(), "reported late")
		case finish.Before(end):
			add(famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_ACTIVITY_LATE, a.GetCode(), "planned to end on %s, not completed", a.GetPlannedEnd())
		case !start.After(end) && (state == famiv1.ActivityState_ACTIVITY_STATE_NOT_STARTED || state == famiv1.ActivityState_ACTIVITY_STATE_UNSPECIFIED):
			add(famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_ACTIVITY_LATE, a.GetCode(), "planned to start on %s, not started", a.GetPlannedStart())
		}
	}

	projectStart, _ := date(p.GetStartDate())
	values := map[string]float64{}
	for _, v := range r.GetIndicatorValues() {
		values[v.GetIndicator()] = v.GetValue()
	}
	for _, ind := range p.GetIndicators() {
		due, _ := date(ind.GetTargetDate())
		base := ind.GetBaseline()
		expected := base + (ind.GetTarget()-base)*share(projectStart, due, end)
		got, reported := values[ind.GetCode()]
		if !reported {
			got = base
		}
		if expected > base && got-base < tolerance*(expected-base) {
			add(famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_INDICATOR_BEHIND, ind.GetCode(),
				"achieved %g of an expected %.4g by %s", got, expected, end.Format(time.DateOnly))
		}
	}

	if budget := p.GetBudgetCents(); budget > 0 {
		projectEnd, _ := date(p.GetEndDate())
		expected := float64(budget) * share(projectStart, projectEnd, end)
		switch {
		case paidToDate > budget:
			add(famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_OVER_BUDGET, "budget",
				"paid EUR %s of a budget of EUR %s by %s", money.Decimal(paidToDate), money.Decimal(budget), end.Format(time.DateOnly))
		case float64(paidToDate) < tolerance*expected:
			add(famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_SPENDING_BEHIND, "budget",
				"paid EUR %s of an expected EUR %s by %s", money.Decimal(paidToDate), money.Decimal(int64(expected)), end.Format(time.DateOnly))
		}
	}
	return flags
}

// share is the part of the span from start to end that has passed at day
// (counted inclusive), between 0 and 1: the straight line's position.
func share(start, end, day time.Time) float64 {
	total := end.Sub(start).Hours()/24 + 1
	passed := day.Sub(start).Hours()/24 + 1
	switch {
	case passed <= 0:
		return 0
	case total <= 0 || passed >= total:
		return 1
	}
	return passed / total
}

// overdue reports whether the report of q, never submitted, is overdue on
// today.
func overdue(q quarter, today time.Time) bool {
	return today.After(q.end().AddDate(0, 0, overdueDays))
}
