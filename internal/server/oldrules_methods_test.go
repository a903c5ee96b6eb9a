package server_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestReviewOfAReportThePlanNoLongerFits: on every surface, a report
// submitted, then approved, against a plan that changed since (an
// activity taken off the timetable) can still be returned to its authors
// and corrected, the steps that let them fix it; approving or submitting
// it is refused naming the value and saying what to do. Before, every
// step checked the report against today's plan: returned or corrected it
// was refused too, and a submitted report stayed in review for good (its
// authors cannot edit it there).
func TestReviewOfAReportThePlanNoLongerFits(t *testing.T) {
	onEachSurface(t, server.Config{MunicipalitiesFile: municipalitiesFile}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		p := mustOK(s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "lab-impact", Project: labImpact()}))(t, "create the project")
		report := p.GetName() + "/monitoringReports/2021-q1"
		r := mustOK(s.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2021-q1",
			MonitoringReport: labImpactQuarter(1)}))(t, "create the report")
		mustOK(s.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: report}))(t, "submit the report")
		// The report's fourth activity, 04.1, taken off the plan.
		withoutActivity := func(p *famiv1.Project, code string) *famiv1.Project {
			out := &famiv1.Project{Name: p.GetName()}
			for _, a := range p.GetTimetable() {
				if a.GetCode() != code {
					out.Timetable = append(out.Timetable, a)
				}
			}
			return out
		}
		p = mustOK(s.UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: withoutActivity(p, "04.1"), UpdateMask: mask("timetable")}))(t, "take 04.1 off the plan")
		offPlan := wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"monitoring_report.activities[3].activity"}}
		refused := func(step, says string, err error) {
			t.Helper()
			checkErr(t, step, err, offPlan)
			if e, ok := asCallError(err); ok && !strings.Contains(e.Message, says) {
				t.Errorf("%s: %q, want it to say %q", step, e.Message, says)
			}
		}

		_, err := s.ApproveMonitoringReport(ctx, &famiv1.ApproveMonitoringReportRequest{Name: report})
		refused("approve the report", "return the report to its authors (:return) to fix it", err)
		r = mustOK(s.ReturnMonitoringReport(ctx, &famiv1.ReturnMonitoringReportRequest{Name: report, Reason: "L'attività 04.1 non è più nel cronoprogramma"}))(t, "return the report")
		if r.GetState() != returned {
			t.Errorf("the report returned: %s", r.GetState())
		}
		_, err = s.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: report})
		refused("submit the report again as it is", "update the report against its project's plan", err)

		// Its authors fix it; approved, then the plan changes again.
		r.Activities = r.GetActivities()[:3]
		mustOK(s.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: r, UpdateMask: mask("activities")}))(t, "fix the report")
		mustOK(s.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: report}))(t, "submit the fixed report")
		mustOK(s.ApproveMonitoringReport(ctx, &famiv1.ApproveMonitoringReportRequest{Name: report}))(t, "approve the fixed report")
		mustOK(s.UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: withoutActivity(p, "03.1"), UpdateMask: mask("timetable")}))(t, "take 03.1 off the plan")
		r = mustOK(s.CorrectMonitoringReport(ctx, &famiv1.CorrectMonitoringReportRequest{Name: report, Reason: "Cronoprogramma rivisto"}))(t, "correct the approved report")
		if r.GetState() != draft || r.GetRevision() != 2 || len(r.GetActivities()) != 3 {
			t.Errorf("the report corrected: %s revision %d with %d activities, want a DRAFT of revision 2 with its 3", r.GetState(), r.GetRevision(), len(r.GetActivities()))
		}
		_, err = s.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: report})
		offPlan.fields = []string{"monitoring_report.activities[2].activity"}
		refused("submit the correction as it is", "update the report against its project's plan", err)
	})
}
