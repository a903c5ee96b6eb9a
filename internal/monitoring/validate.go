package monitoring

import (
	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/resource"
)

// Limits of a report.
const (
	maxLines  = 500
	maxCount  = 1000000
	maxAmount = 1e13 // euro cents: EUR 100 billion
)

// reportMutable lists the fields a report's author may change.
var reportMutable = []string{"activities", "deviations", "indicator_values", "expenditures", "reimbursement_claims", "people_reached", "operators_trained", "notes"}

// validate checks a report against the plan of its project p, for quarter
// q: every activity, indicator and action it names is the plan's, each at
// most once, dates are dates, amounts and counts are in range.
func validate(p *famiv1.Project, r *famiv1.MonitoringReport, q quarter) error {
	var v errs.Violations
	const f = "monitoring_report."
	activities := map[string]bool{}
	for _, a := range p.GetTimetable() {
		activities[a.GetCode()] = true
	}
	indicators := map[string]bool{}
	for _, i := range p.GetIndicators() {
		indicators[i.GetCode()] = true
	}
	actions := map[string]bool{}
	for _, a := range p.GetActions() {
		actions[a.GetCode()] = true
	}
	// ref checks a code against the plan's, and that it is named once
	// when seen is set.
	ref := func(field, code string, plan map[string]bool, what string, seen map[string]bool) {
		switch {
		case code == "":
			v.Add(field, "is required")
		case !plan[code]:
			v.Add(field, "%q is not %s of the project's plan", resource.Clip(code), what)
		case seen != nil && seen[code]:
			v.Add(field, "%q is listed twice", code)
		}
		if seen != nil {
			seen[code] = true
		}
	}
	lines := func(field string, n int) bool {
		if n > maxLines {
			v.Add(field, "lists %d items; at most %d are allowed", n, maxLines)
			return false
		}
		return true
	}
	end := q.end()

	if lines(f+"activities", len(r.GetActivities())) {
		seen := map[string]bool{}
		for i, a := range r.GetActivities() {
			g := resource.Indexed(f+"activities", i)
			ref(g+".activity", a.GetActivity(), activities, "an activity", seen)
			check.Enum(&v, g+".state", a.GetState(), true)
			start, okStart := check.Date(&v, g+".actual_start", a.GetActualStart(), false)
			finish, okEnd := check.Date(&v, g+".actual_end", a.GetActualEnd(), a.GetState() == famiv1.ActivityState_ACTIVITY_STATE_COMPLETED)
			started := a.GetState() == famiv1.ActivityState_ACTIVITY_STATE_ON_SCHEDULE || a.GetState() == famiv1.ActivityState_ACTIVITY_STATE_COMPLETED
			if started && a.GetActualStart() == "" {
				v.Add(g+".actual_start", "is required for an activity that has started")
			}
			if okStart && start.After(end) {
				v.Add(g+".actual_start", "%s is after the quarter's end", a.GetActualStart())
			}
			if okEnd && finish.After(end) {
				v.Add(g+".actual_end", "%s is after the quarter's end", a.GetActualEnd())
			}
			if okStart && okEnd && finish.Before(start) {
				v.Add(g+".actual_end", "%s is before actual_start %s", a.GetActualEnd(), a.GetActualStart())
			}
		}
	}
	if lines(f+"deviations", len(r.GetDeviations())) {
		for i, d := range r.GetDeviations() {
			g := resource.Indexed(f+"deviations", i)
			ref(g+".activity", d.GetActivity(), activities, "an activity", nil)
			check.Text(&v, g+".description", d.GetDescription(), true, 4000, true)
			check.Text(&v, g+".cause", d.GetCause(), true, 4000, true)
			check.Text(&v, g+".corrective_action", d.GetCorrectiveAction(), false, 4000, true)
			check.Date(&v, g+".new_date", d.GetNewDate(), false)
		}
	}
	if lines(f+"indicator_values", len(r.GetIndicatorValues())) {
		seen := map[string]bool{}
		for i, iv := range r.GetIndicatorValues() {
			g := resource.Indexed(f+"indicator_values", i)
			ref(g+".indicator", iv.GetIndicator(), indicators, "an indicator", seen)
			check.Quantity(&v, g+".value", iv.GetValue())
		}
	}
	if lines(f+"expenditures", len(r.GetExpenditures())) {
		seen := map[string]bool{}
		for i, e := range r.GetExpenditures() {
			g := resource.Indexed(f+"expenditures", i)
			ref(g+".action", e.GetAction(), actions, "an action", seen)
			amount(&v, g+".committed_cents", e.GetCommittedCents(), false)
			amount(&v, g+".paid_cents", e.GetPaidCents(), false)
		}
	}
	if lines(f+"reimbursement_claims", len(r.GetReimbursementClaims())) {
		for i, c := range r.GetReimbursementClaims() {
			g := resource.Indexed(f+"reimbursement_claims", i)
			check.Text(&v, g+".reference", c.GetReference(), true, 100, false)
			amount(&v, g+".amount_cents", c.GetAmountCents(), true)
			if t, ok := check.Date(&v, g+".filed_on", c.GetFiledOn(), true); ok && t.After(end) {
				v.Add(g+".filed_on", "%s is after the quarter's end", c.GetFiledOn())
			}
		}
	}
	if lines(f+"people_reached", len(r.GetPeopleReached())) {
		seen := map[[2]int32]bool{}
		for i, c := range r.GetPeopleReached() {
			g := resource.Indexed(f+"people_reached", i)
			check.Enum(&v, g+".age_band", c.GetAgeBand(), true)
			check.Enum(&v, g+".sex", c.GetSex(), true)
			count(&v, g+".count", c.GetCount())
			k := [2]int32{int32(c.GetAgeBand()), int32(c.GetSex())}
			if seen[k] {
				v.Add(g, "age band %s and sex %s are listed twice", c.GetAgeBand(), c.GetSex())
			}
			seen[k] = true
		}
	}
	if lines(f+"operators_trained", len(r.GetOperatorsTrained())) {
		seen := map[famiv1.SupportOperatorRole]bool{}
		for i, c := range r.GetOperatorsTrained() {
			g := resource.Indexed(f+"operators_trained", i)
			check.Enum(&v, g+".role", c.GetRole(), true)
			count(&v, g+".count", c.GetCount())
			if seen[c.GetRole()] {
				v.Add(g+".role", "%s is listed twice", c.GetRole())
			}
			seen[c.GetRole()] = true
		}
	}
	check.Text(&v, f+"notes", r.GetNotes(), false, 8000, true)
	return v.Err()
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

func amount(v *errs.Violations, field string, cents int64, positive bool) {
	switch {
	case cents < 0 || cents > maxAmount:
		v.Add(field, "%d is not an amount: want 0 to %d euro cents", cents, int64(maxAmount))
	case positive && cents == 0:
		v.Add(field, "must be more than zero")
	}
}

func count(v *errs.Violations, field string, n int32) {
	if n < 0 || n > maxCount {
		v.Add(field, "%d is not a count: want 0 to %d", n, maxCount)
	}
}
