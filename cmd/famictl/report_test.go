package main

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/sdk"
)

// TestReportListByState: report list keeps, with --state once per state,
// the reports in the states given (ListMonitoringReports' states), across
// the region's projects or of one project named by id or full name; with
// --show-approved-revisions it lists a report's earlier approved revisions
// too. An unknown state is refused, naming the flag and the states.
func TestReportListByState(t *testing.T) {
	f := startFamid(t)
	c := sdk.NewClient(nil, f.url, f.admin)
	report := monitoredProject(t, c)
	draft, submitted, approved := report("2025-q1"), report("2025-q2"), report("2025-q3")
	for _, name := range []string{submitted, approved} {
		check(t, "submit "+name)(c.Monitoring.SubmitMonitoringReport(t.Context(), &famiv1.SubmitMonitoringReportRequest{Name: name}))
	}
	check(t, "approve "+approved)(c.Monitoring.ApproveMonitoringReport(t.Context(), &famiv1.ApproveMonitoringReportRequest{Name: approved}))
	listed := func(args ...string) []string {
		t.Helper()
		out := f.must(f.admin, append([]string{"report", "list", "--region", "lombardia"}, args...)...)
		res := &famiv1.ListMonitoringReportsResponse{}
		if err := protojson.Unmarshal([]byte(out), res); err != nil {
			t.Fatalf("report list %s printed what is not one list: %v\n%s", strings.Join(args, " "), err, out)
		}
		var names []string
		for _, r := range res.GetMonitoringReports() {
			names = append(names, r.GetName())
		}
		return names
	}
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{nil, []string{draft, submitted, approved}},
		{[]string{"--state", "submitted"}, []string{submitted}},
		{[]string{"--project", "mon", "--state", "submitted", "--state", "approved"}, []string{submitted, approved}},
		{[]string{"--project", "regions/lombardia/projects/mon", "--state", "returned"}, nil},
	} {
		if got := listed(tt.args...); !slices.Equal(got, tt.want) {
			t.Errorf("report list %s: %v, want %v", strings.Join(tt.args, " "), got, tt.want)
		}
	}

	table := f.must(f.admin, "report", "list", "--region", "lombardia", "--state", "submitted", "-o", "table")
	if !regexpLine(table, "NAME", "STATE") || !regexpLine(table, submitted, "SUBMITTED") || strings.Contains(table, draft) {
		t.Errorf("report list --state submitted -o table:\n%s", table)
	}

	check(t, "correct "+approved)(c.Monitoring.CorrectMonitoringReport(t.Context(), &famiv1.CorrectMonitoringReportRequest{Name: approved, Reason: "Pagamenti di marzo"}))
	if got, want := listed("--show-approved-revisions"), []string{draft, submitted, approved, approved + "@1"}; !slices.Equal(got, want) {
		t.Errorf("report list --show-approved-revisions: %v, want %v", got, want)
	}

	if _, _, err := f.run(f.admin, "", "report", "list", "--region", "lombardia", "--state", "pending"); err == nil ||
		!strings.Contains(err.Error(), `--state "pending" is not one of approved, draft, returned, submitted`) {
		t.Errorf("report list --state pending: %v, want it refused naming --state and the states", err)
	}
}
