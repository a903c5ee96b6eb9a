package server_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/server"
)

// TestDashboardKeepsRegionOfIndicatorsOnly checks on every surface that a
// region whose only figures for a quarter are indicators achieved (a
// project shortened after reporting it, so monitored by none) still has
// its row in the national dashboard, and that its indicators are in the
// national totals.
func TestDashboardKeepsRegionOfIndicatorsOnly(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		const parent = "regions/molise"
		admin := newSurfaceFor(t, ts, kind, regionAdminSpec("molise"))
		p := mustOK(admin.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: parent, ProjectId: "corto", Project: &famiv1.Project{
			Code: "PROG-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2021-01-01", EndDate: "2021-12-31",
			Indicators: []*famiv1.Indicator{{Code: "OUT-01", Name: "Reti", Unit: "reti", Kind: famiv1.IndicatorKind_INDICATOR_KIND_OUTPUT, Target: 10, TargetDate: "2021-06-30"}}}}))(t, "project")
		mustOK(admin.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2021-q4",
			MonitoringReport: &famiv1.MonitoringReport{IndicatorValues: []*famiv1.IndicatorValue{{Indicator: "OUT-01", Value: 7}}}}))(t, "report")
		p.EndDate = "2021-06-30"
		mustOK(admin.UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: p, UpdateMask: mask("end_date")}))(t, "shorten the project")

		res := mustOK(newSurfaceFor(t, ts, kind, ministrySpec).SummarizeRegions(ctx, &famiv1.SummarizeRegionsRequest{Name: "regions/-", Period: "2021-q4"}))(t, "national dashboard")
		if rows := res.GetRegions(); len(rows) != 1 || rows[0].GetRegion() != parent || rows[0].GetMonitoredProjects() != 0 {
			t.Fatalf("rows %v, want molise's alone, monitoring no project", rows)
		}
		if ind := res.GetTotals().GetIndicators(); len(ind) != 1 || ind[0].GetCode() != "OUT-01" || ind[0].GetAchieved() != 7 {
			t.Errorf("national indicators %v, want OUT-01 achieved 7", ind)
		}
	})
}

// TestRegionMoneyCeiling checks on every surface the bound that keeps
// money sums from overflowing: 100 reports of 100 lines of the largest
// amount bring a region's paid and committed to check.MaxRegionCents
// exactly, and are written; the next report, which would pass it, is
// refused with LIMIT_REACHED and nothing of it is written; the region's
// and the nation's summaries answer the ceiling, not a wrapped sum. The
// server's clock is moved to the last quarter's first day: a report of a
// quarter not begun is refused (ADR 39).
func TestRegionMoneyCeiling(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ts.Clock.Advance(time.Date(2046, time.January, 1, 12, 0, 0, 0, time.UTC).Sub(ts.Clock.Now()))
		ctx := t.Context()
		const parent = "regions/molise"
		admin := newSurfaceFor(t, ts, kind, regionAdminSpec("molise"))
		pr := &famiv1.Project{Code: "PROG-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2021-01-01", EndDate: "2046-03-31"}
		full := &famiv1.MonitoringReport{}
		for i := range 100 {
			code := fmt.Sprintf("A%02d", i)
			pr.Actions = append(pr.Actions, &famiv1.ProjectAction{Code: code, Title: "Azione"})
			full.Expenditures = append(full.Expenditures, &famiv1.ActionExpenditure{Action: code, CommittedCents: check.MaxCents, PaidCents: check.MaxCents})
		}
		p := mustOK(admin.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: parent, ProjectId: "grande", Project: pr}))(t, "project")
		for q := range 100 {
			period := fmt.Sprintf("%d-q%d", 2021+q/4, q%4+1)
			mustOK(admin.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: period, MonitoringReport: full}))(t, "report "+period)
		}
		_, err := admin.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2046-q1", MonitoringReport: full})
		checkErr(t, "a report past the region's ceiling", err, wantErr{codes.FailedPrecondition, "LIMIT_REACHED", nil})
		_, err = admin.GetMonitoringReport(ctx, &famiv1.GetMonitoringReportRequest{Name: p.GetName() + "/monitoringReports/2046-q1"})
		checkErr(t, "the refused report", err, wantErr{codes.NotFound, "NOT_FOUND", nil})

		const ceiling = int64(check.MaxRegionCents)
		for _, sum := range []*famiv1.MonitoringSummary{
			summarize(t, admin, parent, "2046-q1"),
			summarize(t, newSurfaceFor(t, ts, kind, ministrySpec), "regions/-", "2046-q1"),
		} {
			if sum.GetPaidCents() != ceiling || sum.GetCommittedCents() != ceiling || sum.GetQuarterPaidCents() != 0 {
				t.Errorf("%s: paid %d, committed %d, quarter's paid %d; want %d, %d, 0", sum.GetParent(),
					sum.GetPaidCents(), sum.GetCommittedCents(), sum.GetQuarterPaidCents(), ceiling, ceiling)
			}
		}
	})
}

// TestPaidAboveBudgetFlagged checks on every surface that a report paying
// more than its project's budget is written, not refused (over-spending
// happens), and that the excess is flagged OVER_BUDGET on the report and
// in its quarter's summary (with REPORT_OVERDUE: the draft was never
// submitted), where paid_percent passes 100.
func TestPaidAboveBudgetFlagged(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		admin := newSurfaceFor(t, ts, kind, regionAdminSpec("molise"))
		p := mustOK(admin.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/molise", ProjectId: "oltre", Project: &famiv1.Project{
			Code: "PROG-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2021-01-01", EndDate: "2021-12-31", BudgetCents: 100000,
			Actions: []*famiv1.ProjectAction{{Code: "01", Title: "Azione"}}}}))(t, "project")
		r := mustOK(admin.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2021-q1",
			MonitoringReport: &famiv1.MonitoringReport{Expenditures: []*famiv1.ActionExpenditure{{Action: "01", CommittedCents: 999999, PaidCents: 999999}}}}))(t, "report")
		if got, want := kinds(r.GetFlags()), []string{"MONITORING_FLAG_KIND_OVER_BUDGET:budget"}; !slices.Equal(got, want) {
			t.Errorf("flags %q, want %q", got, want)
		}
		sum := summarize(t, admin, p.GetName(), "2021-q1")
		if got := flagCounts(sum); !slices.Contains(got, "MONITORING_FLAG_KIND_OVER_BUDGET=1") || sum.GetPaidPercent() < 999 {
			t.Errorf("summary flags %q, paid %.3f%%; want OVER_BUDGET=1 among them and 999.999%%", got, sum.GetPaidPercent())
		}
	})
}

// TestPaidPercentOfTheProjectsItCounts checks on every surface that a
// summary's percentages set each project's money against its own budget
// (ADR 32). A network runs a project that ended in 2016-q2 having paid
// its whole budget (EUR 1,000) and one still running that paid EUR 100 of
// its EUR 1,000 in 2016-q3. In 2016-q3 the network, the region and the
// nation have paid EUR 1,100 to date, EUR 1,000 of it by the ended
// project, whose budget is no longer planned: 10% of the running
// project's budget is paid, not 110%. The ended project's own summary
// plans nothing and says its money is an ended project's.
func TestPaidPercentOfTheProjectsItCounts(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		seedPartners(t, ctx, s, famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, "udp")
		project := func(id, end string) *famiv1.Project {
			return mustOK(s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: id, Project: &famiv1.Project{
				Code: "PROG-" + id, Title: "Progetto " + id, Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2016-01-01", EndDate: end, BudgetCents: 100000,
				Actions: []*famiv1.ProjectAction{{Code: "01", Title: "Azione"}}}}))(t, "project "+id)
		}
		ended, running := project("finito", "2016-06-30"), project("attivo", "2017-12-31")
		pay := func(p *famiv1.Project, period string, committed, paid int64) {
			mustOK(s.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: period,
				MonitoringReport: &famiv1.MonitoringReport{Expenditures: []*famiv1.ActionExpenditure{{Action: "01", CommittedCents: committed, PaidCents: paid}}}}))(t, "report "+period)
		}
		pay(ended, "2016-q1", 100000, 100000)
		pay(running, "2016-q3", 20000, 10000)
		n := seedNetworkLedBy(t, ctx, s, "rete", "udp")
		n.Projects = []*famiv1.NetworkProject{{Project: ended.GetName()}, {Project: running.GetName()}}
		mustOK(s.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: n, UpdateMask: mask("projects")}))(t, "the network runs both")

		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		for _, c := range []struct {
			parent                            string
			projects, budget, committed, paid int64
			endedCommitted, endedPaid         int64
			committedPercent, paidPercent     float64
		}{
			{n.GetName(), 1, 100000, 120000, 110000, 100000, 100000, 20, 10},
			{lombardia, 1, 100000, 120000, 110000, 100000, 100000, 20, 10},
			{"regions/-", 1, 100000, 120000, 110000, 100000, 100000, 20, 10},
			{ended.GetName(), 0, 0, 100000, 100000, 100000, 100000, 0, 0},
			{running.GetName(), 1, 100000, 20000, 10000, 0, 0, 20, 10},
		} {
			sum := summarize(t, ministry, c.parent, "2016-q3")
			got := fmt.Sprintf("%d projects, budget %d, committed %d (%.2f%%), paid %d (%.2f%%), of ended projects %d and %d",
				sum.GetProjects(), sum.GetBudgetCents(), sum.GetCommittedCents(), sum.GetCommittedPercent(), sum.GetPaidCents(), sum.GetPaidPercent(), sum.GetEndedCommittedCents(), sum.GetEndedPaidCents())
			want := fmt.Sprintf("%d projects, budget %d, committed %d (%.2f%%), paid %d (%.2f%%), of ended projects %d and %d",
				c.projects, c.budget, c.committed, c.committedPercent, c.paid, c.paidPercent, c.endedCommitted, c.endedPaid)
			if got != want {
				t.Errorf("%s in 2016-q3:\n got  %s\n want %s", c.parent, got, want)
			}
		}
		// In 2016-q1 both ran: nothing is an ended project's.
		if sum := summarize(t, ministry, n.GetName(), "2016-q1"); sum.GetBudgetCents() != 200000 || sum.GetPaidPercent() != 50 || sum.GetEndedPaidCents() != 0 {
			t.Errorf("the network in 2016-q1: budget %d, paid %.2f%%, of ended projects %d; want 200000, 50%%, 0", sum.GetBudgetCents(), sum.GetPaidPercent(), sum.GetEndedPaidCents())
		}
	})
}

// TestIndicatorsAddUpByUnit checks on every surface that indicators are
// added up by code and unit. Two projects' plans give "OUT-01" (codes are
// each project's own) in persons and in hours: the region's summary, the
// network's of both and the national dashboard show 4 of 10 persons and
// 30 of 100 hours, one row each. Before, they were one row, 34 of 110 in
// whichever unit the first plan named.
func TestIndicatorsAddUpByUnit(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		seedPartners(t, ctx, s, famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, "udp")
		n := seedNetworkLedBy(t, ctx, s, "rete", "udp")
		for _, c := range []struct {
			id, name, unit string
			target, value  float64
		}{{"persone", "Persone raggiunte", "persone", 10, 4}, {"ore", "Ore di formazione", "ore", 100, 30}} {
			p := mustOK(s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: c.id, Project: &famiv1.Project{
				Code: "PROG-" + c.id, Title: "Progetto " + c.id, Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2021-01-01", EndDate: "2021-12-31",
				Indicators: []*famiv1.Indicator{{Code: "OUT-01", Name: c.name, Unit: c.unit, Kind: famiv1.IndicatorKind_INDICATOR_KIND_OUTPUT, Target: c.target, TargetDate: "2021-12-31"}}}}))(t, "project "+c.id)
			mustOK(s.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2021-q1",
				MonitoringReport: &famiv1.MonitoringReport{IndicatorValues: []*famiv1.IndicatorValue{{Indicator: "OUT-01", Value: c.value}}}}))(t, "report of "+c.id)
			n.Projects = append(n.Projects, &famiv1.NetworkProject{Project: p.GetName()})
		}
		mustOK(s.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: n, UpdateMask: mask("projects")}))(t, "the network runs both")

		want := []*famiv1.IndicatorProgress{
			{Code: "OUT-01", Name: "Ore di formazione", Unit: "ore", Target: 100, Achieved: 30, Percent: 30},
			{Code: "OUT-01", Name: "Persone raggiunte", Unit: "persone", Target: 10, Achieved: 4, Percent: 40},
		}
		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		dash := mustOK(ministry.SummarizeRegions(ctx, &famiv1.SummarizeRegionsRequest{Name: "regions/-", Period: "2021-q1"}))(t, "national dashboard")
		for what, got := range map[string][]*famiv1.IndicatorProgress{
			"the region's summary":   summarize(t, s, lombardia, "2021-q1").GetIndicators(),
			"the network's summary":  summarize(t, s, n.GetName(), "2021-q1").GetIndicators(),
			"the nation's summary":   summarize(t, ministry, "regions/-", "2021-q1").GetIndicators(),
			"the national dashboard": dash.GetTotals().GetIndicators(),
		} {
			if len(got) != len(want) {
				t.Errorf("%s: %v, want a row per unit: %v", what, got, want)
				continue
			}
			for i := range want {
				if !proto.Equal(got[i], want[i]) {
					t.Errorf("%s, row %d: got %v, want %v", what, i, got[i], want[i])
				}
			}
		}
	})
}
