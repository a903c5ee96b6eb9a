package web

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/monitoring"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/territory"
)

// The quarterly monitoring (MonitoringService): a region's summary of a
// quarter, a project's reports with their states and flags, one report
// with its lifecycle (submit, approve, return with reasons). What the
// report says and which flags it carries are the service's; the pages only
// show them with Italian labels.

// monitoringSummary is a MonitoringSummary as the pages show it, with the
// indicators' achievement drawn as bars.
type monitoringSummary struct {
	*famiv1.MonitoringSummary
	Chart chart
	// Overdue is one page of the projects whose report is late (OverduePager
	// pages them), by name, labelled with their code and title rather than
	// their id.
	Overdue      []option
	OverduePager *pager
}

func newMonitoringSummary(ms *famiv1.MonitoringSummary) *monitoringSummary {
	c := chart{ID: "indicator-chart", Title: msg("monitoring.achievement")}
	for i, in := range ms.GetIndicators() {
		pct := min(max(in.GetPercent(), 0), 100)
		c.Bars = append(c.Bars, bar{Label: in.GetCode() + " " + in.GetName(), Value: formatPercent(in.GetPercent()),
			Y: i * (barHeight + 8), Width: int(pct * (chartWidth - labelWidth - 90) / 100)})
	}
	c.Height = len(c.Bars)*(barHeight+8) + 8
	return &monitoringSummary{MonitoringSummary: ms, Chart: c}
}

// monitoringPage is a region's (or a project's) monitoring of a quarter.
type monitoringPage struct {
	frame
	Form    *form
	Summary *monitoringSummary
	// Project and Reports are set on a project's page, ReportPager
	// pages Reports.
	Project     *famiv1.Project
	Reports     []*famiv1.MonitoringReport
	ReportPager *pager
	Projects    []*famiv1.Project
	// ProjectPager pages Projects, on the region's page.
	ProjectPager *pager
	// Awaiting are, on the region's page of a reviewer, the reports of
	// every quarter submitted and not yet reviewed, a page at a time
	// (AwaitingPager).
	Awaiting      []awaitingReport
	AwaitingPager *pager
	CanReview     bool
	NewForm       *form
	CanCreate     bool
	RequestID     string
	// Quarters are the filter's choices; NewQuarters, on a project's
	// page, the quarters of its span that have no report yet.
	Quarters, NewQuarters []option
}

// quarterParam is the quarter a monitoring page shows: the one asked for,
// or the last one that has ended.
func (a *App) quarterParam(r *http.Request) string {
	if q := strings.TrimSpace(r.URL.Query().Get("trimestre")); q != "" {
		return q
	}
	start, _ := quarterOf(a.today())
	return quarterID(start.AddDate(0, -3, 0))
}

// quarterChoices are the quarters a monitoring page's filter offers: from
// the first of the FAMI 2014-2020 programme to today's, and the one
// shown (selected) when it is outside them.
func (a *App) quarterChoices(selected string) []option {
	return quarterOptions(fundStart, a.today(), selected, nil)
}

// regionMonitoring is the region's summary of a quarter and its projects.
func (a *App) regionMonitoring(w http.ResponseWriter, r *http.Request, s *session) {
	period := a.quarterParam(r)
	p := &monitoringPage{frame: a.newFrame(r, s, "monitoring.title"), Form: newForm(url.Values{"trimestre": {period}}), Quarters: a.quarterChoices(period)}
	if !a.summarize(w, r, s, p, regionName(s.region), period) {
		return
	}
	code := http.StatusOK
	if p.Form.Failed() {
		code = http.StatusUnprocessableEntity
	}
	var err error
	p.Projects, p.ProjectPager, err = readPage(s, r, "", msg("projects.title"), a.projects.ListProjects, &famiv1.ListProjectsRequest{Parent: regionName(s.region)},
		(*famiv1.ListProjectsResponse).GetProjects, every)
	if err == nil {
		err = a.awaitingReview(r, s, p)
	}
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.render(w, code, "monitoring", p)
}

// awaitingReport is a report awaiting review as the region's page lists
// it: its project's label, its quarter, what it says was committed and
// paid in the quarter, who submitted it and when.
type awaitingReport struct {
	*famiv1.MonitoringReport
	// Project is the project's name, ProjectLabel its code and title.
	Project, ProjectLabel string
	CommittedCents        int64
	PaidCents             int64
}

// Href is the report's page, where it is approved or sent back.
func (r awaitingReport) Href() string {
	return "/progetti/" + url.PathEscape(resource.ID(r.Project)) + "/monitoraggio/" + url.PathEscape(r.GetPeriod())
}

// awaitingReview fills p, for a user who may review the region's reports,
// with a page of the reports submitted for review, of every project and
// quarter (ListMonitoringReports of projects/- with the SUBMITTED state,
// under the prefix "esa_" beside the projects' and the overdue pages),
// their projects labelled as the overdue ones are.
func (a *App) awaitingReview(r *http.Request, s *session, p *monitoringPage) error {
	every := regionName(s.region) + "/" + resource.Projects + "/" + resource.AnyParent
	p.CanReview = s.can(a, famiv1.MonitoringService_ApproveMonitoringReport_FullMethodName,
		&famiv1.ApproveMonitoringReportRequest{Name: every + "/" + resource.MonitoringReports + "/" + resource.AnyParent})
	if !p.CanReview {
		return nil
	}
	var err error
	p.Awaiting, p.AwaitingPager, err = readPage(s, r, "esa_", msg("monitoring.awaiting_title"), a.monitoring.ListMonitoringReports,
		&famiv1.ListMonitoringReportsRequest{Parent: every, States: []famiv1.MonitoringReportState{famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED}},
		(*famiv1.ListMonitoringReportsResponse).GetMonitoringReports, func(rep *famiv1.MonitoringReport) (awaitingReport, bool) {
			row := awaitingReport{MonitoringReport: rep}
			row.Project, _, _ = strings.Cut(rep.GetName(), "/"+resource.MonitoringReports+"/")
			for _, e := range rep.GetExpenditures() {
				row.CommittedCents += e.GetCommittedCents()
				row.PaidCents += e.GetPaidCents()
			}
			return row, true
		})
	if err != nil || len(p.Awaiting) == 0 {
		return err
	}
	names := make([]string, len(p.Awaiting))
	for i, row := range p.Awaiting {
		names[i] = row.Project
	}
	labels, err := a.projectLabels(s, nil, names)
	if err != nil {
		return err
	}
	for i := range p.Awaiting {
		p.Awaiting[i].ProjectLabel = cmp.Or(labels[p.Awaiting[i].Project], resource.ID(p.Awaiting[i].Project))
	}
	return nil
}

// summarize fills p's summary of parent's quarter; an invalid quarter is
// the form's error. It reports false when it answered the request.
func (a *App) summarize(w http.ResponseWriter, r *http.Request, s *session, p *monitoringPage, parent, period string) bool {
	ms, err := a.monitoring.SummarizeMonitoring(s.ctx, &famiv1.SummarizeMonitoringRequest{Parent: parent, Period: period})
	if formError(p.Form, err, "") {
		p.Form.alias("period", "trimestre")
		return true
	}
	if err != nil {
		a.fail(w, r, s, err)
		return false
	}
	p.Summary = newMonitoringSummary(ms)
	if err := a.overdueProjects(r, s, p.Summary); err != nil {
		a.fail(w, r, s, err)
		return false
	}
	return true
}

// overdueProjects fills sum's page of its overdue projects, labelled: a
// late quarter of a large region has hundreds, which the page reads a
// page at a time (under the prefix "rit_", beside the region's projects)
// through ListOverdueProjects, each project as its label needs it.
func (a *App) overdueProjects(r *http.Request, s *session, sum *monitoringSummary) error {
	if sum.OverdueCount() == 0 {
		return nil
	}
	var err error
	sum.Overdue, sum.OverduePager, err = readPage(s, r, "rit_", msg("monitoring.overdue_title"), a.monitoring.ListOverdueProjects,
		&famiv1.ListOverdueProjectsRequest{Parent: sum.GetParent(), Period: sum.GetPeriod(), ReadMask: projectLabelMask()},
		(*famiv1.ListOverdueProjectsResponse).GetProjects, func(p *famiv1.Project) (option, bool) {
			return option{Value: p.GetName(), Label: projectLabel(p)}, true
		})
	return err
}

// OverdueCount is how many projects the summary counts as overdue (its
// REPORT_OVERDUE flags): all of them, where overdue_projects names the
// first hundred.
func (m *monitoringSummary) OverdueCount() int64 {
	for _, f := range m.GetFlags() {
		if f.GetKind() == famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_REPORT_OVERDUE {
			return f.GetCount()
		}
	}
	return 0
}

// projectMonitoring lists a project's reports and summarizes a quarter.
func (a *App) projectMonitoring(w http.ResponseWriter, r *http.Request, s *session) {
	a.renderProjectMonitoring(w, r, s, http.StatusOK, newForm(nil))
}

func (a *App) renderProjectMonitoring(w http.ResponseWriter, r *http.Request, s *session, code int, nf *form) {
	pr, err := a.getProject(r, s)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	period := a.quarterParam(r)
	p := &monitoringPage{frame: a.newFrame(r, s, "monitoring.project_title"), Form: newForm(url.Values{"trimestre": {period}}),
		Project: pr, NewForm: nf, RequestID: newRequestID(), Quarters: a.quarterChoices(period),
		CanCreate: s.can(a, famiv1.MonitoringService_CreateMonitoringReport_FullMethodName, &famiv1.CreateMonitoringReportRequest{Parent: pr.GetName()})}
	if p.CanCreate {
		if p.CanCreate, err = a.mayReport(s, pr.GetName()); err != nil {
			a.fail(w, r, s, err)
			return
		}
	}
	p.Title = msgf("monitoring.project_title", pr.GetTitle())
	p.Reports, p.ReportPager, err = readPage(s, r, "", msg("monitoring.reports"), a.monitoring.ListMonitoringReports,
		&famiv1.ListMonitoringReportsRequest{Parent: pr.GetName()}, (*famiv1.ListMonitoringReportsResponse).GetMonitoringReports, every)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	p.NewQuarters = unreportedQuarters(pr, p.Reports, a.today(), nf.Get("new_period"))
	if !a.summarize(w, r, s, p, pr.GetName(), period) {
		return
	}
	if p.Form.Failed() {
		code = http.StatusUnprocessableEntity
	}
	a.render(w, code, "monitoring", p)
}

// unreportedQuarters are the quarters of project pr's span, up to today's
// (the service refuses a report of a quarter not begun, ADR 39), that none
// of its reports is for, the choices of a new report, with selected (what
// a refused form sent) kept.
func unreportedQuarters(pr *famiv1.Project, reports []*famiv1.MonitoringReport, today time.Time, selected string) []option {
	start, err1 := time.ParseInLocation(time.DateOnly, pr.GetStartDate(), territory.Rome)
	end, err2 := time.ParseInLocation(time.DateOnly, pr.GetEndDate(), territory.Rome)
	if err1 != nil || err2 != nil { // the services keep a project's dates valid
		return withSelected(nil, selected)
	}
	if end.After(today) {
		end = today
	}
	reported := func(id string) bool {
		return slices.ContainsFunc(reports, func(r *famiv1.MonitoringReport) bool { return r.GetPeriod() == id })
	}
	return quarterOptions(start, end, selected, reported)
}

// createReport starts a quarter's report as a draft.
func (a *App) createReport(w http.ResponseWriter, r *http.Request, s *session) {
	nf := newForm(r.PostForm)
	nf.Prefix = "new_"
	period := strings.TrimSpace(r.PostFormValue("new_period"))
	_, err := a.monitoring.CreateMonitoringReport(s.ctx, &famiv1.CreateMonitoringReportRequest{Parent: pathName(r, s, resource.Projects, "project"),
		MonitoringReportId: period, MonitoringReport: &famiv1.MonitoringReport{Notes: r.PostFormValue("new_notes")},
		RequestId: r.PostFormValue("request_id")})
	if formError(nf, err, "monitoring_report.") {
		nf.alias("new_monitoring_report_id", "new_period")
		a.renderProjectMonitoring(w, r, s, http.StatusUnprocessableEntity, nf)
		return
	}
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	seeOther(w, r, noticed("/progetti/"+r.PathValue("project")+"/monitoraggio/"+url.PathEscape(period), "report_created"))
}

// reportPage shows one report and the lifecycle actions the user may take.
type reportPage struct {
	frame
	Report  *famiv1.MonitoringReport
	Project *famiv1.Project
	// Activity and indicator titles from the project's plan, by code.
	ActivityTitles, IndicatorNames, ActionTitles map[string]string
	Form                                         *form
	CanSubmit, CanReview, CanEdit                bool
	RequestID                                    string
}

func (p *reportPage) Submittable() bool { return p.CanSubmit && p.open() }

// Editable is a draft or returned report the user may change.
func (p *reportPage) Editable() bool { return p.CanEdit && p.open() }

// open reports whether the report is a draft or returned (not an earlier
// revision): it may change and be submitted.
func (p *reportPage) open() bool {
	st := p.Report.GetState()
	return !p.Earlier() && (st == famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT || st == famiv1.MonitoringReportState_MONITORING_REPORT_STATE_RETURNED)
}

// Correctable is an approved report the user may reopen as a correction.
func (p *reportPage) Correctable() bool {
	return p.CanReview && p.Report.GetState() == famiv1.MonitoringReportState_MONITORING_REPORT_STATE_APPROVED && !p.Earlier()
}

// Earlier reports whether the page shows an earlier approved revision
// ("{period}@{revision}"), which is read-only.
func (p *reportPage) Earlier() bool { return strings.Contains(p.Report.GetName(), "@") }

// Revisions are the earlier approved revisions of the report, readable
// as "{period}@{revision}".
func (p *reportPage) Revisions() []int32 {
	var out []int32
	for i := int32(1); i < p.Report.GetRevision() && !p.Earlier(); i++ {
		out = append(out, i)
	}
	return out
}

func (p *reportPage) Reviewable() bool {
	return p.CanReview && p.Report.GetState() == famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED
}

// reportName is the name of the monitoring report a page is about, which
// lives under its project: pathName's project, then the period.
func reportName(r *http.Request, s *session) string {
	return pathName(r, s, resource.Projects, "project") + "/" + resource.MonitoringReports + "/" + r.PathValue("period")
}

// reportAndProject reads the report the path names and its project.
func (a *App) reportAndProject(r *http.Request, s *session) (*famiv1.MonitoringReport, *famiv1.Project, error) {
	rep, err := a.monitoring.GetMonitoringReport(s.ctx, &famiv1.GetMonitoringReportRequest{Name: reportName(r, s)})
	if err != nil {
		return nil, nil, err
	}
	pr, err := a.getProject(r, s)
	if err != nil {
		return nil, nil, err
	}
	return rep, pr, nil
}

func (a *App) reportView(w http.ResponseWriter, r *http.Request, s *session) {
	a.renderReport(w, r, s, http.StatusOK, newForm(nil))
}

func (a *App) renderReport(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form) {
	rep, pr, err := a.reportAndProject(r, s)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	p := &reportPage{frame: a.newFrame(r, s, "monitoring.report_title"), Report: rep, Project: pr, Form: fm, RequestID: newRequestID(),
		ActivityTitles: map[string]string{}, IndicatorNames: map[string]string{}, ActionTitles: map[string]string{},
		CanSubmit: s.can(a, famiv1.MonitoringService_SubmitMonitoringReport_FullMethodName, &famiv1.SubmitMonitoringReportRequest{Name: rep.GetName()}),
		CanReview: s.can(a, famiv1.MonitoringService_ApproveMonitoringReport_FullMethodName, &famiv1.ApproveMonitoringReportRequest{Name: rep.GetName()}),
		CanEdit: s.can(a, famiv1.MonitoringService_UpdateMonitoringReport_FullMethodName,
			&famiv1.UpdateMonitoringReportRequest{MonitoringReport: &famiv1.MonitoringReport{Name: rep.GetName()}}),
	}
	if p.CanSubmit || p.CanEdit {
		may, err := a.mayReport(s, pr.GetName())
		if err != nil {
			a.fail(w, r, s, err)
			return
		}
		p.CanSubmit, p.CanEdit = p.CanSubmit && may, p.CanEdit && may
	}
	p.Title = msgf("monitoring.report_title", formatQuarter(rep.GetPeriod()), pr.GetTitle())
	for _, act := range pr.GetTimetable() {
		p.ActivityTitles[act.GetCode()] = act.GetTitle()
	}
	for _, in := range pr.GetIndicators() {
		p.IndicatorNames[in.GetCode()] = in.GetName() + " (" + in.GetUnit() + ")"
	}
	for _, act := range pr.GetActions() {
		p.ActionTitles[act.GetCode()] = act.GetTitle()
	}
	a.render(w, code, "report", p)
}

// mayReport asks the monitoring service's rule (monitoring.MayReport)
// whether the user may create, edit and submit project's reports, with
// the networks their partner belongs to (ListNetworks' partner filter):
// network staff whose partner leads no network implementing the project
// were offered forms and buttons the service refused. The rule reads
// networks for network staff alone, and of those only the ones that
// implement project (the project filter) with the two fields it weighs
// (reportMask): the partner's every network, whole, was read before. The
// registry serves the project filter from its refs index, so the check
// reads the project's networks alone, as the service's own does
// (registry.ImplementingNetworks), however many the region has.
func (a *App) mayReport(s *session, project string) (bool, error) {
	var networks []*famiv1.Network
	if s.who.Role == principal.NetworkMember && s.who.Partner != "" {
		var err error
		req := &famiv1.ListNetworksRequest{Parent: regionName(s.region), Partner: s.who.Partner, Project: project, ReadMask: reportMask()}
		if networks, err = aip.ListAll(s.ctx, unary(a.networks.ListNetworks), req, (*famiv1.ListNetworksResponse).GetNetworks); err != nil {
			return false, err
		}
	}
	return monitoring.MayReport(s.who, project, networks), nil
}

// reportMask is the read mask (AIP-157) of the networks mayReport weighs:
// their lead partner and their projects.
func reportMask() *fieldmaskpb.FieldMask {
	return &fieldmaskpb.FieldMask{Paths: []string{"lead_partner", "projects"}}
}

// reportAction is the lifecycle step done of a report ("invia", "approva",
// "restituisci" or "correggi", as its address ends): submit, approve,
// return, or reopen an approved report for correction.
func (a *App) reportAction(done string) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		name, etag, rid := reportName(r, s), r.PostFormValue("etag"), r.PostFormValue("request_id")
		var err error
		switch done {
		case "invia":
			_, err = a.monitoring.SubmitMonitoringReport(s.ctx, &famiv1.SubmitMonitoringReportRequest{Name: name, Etag: etag, RequestId: rid})
			if a.reportPages().advised(w, r, s, err, "monitoring.submit_advice") {
				return
			}
		case "approva":
			_, err = a.monitoring.ApproveMonitoringReport(s.ctx, &famiv1.ApproveMonitoringReportRequest{Name: name, Etag: etag, RequestId: rid})
		case "restituisci":
			_, err = a.monitoring.ReturnMonitoringReport(s.ctx, &famiv1.ReturnMonitoringReportRequest{Name: name, Reason: r.PostFormValue("reason"), Etag: etag, RequestId: rid})
		case "correggi":
			_, err = a.monitoring.CorrectMonitoringReport(s.ctx, &famiv1.CorrectMonitoringReportRequest{Name: name, Reason: r.PostFormValue("reason"), Etag: etag, RequestId: rid})
		default: // no route names another step
			a.notFound(w, r, s)
			return
		}
		fm := actionForm(r.PostForm)
		if done == "approva" { // the admin does not edit the report: its authors do
			fm.advice = "monitoring.approve_advice"
		}
		a.submitted(w, r, s, fm, err, "", func(code int) { a.renderReport(w, r, s, code, fm) }, noticed(reportAddress(r), "report_"+done))
	}
}

// reportAddress is the address of the report a request names, where its
// steps are asked from and lead back.
func reportAddress(r *http.Request) string {
	return "/progetti/" + url.PathEscape(r.PathValue("project")) + "/monitoraggio/" + url.PathEscape(r.PathValue("period"))
}

// flagAbout is what a monitoring flag is about, as the pages show it: the
// code of the activity or the indicator, the quarter of an overdue report
// ("1° trimestre 2021", not "2021-q1"), and nothing for spending behind or
// over budget, whose subject is the word "budget" that the label already says.
func flagAbout(f *famiv1.MonitoringFlag) string {
	switch f.GetKind() {
	case famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_SPENDING_BEHIND, famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_OVER_BUDGET:
		return ""
	case famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_REPORT_OVERDUE:
		return formatQuarter(f.GetSubject())
	}
	return f.GetSubject()
}

// fundStart is the first day of the FAMI 2014-2020 programme, the oldest
// quarter a monitoring filter offers.
var fundStart = time.Date(2014, time.January, 1, 0, 0, 0, 0, territory.Rome)

// quarterID is the id of t's quarter, as the API names it: "2021-q1".
func quarterID(t time.Time) string { return fmt.Sprintf("%d-q%d", t.Year(), (int(t.Month())+2)/3) }

// formatQuarter shows "2021-q1" as "1° trimestre 2021"; anything else as
// it is.
func formatQuarter(q string) string {
	var y, n int
	if _, err := fmt.Sscanf(q, "%4d-q%1d", &y, &n); err != nil || n < 1 || n > 4 || fmt.Sprintf("%04d-q%d", y, n) != q {
		return q
	}
	return msgf("monitoring.quarter", n, y)
}

// quarterOptions lists the quarters from first's to last's, newest first,
// valued with their ids and labelled as the pages show them ("1°
// trimestre 2021"), so people choose a quarter the way they read it
// instead of typing its id; skip, when set, leaves quarters out. The
// selected value leads the list when the list lacks it (a quarter outside
// it, or what an old form or an edited address sent, shown as it came):
// the select then shows what was asked, beside the error it may have got.
func quarterOptions(first, last time.Time, selected string, skip func(id string) bool) []option {
	var out []option
	from, _ := quarterOf(first)
	for q, _ := quarterOf(last); !q.Before(from); q = q.AddDate(0, -3, 0) {
		if id := quarterID(q); skip == nil || !skip(id) {
			out = append(out, option{Value: id, Label: formatQuarter(id)})
		}
	}
	return withSelected(out, selected)
}

// withSelected puts the quarter selected first in choices when they lack
// it (see quarterOptions).
func withSelected(choices []option, selected string) []option {
	if selected != "" && !slices.ContainsFunc(choices, func(o option) bool { return o.Value == selected }) {
		choices = append([]option{{Value: selected, Label: formatQuarter(selected)}}, choices...)
	}
	return choices
}

// formatPercent shows a percentage the Italian way, with one decimal.
func formatPercent(p float64) string {
	return strings.Replace(fmt.Sprintf("%.1f\u00a0%%", p), ".", ",", 1)
}

// formatNumber shows an indicator's value: whole numbers without decimals.
func formatNumber(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return strings.Replace(fmt.Sprintf("%.2f", v), ".", ",", 1)
}
