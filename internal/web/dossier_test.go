package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
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
	projects := famiv1.NewProjectServiceClient(f.conn)
	stored := func() *famiv1.Project {
		t.Helper()
		p, err := projects.GetProject(f.admin("lombardia"), &famiv1.GetProjectRequest{Name: "regions/lombardia/projects/lab-impact"})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

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
	refused := []struct {
		name   string
		set    map[string]string
		marked string
	}{
		{"a plan that does not add up", map[string]string{"budget.1.amount": "30.000,00"}, `id="f-financial_plan-err">Il piano finanziario`},
		{"an action the project lacks", map[string]string{"budget.1.action": "09"}, `id="b1-action-err">Scrivi il codice di un&#39;azione del progetto`},
		{"an action twice", map[string]string{"budget.1.action": "01"}, `id="b1-action-err">`},
		{"an amount with no action", map[string]string{"budget.1.action": ""}, `id="b1-action-err">`},
		{"more lines than actions", map[string]string{"budget.2.action": "02", "budget.2.amount": "1,00"}, `id="f-financial_plan-err">`},
		{"an amount that is no amount", map[string]string{"budget.1.amount": "3.50"}, `id="b1-amount-err">Indica un importo valido`},
	}
	for _, c := range refused {
		v := url.Values{}
		for k, vs := range edit {
			v[k] = vs
		}
		for k, value := range c.set {
			v.Set(k, value)
		}
		res, page := a.do("POST", "/progetti/lab-impact", v)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, c.marked) {
			t.Errorf("%s: status %d; want 422 with %s\n%s", c.name, res.StatusCode, c.marked, errorsOf(page))
		}
		for k, value := range c.set {
			if !strings.Contains(page, `value="`+value+`"`) {
				t.Errorf("%s: the page lost %s=%q as typed", c.name, k, value)
			}
		}
		if got := stored(); got.GetEtag() != p.GetEtag() {
			t.Errorf("%s: the project was written (etag %s, was %s)", c.name, got.GetEtag(), p.GetEtag())
		}
	}

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
