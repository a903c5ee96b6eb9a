package web_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// submitReport submits a report of Lab'Impact as the region.
func (f *famid) submitReport(period string) {
	f.t.Helper()
	if _, err := famiv1.NewMonitoringServiceClient(f.conn).SubmitMonitoringReport(f.admin("lombardia"), &famiv1.SubmitMonitoringReportRequest{
		Name: "regions/lombardia/projects/lab-impact/monitoringReports/" + period}); err != nil {
		f.t.Fatalf("submit %s: %v", period, err)
	}
}

// TestBrowserReportsAwaitingReview: the region's monitoring page lists
// the reports submitted for review, of every quarter, with their project,
// quarter and amounts in Italian; the officer opens one from the list,
// approves it, and it leaves the list, which then says so in Italian.
// Each page passes axe. Before, the page counted the submitted reports
// of one quarter and listed none.
func TestBrowserReportsAwaitingReview(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupMonitoring(f)
	f.submitReport("2021-q2")
	b := newBrowser(t, f)
	b.signIn("admin@lombardia")

	b.open("/monitoraggio", "monitoraggio-da-esaminare")
	b.wantText("#awaiting-title", "Rapporti da esaminare")
	row := b.text("#awaiting tbody tr")
	for _, want := range []string{"PROG-2463 Lab'Impact", "2° trimestre 2021", "300.000,00\u00a0€", "200.000,00\u00a0€"} {
		if !strings.Contains(row, want) {
			t.Errorf("the report awaiting review says %q, want %q in it", row, want)
		}
	}
	b.run("open the report from the list", chromedp.Click(chromedp.CSS(`#awaiting a[href="/progetti/lab-impact/monitoraggio/2021-q2"]`)),
		chromedp.WaitVisible(chromedp.CSS("#report-state")))
	b.wantText("#report-state", "Inviato")
	b.check("rapporto-da-esaminare")
	b.run("approve", chromedp.Click(chromedp.CSS(`form[action$="/approva"] button`)), chromedp.WaitVisible(chromedp.CSS(".alert.success")))
	b.wantText("#report-state", "Approvato")
	b.run("back to the region's monitoring", chromedp.Click(chromedp.CSS(`a[href="/monitoraggio"]#region-monitoring`)),
		chromedp.WaitVisible(chromedp.CSS("#awaiting-none")))
	b.wantText("#awaiting-none", "Nessun rapporto da esaminare")
	b.check("monitoraggio-nulla-da-esaminare")
}

// TestAwaitingReviewOnlyForReviewers: the list of reports awaiting review
// is the reviewers'; network staff, who read the region's monitoring, are
// not offered it.
func TestAwaitingReviewOnlyForReviewers(t *testing.T) {
	t.Parallel()
	f, staff, admin := monitoringClients(t)
	f.submitReport("2021-q2")
	admin.wantPage("/monitoraggio", http.StatusOK, "Rapporti da esaminare", `href="/progetti/lab-impact/monitoraggio/2021-q2"`)
	if page := staff.wantPage("/monitoraggio", http.StatusOK); strings.Contains(page, "Rapporti da esaminare") {
		t.Errorf("network staff are offered the reports awaiting review")
	}
}

// TestReportsAwaitingReviewPaged: the reports awaiting review are paged as
// the region's other lists are (under the prefix esa_, beside the
// projects' and the overdue pages): at most 50 a page, each report on
// one page, each labelled with its project's code and title, the last page
// saying it ends them; a hand-edited token gets the way back to the first
// page.
func TestReportsAwaitingReviewPaged(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupMonitoring(f)
	const n = 60
	projects, reports, ctx := famiv1.NewProjectServiceClient(f.seed), famiv1.NewMonitoringServiceClient(f.seed), f.admin("lombardia")
	bulk(t, n, func(i int) error {
		p, err := projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/lombardia", ProjectId: fmt.Sprintf("esame-%03d", i),
			Project: &famiv1.Project{Code: fmt.Sprintf("ESA-%03d", i), Title: "Da esaminare", StartDate: "2021-01-01", EndDate: "2021-12-31", Fund: famiv1.Fund_FUND_FAMI_2021_2027}})
		if err != nil {
			return err
		}
		r, err := reports.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2021-q1", MonitoringReport: &famiv1.MonitoringReport{}})
		if err != nil {
			return err
		}
		_, err = reports.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: r.GetName()})
		return err
	})
	base, token := f.url(""), f.signedIn("admin@lombardia")
	table := regexp.MustCompile(`(?s)<table class="cards" id="awaiting">(.*?)</table>`)
	row := regexp.MustCompile(`<a href="/progetti/([^"/]+)/monitoraggio">ESA-\d{3} Da esaminare</a></td><td data-label="Trimestre"><a href="/progetti/([^"/]+)/monitoraggio/2021-q1">`)
	shown := map[string]int{}
	at, pages := "/monitoraggio", 0
	for ; at != "" && pages < 5; pages++ {
		page := fetch(t, base+at, token)
		m := table.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("page %d lists no reports awaiting review", pages+1)
		}
		rows := row.FindAllStringSubmatch(m[1], -1)
		if len(rows) == 0 || len(rows) > 50 {
			t.Errorf("page %d lists %d reports awaiting review, want 1 to 50", pages+1, len(rows))
		}
		for _, r := range rows {
			if r[1] != r[2] {
				t.Errorf("a row links project %s and the report of %s", r[1], r[2])
			}
			shown[r[1]]++
		}
		if at = nextPageOf(page, "esa_", at); at == "" && !strings.Contains(page, "Risultati da 51 a 60, su 60 in tutto.") {
			t.Errorf("the last page of the reports awaiting review does not say it ends the 60")
		}
	}
	if pages != 2 || len(shown) != n {
		t.Errorf("the reports awaiting review were shown on %d pages naming %d projects, want 2 pages naming all %d", pages, len(shown), n)
	}
	for id, times := range shown {
		if times != 1 {
			t.Errorf("%s is listed on %d pages, want one", id, times)
		}
	}
	status, page := getPage(t, base+"/monitoraggio?esa_pagina=x", token)
	if status != http.StatusBadRequest || !strings.Contains(page, `<a href="/monitoraggio">Torna alla prima pagina`) {
		t.Errorf("a hand-edited page of the reports awaiting review: status %d, want 400 with the way back to the first page", status)
	}
}
