package monitoring

import (
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/namekey"
)

// Limits of a report.
const (
	maxLines = 500
	maxCount = 1000000
)

// reportMutable lists the fields a report's author may change.
var reportMutable = []string{"activities", "deviations", "indicator_values", "expenditures", "reimbursement_claims", "people_reached", "operators_trained", "notes"}

// reportOutputOnly are the fields of a MonitoringReport the server owns
// besides the standard ones: aip.ApplyMask ignores them in an update mask,
// as in a PATCH body copied from a GET (AIP-203).
var reportOutputOnly = []string{"period", "state", "return_reason", "revision", "correction_reason", "flags",
	"submitted_by", "submit_time", "reviewed_by", "review_time", "submitted_by_display_name", "reviewed_by_display_name"}

// validate checks a report against the plan of its project p, for quarter
// q: every activity, indicator and action it names is the plan's, each at
// most once, dates are dates, amounts and counts are in range. Each list
// of the report is checked line by line, in the order of its fields.
func validate(p *famiv1.Project, r *famiv1.MonitoringReport, q quarter) error {
	c := reportCheck{
		end:        q.end(),
		activities: codesOf(p.GetTimetable(), (*famiv1.PlannedActivity).GetCode),
		indicators: codesOf(p.GetIndicators(), (*famiv1.Indicator).GetCode),
		actions:    codesOf(p.GetActions(), (*famiv1.ProjectAction).GetCode),
	}
	const f = "monitoring_report."
	lines(&c, f+"activities", r.GetActivities(), c.activity(check.Set[string]{}))
	lines(&c, f+"deviations", r.GetDeviations(), c.deviation)
	lines(&c, f+"indicator_values", r.GetIndicatorValues(), c.indicatorValue(check.Set[string]{}))
	lines(&c, f+"expenditures", r.GetExpenditures(), c.expenditure(check.Set[string]{}))
	lines(&c, f+"reimbursement_claims", r.GetReimbursementClaims(), c.claim(check.Set[string]{}))
	lines(&c, f+"people_reached", r.GetPeopleReached(), c.peopleCount(check.Set[[2]int32]{}))
	lines(&c, f+"operators_trained", r.GetOperatorsTrained(), c.trainedOperators(check.Set[famiv1.SupportOperatorRole]{}))
	check.Text(&c.v, f+"notes", r.GetNotes(), false, 8000, true)
	return c.v.Err()
}

// reportCheck collects the violations of one report, checked against the
// codes of its project's plan (activities, indicators, actions) and the end
// of its quarter.
type reportCheck struct {
	v                               errs.Violations
	activities, indicators, actions check.Set[string]
	end                             time.Time
}

// codesOf is the set of the codes of a plan's items.
func codesOf[T any](items []T, code func(T) string) check.Set[string] {
	out := check.Set[string]{}
	for _, it := range items {
		out[code(it)] = true
	}
	return out
}

// lines checks the lines of the report's list field with line, each under
// its own path ("field[i]"), once the list is within maxLines.
func lines[T any](c *reportCheck, field string, items []T, line func(g string, item T)) {
	if !check.AtMost(&c.v, field, len(items), maxLines, "items") {
		return
	}
	for i, it := range items {
		line(errs.Indexed(field, i), it)
	}
}

// ref checks code against the plan's codes (what names them in a message),
// and, when listed is set, that the list names it once.
func (c *reportCheck) ref(field, code string, plan check.Set[string], what string, listed check.Set[string]) {
	switch {
	case code == "":
		c.v.Add(field, "is required")
	case !plan[code]:
		c.v.Add(field, "%q is not %s of the project's plan", errs.Clip(code, errs.MaxEcho), what)
	case listed != nil && listed.Again(code):
		c.v.Add(field, "%q is listed twice", code)
	}
}

// activity returns the check of one activity line: a planned activity,
// listed once, whose dates fit its state and the quarter.
func (c *reportCheck) activity(listed check.Set[string]) func(string, *famiv1.ActivityStatus) {
	return func(g string, a *famiv1.ActivityStatus) {
		c.ref(g+".activity", a.GetActivity(), c.activities, "an activity", listed)
		check.Enum(&c.v, g+".state", a.GetState(), true)
		start, okStart := check.Date(&c.v, g+".actual_start", a.GetActualStart(), false)
		finish, okEnd := check.Date(&c.v, g+".actual_end", a.GetActualEnd(), a.GetState() == famiv1.ActivityState_ACTIVITY_STATE_COMPLETED)
		started := a.GetState() == famiv1.ActivityState_ACTIVITY_STATE_ON_SCHEDULE || a.GetState() == famiv1.ActivityState_ACTIVITY_STATE_COMPLETED
		if started && a.GetActualStart() == "" {
			c.v.Add(g+".actual_start", "is required for an activity that has started")
		}
		if okStart && start.After(c.end) {
			c.v.Add(g+".actual_start", "%s is after the quarter's end", a.GetActualStart())
		}
		if okEnd && finish.After(c.end) {
			c.v.Add(g+".actual_end", "%s is after the quarter's end", a.GetActualEnd())
		}
		if okStart && okEnd && finish.Before(start) {
			c.v.Add(g+".actual_end", "%s is before actual_start %s", a.GetActualEnd(), a.GetActualStart())
		}
	}
}

// deviation checks a deviation from the plan: a planned activity (which
// may deviate more than once), what happened and why.
func (c *reportCheck) deviation(g string, d *famiv1.Deviation) {
	c.ref(g+".activity", d.GetActivity(), c.activities, "an activity", nil)
	check.Text(&c.v, g+".description", d.GetDescription(), true, 4000, true)
	check.Text(&c.v, g+".cause", d.GetCause(), true, 4000, true)
	check.Text(&c.v, g+".corrective_action", d.GetCorrectiveAction(), false, 4000, true)
	check.Date(&c.v, g+".new_date", d.GetNewDate(), false)
}

// indicatorValue returns the check of one indicator line: a planned
// indicator, listed once, and its value.
func (c *reportCheck) indicatorValue(listed check.Set[string]) func(string, *famiv1.IndicatorValue) {
	return func(g string, iv *famiv1.IndicatorValue) {
		c.ref(g+".indicator", iv.GetIndicator(), c.indicators, "an indicator", listed)
		check.Quantity(&c.v, g+".value", iv.GetValue())
	}
}

// expenditure returns the check of one expenditure line: a planned
// action, listed once, and its amounts.
func (c *reportCheck) expenditure(listed check.Set[string]) func(string, *famiv1.ActionExpenditure) {
	return func(g string, e *famiv1.ActionExpenditure) {
		c.ref(g+".action", e.GetAction(), c.actions, "an action", listed)
		check.Cents(&c.v, g+".committed_cents", e.GetCommittedCents(), false)
		check.Cents(&c.v, g+".paid_cents", e.GetPaidCents(), false)
	}
}

// claim returns the check of one reimbursement claim: filed by the
// quarter's end, and its reference listed once, compared as names are
// (namekey), so that "DdR 5" and "DDR 5" are not one claim counted twice
// in the sums.
func (c *reportCheck) claim(listed check.Set[string]) func(string, *famiv1.ReimbursementClaim) {
	return func(g string, rc *famiv1.ReimbursementClaim) {
		if check.Text(&c.v, g+".reference", rc.GetReference(), true, 100, false) && listed.Again(namekey.Of(rc.GetReference())) {
			c.v.Add(g+".reference", "%q is listed twice", rc.GetReference())
		}
		check.Cents(&c.v, g+".amount_cents", rc.GetAmountCents(), true)
		if t, ok := check.Date(&c.v, g+".filed_on", rc.GetFiledOn(), true); ok && t.After(c.end) {
			c.v.Add(g+".filed_on", "%s is after the quarter's end", rc.GetFiledOn())
		}
	}
}

// peopleCount returns the check of one line of people reached: a count
// per age band and sex, each pair listed once.
func (c *reportCheck) peopleCount(listed check.Set[[2]int32]) func(string, *famiv1.PeopleCount) {
	return func(g string, pc *famiv1.PeopleCount) {
		check.Enum(&c.v, g+".age_band", pc.GetAgeBand(), true)
		check.Enum(&c.v, g+".sex", pc.GetSex(), true)
		count(&c.v, g+".count", pc.GetCount())
		if listed.Again([2]int32{int32(pc.GetAgeBand()), int32(pc.GetSex())}) {
			c.v.Add(g, "age band %s and sex %s are listed twice", pc.GetAgeBand(), pc.GetSex())
		}
	}
}

// trainedOperators returns the check of one line of operators trained: a
// count per role, each role listed once.
func (c *reportCheck) trainedOperators(listed check.Set[famiv1.SupportOperatorRole]) func(string, *famiv1.TrainedOperators) {
	return func(g string, t *famiv1.TrainedOperators) {
		check.Enum(&c.v, g+".role", t.GetRole(), true)
		count(&c.v, g+".count", t.GetCount())
		if listed.Again(t.GetRole()) {
			c.v.Add(g+".role", "%s is listed twice", t.GetRole())
		}
	}
}

// checkSpan refuses a quarter outside the project's span.
func checkSpan(p *famiv1.Project, q quarter) error {
	start, _ := date(p.GetStartDate())
	end, _ := date(p.GetEndDate())
	if q.end().Before(start) || q.start().After(end) {
		return errs.InvalidField("monitoring_report_id", "%s is outside the project's span %s to %s", q, p.GetStartDate(), p.GetEndDate())
	}
	return nil
}

// started refuses a quarter that has not begun on today's date in Italy
// (ADR 39): a quarter's report says what happened in it, so none is
// started before its first day; the running quarter is allowed, to be
// filled as it goes. It is a fault of the request, as a quarter outside
// the project's span is: the caller names a quarter that has begun.
func (s *Service) started(q quarter) error {
	if !q.start().After(s.today()) {
		return nil
	}
	var v errs.Violations
	v.AddReason("monitoring_report_id", errs.QuarterNotStarted, "%s has not started: a quarter is reported from its first day, %s", q, q.start().Format(time.DateOnly))
	return v.Err()
}

func count(v *errs.Violations, field string, n int32) {
	if n < 0 || n > maxCount {
		v.Add(field, "%d is not a count: want 0 to %d", n, maxCount)
	}
}
