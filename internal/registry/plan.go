package registry

import (
	"fmt"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// Limits of a project's plan: generous for a regional plan, small enough
// that a project record stays a few hundred kilobytes at most.
const (
	maxIndicators = 200
	maxActivities = 500
)

// validatePlan checks the plan fields of a project (programme codes,
// territory, indicators, timetable, financial plan) against each other and
// against the project's actions, dates and budget.
func (s *Projects) validatePlan(v *errs.Violations, p *famiv1.Project, region string) {
	actions := planActions(p)
	action := func(field, code string, required bool) {
		switch {
		case code == "" && required:
			v.Add(field, "is required")
		case code != "" && !actions[code]:
			v.Add(field, "%q is not an action of the project", errs.Clip(code, errs.MaxEcho))
		}
	}

	checkProgramme(v, p)
	s.r.municipalities(v, "project.municipalities", p.GetMunicipalities(), region)

	// The project's own dates are checked by validate.
	start, err := time.Parse(time.DateOnly, p.GetStartDate())
	okStart := err == nil
	if check.AtMost(v, "project.indicators", len(p.GetIndicators()), maxIndicators, "indicators") {
		seen := check.Set[string]{}
		for i, ind := range p.GetIndicators() {
			f := errs.Indexed("project.indicators", i)
			if check.Code(v, f+".code", ind.GetCode(), 20) && seen.Again(codeKey(ind.GetCode())) {
				v.Add(f+".code", "%q is used by another indicator of the project", ind.GetCode())
			}
			check.Text(v, f+".name", ind.GetName(), true, 300, false)
			check.Text(v, f+".unit", ind.GetUnit(), true, 40, false)
			check.Enum(v, f+".kind", ind.GetKind(), true)
			check.Quantity(v, f+".baseline", ind.GetBaseline())
			check.Quantity(v, f+".target", ind.GetTarget())
			if due, ok := check.Date(v, f+".target_date", ind.GetTargetDate(), true); ok && okStart && due.Before(start) {
				v.Add(f+".target_date", "%s is before the project's start_date %s", ind.GetTargetDate(), p.GetStartDate())
			}
			action(f+".action", ind.GetAction(), false)
		}
	}

	if check.AtMost(v, "project.timetable", len(p.GetTimetable()), maxActivities, "activities") {
		seen := check.Set[string]{}
		for i, a := range p.GetTimetable() {
			f := errs.Indexed("project.timetable", i)
			if check.Code(v, f+".code", a.GetCode(), 20) && seen.Again(codeKey(a.GetCode())) {
				v.Add(f+".code", "%q is used by another activity of the timetable", a.GetCode())
			}
			action(f+".action", a.GetAction(), true)
			check.Text(v, f+".title", a.GetTitle(), true, 300, false)
			from, okFrom := check.Date(v, f+".planned_start", a.GetPlannedStart(), true)
			to, okTo := check.Date(v, f+".planned_end", a.GetPlannedEnd(), true)
			if okFrom && okTo && to.Before(from) {
				v.Add(f+".planned_end", "%s is before planned_start %s", a.GetPlannedEnd(), a.GetPlannedStart())
			}
		}
	}

	checkFinancialPlan(v, "project.financial_plan", p.GetFinancialPlan(), actions, p.GetBudgetCents())
}

// checkFinancialPlan checks budget lines: known actions, each once, not
// negative, adding up to the total budget.
func checkFinancialPlan(v *errs.Violations, field string, plan []*famiv1.ActionBudget, actions map[string]bool, total int64) {
	if len(plan) == 0 {
		return
	}
	if len(plan) > len(actions) {
		v.Add(field, "lists %d budget lines for %d actions; one line per action at most", len(plan), len(actions))
		return
	}
	seen := check.Set[string]{}
	var sum int64
	for i, b := range plan {
		f := errs.Indexed(field, i)
		switch {
		case b.GetAction() == "":
			v.Add(f+".action", "is required")
		case !actions[b.GetAction()]:
			v.Add(f+".action", "%q is not an action of the project", errs.Clip(b.GetAction(), errs.MaxEcho))
		case seen.Again(b.GetAction()):
			v.Add(f+".action", "%q has another budget line", b.GetAction())
		}
		if !check.Cents(v, f+".budget_cents", b.GetBudgetCents(), false) {
			return
		}
		sum += b.GetBudgetCents() // at most MaxRepeated lines of MaxCents: no overflow
	}
	if sum != total {
		v.Add(field, "adds up to %d cents, but the budget is %d cents", sum, total)
	}
}

// objectiveCodes are the programme codes of the FAMI specific objectives.
var objectiveCodes = map[famiv1.SpecificObjective]string{
	famiv1.SpecificObjective_SPECIFIC_OBJECTIVE_ASYLUM:                      "OS1",
	famiv1.SpecificObjective_SPECIFIC_OBJECTIVE_LEGAL_MIGRATION_INTEGRATION: "OS2",
	famiv1.SpecificObjective_SPECIFIC_OBJECTIVE_RETURN:                      "OS3",
	famiv1.SpecificObjective_SPECIFIC_OBJECTIVE_SOLIDARITY:                  "OS4",
}

// checkProgramme checks the programme codes and, for a FAMI project, that
// the written specific objective agrees with the classified one.
func checkProgramme(v *errs.Violations, p *famiv1.Project) {
	pc := p.GetProgramme()
	if pc == nil {
		return
	}
	for _, c := range []struct{ field, value string }{
		{"project.programme.specific_objective", pc.GetSpecificObjective()},
		{"project.programme.measure", pc.GetMeasure()},
		{"project.programme.action", pc.GetAction()},
	} {
		if c.value != "" {
			check.Code(v, c.field, c.value, 20)
		}
	}
	fami := p.GetFund() == famiv1.Fund_FUND_FAMI_2014_2020 || p.GetFund() == famiv1.Fund_FUND_FAMI_2021_2027
	if want, ok := objectiveCodes[p.GetSpecificObjective()]; fami && ok && pc.GetSpecificObjective() != "" && pc.GetSpecificObjective() != want {
		v.Add("project.programme.specific_objective", "%q disagrees with specific_objective %s (%s)",
			errs.Clip(pc.GetSpecificObjective(), errs.MaxEcho), p.GetSpecificObjective(), want)
	}
}

// planActions returns the set of a project's action codes.
func planActions(p *famiv1.Project) map[string]bool {
	m := make(map[string]bool, len(p.GetActions()))
	for _, a := range p.GetActions() {
		m[a.GetCode()] = true
	}
	return m
}

// planDigest is what summaries over many projects need of a project's
// plan: its name, span, budget and indicator targets, without the rest.
func planDigest(p *famiv1.Project) *famiv1.Project {
	d := &famiv1.Project{Name: p.GetName(), StartDate: p.GetStartDate(), EndDate: p.GetEndDate(), BudgetCents: p.GetBudgetCents()}
	for _, i := range p.GetIndicators() {
		d.Indicators = append(d.Indicators, &famiv1.Indicator{Code: i.GetCode(), Name: i.GetName(), Unit: i.GetUnit(), Target: i.GetTarget()})
	}
	return d
}

// keepPlan records the digest of p's plan, in the transaction that writes
// p, and its budget in the region's total (keepBudget); field is the
// request's field that sets the budget, named when the total is refused,
// empty for famid's own writes, which are never refused.
func keepPlan(tx store.WriteTx, p *famiv1.Project, field string) error {
	if err := keepBudget(tx, p.GetName(), p.GetBudgetCents(), field); err != nil {
		return err
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(planDigest(p))
	if err != nil {
		return err
	}
	return tx.IndexPut(indexPlans, resource.ID(p.GetName()), string(b))
}

// dropPlan removes a deleted project's digest and its budget from the
// region's total.
func dropPlan(tx store.WriteTx, project string) error {
	if err := keepBudget(tx, project, 0, ""); err != nil {
		return err
	}
	return tx.IndexDelete(indexPlans, resource.ID(project))
}

// budgetTotal is the key, in indexBudgets, of the sum of the budgets of
// the region's plan digests.
const budgetTotal = "total"

// keepBudget replaces, in the region's total of budgets, the budget of
// project's digest (none for a new project) with cents, refusing a raise
// that carries the total past check.MaxRegionCents (LIMIT_REACHED naming
// field) before anything is written. The summaries add up the budgets of the digests
// (ProjectPlans), so that bound keeps their sums, and the nation's, from
// overflowing. A region written before the total existed has it built
// from its digests, once. A write with no field is famid's (a delete, the
// start's RecordProjectPlans), recording what is: never refused.
func keepBudget(tx store.WriteTx, project string, cents int64, field string) error {
	total, err := budgetsOf(tx)
	if err != nil {
		return err
	}
	var before int64
	if raw, ok := tx.IndexGet(indexPlans, resource.ID(project)); ok {
		old := &famiv1.Project{}
		if err := proto.Unmarshal([]byte(raw), old); err != nil {
			return fmt.Errorf("registry: corrupt plan digest of project %q: %w", project, err)
		}
		before = old.GetBudgetCents()
	}
	// Budgets stored before the ceiling may add up past an int64: the total
	// is then held at that bound, past the ceiling, never wrapped.
	total, _ = check.AddCents(total, cents-before)
	// Only a raise is refused: a project's budget may always come down, and
	// a project be deleted, whatever its region's total. famid's own writes
	// (a delete, the start's backfill) have no field: they record what is.
	if field != "" {
		if err := (check.RegionSum{Region: "regions/" + tx.Region(), Field: field, Total: total, Change: cents - before,
			By: field, Sum: "the budgets of " + tx.Region() + "'s projects",
			Lower: field + ", or the budgets of the region's other projects"}).Ceiling(); err != nil {
			return err
		}
	}
	return tx.IndexPut(indexBudgets, budgetTotal, strconv.FormatInt(total, 10))
}

// budgetsOf reads the region's total of budgets, or sums its digests'
// when the total was never written.
func budgetsOf(tx store.ReadTx) (int64, error) {
	if v, ok := tx.IndexGet(indexBudgets, budgetTotal); ok {
		total, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("registry: corrupt total of the budgets %q: %w", v, err)
		}
		return total, nil
	}
	var total int64
	err := ProjectPlans(tx, func(p *famiv1.Project) bool {
		total, _ = check.AddCents(total, p.GetBudgetCents())
		return true
	})
	return total, err
}

// ProjectPlans calls fn, in id order until it returns false, with the plan
// digest of each project of tx's region: a Project holding only its name,
// start and end dates, budget and indicators (code, name, unit, target).
// The registry keeps the digests with every project write, so a summary
// over a region's projects reads them without decoding whole projects.
func ProjectPlans(tx store.ReadTx, fn func(*famiv1.Project) bool) error {
	var err error
	tx.IndexScan(indexPlans, "", func(k, v string) bool {
		d := &famiv1.Project{}
		if err = proto.Unmarshal([]byte(v), d); err != nil {
			err = fmt.Errorf("registry: corrupt plan digest of project %q: %w", k, err)
			return false
		}
		return fn(d)
	})
	return err
}
