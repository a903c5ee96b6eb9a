package server_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/opendata"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// unreachableRegions are the regions fillRegions fills.
var unreachableRegions = []string{"lombardia", "toscana", "veneto"}

// fillRegions gives each of unreachableRegions, through kind, one partner
// udp (displayed as MARKER-partner-<region>, for bolttest.Damage) and one
// project p1 ("Progetto <region>").
func fillRegions(t *testing.T, ts *testServer, kind string) {
	t.Helper()
	for _, r := range unreachableRegions {
		admin := newSurfaceFor(t, ts, kind, regionAdminSpec(r))
		mustOK(admin.CreatePartner(t.Context(), &famiv1.CreatePartnerRequest{Parent: "regions/" + r, PartnerId: "udp", Partner: &famiv1.Partner{
			DisplayName: "MARKER-partner-" + r, Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}}))(t, "partner")
		mustOK(admin.CreateProject(t.Context(), &famiv1.CreateProjectRequest{Parent: "regions/" + r, ProjectId: "p1", Project: &famiv1.Project{
			Code: "PROG-1", Title: "Progetto " + r, Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2024-01-01", EndDate: "2025-12-31"}}))(t, "project")
	}
}

// TestNationalViewWithoutARegion: a region whose data cannot be read (one
// damaged record, then a region file refused at start) no longer fails the
// ministry's national view whole, on every surface (AIP-217). The national
// lists and summaries answer the other regions, totals theirs, and name
// the region in unreachable; the region asked alone still answers
// DATA_LOSS; a caller's own error still fails the call; and each degraded
// call is logged once, naming the region and the damaged record.
func TestNationalViewWithoutARegion(t *testing.T) {
	t.Parallel()
	onEachSurfaceLogged(t, func(t *testing.T, ts *testServer, kind string, log *syncbuf.Buffer) {
		ctx := t.Context()
		fillRegions(t, ts, kind)
		ministry := newSurfaceFor(t, ts, kind, ministrySpec)

		bolttest.Damage(t, ts.DataDir, "lombardia", "MARKER-partner-lombardia")
		from := len(log.String())
		partners := mustOK(ministry.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: "regions/-"}))(t, "national partners with a damaged one")
		if got, want := partnerNames(partners.GetPartners()), []string{"regions/toscana/partners/udp", "regions/veneto/partners/udp"}; !slices.Equal(got, want) {
			t.Errorf("national partners: got %v, want %v", got, want)
		}
		wantUnreachable(t, "national partners", partners.GetUnreachable(), "regions/lombardia")
		wantDegradedLog(t, log.String()[from:], "PartnerService/ListPartners", "regions/lombardia", "regions/lombardia/partners/udp")

		// The damage reaches only what reads the record: the projects
		// of every region are there.
		projects := mustOK(ministry.ListProjects(ctx, &famiv1.ListProjectsRequest{Parent: "regions/-"}))(t, "national projects")
		if len(projects.GetProjects()) != 3 || len(projects.GetUnreachable()) != 0 {
			t.Errorf("national projects: got %d, unreachable %v; want 3 and none", len(projects.GetProjects()), projects.GetUnreachable())
		}

		from = len(log.String())
		dash := mustOK(ministry.SummarizeRegions(ctx, &famiv1.SummarizeRegionsRequest{Name: "regions/-"}))(t, "national dashboard with a damaged partner")
		wantUnreachable(t, "national dashboard", dash.GetUnreachable(), "regions/lombardia")
		var rows []string
		for _, row := range dash.GetRegions() {
			rows = append(rows, row.GetRegion())
		}
		if want := []string{"regions/toscana", "regions/veneto"}; !slices.Equal(rows, want) || dash.GetTotals().GetPartners() != 2 {
			t.Errorf("national dashboard: rows %v and %d partners, want rows %v and the 2 partners read", rows, dash.GetTotals().GetPartners(), want)
		}
		wantDegradedLog(t, log.String()[from:], "DashboardService/SummarizeRegions", "regions/lombardia", "regions/lombardia/partners/udp")

		// The region alone fails, and the caller's own errors still
		// fail the national call.
		_, err := ministry.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: "regions/lombardia"})
		wantCode(t, "the damaged region alone", err, codes.DataLoss)
		_, err = ministry.SummarizeRegions(ctx, &famiv1.SummarizeRegionsRequest{Name: "regions/lombardia"})
		wantCode(t, "the damaged region's dashboard alone", err, codes.DataLoss)
		_, err = ministry.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: "regions/-", PageToken: "x"})
		wantCode(t, "a national list with a bad page token", err, codes.InvalidArgument)
		_, err = newSurface(t, ts, kind).ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: "regions/-"})
		wantCode(t, "a national list by a region", err, codes.PermissionDenied)

		// veneto's file is emptied while famid is stopped: the next
		// start refuses to serve it (REGION_FILE_DAMAGED).
		ts.Stop()
		if err := os.Truncate(filepath.Join(ts.DataDir, "regions", "veneto.db"), 0); err != nil {
			t.Fatal(err)
		}
		ts = ts.restart()
		ministry = newSurfaceFor(t, ts, kind, ministrySpec)
		_, err = ministry.ListProjects(ctx, &famiv1.ListProjectsRequest{Parent: "regions/veneto"})
		wantCode(t, "the refused region alone", err, codes.DataLoss)

		from = len(log.String())
		projects = mustOK(ministry.ListProjects(ctx, &famiv1.ListProjectsRequest{Parent: "regions/-", PageSize: 1}))(t, "national projects, first page")
		var names []string
		unreachable := projects.GetUnreachable()
		for page := 0; ; page++ {
			for _, p := range projects.GetProjects() {
				names = append(names, p.GetName())
			}
			if projects.GetNextPageToken() == "" || page > 10 {
				break
			}
			projects = mustOK(ministry.ListProjects(ctx, &famiv1.ListProjectsRequest{Parent: "regions/-", PageSize: 1, PageToken: projects.GetNextPageToken()}))(t, "national projects, next page")
			unreachable = append(unreachable, projects.GetUnreachable()...)
		}
		if want := []string{"regions/lombardia/projects/p1", "regions/toscana/projects/p1"}; !slices.Equal(names, want) {
			t.Errorf("national projects without veneto: got %v, want %v", names, want)
		}
		wantUnreachable(t, "national projects over its pages", unreachable, "regions/veneto")
		wantDegradedLog(t, log.String()[from:], "ProjectService/ListProjects", "regions/veneto", "veneto.db")

		const period = "2025-q1"
		national := mustOK(ministry.SummarizeMonitoring(ctx, &famiv1.SummarizeMonitoringRequest{Parent: "regions/-", Period: period}))(t, "national monitoring without veneto")
		wantUnreachable(t, "national monitoring", national.GetUnreachable(), "regions/veneto")
		var projectsRead int64
		for _, r := range []string{"lombardia", "toscana"} {
			projectsRead += mustOK(ministry.SummarizeMonitoring(ctx, &famiv1.SummarizeMonitoringRequest{Parent: "regions/" + r, Period: period}))(t, "regional monitoring").GetProjects()
		}
		if national.GetProjects() != projectsRead || projectsRead == 0 {
			t.Errorf("national monitoring: %d projects, want %d, those of the regions read", national.GetProjects(), projectsRead)
		}

		support := mustOK(ministry.SummarizeSupportEntries(ctx, &famiv1.SummarizeSupportEntriesRequest{Parent: "regions/-", StartDate: "2025-01-01", EndDate: "2025-12-31"}))(t, "national support without veneto")
		wantUnreachable(t, "national support summary", support.GetUnreachable(), "regions/veneto")

		// lombardia's damaged partner and veneto's refused file: both
		// named, in region id order.
		dash = mustOK(ministry.SummarizeRegions(ctx, &famiv1.SummarizeRegionsRequest{Name: "regions/-"}))(t, "national dashboard without two regions")
		wantUnreachable(t, "national dashboard", dash.GetUnreachable(), "regions/lombardia", "regions/veneto")
		if len(dash.GetRegions()) != 1 || dash.GetRegions()[0].GetRegion() != "regions/toscana" || dash.GetTotals().GetPartners() != 1 {
			t.Errorf("national dashboard: got %v, want toscana's row alone", dash.GetRegions())
		}
	})
}

func partnerNames(ps []*famiv1.Partner) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.GetName())
	}
	return out
}

func wantUnreachable(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: unreachable %q, want %q", what, got, want)
	}
}

// wantDegradedLog checks that log has the degraded call to method once, at error level as every DATA_LOSS, naming the region and
// the damage (the record or the file).
func wantDegradedLog(t *testing.T, log, method, region, damage string) {
	t.Helper()
	var lines []string
	for line := range strings.Lines(log) {
		if strings.Contains(line, method) {
			lines = append(lines, line)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "level=ERROR") || !strings.Contains(lines[0], "data loss") ||
		!strings.Contains(lines[0], region) || !strings.Contains(lines[0], damage) {
		t.Errorf("log of %s: got %q, want one error line of data loss naming %s and %s", method, lines, region, damage)
	}
}

// TestOpenDataWithoutARegion: open data never publishes a national
// dataset that leaves a region out. With one region's record damaged, the
// last good files stay served, unchanged and marked stale (Raccordo-Stale,
// Raccordo-Unreachable naming the region), the refused build logged once;
// with no good build since the start (or with a region file refused at
// start), it answers 503 naming the regions.
func TestOpenDataWithoutARegion(t *testing.T) {
	t.Parallel()
	var log syncbuf.Buffer
	ts := startServer(t, server.Config{OpenData: opendata.Options{Burst: 1000, Rate: 1000},
		Logger: textLog(&log, slog.LevelWarn)})
	ctx := t.Context()
	const kind = "grpc"
	fillRegions(t, ts, kind)
	const path = "/opendata/progetti.csv"
	good := mustGet(t, ts, path)
	if !strings.Contains(string(good), "Progetto lombardia") || !strings.Contains(string(good), "Progetto veneto") {
		t.Fatalf("projects before the damage:\n%s", good)
	}

	bolttest.Damage(t, ts.DataDir, "lombardia", "MARKER-partner-lombardia")
	// A write elsewhere changes the platform's state: open data rebuilds.
	mustOK(newSurfaceFor(t, ts, kind, regionAdminSpec("veneto")).CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/veneto", ProjectId: "p2",
		Project: &famiv1.Project{Code: "PROG-2", Title: "Progetto nuovo", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2024-01-01", EndDate: "2025-12-31"}}))(t, "project")
	for range 2 {
		res, body := get(t, ts, path)
		if res.StatusCode != http.StatusOK || string(body) != string(good) {
			t.Errorf("projects with a damaged region: status %d, body\n%s\nwant 200 and the last good file", res.StatusCode, body)
		}
		if s, u := res.Header.Get("Raccordo-Stale"), res.Header.Get("Raccordo-Unreachable"); s != "true" || u != "regions/lombardia" {
			t.Errorf("stale headers: Raccordo-Stale %q, Raccordo-Unreachable %q; want true and regions/lombardia", s, u)
		}
	}
	if n := strings.Count(log.String(), "open data: build refused"); n != 1 || !strings.Contains(log.String(), "regions/lombardia") {
		t.Errorf("the refused build is logged %d times, want once naming regions/lombardia:\n%s", n, log.String())
	}

	ts = ts.restart()
	res, body := get(t, ts, path)
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "archivio danneggiato o in ripristino per Lombardia.") {
		t.Errorf("projects after a restart with a damaged region: status %d, body %q; want 503 naming Lombardia", res.StatusCode, body)
	}

	ts.Stop()
	if err := os.Truncate(filepath.Join(ts.DataDir, "regions", "veneto.db"), 0); err != nil {
		t.Fatal(err)
	}
	ts = ts.restart()
	res, body = get(t, ts, path)
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "archivio danneggiato o in ripristino per Lombardia, Veneto.") {
		t.Errorf("projects with a region refused at start: status %d, body %q; want 503 naming Lombardia and Veneto", res.StatusCode, body)
	}
}

// TestOpenDataNamesARegionDamagedUnderItsLists: open data reads each
// project's reports while it walks the national lists. A damaged report
// (a record the national lists never read) used to fail the build with a
// generic error naming no region: "temporaneamente non disponibili" with
// no good files yet, and stale files without Raccordo-Unreachable after.
// Now, as for a region the lists leave out (ADR 19), the last good files
// are served naming the region, and with none the answer names it. (A
// network's hours are read from the summary's aggregate cells, which a
// damaged entry record does not reach.)
func TestOpenDataNamesARegionDamagedUnderItsLists(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{OpenData: opendata.Options{Burst: 1000, Rate: 1000}})
	ctx := t.Context()
	const kind = "grpc"
	admin := newSurfaceFor(t, ts, kind, regionAdminSpec("lombardia"))
	mustOK(admin.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "mon", Project: &famiv1.Project{
		Code: "MON-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2025-01-01", EndDate: "2027-12-31",
		Actions: []*famiv1.ProjectAction{{Code: "01", Title: "Scuola"}}}}))(t, "project")
	mustOK(admin.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: projectName("mon"), MonitoringReportId: "2025-q1",
		MonitoringReport: &famiv1.MonitoringReport{Notes: "MARKER-report",
			Expenditures: []*famiv1.ActionExpenditure{{Action: "01", CommittedCents: 5000, PaidCents: 4000}}}}))(t, "report")
	const path = "/opendata/progetti.csv"
	good := mustGet(t, ts, path)

	bolttest.Damage(t, ts.DataDir, "lombardia", "MARKER-report")
	// A write elsewhere changes the platform's state: open data rebuilds.
	mustOK(newSurfaceFor(t, ts, kind, regionAdminSpec("veneto")).CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/veneto", ProjectId: "p2",
		Project: &famiv1.Project{Code: "PROG-2", Title: "Progetto nuovo", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2024-01-01", EndDate: "2025-12-31"}}))(t, "project")
	res, body := get(t, ts, path)
	if res.StatusCode != http.StatusOK || string(body) != string(good) {
		t.Errorf("with a damaged report: status %d, body\n%s\nwant 200 and the last good file", res.StatusCode, body)
	}
	if s, u := res.Header.Get("Raccordo-Stale"), res.Header.Get("Raccordo-Unreachable"); s != "true" || u != "regions/lombardia" {
		t.Errorf("stale headers: Raccordo-Stale %q, Raccordo-Unreachable %q; want true and regions/lombardia", s, u)
	}

	ts = ts.restart()
	res, body = get(t, ts, path)
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "archivio danneggiato o in ripristino per Lombardia.") {
		t.Errorf("after a restart: status %d, body %q; want 503 naming Lombardia", res.StatusCode, body)
	}
}

// TestMergedNationalPagesNameALeftOutRegion: a national ListMeetings
// (regions/-), whose every page merges the regions' meetings by time,
// leaves out on its first page a region whose first meeting is damaged,
// and names it in unreachable on that page and on every later one, on
// every surface: each of them lacks that region's meetings too. The other
// regions' meetings are answered once each, in order.
func TestMergedNationalPagesNameALeftOutRegion(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		first := ts.Clock.Now().Truncate(time.Hour).AddDate(0, 0, -30)
		var want []string // toscana's two, then veneto's
		for i, r := range unreachableRegions {
			admin := newSurfaceFor(t, ts, kind, regionAdminSpec(r))
			for j := range 2 {
				start := first.AddDate(0, 0, 3*j+i)
				title := fmt.Sprintf("Focus %s %d", r, j)
				if r == "lombardia" && j == 0 {
					title = "MARKER-meeting-lombardia"
				}
				m := mustOK(admin.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: "regions/" + r, MeetingId: fmt.Sprintf("m%d", j), Meeting: &famiv1.Meeting{
					Kind: famiv1.MeetingKind_MEETING_KIND_FOCUS_GROUP, Title: title, StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(time.Hour)),
					Mode: famiv1.MeetingMode_MEETING_MODE_ONLINE, Link: "https://meet.example.org/f"}}))(t, title)
				if r != "lombardia" {
					want = append(want, m.GetName())
				}
			}
		}
		// By time: toscana's first (day 1), veneto's (2), then their
		// second ones (4 and 5).
		want = []string{want[0], want[2], want[1], want[3]}
		bolttest.Damage(t, ts.DataDir, "lombardia", "MARKER-meeting-lombardia")
		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		req := &famiv1.ListMeetingsRequest{Parent: aip.AllRegions, PageSize: 1}
		var got []string
		for page := 1; ; page++ {
			res := mustOK(ministry.ListMeetings(ctx, req))(t, fmt.Sprintf("national meetings, page %d", page))
			for _, m := range res.GetMeetings() {
				got = append(got, m.GetName())
			}
			wantUnreachable(t, fmt.Sprintf("page %d", page), res.GetUnreachable(), "regions/lombardia")
			if req.PageToken = res.GetNextPageToken(); req.PageToken == "" || page > 10 {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("national meetings without lombardia: got %v, want %v", got, want)
		}
	})
}

// TestNationalSummariesWithEveryRegionUnreachable: with every region's
// file refused at start, the national monitoring summary still names the
// quarter it sums (it answered an empty period: the period came from the
// first region read), and the national dashboard still refuses a period
// that is no quarter (it answered OK: each region failed on its partner
// counts, before monitoring could refuse the period), on every surface.
func TestNationalSummariesWithEveryRegionUnreachable(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		ts.Stop()
		var all []string
		for _, r := range aip.RegionIDs() {
			if err := os.WriteFile(filepath.Join(ts.DataDir, "regions", r+".db"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			all = append(all, "regions/"+r)
		}
		ts = ts.restart()
		ministry := newSurfaceFor(t, ts, kind, ministrySpec)

		sum := mustOK(ministry.SummarizeMonitoring(ctx, &famiv1.SummarizeMonitoringRequest{Parent: "regions/-", Period: "2025-q1"}))(t, "national monitoring with no region read")
		if sum.GetPeriod() != "2025-q1" {
			t.Errorf("national monitoring with no region read: period %q, want 2025-q1", sum.GetPeriod())
		}
		wantUnreachable(t, "national monitoring", sum.GetUnreachable(), all...)

		dash := mustOK(ministry.SummarizeRegions(ctx, &famiv1.SummarizeRegionsRequest{Name: "regions/-", Period: "2025-q1"}))(t, "national dashboard with no region read")
		if dash.GetTotals().GetMonitoringPeriod() != "2025-q1" {
			t.Errorf("national dashboard: period %q, want 2025-q1", dash.GetTotals().GetMonitoringPeriod())
		}
		wantUnreachable(t, "national dashboard", dash.GetUnreachable(), all...)
		for _, period := range []string{"2025-q5", "x"} {
			_, err := ministry.SummarizeRegions(ctx, &famiv1.SummarizeRegionsRequest{Name: "regions/-", Period: period})
			checkErr(t, "national dashboard of period "+period, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"period"}})
			_, err = ministry.SummarizeMonitoring(ctx, &famiv1.SummarizeMonitoringRequest{Parent: "regions/-", Period: period})
			checkErr(t, "national monitoring of period "+period, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"period"}})
		}
	})
}
