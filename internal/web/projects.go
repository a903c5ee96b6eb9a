package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/money"
	"github.com/raccordo/raccordo/internal/resource"
)

// projectList lists the region's projects, filtered by code, title or CUP
// (the service's query filter).
func (a *App) projectList(w http.ResponseWriter, r *http.Request, s *session) {
	showList(a, w, r, s, "projects", a.projects.ListProjects, &famiv1.ListProjectsRequest{Parent: regionName(s.region), Query: searchQuery(r)},
		(*famiv1.ListProjectsResponse).GetProjects,
		s.mayCreate(a, createProject))
}

// projectPage creates or edits a project and records its extensions.
type projectPage struct {
	frame
	Form, ExtForm     *form
	Project           *famiv1.Project
	Funds, Objectives []option
	// Beneficiary is the typed search of the beneficiary, showing the
	// partner's display name; Partners are its datalist's choices, a
	// bounded page of the partners matching it (partnerSuggestions).
	Beneficiary field
	Partners    []option
	Rows        []int
	// BudgetRows are the financial plan's rows (formRows of "budget"),
	// ActionCodes the action codes the form holds, offered for a line's
	// action (a datalist: an action typed in the same form is offered
	// once the form comes back, and may be typed before).
	BudgetRows  []int
	ActionCodes []option
	// ActivityRows are the timetable's rows (formRows of "activity"); an
	// activity's action is offered from ActionCodes too.
	ActivityRows []int
	RequestID    string
	CanEdit      bool
	// Overlaps are the projects on the same territory at the same time,
	// for the users who may read them (ShowOverlaps), a page at a time
	// (OverlapPager).
	Overlaps     []*famiv1.Overlap
	OverlapPager *pager
	ShowOverlaps bool

	// BeneficiaryWas is the partner the beneficiary's input showed when the
	// page was first loaded, and BeneficiaryShown the name it showed, carried
	// by hidden fields through the form's refusals (stillShown).
	BeneficiaryWas, BeneficiaryShown string
}

var projectFields = []string{"code", "cup", "title", "description", "fund", "specific_objective", "actions", "budget_cents", "start_date", "end_date", "beneficiary",
	"financial_plan", "timetable"}

func (a *App) projectNew(w http.ResponseWriter, r *http.Request, s *session) {
	a.renderProject(w, r, s, http.StatusOK, newForm(nil), extForm(nil), nil)
}

// extForm is the extension form, whose fields are named ext_*.
func extForm(v url.Values) *form {
	f := newForm(v)
	f.Prefix = "ext_"
	return f
}

func (a *App) renderProject(w http.ResponseWriter, r *http.Request, s *session, code int, fm, ext *form, pr *famiv1.Project) {
	beneficiary, l, err := a.beneficiaryLookups(s, fm, pr)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	fm.linked = l
	p := &projectPage{frame: a.newFrame(r, s, formTitle("projects", pr != nil)), Form: fm, ExtForm: ext, Project: pr, RequestID: newRequestID(),
		Beneficiary: searched(optional(fld(fm, "beneficiary", "text", "projects.beneficiary", "hint.beneficiary")), "beneficiary-list"),
		Funds:       enumOptions(famiv1.Fund_name, func(n int32) string { return famiv1.Fund(n).String() }),
		Objectives:  enumOptions(famiv1.SpecificObjective_name, func(n int32) string { return famiv1.SpecificObjective(n).String() }),
		CanEdit:     s.mayCreate(a, createProject),
	}
	p.Beneficiary.Value = beneficiary
	p.BeneficiaryWas, p.BeneficiaryShown = fm.Get("beneficiary_was"), fm.Get("beneficiary_shown")
	if !fm.Values.Has("beneficiary_was") && strings.HasPrefix(fm.Get("beneficiary"), "regions/") {
		p.BeneficiaryWas, p.BeneficiaryShown = fm.Get("beneficiary"), beneficiary
	}
	if p.CanEdit {
		if p.Partners, err = a.partnerSuggestions(s, fm.Get("beneficiary")); err != nil {
			a.fail(w, r, s, err)
			return
		}
	}
	if pr != nil && !p.CanEdit {
		p.Title = pr.GetTitle()
	}
	p.Rows = formRows(fm, "action", 2)
	p.BudgetRows = formRows(fm, "budget", 2)
	p.ActivityRows = formRows(fm, "activity", 2)
	for _, i := range actionRows(fm.Values) {
		k := "action." + strconv.Itoa(i) + "."
		if code := strings.TrimSpace(fm.Get(k + "code")); code != "" {
			// choices offers an option's Label as the text the input
			// takes: the code, which the service reads, not the title.
			p.ActionCodes = append(p.ActionCodes, option{Value: code, Label: code})
		}
	}
	if pr != nil {
		overlaps := &famiv1.ListOverlapsRequest{Parent: regionName(s.region), Project: pr.GetName()}
		if p.ShowOverlaps = s.can(a, famiv1.OverlapService_ListOverlaps_FullMethodName, overlaps); p.ShowOverlaps {
			var err error
			p.Overlaps, p.OverlapPager, err = readPage(s, r, "", msg("overlaps.title"), a.overlaps.ListOverlaps, overlaps, (*famiv1.ListOverlapsResponse).GetOverlaps, every)
			if err != nil {
				a.fail(w, r, s, err)
				return
			}
		}
	}
	a.render(w, code, "project", p)
}

// beneficiaryLookups reads the display names of the partners the project
// form names: the form's beneficiary (what its input shows, else the text
// as typed) and the stored project's, which a stale change compares
// (linked). Each is one partner read by itself, never the region's.
func (a *App) beneficiaryLookups(s *session, fm *form, pr *famiv1.Project) (shown string, l *lookups, err error) {
	names := slices.DeleteFunc([]string{fm.Get("beneficiary"), pr.GetBeneficiary()}, func(name string) bool { return !strings.HasPrefix(name, "regions/") })
	l = &lookups{}
	if l.partners, err = a.partnerLabels(s, names); err != nil {
		return "", nil, err
	}
	shown = fm.Get("beneficiary")
	if label, ok := l.partners[shown]; ok {
		shown = label
	}
	return shown, l, nil
}

// projectChecked resolves the beneficiary typed on the posted project
// form to the partner's resource name (partnerMarked), which the page does
// before any call. When it names no partner, the form is sent to the
// service with validate_only (check, AIP-163), its beneficiary left out,
// so that the service's faults of the rest (a half-filled action row,
// placed on the row by the form's rows hook) come back in the same answer
// as the beneficiary's; the form is shown again by again, and it reports
// false. Before, the page copied the service's rule on action rows
// (actionsUncoded) for this answer alone.
func (a *App) projectChecked(w http.ResponseWriter, r *http.Request, s *session, check func(p *famiv1.Project) error, again func(code int, fm *form)) bool {
	rf := a.projectPages(extForm(nil))
	fm := rf.submittedForm(r)
	resolved, err := a.partnerMarked(r, s, fm, "beneficiary", "projects.beneficiary")
	if err == nil && !resolved {
		p := projectFromForm(r.PostForm)
		p.Beneficiary = ""
		if err = check(p); formError(fm, err, rf.prefix) {
			err = nil
		}
	}
	switch {
	case err != nil:
		a.fail(w, r, s, err)
		return false
	case !resolved:
		again(http.StatusUnprocessableEntity, fm)
		return false
	}
	return true
}

// parseEuro reads an Italian amount ("1.234,56", "1234,5", "1234") as
// cents; anything else is -1, which the service refuses naming the field.
// Digits only (splitItalian): ParseInt would also take a sign, and read
// "-0,50" as 50 cents and "1,+5" as 1,05; and a '.' only between groups
// of three, so that an English "3.50" is not 350 €.
func parseEuro(s string) int64 {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "€"))
	if s == "" {
		return 0
	}
	units, cents, ok := splitItalian(s)
	if !ok || len(cents) > 2 {
		return -1
	}
	u, err := strconv.ParseInt(units, 10, 64)
	if err != nil || u > 1e13 {
		return -1
	}
	c := int64(0)
	if cents != "" {
		c, err = strconv.ParseInt((cents + "0")[:2], 10, 64)
		if err != nil {
			return -1
		}
	}
	return u*100 + c
}

// euroInput shows cents in the form's Italian format, without the sign.
func euroInput(cents int64) string {
	return strings.TrimSuffix(money.Italian(cents), "\u00a0€")
}

func projectFromForm(v url.Values) *famiv1.Project {
	p := &famiv1.Project{
		Code: v.Get("code"), Cup: v.Get("cup"), Title: v.Get("title"), Description: v.Get("description"),
		Fund:              famiv1.Fund(famiv1.Fund_value[v.Get("fund")]),
		SpecificObjective: famiv1.SpecificObjective(famiv1.SpecificObjective_value[v.Get("specific_objective")]),
		BudgetCents:       parseEuro(v.Get("budget_cents")), StartDate: parseDate(v.Get("start_date")), EndDate: parseDate(v.Get("end_date")),
		Beneficiary: v.Get("beneficiary"), Etag: v.Get("etag"),
	}
	for _, i := range actionRows(v) {
		p.Actions = append(p.Actions, &famiv1.ProjectAction{Code: v.Get(fmt.Sprintf("action.%d.code", i)), Title: v.Get(fmt.Sprintf("action.%d.title", i))})
	}
	for _, i := range budgetRows(v) {
		p.FinancialPlan = append(p.FinancialPlan, &famiv1.ActionBudget{Action: strings.TrimSpace(v.Get(fmt.Sprintf("budget.%d.action", i))),
			BudgetCents: parseEuro(v.Get(fmt.Sprintf("budget.%d.amount", i)))})
	}
	for _, i := range activityRows(v) {
		k := "activity." + strconv.Itoa(i) + "."
		p.Timetable = append(p.Timetable, &famiv1.PlannedActivity{Code: strings.TrimSpace(v.Get(k + "code")), Action: strings.TrimSpace(v.Get(k + "action")),
			Title: v.Get(k + "title"), PlannedStart: parseDate(v.Get(k + "start")), PlannedEnd: parseDate(v.Get(k + "end"))})
	}
	return p
}

func projectForm(p *famiv1.Project) url.Values {
	v := url.Values{"code": {p.GetCode()}, "cup": {p.GetCup()}, "title": {p.GetTitle()}, "description": {p.GetDescription()},
		"fund": {p.GetFund().String()}, "specific_objective": {p.GetSpecificObjective().String()}, "budget_cents": {euroInput(p.GetBudgetCents())},
		"start_date": {formatDate(p.GetStartDate())}, "end_date": {formatDate(p.GetEndDate())}, "beneficiary": {p.GetBeneficiary()}, "etag": {p.GetEtag()}}
	for i, act := range p.GetActions() {
		v.Set(fmt.Sprintf("action.%d.code", i), act.GetCode())
		v.Set(fmt.Sprintf("action.%d.title", i), act.GetTitle())
	}
	for i, b := range p.GetFinancialPlan() {
		v.Set(fmt.Sprintf("budget.%d.action", i), b.GetAction())
		v.Set(fmt.Sprintf("budget.%d.amount", i), euroInput(b.GetBudgetCents()))
	}
	for i, a := range p.GetTimetable() {
		k := "activity." + strconv.Itoa(i) + "."
		v.Set(k+"code", a.GetCode())
		v.Set(k+"action", a.GetAction())
		v.Set(k+"title", a.GetTitle())
		v.Set(k+"start", formatDate(a.GetPlannedStart()))
		v.Set(k+"end", formatDate(a.GetPlannedEnd()))
	}
	return v
}

// projectPages are the project's create and edit pages, with ext as the
// extension form.
func (a *App) projectPages(ext *form) resourceForm[*famiv1.Project] {
	return resourceForm[*famiv1.Project]{app: a, get: a.getProject, fields: projectForm, read: readForm(projectFromForm), rows: projectFaults, prefix: "project.",
		compared: map[string]string{"code": "projects.code", "cup": "projects.cup", "title": "meetings.what", "description": "field.description",
			"fund": "projects.fund", "specific_objective": "projects.objective", "budget_cents": "projects.budget",
			"start_date": "field.start_date", "end_date": "field.end_date", "beneficiary": "projects.beneficiary",
			"action.%d.code": "projects.actions", "action.%d.title": "projects.action_titles",
			"budget.%d.action": "projects.plan_actions", "budget.%d.amount": "projects.plan_amounts",
			"activity.%d.code": "projects.timetable_codes", "activity.%d.action": "projects.timetable_actions",
			"activity.%d.title": "projects.timetable_titles", "activity.%d.start": "projects.timetable_starts",
			"activity.%d.end": "projects.timetable_ends"},
		render: func(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form, pr *famiv1.Project) {
			a.renderProject(w, r, s, code, fm, ext, pr)
		}}
}

// actionRows are the action rows of the project form that it sends
// (sentRows): those with a code, and those with a title and no code, which
// the service refuses for the code it requires (actionFault). A row left
// empty, or whose code is cleared with its title, is left out: that is
// how the form removes an action.
func actionRows(v url.Values) []int {
	return sentRows(v, "action", "code", "title")
}

// budgetRows are the financial plan's rows of the project form that it
// sends (sentRows): those with an action, and those with an amount and no
// action, which the service refuses for the action it requires. A row
// left empty is left out: that is how the form removes a line.
func budgetRows(v url.Values) []int {
	return sentRows(v, "budget", "action", "amount")
}

// activityRows are the timetable's rows of the project form that it sends
// (sentRows): those with a code, and those half filled without one, which
// the service refuses for the code it requires. An empty row is left out:
// that is how the form removes an activity.
func activityRows(v url.Values) []int {
	return sentRows(v, "activity", "code", "action", "title", "start", "end")
}

// projectFaults places the service's refusals of the project form's rows
// on their rows: an action's missing code (actionFault), a financial plan
// line's action or amount, and a timetable activity's fields (rowMarks).
// The plan's sum, which no row alone breaks, is the plan's; so is a
// timetable of more activities than the service takes.
func projectFaults(v url.Values) rowFault {
	return eitherFault(actionFault(v), rowMarks("financial_plan", "budget", budgetRows(v), map[string]rowMark{
		"action":       {"action", "projects.plan_action_invalid"},
		"budget_cents": {"amount", "invalid.budget_cents"},
	}), rowMarks("timetable", "activity", activityRows(v), map[string]rowMark{
		"code":          {"code", "projects.activity_code_invalid"},
		"action":        {"action", "projects.activity_action_invalid"},
		"title":         {"title", "projects.activity_title_invalid"},
		"planned_start": {"start", "invalid.start_date"},
		"planned_end":   {"end", "invalid.end_date"},
	}))
}

// actionFault places the service's refusal of an action sent without its
// code at its row's code (keyMissing).
func actionFault(v url.Values) rowFault {
	return keyMissing(v, "actions", "action", "code", actionRows(v), "projects.action_uncoded")
}

func (a *App) projectCreate(w http.ResponseWriter, r *http.Request, s *session) {
	create := func(p *famiv1.Project, validateOnly bool) (*famiv1.Project, error) {
		return a.projects.CreateProject(s.ctx, &famiv1.CreateProjectRequest{Parent: regionName(s.region), Project: p,
			ProjectId: r.PostFormValue("project_id"), RequestId: r.PostFormValue("request_id"), ValidateOnly: validateOnly})
	}
	checked := a.projectChecked(w, r, s, func(p *famiv1.Project) error { _, err := create(p, true); return err },
		func(code int, fm *form) { a.renderProject(w, r, s, code, fm, extForm(nil), nil) })
	if !checked {
		return
	}
	pr, err := create(projectFromForm(r.PostForm), false)
	a.projectPages(extForm(nil)).created(w, r, s, err, noticed("/progetti/"+resource.ID(pr.GetName()), "project_saved"))
}

func (a *App) getProject(r *http.Request, s *session) (*famiv1.Project, error) {
	return a.projects.GetProject(s.ctx, &famiv1.GetProjectRequest{Name: pathName(r, s, resource.Projects, "project")})
}

func (a *App) projectEdit(w http.ResponseWriter, r *http.Request, s *session) {
	a.projectPages(extForm(nil)).edit(w, r, s, http.StatusOK, nil)
}

func (a *App) projectUpdate(w http.ResponseWriter, r *http.Request, s *session) {
	update := func(p *famiv1.Project, validateOnly bool) error {
		p.Name = pathName(r, s, resource.Projects, "project")
		_, err := a.projects.UpdateProject(s.ctx, &famiv1.UpdateProjectRequest{Project: p, UpdateMask: &fieldmaskpb.FieldMask{Paths: projectFields},
			RequestId: r.PostFormValue("request_id"), ValidateOnly: validateOnly})
		return err
	}
	checked := a.projectChecked(w, r, s, func(p *famiv1.Project) error { return update(p, true) },
		func(code int, fm *form) { a.projectPages(extForm(nil)).edit(w, r, s, code, fm) })
	if !checked {
		return
	}
	err := update(projectFromForm(r.PostForm), false)
	a.projectPages(extForm(nil)).updated(w, r, s, err, noticed(pageAt(resource.Projects, r.PathValue("project")), "project_saved"))
}

// projectExtend records an extension (proroga): the new end date and the
// act that granted it. A refused extension is shown in its own form, beside
// the project's as stored.
func (a *App) projectExtend(w http.ResponseWriter, r *http.Request, s *session) {
	ext := extForm(r.PostForm)
	ext.Page = pageAt(resource.Projects, r.PathValue("project"))
	_, err := a.projects.ExtendProject(s.ctx, &famiv1.ExtendProjectRequest{Name: pathName(r, s, resource.Projects, "project"),
		Extension: &famiv1.Extension{EndDate: parseDate(r.PostFormValue("ext_end_date")), ActReference: r.PostFormValue("ext_act_reference"),
			GrantedOn: parseDate(r.PostFormValue("ext_granted_on"))},
		Etag: r.PostFormValue("etag"), RequestId: r.PostFormValue("request_id")})
	a.submitted(w, r, s, ext, err, "extension.", func(code int) { a.projectPages(ext).edit(w, r, s, code, nil) }, noticed(ext.Page, "project_saved"))
}

// planLine is a line of the financial plan as the project's page shows it
// to those who may not edit it: the action's code, its title and budget.
type planLine struct {
	Action, Title string
	Cents         int64
}

// PlanLines are the stored project's financial plan, each line beside its
// action's title.
func (p *projectPage) PlanLines() []planLine {
	titles := map[string]string{}
	for _, a := range p.Project.GetActions() {
		titles[a.GetCode()] = a.GetTitle()
	}
	var lines []planLine
	for _, b := range p.Project.GetFinancialPlan() {
		lines = append(lines, planLine{Action: b.GetAction(), Title: titles[b.GetAction()], Cents: b.GetBudgetCents()})
	}
	return lines
}
