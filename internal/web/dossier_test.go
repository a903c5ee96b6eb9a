package web_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"google.golang.org/protobuf/proto"
)

// TestProjectFinancialPlanForm: the project form edits its financial plan
// (budget per action), which only the API could set: one row per line, an
// amount in Italian format both ways, rows added by the spare empty ones
// and removed by emptying them. The service decides: a line of an action
// the project lacks, or an amount that is no amount, is refused on its
// row; a plan that does not add up to the budget, on the plan; nothing is
// written. Those who may not edit read the plan on the project's page.
func TestProjectFinancialPlanForm(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	a := f.adminIn(t)
	stored := storedProject(t, f, "lab-impact")

	_, page := a.do("GET", "/progetti/nuovo", nil)
	if !strings.Contains(page, `name="budget.0.action"`) || !strings.Contains(page, `name="budget.1.amount"`) {
		t.Fatalf("the new project's form has no financial plan rows")
	}
	form := formValues(t, page, "/progetti")
	for k, v := range map[string]string{"project_id": "lab-impact", "code": "PROG-2463", "title": "Lab Impact", "fund": "FUND_FAMI_2014_2020",
		"budget_cents": "92.500,00", "start_date": "01/09/2018", "end_date": "31/12/2021",
		"action.0.code": "01", "action.0.title": "Scuola", "action.1.code": "02", "action.1.title": "Servizi",
		"budget.0.action": "01", "budget.0.amount": "60.000,50", "budget.1.action": "02", "budget.1.amount": "32.499,50"} {
		form.Set(k, v)
	}
	if res, page := a.do("POST", "/progetti", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a project with its financial plan: status %d, want 303\n%s", res.StatusCode, errorsOf(page))
	}
	p := stored()
	if plan := p.GetFinancialPlan(); len(plan) != 2 || plan[0].GetAction() != "01" || plan[0].GetBudgetCents() != 6000050 ||
		plan[1].GetAction() != "02" || plan[1].GetBudgetCents() != 3249950 {
		t.Fatalf("the stored financial plan: %v, want 01 at 6000050 and 02 at 3249950 cents", plan)
	}

	_, page = a.do("GET", "/progetti/lab-impact", nil)
	edit := formValues(t, page, "/progetti/lab-impact")
	if edit.Get("budget.0.amount") != "60.000,50" || edit.Get("budget.1.action") != "02" || edit.Get("budget.2.action") != "" {
		t.Fatalf("the edit form's plan: %q %q %q; want the stored lines in Italian format and a spare row",
			edit.Get("budget.0.amount"), edit.Get("budget.1.action"), edit.Get("budget.2.action"))
	}
	refusedOnRows(t, a, "/progetti/lab-impact", edit, func() string { return stored().GetEtag() }, []rowRefusal{
		{"a plan that does not add up", map[string]string{"budget.1.amount": "30.000,00"}, `id="f-financial_plan-err">Il piano finanziario`},
		{"an action the project lacks", map[string]string{"budget.1.action": "09"}, `id="b1-action-err">Scrivi il codice di un&#39;azione del progetto`},
		{"an action twice", map[string]string{"budget.1.action": "01"}, `id="b1-action-err">`},
		{"an amount with no action", map[string]string{"budget.1.action": ""}, `id="b1-action-err">`},
		{"more lines than actions", map[string]string{"budget.2.action": "02", "budget.2.amount": "1,00"}, `id="f-financial_plan-err">`},
		{"an amount that is no amount", map[string]string{"budget.1.amount": "3.50"}, `id="b1-amount-err">Indica un importo valido`},
	})

	// A line removed by emptying its row, the other given the whole budget.
	edit.Set("budget.0.amount", "92.500,00")
	edit.Set("budget.1.action", "")
	edit.Set("budget.1.amount", "")
	if res, page := a.do("POST", "/progetti/lab-impact", edit); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the plan's second line emptied: status %d, want 303\n%s", res.StatusCode, errorsOf(page))
	}
	if plan := stored().GetFinancialPlan(); len(plan) != 1 || plan[0].GetAction() != "01" || plan[0].GetBudgetCents() != 9250000 {
		t.Fatalf("after the removal: %v, want only 01 at 9250000 cents", plan)
	}

	// A reader who may not edit sees the plan, read-only.
	f.account("lombardia", "carla", "Carla Consulente", famiv1.Role_ROLE_CONSULTANT, "")
	c := f.client(t)
	c.signIn("carla@lombardia")
	res, page := c.do("GET", "/progetti/lab-impact", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="plan-title"`) || !strings.Contains(page, "92.500,00") ||
		!strings.Contains(page, "<td data-label=\"Titolo\">Scuola</td>") || strings.Contains(page, `name="budget.0.action"`) {
		t.Errorf("the project's page to a consultant: status %d; want the plan read-only, with the action's title and amount", res.StatusCode)
	}
}

// rowRefusal is a change to a dossier's edit form that the service
// refuses, and the mark the page must show for it.
type rowRefusal struct {
	name   string
	set    map[string]string
	marked string
}

// refusedOnRows posts edit to path with each refusal's change: each must
// be answered 422 with its mark, show what was typed as typed, and write
// nothing (etag, the stored resource's, unchanged).
func refusedOnRows(t *testing.T, a *browserless, path string, edit url.Values, etag func() string, refused []rowRefusal) {
	t.Helper()
	was := etag()
	for _, c := range refused {
		v := url.Values{}
		for k, vs := range edit {
			v[k] = vs
		}
		for k, value := range c.set {
			v.Set(k, value)
		}
		res, page := a.do("POST", path, v)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, c.marked) {
			t.Errorf("%s: status %d; want 422 with %s\n%s", c.name, res.StatusCode, c.marked, errorsOf(page))
		}
		for k, value := range c.set {
			if !strings.Contains(page, `value="`+html.EscapeString(value)+`"`) {
				t.Errorf("%s: the page lost %s=%q as typed", c.name, k, value)
			}
		}
		if got := etag(); got != was {
			t.Errorf("%s: the resource was written (etag %s, was %s)", c.name, got, was)
		}
	}
}

// TestProjectTimetableForm: the project form edits its timetable
// (cronoprogramma), which only the API could set, as it edits its
// financial plan: one row per activity, dates as dd/mm/yyyy both ways,
// rows added by the spare empty ones and removed by emptying them, an
// activity's action offered from the form's action codes. The service
// decides: a code used twice, an action the project lacks, a title
// missing, a date that is no date or an end before the start are refused
// on their row; nothing is written. Those who may not edit read the
// timetable on the project's page.
func TestProjectTimetableForm(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	a := f.adminIn(t)
	stored := storedProject(t, f, "scuole")

	_, page := a.do("GET", "/progetti/nuovo", nil)
	if !strings.Contains(page, `name="activity.0.code"`) || !strings.Contains(page, `name="activity.1.end"`) ||
		!strings.Contains(page, `<label for="f-activity.1.start">Inizio previsto 2</label>`) {
		t.Fatalf("the new project's form has no timetable rows")
	}
	form := formValues(t, page, "/progetti")
	for k, v := range map[string]string{"project_id": "scuole", "code": "PROG-7", "title": "Scuole aperte", "fund": "FUND_FAMI_2021_2027",
		"budget_cents": "10.000,00", "start_date": "01/01/2025", "end_date": "31/12/2026",
		"action.0.code": "01", "action.0.title": "Scuola", "action.1.code": "02", "action.1.title": "Servizi",
		"activity.0.code": "01.1", "activity.0.action": "01", "activity.0.title": "Corsi di italiano",
		"activity.0.start": "1/3/2025", "activity.0.end": "30/06/2025",
		"activity.1.code": "02.1", "activity.1.action": "02", "activity.1.title": "Sportello",
		"activity.1.start": "2025-09-01", "activity.1.end": "31/12/2026"} {
		form.Set(k, v)
	}
	if res, page := a.do("POST", "/progetti", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a project with its timetable: status %d, want 303\n%s", res.StatusCode, errorsOf(page))
	}
	p := stored()
	want := []*famiv1.PlannedActivity{
		{Code: "01.1", Action: "01", Title: "Corsi di italiano", PlannedStart: "2025-03-01", PlannedEnd: "2025-06-30"},
		{Code: "02.1", Action: "02", Title: "Sportello", PlannedStart: "2025-09-01", PlannedEnd: "2026-12-31"},
	}
	if got := p.GetTimetable(); len(got) != len(want) || !proto.Equal(got[0], want[0]) || !proto.Equal(got[1], want[1]) {
		t.Fatalf("the stored timetable: %v, want %v", got, want)
	}

	_, page = a.do("GET", "/progetti/scuole", nil)
	if !strings.Contains(page, `<datalist id="plan-actions"><option value="01"><option value="02"></datalist>`) {
		t.Errorf("the actions offered for a row are not the action codes the service reads")
	}
	edit := formValues(t, page, "/progetti/scuole")
	if edit.Get("activity.0.start") != "01/03/2025" || edit.Get("activity.1.end") != "31/12/2026" || edit.Get("activity.1.action") != "02" ||
		edit.Get("activity.2.code") != "" {
		t.Fatalf("the edit form's timetable: %q %q %q %q; want the stored dates as dd/mm/yyyy and a spare row",
			edit.Get("activity.0.start"), edit.Get("activity.1.end"), edit.Get("activity.1.action"), edit.Get("activity.2.code"))
	}
	refusedOnRows(t, a, "/progetti/scuole", edit, func() string { return stored().GetEtag() }, []rowRefusal{
		{"a code used twice", map[string]string{"activity.1.code": "01.1"}, `id="f-activity.1.code-err">Scrivi un codice`},
		{"an activity with no code", map[string]string{"activity.1.code": ""}, `id="f-activity.1.code-err">`},
		{"an action the project lacks", map[string]string{"activity.1.action": "09"}, `id="f-activity.1.action-err">Scrivi il codice di un&#39;azione`},
		{"no title", map[string]string{"activity.0.title": ""}, `id="f-activity.0.title-err">Scrivi il titolo`},
		{"a start that is no date", map[string]string{"activity.0.start": "31/02/2025"}, `id="f-activity.0.start-err">Indica una data valida`},
		{"an end before the start", map[string]string{"activity.0.end": "28/02/2025"}, `id="f-activity.0.end-err">Indica una data valida, non precedente`},
		{"a row added half filled", map[string]string{"activity.2.title": "Senza codice"}, `id="f-activity.2.code-err">`},
	})

	// An activity removed by emptying its row.
	for _, k := range []string{"code", "action", "title", "start", "end"} {
		edit.Set("activity.0."+k, "")
	}
	if res, page := a.do("POST", "/progetti/scuole", edit); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the timetable's first row emptied: status %d, want 303\n%s", res.StatusCode, errorsOf(page))
	}
	if got := stored().GetTimetable(); len(got) != 1 || !proto.Equal(got[0], want[1]) {
		t.Fatalf("after the removal: %v, want only %v", got, want[1])
	}

	// A reader who may not edit sees the timetable, read-only.
	f.account("lombardia", "carla", "Carla Consulente", famiv1.Role_ROLE_CONSULTANT, "")
	c := f.client(t)
	c.signIn("carla@lombardia")
	res, page := c.do("GET", "/progetti/scuole", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="timetable-title"`) || !strings.Contains(page, "01/09/2025") ||
		!strings.Contains(page, `<td data-label="Titolo">Sportello</td>`) || strings.Contains(page, `name="activity.0.code"`) {
		t.Errorf("the project's page to a consultant: status %d; want the timetable read-only, dates as dd/mm/yyyy", res.StatusCode)
	}
}

// storedProject reads Lombardia's project id as stored, through gRPC.
func storedProject(t *testing.T, f *famid, id string) func() *famiv1.Project {
	projects := famiv1.NewProjectServiceClient(f.conn)
	return func() *famiv1.Project {
		t.Helper()
		p, err := projects.GetProject(f.admin("lombardia"), &famiv1.GetProjectRequest{Name: "regions/lombardia/projects/" + id})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
}
