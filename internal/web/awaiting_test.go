package web_test

import (
	"net/http"
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
	f, staff, admin := monitoringClients(t)
	f.submitReport("2021-q2")
	admin.wantPage("/monitoraggio", http.StatusOK, "Rapporti da esaminare", `href="/progetti/lab-impact/monitoraggio/2021-q2"`)
	if page := staff.wantPage("/monitoraggio", http.StatusOK); strings.Contains(page, "Rapporti da esaminare") {
		t.Errorf("network staff are offered the reports awaiting review")
	}
}
