package server_test

import (
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestDashboardKeepsRegionOfIndicatorsOnly checks on every surface that a
// region whose only figures for a quarter are indicators achieved (a
// project shortened after reporting it, so monitored by none) still has
// its row in the national dashboard, and that its indicators are in the
// national totals.
func TestDashboardKeepsRegionOfIndicatorsOnly(t *testing.T) {
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
