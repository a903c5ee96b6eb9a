package server_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/server"
)

// TestReportOfAQuarterNotStarted checks on every surface that a report of
// a quarter that has not begun in Italy is refused INVALID_ARGUMENT naming
// monitoring_report_id, reason QUARTER_NOT_STARTED, with nothing written,
// though the quarter is inside the project's span (ADR 39); that the
// running quarter is accepted; and that the day is Rome's: at 00:30 on 1
// January in Rome, still 31 December in UTC, the new quarter has begun.
// Before, any quarter of the span was accepted, years ahead.
func TestReportOfAQuarterNotStarted(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		at := func(when time.Time) surface { // a token signed at the clock's new time
			ts.Clock.Advance(when.Sub(ts.Clock.Now()))
			return newSurfaceFor(t, ts, kind, regionAdminSpec("molise"))
		}
		admin := at(time.Date(2026, time.November, 30, 11, 0, 0, 0, time.UTC))
		p := mustOK(admin.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/molise", ProjectId: "futuro", Project: &famiv1.Project{
			Code: "PROG-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2026-01-01", EndDate: "2029-12-31"}}))(t, "project")
		create := func(period string) error { // as the admin of the time
			_, err := admin.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: period,
				MonitoringReport: &famiv1.MonitoringReport{Notes: "Trimestre"}})
			return err
		}
		mustOK(struct{}{}, create("2026-q4"))(t, "the running quarter's report")
		for _, period := range []string{"2027-q1", "2029-q4"} {
			err := create(period)
			checkErr(t, period, err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"monitoring_report_id"}})
			if e, ok := asCallError(err); ok && !slices.Equal(e.FieldReasons, []string{errs.QuarterNotStarted}) {
				t.Errorf("%s: violation reasons %q, want %s", period, e.FieldReasons, errs.QuarterNotStarted)
			}
			_, err = admin.GetMonitoringReport(ctx, &famiv1.GetMonitoringReportRequest{Name: p.GetName() + "/monitoringReports/" + period})
			checkErr(t, "the refused report "+period, err, wantErr{codes.NotFound, "NOT_FOUND", nil})
		}

		// 23:30 UTC on 31 December is 00:30 on 1 January in Rome.
		admin = at(time.Date(2026, time.December, 31, 23, 30, 0, 0, time.UTC))
		mustOK(struct{}{}, create("2027-q1"))(t, "the quarter begun in Rome")
	})
}
