package server_test

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestReportsListedByState: ListMonitoringReports' states filter, on
// every surface. With the parent regions/{r}/projects/- and SUBMITTED, it
// lists the region's reports awaiting review across its projects, in
// order, a page of one at a time: each page holds at most its size, and
// the tokens lead through to the end. A later page asked with other states
// is refused naming page_token (AIP-158); a project's own list keeps the
// filter; a state unspecified or unknown is refused naming states[i].
func TestReportsListedByState(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		// Two projects, each with a report of each step: q1 submitted,
		// q2 a draft, q3 (first project only) approved.
		var awaiting []string
		approvedName := ""
		for _, id := range []string{"lab-impact", "lab-zeta"} {
			pr := labImpact()
			pr.Municipalities = nil
			if id != "lab-impact" {
				pr.Code, pr.Cup = "PROG-9999", "E89F18000510099"
			}
			p, err := s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: id, Project: pr})
			if err != nil {
				t.Fatalf("create %s: %v", id, err)
			}
			quarters := []string{"2021-q1", "2021-q2"}
			if id == "lab-impact" {
				quarters = append(quarters, "2021-q3")
			}
			for i, q := range quarters {
				r, err := s.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: q, MonitoringReport: labImpactQuarter(i + 1)})
				if err != nil {
					t.Fatalf("create %s %s: %v", id, q, err)
				}
				if q == "2021-q2" {
					continue
				}
				if _, err := s.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: r.GetName()}); err != nil {
					t.Fatalf("submit %s: %v", r.GetName(), err)
				}
				if q == "2021-q3" {
					if _, err := s.ApproveMonitoringReport(ctx, &famiv1.ApproveMonitoringReportRequest{Name: r.GetName()}); err != nil {
						t.Fatalf("approve %s: %v", r.GetName(), err)
					}
					approvedName = r.GetName()
					continue
				}
				awaiting = append(awaiting, r.GetName())
			}
		}
		every := lombardia + "/projects/-"
		onlySubmitted := []famiv1.MonitoringReportState{submitted}
		list := func(parent, token string, states ...famiv1.MonitoringReportState) (*famiv1.ListMonitoringReportsResponse, error) {
			return s.ListMonitoringReports(ctx, &famiv1.ListMonitoringReportsRequest{Parent: parent, PageSize: 1, PageToken: token, States: states})
		}

		var got []string
		token := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatalf("more than 10 pages of one: tokens do not lead to the end (%q so far)", got)
			}
			res, err := list(every, token, onlySubmitted...)
			if err != nil {
				t.Fatalf("page %d of the reports awaiting review: %v", pages+1, err)
			}
			if n := len(res.GetMonitoringReports()); n > 1 {
				t.Fatalf("page %d of size 1 holds %d reports", pages+1, n)
			}
			for _, r := range res.GetMonitoringReports() {
				if r.GetState() != submitted {
					t.Errorf("listed %s in state %s, want SUBMITTED only", r.GetName(), r.GetState())
				}
				got = append(got, r.GetName())
			}
			if token = res.GetNextPageToken(); token == "" {
				break
			}
		}
		if !slices.Equal(got, awaiting) {
			t.Errorf("reports awaiting review: got %q, want %q", got, awaiting)
		}

		// The filter is part of the request a token belongs to.
		first, err := list(every, "", onlySubmitted...)
		if err != nil || first.GetNextPageToken() == "" {
			t.Fatalf("first page: token %q, %v; want a next page", first.GetNextPageToken(), err)
		}
		_, err = list(every, first.GetNextPageToken(), submitted, approved)
		checkErr(t, "next page asked with other states", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"page_token"}})
		_, err = list(every, first.GetNextPageToken())
		checkErr(t, "next page asked without the states", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"page_token"}})

		// A project's own list, with two states.
		res, err := s.ListMonitoringReports(ctx, &famiv1.ListMonitoringReportsRequest{Parent: lombardia + "/projects/lab-impact", States: []famiv1.MonitoringReportState{approved, draft}})
		if err != nil {
			t.Fatalf("a project's approved and draft reports: %v", err)
		}
		var names []string
		for _, r := range res.GetMonitoringReports() {
			names = append(names, r.GetName())
		}
		if want := []string{lombardia + "/projects/lab-impact/monitoringReports/2021-q2", approvedName}; !slices.Equal(names, want) {
			t.Errorf("a project's approved and draft reports: got %q, want %q", names, want)
		}

		// Bad states name their field; nothing is listed.
		_, err = list(every, "", famiv1.MonitoringReportState_MONITORING_REPORT_STATE_UNSPECIFIED)
		checkErr(t, "state unspecified", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"states[0]"}})
		_, err = list(lombardia+"/projects/lab-impact", "", submitted, famiv1.MonitoringReportState(99))
		// REST's query parser refuses the number before the service
		// sees it, naming the list (the gateway does not say which item).
		field := "states[1]"
		if kind == "rest" {
			field = "states"
		}
		checkErr(t, "unknown state", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{field}})
	})
}
