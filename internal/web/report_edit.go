package web

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/resource"
)

// The form of a draft (or returned) report: one row per timetable
// activity, indicator and action of the project's plan, rows of deviations
// and of people reached (the filled ones and a spare one), and the notes.
// Reimbursement claims and operators trained are left as they are (the
// update mask does not name them).

// reportFields are the fields the form writes.
var reportFields = []string{"activities", "deviations", "indicator_values", "expenditures", "people_reached", "notes"}

// reportEditPage edits a report.
type reportEditPage struct {
	frame
	Report                            *famiv1.MonitoringReport
	Project                           *famiv1.Project
	Form                              *form
	States, AgeBands, Sexes, Timeline []option
	Deviations, People                []int
	RequestID                         string
	// Plan is the version of the project's plan the form's rows follow
	// (planVersion), sent back with the form.
	Plan string
}

// plannedReport is a report with the project whose plan gives the
// report's form its rows.
type plannedReport struct {
	report  *famiv1.MonitoringReport
	project *famiv1.Project
}

// reportPages are the report's edit page (a report is created from the
// project's monitoring page, in one click).
func (a *App) reportPages() resourceForm[plannedReport] {
	return resourceForm[plannedReport]{app: a, prefix: "monitoring_report.", render: a.renderReportEdit,
		get: func(r *http.Request, s *session) (plannedReport, error) {
			rep, pr, err := a.reportAndProject(r, s)
			return plannedReport{rep, pr}, err
		},
		fields: func(p plannedReport) url.Values { return reportForm(p.report, p.project) },
		read: func(v url.Values, cur plannedReport) plannedReport {
			return plannedReport{reportFromForm(v, cur.project), cur.project}
		},
		align: func(fm *form, cur plannedReport) { onPlanShown(fm, cur.project) },
		compared: map[string]string{"act.%d.state": "monitoring.activity_states", "act.%d.start": "monitoring.actual_starts",
			"act.%d.end": "monitoring.actual_ends", "dev.%d.activity": "monitoring.deviation_activities", "dev.%d.description": "monitoring.deviations",
			"dev.%d.cause": "monitoring.causes", "dev.%d.corrective_action": "monitoring.corrective_actions", "dev.%d.new_date": "monitoring.new_dates",
			"ind.%d.value": "monitoring.indicator_values", "exp.%d.committed": "monitoring.committed_by_action", "exp.%d.paid": "monitoring.paid_by_action",
			"ppl.%d.age_band": "monitoring.age_bands", "ppl.%d.sex": "monitoring.sexes", "ppl.%d.count": "monitoring.counts", "notes": "monitoring.notes"}}
}

func (a *App) reportEdit(w http.ResponseWriter, r *http.Request, s *session) {
	may, err := a.mayReport(s, pathName(r, s, resource.Projects, "project"))
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	if !may {
		a.forbidden(w, r, s)
		return
	}
	a.reportPages().edit(w, r, s, http.StatusOK, nil)
}

// renderReportEdit shows the form fm of the report cur.
func (a *App) renderReportEdit(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form, cur plannedReport) {
	rep, pr := cur.report, cur.project
	p := &reportEditPage{frame: a.newFrame(r, s, "monitoring.edit_title"), Report: rep, Project: pr, Form: fm, RequestID: newRequestID(),
		States:   enumOptions(famiv1.ActivityState_name, func(n int32) string { return famiv1.ActivityState(n).String() }),
		AgeBands: enumOptions(famiv1.AgeBand_name, func(n int32) string { return famiv1.AgeBand(n).String() }),
		Sexes:    enumOptions(famiv1.Sex_name, func(n int32) string { return famiv1.Sex(n).String() }),
		People:   formRows(fm, "ppl", 1), Plan: planVersion(pr),
	}
	// A deviation names an activity of the timetable: without one, a
	// spare row could only be refused. Rows the report holds are shown.
	spare := 0
	if len(pr.GetTimetable()) > 0 {
		spare = 1
	}
	p.Deviations = formRows(fm, "dev", spare)
	for _, act := range pr.GetTimetable() {
		p.Timeline = append(p.Timeline, option{Value: act.GetCode(), Label: act.GetCode() + " " + act.GetTitle()})
	}
	p.Title = msgf("monitoring.edit_title", formatQuarter(rep.GetPeriod()), pr.GetTitle())
	a.render(w, code, "report_edit", p)
}

// reportForm is the stored report as the form's values, with a row for
// every activity, indicator and action of the plan, empty where the
// report has none: rows numbered without a gap, as the form sends them,
// so that form.compare reads every row.
func reportForm(rep *famiv1.MonitoringReport, pr *famiv1.Project) url.Values {
	v := url.Values{"notes": {rep.GetNotes()}, "etag": {rep.GetEtag()}}
	acts := map[string]*famiv1.ActivityStatus{}
	for _, a := range rep.GetActivities() {
		acts[a.GetActivity()] = a
	}
	for i, pa := range pr.GetTimetable() {
		state, start, end := "", "", ""
		if a, ok := acts[pa.GetCode()]; ok {
			state, start, end = a.GetState().String(), formatDate(a.GetActualStart()), formatDate(a.GetActualEnd())
		}
		v.Set(fmt.Sprintf("act.%d.state", i), state)
		v.Set(fmt.Sprintf("act.%d.start", i), start)
		v.Set(fmt.Sprintf("act.%d.end", i), end)
	}
	vals := map[string]float64{}
	for _, iv := range rep.GetIndicatorValues() {
		vals[iv.GetIndicator()] = iv.GetValue()
	}
	for i, in := range pr.GetIndicators() {
		value := ""
		if x, ok := vals[in.GetCode()]; ok {
			value = numberInput(x)
		}
		v.Set(fmt.Sprintf("ind.%d.value", i), value)
	}
	spent := map[string]*famiv1.ActionExpenditure{}
	for _, e := range rep.GetExpenditures() {
		spent[e.GetAction()] = e
	}
	for i, act := range pr.GetActions() {
		committed, paid := "", ""
		if e, ok := spent[act.GetCode()]; ok {
			committed, paid = euroInput(e.GetCommittedCents()), euroInput(e.GetPaidCents())
		}
		v.Set(fmt.Sprintf("exp.%d.committed", i), committed)
		v.Set(fmt.Sprintf("exp.%d.paid", i), paid)
	}
	for i, d := range rep.GetDeviations() {
		v.Set(fmt.Sprintf("dev.%d.activity", i), d.GetActivity())
		v.Set(fmt.Sprintf("dev.%d.description", i), d.GetDescription())
		v.Set(fmt.Sprintf("dev.%d.cause", i), d.GetCause())
		v.Set(fmt.Sprintf("dev.%d.corrective_action", i), d.GetCorrectiveAction())
		v.Set(fmt.Sprintf("dev.%d.new_date", i), formatDate(d.GetNewDate()))
	}
	for i, pc := range rep.GetPeopleReached() {
		v.Set(fmt.Sprintf("ppl.%d.age_band", i), pc.GetAgeBand().String())
		v.Set(fmt.Sprintf("ppl.%d.sex", i), pc.GetSex().String())
		v.Set(fmt.Sprintf("ppl.%d.count", i), strconv.Itoa(int(pc.GetCount())))
	}
	return v
}

// reportFromForm reads the form against the project's plan: a row left
// empty is no entry; what does not parse is passed on as a value the
// service refuses naming the field.
func reportFromForm(v url.Values, pr *famiv1.Project) *famiv1.MonitoringReport {
	rep := &famiv1.MonitoringReport{Notes: v.Get("notes"), Etag: v.Get("etag")}
	for i, pa := range pr.GetTimetable() {
		st, start, end := v.Get(fmt.Sprintf("act.%d.state", i)), v.Get(fmt.Sprintf("act.%d.start", i)), v.Get(fmt.Sprintf("act.%d.end", i))
		if st == "" && start == "" && end == "" {
			continue
		}
		rep.Activities = append(rep.Activities, &famiv1.ActivityStatus{Activity: pa.GetCode(),
			State: famiv1.ActivityState(famiv1.ActivityState_value[st]), ActualStart: parseDate(start), ActualEnd: parseDate(end)})
	}
	for i, in := range pr.GetIndicators() {
		if x := strings.TrimSpace(v.Get(fmt.Sprintf("ind.%d.value", i))); x != "" {
			rep.IndicatorValues = append(rep.IndicatorValues, &famiv1.IndicatorValue{Indicator: in.GetCode(), Value: parseNumber(x)})
		}
	}
	for i, act := range pr.GetActions() {
		c, p := v.Get(fmt.Sprintf("exp.%d.committed", i)), v.Get(fmt.Sprintf("exp.%d.paid", i))
		if strings.TrimSpace(c+p) != "" {
			rep.Expenditures = append(rep.Expenditures, &famiv1.ActionExpenditure{Action: act.GetCode(), CommittedCents: parseEuro(c), PaidCents: parseEuro(p)})
		}
	}
	for i := range rowCount(v, "dev") {
		d := &famiv1.Deviation{Activity: v.Get(fmt.Sprintf("dev.%d.activity", i)), Description: v.Get(fmt.Sprintf("dev.%d.description", i)),
			Cause: v.Get(fmt.Sprintf("dev.%d.cause", i)), CorrectiveAction: v.Get(fmt.Sprintf("dev.%d.corrective_action", i)),
			NewDate: parseDate(v.Get(fmt.Sprintf("dev.%d.new_date", i)))}
		if d.Activity+d.Description+d.Cause+d.CorrectiveAction+d.NewDate != "" {
			rep.Deviations = append(rep.Deviations, d)
		}
	}
	for i := range rowCount(v, "ppl") {
		n := strings.TrimSpace(v.Get(fmt.Sprintf("ppl.%d.count", i)))
		if n == "" {
			continue
		}
		rep.PeopleReached = append(rep.PeopleReached, &famiv1.PeopleCount{Count: int32(atoi(n)),
			AgeBand: famiv1.AgeBand(famiv1.AgeBand_value[v.Get(fmt.Sprintf("ppl.%d.age_band", i))]),
			Sex:     famiv1.Sex(famiv1.Sex_value[v.Get(fmt.Sprintf("ppl.%d.sex", i))])})
	}
	return rep
}

// parseNumber reads a quantity typed the Italian way (splitItalian):
// "16,5", "1.234,5". Anything else is NaN, which the service refuses
// naming the field: strconv.ParseFloat alone would also read "0x1p4" as
// 16, "1e3" as 1000 and "+5" as 5, and an English "1.5" as 1.5 where an
// Italian reads 15.
func parseNumber(s string) float64 {
	units, decimals, ok := splitItalian(strings.TrimSpace(s))
	if !ok {
		return math.NaN()
	}
	if decimals != "" {
		units += "." + decimals
	}
	x, err := strconv.ParseFloat(units, 64)
	if err != nil {
		return math.NaN()
	}
	return x
}

// splitItalian splits a number typed the Italian way into its whole part,
// without its thousands separators, and its decimals: digits, with '.'
// only between groups of three ("1.234") and one ',' before the decimals
// ("1.234,5"). ok is false for anything else: a sign, an exponent, a
// stray or English separator ("3.50", "1234,").
func splitItalian(s string) (units, decimals string, ok bool) {
	units, decimals, comma := strings.Cut(s, ",")
	if groups := strings.Split(units, "."); len(groups) > 1 {
		for i, g := range groups {
			if len(g) != 3 && (i > 0 || len(g) == 0 || len(g) > 3) {
				return "", "", false
			}
		}
		units = strings.Join(groups, "")
	}
	if !digitsOnly(units) || comma && !digitsOnly(decimals) {
		return "", "", false
	}
	return units, decimals, true
}

// numberInput shows a quantity in the form, the Italian way and in full:
// formatNumber's two decimals would save 32,915 back as 32,91 when the
// form is sent unchanged.
func numberInput(x float64) string {
	return strings.Replace(strconv.FormatFloat(x, 'f', -1, 64), ".", ",", 1)
}

// digitsOnly reports whether s is one or more ASCII digits.
func digitsOnly(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// reportUpdate saves a report's form. The form's rows are read by their
// position in the plan it was built on (the "plan" it sends), so the save
// reads the project, refuses a plan changed since (409, the form again on
// the plan as it is now: onPlanShown) and passes the etag of the project
// as read with the update, which the service checks in the same
// transaction as its write (PROJECT_CHANGED): a plan changed between the
// read and the write is refused too, never saved on items other than the
// ones typed for. A project changed meanwhile with its plan as it was is
// read again and the save retried once (the rows read the same); changed
// once more, the form comes back (409) on the project as it is then.
func (a *App) reportUpdate(w http.ResponseWriter, r *http.Request, s *session) {
	again := func(key string) {
		fm := newForm(r.PostForm)
		fm.Message = msg(key)
		a.reportPages().edit(w, r, s, http.StatusConflict, fm)
	}
	for try := 0; ; try++ {
		pr, err := a.getProject(r, s)
		if err != nil {
			a.fail(w, r, s, err)
			return
		}
		if r.PostFormValue("plan") != planVersion(pr) {
			again("monitoring.plan_changed")
			return
		}
		in := reportFromForm(r.PostForm, pr)
		in.Name = reportName(r, s)
		_, err = a.monitoring.UpdateMonitoringReport(s.ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: in,
			UpdateMask: &fieldmaskpb.FieldMask{Paths: reportFields}, RequestId: r.PostFormValue("request_id"), ProjectEtag: pr.GetEtag()})
		switch {
		case errs.Reason(errorInfo(err).GetReason()) != errs.ProjectChanged:
			a.reportPages().updated(w, r, s, err, noticed("/progetti/"+r.PathValue("project")+"/monitoraggio/"+r.PathValue("period"), "report_saved"))
			return
		case try > 0:
			again("reason.PROJECT_CHANGED")
			return
		}
	}
}

// onPlanShown puts fm, a report's form sent back, on pr's plan, the one
// its page shows it with, when it was typed on another (its "plan"):
// read by position, its rows would go to other activities, indicators and
// actions than the ones they were typed for. Every page that shows a sent
// form again goes through it, so that a plan changed between a save's
// read and the page's cannot misplace a row.
func onPlanShown(fm *form, pr *famiv1.Project) {
	if fm.Get("plan") == planVersion(pr) {
		return
	}
	fm.Values = onPlan(fm.Values, pr)
	fm.Message = msg("monitoring.plan_changed")
}

// planVersion names the version of pr's plan a report's form follows: its
// activities, indicators and actions, whose rows the form numbers in the
// plan's order and reportFromForm reads by position. A change of any of
// them (an item added, removed, moved, or retitled) changes it; the rest
// of the project does not. The digest is of the deterministic encoding,
// which a new protobuf version may change: a form open across such an
// upgrade comes back once on the same plan, its values kept (onPlan).
func planVersion(pr *famiv1.Project) string {
	plan := &famiv1.Project{Timetable: pr.GetTimetable(), Indicators: pr.GetIndicators(), Actions: pr.GetActions()}
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(plan) // a plain message: marshalling cannot fail
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}

// planGroup is a group of a report form's rows that follows the plan:
// its name, the fields of a row beside its item's code ("act.0.code"),
// and the codes of the plan's items, in the form's order.
type planGroup struct {
	group  string
	fields []string
	codes  func(*famiv1.Project) []string
}

var planRows = []planGroup{
	{"act", []string{"state", "start", "end"}, func(pr *famiv1.Project) []string { return codesOf(pr.GetTimetable()) }},
	{"ind", []string{"value"}, func(pr *famiv1.Project) []string { return codesOf(pr.GetIndicators()) }},
	{"exp", []string{"committed", "paid"}, func(pr *famiv1.Project) []string { return codesOf(pr.GetActions()) }},
}

// onPlan moves the rows of v, a report's form typed on an older version of
// pr's plan, to the rows of pr's plan of the same code: what was typed for
// an activity, indicator or action stays with it, an item new to the plan
// gets an empty row, and one the plan no longer has is left out.
func onPlan(v url.Values, pr *famiv1.Project) url.Values {
	out := url.Values{}
	for name, values := range v {
		group, _, _ := strings.Cut(name, ".")
		if !slices.ContainsFunc(planRows, func(g planGroup) bool { return g.group == group }) {
			out[name] = values
		}
	}
	for _, rows := range planRows {
		typed := map[string]int{}
		for i := 0; v.Has(fmt.Sprintf("%s.%d.code", rows.group, i)) && i < maxFormRows; i++ {
			typed[v.Get(fmt.Sprintf("%s.%d.code", rows.group, i))] = i
		}
		for i, code := range rows.codes(pr) {
			j, ok := typed[code]
			if !ok {
				continue
			}
			for _, f := range rows.fields {
				out.Set(fmt.Sprintf("%s.%d.%s", rows.group, i, f), v.Get(fmt.Sprintf("%s.%d.%s", rows.group, j, f)))
			}
		}
	}
	return out
}

func codesOf[M interface{ GetCode() string }](items []M) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.GetCode()
	}
	return out
}
