package server_test

import (
	"math"
	"slices"
	"strconv"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// Shorthands of the scenario's enums.
const (
	notStarted = famiv1.ActivityState_ACTIVITY_STATE_NOT_STARTED
	onSchedule = famiv1.ActivityState_ACTIVITY_STATE_ON_SCHEDULE
	late       = famiv1.ActivityState_ACTIVITY_STATE_LATE
	completed  = famiv1.ActivityState_ACTIVITY_STATE_COMPLETED

	draft     = famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT
	submitted = famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED
	approved  = famiv1.MonitoringReportState_MONITORING_REPORT_STATE_APPROVED
	returned  = famiv1.MonitoringReportState_MONITORING_REPORT_STATE_RETURNED
)

// labImpactQuarter is Lab'Impact's report of a 2021 quarter: the state of
// the four timetable activities, the four indicators' values, and what was
// committed and paid (EUR, one line per action in q1, action 02 after).
func labImpactQuarter(q int) *famiv1.MonitoringReport {
	st := func(code string, s famiv1.ActivityState, start, end string) *famiv1.ActivityStatus {
		return &famiv1.ActivityStatus{Activity: code, State: s, ActualStart: start, ActualEnd: end}
	}
	vals := func(networks, hours, meetings, attendances float64) []*famiv1.IndicatorValue {
		return []*famiv1.IndicatorValue{{Indicator: "OUT-01", Value: networks}, {Indicator: "OUT-02", Value: hours}, {Indicator: "OUT-03", Value: meetings}, {Indicator: "RES-01", Value: attendances}}
	}
	spent := func(committed, paid int64) []*famiv1.ActionExpenditure {
		return []*famiv1.ActionExpenditure{{Action: "02", CommittedCents: committed * 100, PaidCents: paid * 100}}
	}
	switch q {
	case 1:
		return &famiv1.MonitoringReport{
			Activities: []*famiv1.ActivityStatus{st("01.1", onSchedule, "2019-01-15", ""), st("02.1", onSchedule, "2019-05-02", ""),
				st("03.1", onSchedule, "2019-03-01", ""), st("04.1", onSchedule, "2021-01-11", "")},
			IndicatorValues: vals(24, 450, 100, 300),
			Expenditures: []*famiv1.ActionExpenditure{
				{Action: "01", CommittedCents: 120000000, PaidCents: 100000000},
				{Action: "02", CommittedCents: 230000000, PaidCents: 200000000},
				{Action: "03", CommittedCents: 90000000, PaidCents: 70000000},
				{Action: "04", CommittedCents: 60000000, PaidCents: 50000000},
			},
			ReimbursementClaims: []*famiv1.ReimbursementClaim{{Reference: "DdR 5", AmountCents: 150000000, FiledOn: "2021-03-15"}},
			PeopleReached: []*famiv1.PeopleCount{
				{AgeBand: famiv1.AgeBand_AGE_BAND_18_29, Sex: famiv1.Sex_SEX_FEMALE, Count: 12},
				{AgeBand: famiv1.AgeBand_AGE_BAND_30_49, Sex: famiv1.Sex_SEX_MALE, Count: 8},
			},
			OperatorsTrained: []*famiv1.TrainedOperators{{Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_TEACHER, Count: 5}},
		}
	case 2:
		return &famiv1.MonitoringReport{
			Activities: []*famiv1.ActivityStatus{st("01.1", completed, "2019-01-15", "2021-06-30"), st("02.1", onSchedule, "2019-05-02", ""),
				st("03.1", onSchedule, "2019-03-01", ""), st("04.1", late, "2021-01-11", "")},
			IndicatorValues: vals(28, 520, 120, 400),
			Expenditures:    spent(300000, 200000),
		}
	case 3:
		return &famiv1.MonitoringReport{
			Activities: []*famiv1.ActivityStatus{st("01.1", completed, "2019-01-15", "2021-06-30"), st("02.1", onSchedule, "2019-05-02", ""),
				st("03.1", completed, "2019-03-01", "2021-09-30"), st("04.1", completed, "2021-01-11", "2021-07-15")},
			IndicatorValues: vals(31, 610, 140, 450),
			Expenditures:    spent(200000, 100000),
		}
	}
	return &famiv1.MonitoringReport{
		Activities: []*famiv1.ActivityStatus{st("01.1", completed, "2019-01-15", "2021-06-30"), st("02.1", completed, "2019-05-02", "2021-12-20"),
			st("03.1", completed, "2019-03-01", "2021-09-30"), st("04.1", completed, "2021-01-11", "2021-07-15")},
		IndicatorValues: vals(33, 700, 160, 500),
		Expenditures:    spent(1000000, 800000),
	}
}

// kinds lists the kinds of a report's flags, with their subjects.
func kinds(flags []*famiv1.MonitoringFlag) []string {
	var out []string
	for _, f := range flags {
		out = append(out, f.GetKind().String()+":"+f.GetSubject())
	}
	return out
}

// TestMonitoringScenarioEverySurface is the acceptance scenario of the
// quarterly monitoring, on each surface against its own server:
// Lab'Impact's plan, its four 2021 reports through submission, return,
// approval and a correction, the flags found in them, the summaries per
// project, network and region, an overdue quarter, and the rights.
func TestMonitoringScenarioEverySurface(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{MunicipalitiesFile: municipalitiesFile}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		admin := newSurfaceAs(t, ts, kind, ts.token)
		as := func(spec auth.TokenSpec) surface {
			return newSurfaceFor(t, ts, kind, spec)
		}

		// The registry: Lab'Impact with its funded extension, the
		// network that implements it and one that does not.
		seedPartners(t, ctx, s, famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR, "udp-milano", "cpia-milano", "udp-bergamo", "ets-bergamo")
		p, err := s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "lab-impact", Project: labImpact()})
		if err != nil {
			t.Fatalf("create lab-impact: %v", err)
		}
		if _, err := s.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: p.GetName(), Extension: &famiv1.Extension{
			EndDate: "2023-06-30", BudgetCents: 925000000, FinancialPlan: []*famiv1.ActionBudget{
				{Action: "01", BudgetCents: 215000000}, {Action: "02", BudgetCents: 440000000},
				{Action: "03", BudgetCents: 160000000}, {Action: "04", BudgetCents: 110000000}}}}); err != nil {
			t.Fatalf("funded extension: %v", err)
		}
		for _, n := range []struct{ id, lead, member string }{{"rete-milano", "udp-milano", "cpia-milano"}, {"rete-bergamo", "udp-bergamo", "ets-bergamo"}} {
			net := &famiv1.Network{DisplayName: n.id, LeadPartner: partnerName(n.lead), Members: []*famiv1.Member{
				{Partner: partnerName(n.lead), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}, {Partner: partnerName(n.member), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}}}
			if n.id == "rete-milano" {
				net.Projects = []*famiv1.NetworkProject{{Project: p.GetName(), Actions: []string{"02"}}}
			}
			if _, err := s.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: n.id, Network: net}); err != nil {
				t.Fatalf("create network %s: %v", n.id, err)
			}
		}
		lead := as(auth.TokenSpec{Subject: "test:staff:udp-milano", Role: principal.NetworkMember, Region: "lombardia", Partner: partnerName("udp-milano")})
		outsider := as(auth.TokenSpec{Subject: "test:staff:udp-bergamo", Role: principal.NetworkMember, Region: "lombardia", Partner: partnerName("udp-bergamo")})
		veneto := as(regionAdminSpec("veneto"))
		ministry := as(ministrySpec)
		report := func(q string) string { return p.GetName() + "/monitoringReports/" + q }

		create := func(c surface, q string, r *famiv1.MonitoringReport) *famiv1.MonitoringReport {
			t.Helper()
			got, err := c.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: q, MonitoringReport: r})
			if err != nil {
				t.Fatalf("create report %s: %v", q, err)
			}
			return got
		}
		step := func(what string, r *famiv1.MonitoringReport, err error, want famiv1.MonitoringReportState) *famiv1.MonitoringReport {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if r.GetState() != want {
				t.Fatalf("%s: state %s, want %s", what, r.GetState(), want)
			}
			return r
		}
		submit := func(c surface, q string) *famiv1.MonitoringReport {
			t.Helper()
			r, err := c.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: report(q)})
			return step("submit "+q, r, err, submitted)
		}
		approve := func(q string) *famiv1.MonitoringReport {
			t.Helper()
			r, err := admin.ApproveMonitoringReport(ctx, &famiv1.ApproveMonitoringReportRequest{Name: report(q)})
			return step("approve "+q, r, err, approved)
		}

		// Q1, written and submitted by the lead partner's staff: the
		// workshop attendances are behind their straight line (300 of
		// an expected 387).
		r1 := create(lead, "2021-q1", labImpactQuarter(1))
		if got, want := kinds(r1.GetFlags()), []string{"MONITORING_FLAG_KIND_INDICATOR_BEHIND:RES-01"}; !slices.Equal(got, want) {
			t.Errorf("2021-q1 flags: got %q, want %q", got, want)
		}
		if r1.GetName() != report("2021-q1") || r1.GetPeriod() != "2021-q1" || r1.GetState() != draft || r1.GetRevision() != 1 {
			t.Errorf("2021-q1: got %s %s %s revision %d, want %s 2021-q1 DRAFT revision 1", r1.GetName(), r1.GetPeriod(), r1.GetState(), r1.GetRevision(), report("2021-q1"))
		}
		// Staff of a network that does not implement the project may
		// neither submit nor write its reports.
		_, err = outsider.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: report("2021-q1")})
		checkErr(t, "submit as staff of a network that does not implement the project", err, wantErr{codes.PermissionDenied, "NOT_PROJECT_NETWORK", nil})
		_, err = outsider.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2021-q2", MonitoringReport: labImpactQuarter(2)})
		checkErr(t, "create as staff of a network that does not implement the project", err, wantErr{codes.PermissionDenied, "NOT_PROJECT_NETWORK", nil})
		submit(lead, "2021-q1")
		// Only the region approves.
		_, err = lead.ApproveMonitoringReport(ctx, &famiv1.ApproveMonitoringReportRequest{Name: report("2021-q1")})
		checkErr(t, "approve as network staff", err, wantErr{codes.PermissionDenied, "ROLE_NOT_ALLOWED", nil})
		approve("2021-q1")

		// Q2: submitted by the region without the late workshops'
		// deviation, returned, completed and approved.
		create(admin, "2021-q2", labImpactQuarter(2))
		submit(admin, "2021-q2")
		_, err = admin.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: &famiv1.MonitoringReport{Name: report("2021-q2"), Notes: "x"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"notes"}}})
		checkErr(t, "edit a submitted report", err, wantErr{codes.FailedPrecondition, "REPORT_SUBMITTED", nil})
		_, err = admin.ReturnMonitoringReport(ctx, &famiv1.ReturnMonitoringReportRequest{Name: report("2021-q2")})
		checkErr(t, "return without reasons", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"reason"}})
		r2, err := admin.ReturnMonitoringReport(ctx, &famiv1.ReturnMonitoringReportRequest{Name: report("2021-q2"), Reason: "Activity 04.1 is late: explain the deviation"})
		step("return 2021-q2", r2, err, returned)
		deviation := &famiv1.Deviation{Activity: "04.1", Description: "Workshops postponed", Cause: "Covid-19 restrictions on meetings in presence",
			CorrectiveAction: "Workshops online from July", NewDate: "2021-07-31"}
		r2, err = admin.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{
			MonitoringReport: &famiv1.MonitoringReport{Name: report("2021-q2"), Deviations: []*famiv1.Deviation{deviation}},
			UpdateMask:       &fieldmaskpb.FieldMask{Paths: []string{"deviations"}}})
		step("complete the returned 2021-q2", r2, err, returned)
		if got, want := kinds(r2.GetFlags()), []string{"MONITORING_FLAG_KIND_ACTIVITY_LATE:04.1"}; !slices.Equal(got, want) {
			t.Errorf("2021-q2 flags: got %q, want %q", got, want)
		}
		submit(admin, "2021-q2")
		approve("2021-q2")

		// Q3: paid EUR 100,000 in the quarter, EUR 4,500,000 to date:
		// behind the budget's pace (EUR 4,723,000 at 80%).
		r3 := create(lead, "2021-q3", labImpactQuarter(3))
		if got, want := kinds(r3.GetFlags()), []string{"MONITORING_FLAG_KIND_SPENDING_BEHIND:budget"}; !slices.Equal(got, want) {
			t.Errorf("2021-q3 flags: got %q, want %q", got, want)
		}
		submit(lead, "2021-q3")
		approvedQ3 := approve("2021-q3")
		sum3 := summarize(t, admin, p.GetName(), "2021-q3")
		if got := flagCounts(sum3); !slices.Equal(got, []string{"MONITORING_FLAG_KIND_SPENDING_BEHIND=1"}) {
			t.Errorf("2021-q3 summary flags before the correction: got %q", got)
		}

		// Approval locks the report (409 over REST).
		for _, mask := range []string{"expenditures", "notes"} {
			_, err = admin.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: &famiv1.MonitoringReport{Name: report("2021-q3"), Notes: "late fix"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{mask}}})
			checkErr(t, "edit an approved report ("+mask+")", err, wantErr{codes.FailedPrecondition, "REPORT_APPROVED", nil})
		}
		if ce, ok := asCallError(err); ok && kind == "rest" && ce.HTTPStatus != 409 {
			t.Errorf("edit an approved report over REST: HTTP %d, want 409", ce.HTTPStatus)
		}
		_, err = lead.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: report("2021-q3")})
		checkErr(t, "submit an approved report", err, wantErr{codes.FailedPrecondition, "REPORT_APPROVED", nil})

		// A correction: a new revision with its reason; the approved
		// revision stays readable.
		_, err = admin.CorrectMonitoringReport(ctx, &famiv1.CorrectMonitoringReportRequest{Name: report("2021-q3")})
		checkErr(t, "correct without a reason", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"reason"}})
		c3, err := admin.CorrectMonitoringReport(ctx, &famiv1.CorrectMonitoringReportRequest{Name: report("2021-q3"), Reason: "Payments of September were left out"})
		step("correct 2021-q3", c3, err, draft)
		if c3.GetRevision() != 2 || c3.GetCorrectionReason() != "Payments of September were left out" {
			t.Errorf("corrected 2021-q3: revision %d, reason %q; want 2 and the reason", c3.GetRevision(), c3.GetCorrectionReason())
		}
		kept, err := ministry.GetMonitoringReport(ctx, &famiv1.GetMonitoringReportRequest{Name: report("2021-q3") + "@1"})
		if err != nil {
			t.Fatalf("get the approved revision 2021-q3@1: %v", err)
		}
		wantKept := proto.CloneOf(approvedQ3)
		wantKept.Name, wantKept.Etag = report("2021-q3")+"@1", kept.GetEtag()
		if !proto.Equal(withoutTimes(kept), withoutTimes(wantKept)) {
			t.Errorf("2021-q3@1:\n got  %s\n want %s", brief(kept), brief(wantKept))
		}
		c3, err = admin.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{
			MonitoringReport: &famiv1.MonitoringReport{Name: report("2021-q3"), Expenditures: []*famiv1.ActionExpenditure{{Action: "02", CommittedCents: 20000000, PaidCents: 40000000}}},
			UpdateMask:       &fieldmaskpb.FieldMask{Paths: []string{"expenditures"}}})
		step("correct 2021-q3's payments", c3, err, draft)
		if len(c3.GetFlags()) != 0 {
			t.Errorf("corrected 2021-q3 flags: got %q, want none (EUR 4,800,000 paid to date)", kinds(c3.GetFlags()))
		}
		submit(lead, "2021-q3")
		approve("2021-q3")

		// Q4 reaches every target.
		create(lead, "2021-q4", labImpactQuarter(4))
		submit(lead, "2021-q4")
		approve("2021-q4")

		list, err := ministry.ListMonitoringReports(ctx, &famiv1.ListMonitoringReportsRequest{Parent: p.GetName(), PageSize: 3})
		if err != nil {
			t.Fatalf("list reports: %v", err)
		}
		more, err := ministry.ListMonitoringReports(ctx, &famiv1.ListMonitoringReportsRequest{Parent: p.GetName(), PageToken: list.GetNextPageToken()})
		if err != nil {
			t.Fatalf("list reports, page 2: %v", err)
		}
		var periods []string
		for _, r := range append(list.GetMonitoringReports(), more.GetMonitoringReports()...) {
			periods = append(periods, r.GetPeriod()+":"+r.GetState().String())
		}
		if want := []string{"2021-q1:MONITORING_REPORT_STATE_APPROVED", "2021-q2:MONITORING_REPORT_STATE_APPROVED", "2021-q3:MONITORING_REPORT_STATE_APPROVED", "2021-q4:MONITORING_REPORT_STATE_APPROVED"}; !slices.Equal(periods, want) || more.GetNextPageToken() != "" {
			t.Errorf("list reports: got %q (next %q), want %q", periods, more.GetNextPageToken(), want)
		}

		// The summaries: per project, network and region the same
		// figures, since Lab'Impact is the only project.
		indicators := func(networks, hours, meetings, attendances float64) []*famiv1.IndicatorProgress {
			return []*famiv1.IndicatorProgress{
				{Code: "OUT-01", Name: "Reti supportate", Unit: "reti", Target: 33, Achieved: networks, Percent: networks / 33 * 100},
				{Code: "OUT-02", Name: "Ore di accompagnamento personalizzato", Unit: "ore", Target: 700, Achieved: hours, Percent: hours / 700 * 100},
				{Code: "OUT-03", Name: "Incontri di supporto", Unit: "incontri", Target: 160, Achieved: meetings, Percent: meetings / 160 * 100},
				{Code: "RES-01", Name: "Presenze ai laboratori", Unit: "presenze", Target: 500, Achieved: attendances, Percent: attendances / 500 * 100},
			}
		}
		approvedOne := []*famiv1.ReportStateCount{{State: approved, Count: 1}}
		for _, parent := range []string{p.GetName(), networkName("rete-milano"), lombardia} {
			want := &famiv1.MonitoringSummary{Parent: parent, Period: "2021-q4", Projects: 1, Indicators: indicators(33, 700, 160, 500),
				BudgetCents: 925000000, CommittedCents: 650000000, PaidCents: 560000000,
				CommittedPercent: 650000000.0 / 925000000 * 100, PaidPercent: 560000000.0 / 925000000 * 100,
				QuarterCommittedCents: 100000000, QuarterPaidCents: 80000000, ReportStates: approvedOne}
			got := summarize(t, ministry, parent, "2021-q4")
			want.Revision = got.GetRevision()
			if !equalSummary(got, want) {
				t.Errorf("summary of %s, 2021-q4:\n got  %s\n want %s", parent, brief(got), brief(want))
			}
		}
		// After the project's end, it is no longer planned, but what its
		// reports say it spent stays spent, in every scope alike.
		for _, parent := range []string{p.GetName(), networkName("rete-milano"), lombardia} {
			got := summarize(t, ministry, parent, "2023-q4")
			if got.GetProjects() != 0 || got.GetBudgetCents() != 0 || got.GetCommittedCents() != 650000000 || got.GetPaidCents() != 560000000 {
				t.Errorf("summary of %s, 2023-q4 (after the project's end): got %s, want no project planned, EUR 6,500,000 committed and 5,600,000 paid to date", parent, brief(got))
			}
		}
		for _, c := range []struct {
			period string
			flags  []string
		}{
			{"2021-q1", []string{"MONITORING_FLAG_KIND_INDICATOR_BEHIND=1"}},
			{"2021-q2", []string{"MONITORING_FLAG_KIND_ACTIVITY_LATE=1"}},
			{"2021-q3", nil},
			{"2022-q1", []string{"MONITORING_FLAG_KIND_REPORT_OVERDUE=1"}},
		} {
			got := summarize(t, admin, lombardia, c.period)
			if !slices.Equal(flagCounts(got), c.flags) {
				t.Errorf("summary of %s: flags %q, want %q", c.period, flagCounts(got), c.flags)
			}
		}
		q1 := summarize(t, admin, networkName("rete-milano"), "2021-q1")
		if want := indicators(24, 450, 100, 300); !slices.EqualFunc(q1.GetIndicators(), want, func(a, b *famiv1.IndicatorProgress) bool { return proto.Equal(a, b) }) ||
			q1.GetPaidCents() != 420000000 || q1.GetCommittedCents() != 500000000 {
			t.Errorf("network summary of 2021-q1: got %s", brief(q1))
		}
		// An unreported past quarter is flagged overdue.
		q5 := summarize(t, ministry, p.GetName(), "2022-q1")
		if !slices.Equal(q5.GetOverdueProjects(), []string{p.GetName()}) || len(q5.GetReportStates()) != 1 || q5.GetReportStates()[0].GetState() != 0 || q5.GetReportStates()[0].GetCount() != 1 {
			t.Errorf("summary of 2022-q1: overdue %q, states %v; want lab-impact overdue, one project without a report", q5.GetOverdueProjects(), q5.GetReportStates())
		}

		// Rights: Veneto cannot read Lombardia's reports; the ministry
		// reads every region.
		_, err = veneto.GetMonitoringReport(ctx, &famiv1.GetMonitoringReportRequest{Name: report("2021-q1")})
		checkErr(t, "Veneto reads Lombardia's report", err, wantErr{codes.PermissionDenied, "OUTSIDE_REGION", nil})
		_, err = veneto.SummarizeMonitoring(ctx, &famiv1.SummarizeMonitoringRequest{Parent: lombardia, Period: "2021-q1"})
		checkErr(t, "Veneto summarizes Lombardia", err, wantErr{codes.PermissionDenied, "OUTSIDE_REGION", nil})
		if _, err := ministry.SummarizeMonitoring(ctx, &famiv1.SummarizeMonitoringRequest{Parent: "regions/veneto", Period: "2021-q1"}); err != nil {
			t.Errorf("the ministry summarizes Veneto: %v", err)
		}

		// Bad input names the field.
		bad := labImpactQuarter(1)
		bad.Activities[0].Activity = "09.9"
		bad.IndicatorValues[1].Value = math.NaN()
		bad.Expenditures[2].PaidCents = -1
		bad.PeopleReached[1].Count = -3
		// The same claim again, as typed differently: counted twice in
		// the sums.
		bad.ReimbursementClaims = append(bad.ReimbursementClaims, &famiv1.ReimbursementClaim{Reference: "DDR  5", AmountCents: 150000000, FiledOn: "2021-03-15"})
		_, err = admin.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2022-q2", MonitoringReport: bad})
		checkErr(t, "create a bad report", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{
			"monitoring_report.activities[0].activity",
			"monitoring_report.indicator_values[1].value",
			"monitoring_report.expenditures[2].paid_cents",
			"monitoring_report.reimbursement_claims[1].reference",
			"monitoring_report.people_reached[1].count",
		}})
		_, err = admin.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2021-Q5", MonitoringReport: &famiv1.MonitoringReport{}})
		checkErr(t, "create a report of a bad period", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"monitoring_report_id"}})
		_, err = admin.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2024-q1", MonitoringReport: &famiv1.MonitoringReport{}})
		checkErr(t, "create a report after the project's end", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"monitoring_report_id"}})
		_, err = admin.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2021-q1", MonitoringReport: &famiv1.MonitoringReport{}})
		checkErr(t, "create a quarter's second report", err, wantErr{codes.AlreadyExists, "ALREADY_EXISTS", []string{"monitoring_report_id"}})
	})
}

// TestMonitoringThresholdPerRegion checks that a region's threshold
// decides the "behind" flags.
func TestMonitoringThresholdPerRegion(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	s := newSurface(t, ts, "connect")
	admin := newSurfaceAs(t, ts, "rest", ts.token)
	p, err := s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "lab-impact", Project: func() *famiv1.Project {
		p := labImpact()
		p.Municipalities = nil
		return p
	}()})
	if err != nil {
		t.Fatalf("create lab-impact: %v", err)
	}
	st, err := admin.GetMonitoringSettings(ctx, &famiv1.GetMonitoringSettingsRequest{Name: lombardia + "/settings/monitoring"})
	if err != nil || st.GetBehindThresholdPercent() != 20 {
		t.Fatalf("default settings: %v, %v; want a threshold of 20", st, err)
	}
	_, err = admin.UpdateMonitoringSettings(ctx, &famiv1.UpdateMonitoringSettingsRequest{MonitoringSettings: &famiv1.MonitoringSettings{Name: lombardia + "/settings/monitoring", BehindThresholdPercent: 101}})
	checkErr(t, "a threshold over 100", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"monitoring_settings.behind_threshold_percent"}})
	// With a 25% threshold, 300 attendances of an expected 387 (22.5%
	// behind) are no longer flagged.
	if _, err := admin.UpdateMonitoringSettings(ctx, &famiv1.UpdateMonitoringSettingsRequest{MonitoringSettings: &famiv1.MonitoringSettings{Name: lombardia + "/settings/monitoring", BehindThresholdPercent: 25}}); err != nil {
		t.Fatalf("set the threshold: %v", err)
	}
	r, err := admin.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2021-q1", MonitoringReport: labImpactQuarter(1)})
	if err != nil {
		t.Fatalf("create 2021-q1: %v", err)
	}
	// The budget's pace: the project ends 2021-12-31 here, so EUR 4,200,000
	// paid of EUR 8,500,000 by 2021-03-31 (77% of the span) is behind.
	if got, want := kinds(r.GetFlags()), []string{"MONITORING_FLAG_KIND_SPENDING_BEHIND:budget"}; !slices.Equal(got, want) {
		t.Errorf("flags with a 25%% threshold: got %q, want %q", got, want)
	}
}

func summarize(t *testing.T, c surface, parent, period string) *famiv1.MonitoringSummary {
	t.Helper()
	sum, err := c.SummarizeMonitoring(t.Context(), &famiv1.SummarizeMonitoringRequest{Parent: parent, Period: period})
	if err != nil {
		t.Fatalf("summarize %s %s: %v", parent, period, err)
	}
	return sum
}

// flagCounts lists a summary's flag counts as KIND=n.
func flagCounts(s *famiv1.MonitoringSummary) []string {
	var out []string
	for _, f := range s.GetFlags() {
		out = append(out, f.GetKind().String()+"="+strconv.FormatInt(f.GetCount(), 10))
	}
	return out
}

// equalSummary compares summaries, percentages to 1e-9.
func equalSummary(got, want *famiv1.MonitoringSummary) bool {
	round := func(s *famiv1.MonitoringSummary) *famiv1.MonitoringSummary {
		c := proto.CloneOf(s)
		r := func(x float64) float64 { return math.Round(x*1e6) / 1e6 }
		c.CommittedPercent, c.PaidPercent = r(c.CommittedPercent), r(c.PaidPercent)
		for _, i := range c.Indicators {
			i.Percent = r(i.Percent)
		}
		return c
	}
	return proto.Equal(round(got), round(want))
}

// TestReportUpdateWithProjectEtag checks the project precondition of a
// report update on each surface: with the etag of the project as read, the
// update is written; with the etag of a project changed since, it is
// refused with PROJECT_CHANGED (409 over REST) and nothing is written, in
// the same transaction as the write, so no plan change can slip between a
// client's check and its update.
func TestReportUpdateWithProjectEtag(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		pr := labImpact()
		pr.Municipalities = nil
		p, err := s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "lab-impact", Project: pr})
		if err != nil {
			t.Fatalf("create lab-impact: %v", err)
		}
		r, err := s.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2021-q1", MonitoringReport: labImpactQuarter(1)})
		if err != nil {
			t.Fatalf("create 2021-q1: %v", err)
		}
		notes := func(text, projectEtag string) (*famiv1.MonitoringReport, error) {
			return s.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{
				MonitoringReport: &famiv1.MonitoringReport{Name: r.GetName(), Notes: text},
				UpdateMask:       &fieldmaskpb.FieldMask{Paths: []string{"notes"}}, ProjectEtag: projectEtag})
		}
		r, err = notes("written against the plan as read", p.GetEtag())
		if err != nil || r.GetNotes() != "written against the plan as read" {
			t.Fatalf("update with the project's etag: %v, notes %q", err, r.GetNotes())
		}

		// The plan changes: an activity inserted at the front.
		changed := proto.CloneOf(p)
		changed.Timetable = append([]*famiv1.PlannedActivity{{Code: "00.1", Title: "Kick-off", Action: "01", PlannedStart: "2019-01-02", PlannedEnd: "2019-01-31"}}, changed.Timetable...)
		if _, err := s.UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: changed, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"timetable"}}}); err != nil {
			t.Fatalf("change the plan: %v", err)
		}
		_, err = notes("written against the old plan", p.GetEtag())
		checkErr(t, "update with the etag of a project changed since", err, wantErr{codes.Aborted, "PROJECT_CHANGED", nil})
		if e, ok := asCallError(err); ok && restStatus(e) != 409 {
			t.Errorf("update with a stale project etag: HTTP %d, want 409", restStatus(e))
		}
		got, err := s.GetMonitoringReport(ctx, &famiv1.GetMonitoringReportRequest{Name: r.GetName()})
		if err != nil || !proto.Equal(got, r) {
			t.Errorf("report after the refused update:\n got  %v (%v)\n want %v", got, err, r)
		}
		// Without the precondition the update is written as before.
		if r, err = notes("no precondition", ""); err != nil || r.GetNotes() != "no precondition" {
			t.Errorf("update without a project etag: %v, notes %q", err, r.GetNotes())
		}
	})
}
