package monitoring_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/errs/errstest"
	"github.com/raccordo/raccordo/internal/fakeclock"
	"github.com/raccordo/raccordo/internal/monitoring"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestOverdueProjectsPaged: of 110 projects, the 105 whose report of
// 2015-q1 was never submitted (none, or a draft) are overdue on 15 May
// 2015. The summary counts them all and names the first 100 in name
// order; ListOverdueProjects pages through all 105 in that order, each
// as its read mask answers it; a quarter not yet late lists none; a bad
// period or page token is refused naming its field.
func TestOverdueProjectsPaged(t *testing.T) {
	const region, projects = "lombardia", 110
	parent := "regions/" + region
	st := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{region}})
	ctx := principal.With(t.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: region})
	clock := &fakeclock.Clock{}
	clock.Set(time.Date(2015, 5, 15, 10, 0, 0, 0, time.UTC))
	svc, reg := monitoring.New(st, monitoring.Options{Now: clock.Now}), registry.New(st, nil)

	var want []string
	for i := range projects {
		p, err := reg.Projects().CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: parent, ProjectId: fmt.Sprintf("p%03d", i), Project: benchProject(region, i)})
		if err != nil {
			t.Fatalf("create project: %v", err)
		}
		if i%25 > 1 {
			want = append(want, p.GetName())
			continue
		}
		r := benchReport(p.GetName(), i, 0)
		r.State, r.SubmitTime = famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT, nil
		if _, err := svc.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: r.GetPeriod(), MonitoringReport: r}); err != nil {
			t.Fatalf("create report: %v", err)
		}
		if i%25 == 1 { // a draft never sent is overdue too
			want = append(want, p.GetName())
			continue
		}
		if _, err := svc.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: r.GetName()}); err != nil {
			t.Fatalf("submit report: %v", err)
		}
	}

	sum, err := svc.SummarizeMonitoring(ctx, &famiv1.SummarizeMonitoringRequest{Parent: parent, Period: "2015-q1"})
	if err != nil {
		t.Fatalf("summarize: %v", err)
	}
	if got := sum.GetOverdueProjects(); !slices.Equal(got, want[:100]) {
		t.Errorf("summary's overdue projects: got %d %q, want the first 100 of %d", len(got), got, len(want))
	}
	if got := overdueCount(sum); got != int64(len(want)) {
		t.Errorf("summary's REPORT_OVERDUE count: got %d, want %d", got, len(want))
	}

	req := &famiv1.ListOverdueProjectsRequest{Parent: parent, Period: "2015-q1", PageSize: 40, ReadMask: &fieldmaskpb.FieldMask{Paths: []string{"name", "title"}}}
	var got []string
	pages := 0
	for {
		res, err := svc.ListOverdueProjects(ctx, req)
		if err != nil {
			t.Fatalf("list overdue projects, page %d: %v", pages+1, err)
		}
		pages++
		for _, p := range res.GetProjects() {
			if p.GetTitle() == "" || p.GetCode() != "" {
				t.Errorf("%s as read_mask name,title answers it: title %q, code %q", p.GetName(), p.GetTitle(), p.GetCode())
			}
			got = append(got, p.GetName())
		}
		if res.GetNextPageToken() == "" {
			break
		}
		req.PageToken = res.GetNextPageToken()
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Errorf("overdue projects listed: got %d in %d pages, want %d in 3 pages: %q", len(got), pages, len(want), got)
	}

	early, err := svc.ListOverdueProjects(ctx, &famiv1.ListOverdueProjectsRequest{Parent: parent, Period: "2015-q2"})
	if err != nil || len(early.GetProjects()) != 0 || early.GetNextPageToken() != "" {
		t.Errorf("a quarter not yet late: got %v, %v; want no project", early, err)
	}

	_, err = svc.ListOverdueProjects(ctx, &famiv1.ListOverdueProjectsRequest{Parent: parent, Period: "2015-q5"})
	errstest.Want(t, "a period that is no quarter", err, errs.Invalid, "INVALID_ARGUMENT", "period")
	_, err = svc.ListOverdueProjects(ctx, &famiv1.ListOverdueProjectsRequest{Parent: parent, Period: "2015-q2", PageToken: req.PageToken})
	errstest.Want(t, "a page token of another quarter", err, errs.Invalid, "INVALID_ARGUMENT", "page_token")
	_, err = svc.ListOverdueProjects(ctx, &famiv1.ListOverdueProjectsRequest{Parent: parent, Period: "2015-q1", PageToken: "nonsense"})
	errstest.Want(t, "a bad page token", err, errs.Invalid, "INVALID_ARGUMENT", "page_token")
}

// overdueCount is the REPORT_OVERDUE count of a summary's flags.
func overdueCount(sum *famiv1.MonitoringSummary) int64 {
	for _, f := range sum.GetFlags() {
		if f.GetKind() == famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_REPORT_OVERDUE {
			return f.GetCount()
		}
	}
	return 0
}
