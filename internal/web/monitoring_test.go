package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store"
)

const (
	evil        = "<script>alert(1)</script>"
	evilEscaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
	labReport   = "/progetti/lab-impact/monitoraggio/2021-q2"
)

// setupMonitoring records in Lombardia a project with a plan (indicators,
// timetable, financial plan), the network whose lead partner implements
// it, a second project on the same territory at the same time, the
// project's report of 2021-q2 (a late activity, a deviation, counts of
// people; hostile text in the deviation and the notes), and the accounts:
// the region's admin and the lead partner's staff.
func setupMonitoring(f *famid) {
	f.t.Helper()
	ctx := f.admin("lombardia")
	projects := famiv1.NewProjectServiceClient(f.conn)
	udp := f.partner("lombardia", "udp-milano", "Ufficio di Piano di Milano")
	lab, err := projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/lombardia", ProjectId: "lab-impact", Project: &famiv1.Project{
		Code: "PROG-2463", Title: "Lab'Impact", Fund: famiv1.Fund_FUND_FAMI_2014_2020,
		Actions:   []*famiv1.ProjectAction{{Code: "01", Title: "Scuola"}, {Code: "02", Title: "Accesso ai servizi"}},
		StartDate: "2018-09-01", EndDate: "2021-12-31", BudgetCents: 600000000, Municipalities: []string{"015146", "016024"},
		Indicators: []*famiv1.Indicator{
			{Code: "OUT-01", Name: "Reti supportate", Unit: "reti", Kind: famiv1.IndicatorKind_INDICATOR_KIND_OUTPUT, Target: 33, TargetDate: "2021-12-31"},
		},
		Timetable: []*famiv1.PlannedActivity{
			{Code: "01.1", Action: "01", Title: "Formazione docenti", PlannedStart: "2019-01-01", PlannedEnd: "2021-06-30"},
			{Code: "02.1", Action: "02", Title: "Accompagnamento delle reti", PlannedStart: "2019-05-01", PlannedEnd: "2021-12-31"},
		},
		FinancialPlan: []*famiv1.ActionBudget{{Action: "01", BudgetCents: 200000000}, {Action: "02", BudgetCents: 400000000}},
	}})
	if err != nil {
		f.t.Fatalf("create lab-impact: %v", err)
	}
	if _, err := projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/lombardia", ProjectId: "fse-milano", Project: &famiv1.Project{
		Code: "FSE-77", Title: "Sportelli FSE+", Fund: famiv1.Fund_FUND_FSE_PLUS, StartDate: "2020-01-01", EndDate: "2022-12-31",
		Municipalities: []string{"015146"},
	}}); err != nil {
		f.t.Fatalf("create fse-milano: %v", err)
	}
	if _, err := famiv1.NewNetworkServiceClient(f.conn).CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: "regions/lombardia", NetworkId: "rete-milano",
		Network: &famiv1.Network{DisplayName: "Rete Milano", LeadPartner: udp, Members: []*famiv1.Member{{Partner: udp, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}},
			Projects: []*famiv1.NetworkProject{{Project: lab.GetName(), Actions: []string{"02"}}}}}); err != nil {
		f.t.Fatalf("create rete-milano: %v", err)
	}
	if _, err := famiv1.NewMonitoringServiceClient(f.conn).CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{
		Parent: lab.GetName(), MonitoringReportId: "2021-q2", MonitoringReport: &famiv1.MonitoringReport{
			Activities: []*famiv1.ActivityStatus{
				{Activity: "01.1", State: famiv1.ActivityState_ACTIVITY_STATE_COMPLETED, ActualStart: "2019-01-15", ActualEnd: "2021-06-30"},
				{Activity: "02.1", State: famiv1.ActivityState_ACTIVITY_STATE_LATE, ActualStart: "2019-05-02"},
			},
			Deviations: []*famiv1.Deviation{{Activity: "02.1", Description: "Incontri rinviati " + evil, Cause: "Chiusure per la pandemia",
				CorrectiveAction: "Incontri online", NewDate: "2021-09-30"}},
			IndicatorValues: []*famiv1.IndicatorValue{{Indicator: "OUT-01", Value: 28}},
			Expenditures:    []*famiv1.ActionExpenditure{{Action: "02", CommittedCents: 30000000, PaidCents: 20000000}},
			PeopleReached:   []*famiv1.PeopleCount{{AgeBand: famiv1.AgeBand_AGE_BAND_18_29, Sex: famiv1.Sex_SEX_FEMALE, Count: 12}},
			Notes:           evil,
		}}); err != nil {
		f.t.Fatalf("create report 2021-q2: %v", err)
	}
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	f.account("lombardia", "staff", "Sara Staff", famiv1.Role_ROLE_NETWORK_MEMBER, udp)
}

// monitoringClients starts famid with setupMonitoring and signs in its
// lead partner's staff and its admin, each in a client of their own.
func monitoringClients(t *testing.T) (f *famid, staff, admin *browserless) {
	t.Helper()
	f = startFamid(t)
	setupMonitoring(f)
	staff, admin = f.client(t), f.client(t)
	staff.signIn("staff@lombardia")
	admin.signIn("admin@lombardia")
	return f, staff, admin
}

func (f *famid) reportState(period string) famiv1.MonitoringReportState {
	f.t.Helper()
	r, err := famiv1.NewMonitoringServiceClient(f.conn).GetMonitoringReport(f.admin("lombardia"), &famiv1.GetMonitoringReportRequest{
		Name: "regions/lombardia/projects/lab-impact/monitoringReports/" + period})
	if err != nil {
		f.t.Fatal(err)
	}
	return r.GetState()
}

// plan reads the version of the project's plan a report's edit page
// sends with its form (the hidden field "plan").
func (b *browserless) plan(edit string) string {
	b.t.Helper()
	_, page := b.do("GET", edit, nil)
	m := regexp.MustCompile(`name="plan" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("%s sends no plan", edit)
	}
	return m[1]
}

// wantPage gets path and checks its status and that it shows each text.
func (b *browserless) wantPage(path string, status int, texts ...string) string {
	b.t.Helper()
	res, page := b.do("GET", path, nil)
	if res.StatusCode != status {
		b.t.Fatalf("GET %s: status %d, want %d", path, res.StatusCode, status)
	}
	for _, s := range texts {
		if !strings.Contains(page, s) {
			b.t.Errorf("GET %s does not show %q", path, s)
		}
	}
	return page
}

// TestMonitoringReportLifecycle follows a quarterly report through the
// pages: the lead partner's staff see it with its Italian state and flags
// and submit it; the region returns it (a reason is required) and, after a
// second submission, approves it. Each control shows only to whom the
// rights table admits.
func TestMonitoringReportLifecycle(t *testing.T) {
	t.Parallel()
	f, staff, admin := monitoringClients(t)

	staff.wantPage("/progetti/lab-impact/monitoraggio?trimestre=2021-q2", http.StatusOK, "2° trimestre 2021", "Bozza", "Attività in ritardo (02.1)",
		"Reti supportate", `<td data-label="Raggiunto" class="num">28</td><td data-label="Obiettivo" class="num">33</td>`, "Nuovo rapporto trimestrale")
	page := staff.wantPage(labReport, http.StatusOK, "Bozza", "In ritardo", "Completata", "Accompagnamento delle reti", "Incontri rinviati",
		"Chiusure per la pandemia", "30/09/2021", "18-29 anni", "Femmine", `<td data-label="Numero" class="num">12</td>`, "Invia il rapporto")
	if strings.Contains(page, "/approva") || strings.Contains(page, "/restituisci") {
		t.Errorf("network staff are offered the review")
	}
	// Edit the draft: the form starts from the stored report; a count that
	// is no number is named next to its group and the input is kept.
	edit := labReport + "/modifica"
	staff.wantPage(edit, http.StatusOK, `name="ind.0.value" value="28"`, `name="exp.1.committed" value="300.000,00"`,
		`<option value="ACTIVITY_STATE_LATE" selected>In ritardo</option>`, `name="dev.0.description" value="Incontri rinviati `+evilEscaped)
	form := url.Values{"csrf": {staff.csrf(edit)}, "plan": {staff.plan(edit)}, "act.0.state": {"ACTIVITY_STATE_COMPLETED"}, "act.0.start": {"15/01/2019"}, "act.0.end": {"30/06/2021"},
		"act.1.state": {"ACTIVITY_STATE_LATE"}, "act.1.start": {"02/05/2019"}, "ind.0.value": {"29"}, "exp.1.committed": {"300.000"}, "exp.1.paid": {"250.000,50"},
		"dev.0.activity": {"02.1"}, "dev.0.description": {"Incontri rinviati"}, "dev.0.cause": {"Pandemia"}, "dev.0.new_date": {"30/09/2021"},
		"ppl.0.age_band": {"AGE_BAND_18_29"}, "ppl.0.sex": {"SEX_FEMALE"}, "ppl.0.count": {"molti"}, "notes": {"Note del trimestre"}}
	res, page := staff.do("POST", edit, form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-people_reached-err"`) || !strings.Contains(page, `value="molti"`) {
		t.Fatalf("edit with a count that is no number: status %d; want 422 naming the people reached and keeping the input", res.StatusCode)
	}
	form.Set("ppl.0.count", "15")
	if res, _ := staff.do("POST", edit, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: status %d, want 303", res.StatusCode)
	}
	staff.wantPage(labReport, http.StatusOK, "Rapporto salvato.", `<td data-label="Raggiunto" class="num">29</td>`, "250.000,50", "Pandemia",
		`<td data-label="Numero" class="num">15</td>`, "Note del trimestre")

	submit := url.Values{"csrf": {staff.csrf(labReport)}}
	if res, _ := staff.do("POST", labReport+"/invia", submit); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("staff submit: status %d, want 303", res.StatusCode)
	}
	staff.wantPage(labReport, http.StatusOK, "Rapporto inviato.", "Inviato")
	if st := f.reportState("2021-q2"); st != famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED {
		t.Fatalf("after submit: %s", st)
	}
	form.Set("csrf", staff.csrf(labReport))
	if res, page := staff.do("POST", edit, form); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "in attesa di esame") {
		t.Errorf("edit a submitted report: status %d; want 422 saying it awaits review", res.StatusCode)
	}

	// Who submitted is named as people know them, not by their account's id.
	page = admin.wantPage(labReport, http.StatusOK, "Inviato", "Approva", "Restituisci", "Inviato da</dt><dd>Sara Staff")
	if strings.Contains(page, "/invia") {
		t.Errorf("a submitted report offers to submit it again")
	}
	if strings.Contains(page, "account:staff") {
		t.Errorf("the report shows the submitter's account id")
	}
	back := url.Values{"csrf": {admin.csrf(labReport)}, "conferma": {"1"}}
	res, page = admin.do("POST", labReport+"/restituisci", back)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-reason-err"`) || !strings.Contains(page, "Indica il motivo.") {
		t.Fatalf("return without a reason: status %d; want 422 with the error next to the reason", res.StatusCode)
	}
	back.Set("reason", "Manca la spesa dell'azione 01")
	if res, _ := admin.do("POST", labReport+"/restituisci", back); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("return: status %d, want 303", res.StatusCode)
	}
	staff.wantPage(labReport, http.StatusOK, "Restituito", "Manca la spesa dell&#39;azione 01", "Invia il rapporto")
	if res, _ := staff.do("POST", labReport+"/invia", submit); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit again: status %d, want 303", res.StatusCode)
	}
	if res, _ := admin.do("POST", labReport+"/approva", back); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: status %d, want 303", res.StatusCode)
	}
	page = staff.wantPage(labReport, http.StatusOK, "Approvato", "Inviato da</dt><dd>Sara Staff", "Esaminato da</dt><dd>Anna Admin")
	if strings.Contains(page, "/invia") {
		t.Errorf("an approved report offers to submit it")
	}
	if strings.Contains(page, "account:") {
		t.Errorf("the approved report shows an account id")
	}
	// So does the report's history: each change by its author's name.
	page = admin.wantPage("/storia?nome=regions/lombardia/projects/lab-impact/monitoringReports/2021-q2", http.StatusOK,
		`<td data-label="Chi">Sara Staff</td>`, `<td data-label="Chi">Anna Admin</td>`)
	if strings.Contains(page, "account:") {
		t.Errorf("the report's history shows an account id")
	}
	// Approving twice is refused by the service, in Italian.
	res, page = admin.do("POST", labReport+"/approva", back)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Il rapporto è approvato e non si può più modificare.") {
		t.Errorf("approve an approved report: status %d; want 422 saying why", res.StatusCode)
	}

	// A correction keeps the approved revision readable.
	fix := url.Values{"csrf": {admin.csrf(labReport)}, "reason": {"Spesa dell'azione 02 corretta"}, "conferma": {"1"}}
	if res, _ := admin.do("POST", labReport+"/correggi", fix); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("correct: status %d, want 303", res.StatusCode)
	}
	admin.wantPage(labReport, http.StatusOK, "Bozza", "Spesa dell&#39;azione 02 corretta", `href="/progetti/lab-impact/monitoraggio/2021-q2@1"`)
	page = admin.wantPage(labReport+"@1", http.StatusOK, "Approvato", "in sola lettura")
	if strings.Contains(page, `method="post" action="/progetti/lab-impact/monitoraggio/`) {
		t.Errorf("an earlier approved revision offers lifecycle actions")
	}

	// A draft for another quarter, from the form; a bad quarter is named.
	create := url.Values{"csrf": {staff.csrf("/progetti/lab-impact/monitoraggio")}, "new_period": {"2021-q9"}}
	res, page = staff.do("POST", "/progetti/lab-impact/monitoraggio", create)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-new_period-err"`) || !strings.Contains(page, `value="2021-q9"`) {
		t.Errorf("create with a bad quarter: status %d; want 422 with the error next to the quarter, keeping it", res.StatusCode)
	}
	create.Set("new_period", "2021-q3")
	if res, _ := staff.do("POST", "/progetti/lab-impact/monitoraggio", create); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create 2021-q3: status %d, want 303", res.StatusCode)
	}
	if st := f.reportState("2021-q3"); st != famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT {
		t.Errorf("the new report is %s, want a draft", st)
	}

	// The region's summary of the quarter, and a quarter that is none.
	admin.wantPage("/monitoraggio?trimestre=2021-q2", http.StatusOK, "Riepilogo del 2° trimestre 2021", "Reti supportate", "Bozza: 1",
		`href="/progetti/lab-impact/monitoraggio"`, `<svg class="chart"`)
	admin.wantPage("/monitoraggio?trimestre=primavera", http.StatusUnprocessableEntity, `id="f-trimestre-err"`)
}

// TestMonitoringOfAnotherRegionIsNotFound: a Veneto user opening a
// Lombardia report gets the not-found page and nothing of Lombardia.
func TestMonitoringOfAnotherRegionIsNotFound(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupMonitoring(f)
	f.account("veneto", "vadmin", "Vera Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	vb := f.client(t)
	vb.signIn("vadmin@veneto")
	for _, path := range []string{labReport, labReport + "/modifica", "/progetti/lab-impact/monitoraggio"} {
		page := vb.wantPage(path, http.StatusNotFound, "Pagina non trovata")
		if strings.Contains(page, "Lab&#39;Impact") || strings.Contains(page, "Incontri rinviati") {
			t.Errorf("GET %s as a Veneto user shows Lombardia data", path)
		}
	}
	res, _ := vb.do("POST", labReport+"/approva", url.Values{"csrf": {vb.csrf("/")}})
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("a Veneto admin approves a Lombardia report: status %d, want 404", res.StatusCode)
	}
	if st := f.reportState("2021-q2"); st != famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT {
		t.Errorf("the report is %s after Veneto's attempt", st)
	}
}

// TestMonitoringHostileTextRendersAsText: what a report's writer typed is
// shown as text on every new page.
func TestMonitoringHostileTextRendersAsText(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupMonitoring(f)
	_, err := famiv1.NewProjectServiceClient(f.conn).CreateProject(f.admin("lombardia"), &famiv1.CreateProjectRequest{Parent: "regions/lombardia",
		ProjectId: "evil", Project: &famiv1.Project{Code: "EVIL-1", Title: evil, Fund: famiv1.Fund_FUND_OTHER, StartDate: "2021-01-01", EndDate: "2021-12-31",
			Municipalities: []string{"016024"}}})
	if err != nil {
		t.Fatal(err)
	}
	admin := f.client(t)
	admin.signIn("admin@lombardia")
	for _, path := range []string{labReport, labReport + "/modifica", "/progetti/lab-impact", "/progetti/evil/monitoraggio", "/monitoraggio"} {
		page := admin.wantPage(path, http.StatusOK)
		if strings.Contains(page, "<script>alert(1)") {
			t.Errorf("%s renders hostile text as markup", path)
		}
		if !strings.Contains(page, evilEscaped) {
			t.Errorf("%s does not show the hostile text as text", path)
		}
	}
}

// TestProjectOverlapsAndNationalDashboard: the project page lists the
// projects on the same territory at the same time for the region (not for
// network staff, whom the rights table leaves out), and the ministry's
// dashboard has a row per region with data and the national totals.
func TestProjectOverlapsAndNationalDashboard(t *testing.T) {
	t.Parallel()
	f, staff, admin := monitoringClients(t)
	f.partner("veneto", "udp-venezia", "Ufficio di Piano di Venezia")
	admin.wantPage("/progetti/lab-impact", http.StatusOK, "Monitoraggio trimestrale del progetto",
		"Progetti sullo stesso territorio nello stesso periodo: 1.", `href="/progetti/fse-milano"`, "FSE-77 Sportelli FSE", "015146",
		"01/01/2020 al 31/12/2021", "Solo territorio e periodo")
	page := staff.wantPage("/progetti/lab-impact", http.StatusOK, "Monitoraggio trimestrale del progetto")
	if strings.Contains(page, "Sovrapposizioni") {
		t.Errorf("network staff see the overlaps, which the rights table does not give them")
	}
	if strings.Contains(page, `href="/cruscotto"`) {
		t.Errorf("network staff are offered the dashboard")
	}

	m := f.client(t)
	if res, _ := m.do("POST", "/accedi/token", url.Values{"token": {f.token(principal.Ministry, "")}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("ministry sign-in: status %d", res.StatusCode)
	}
	page = m.wantPage("/cruscotto?trimestre=2021-q2", http.StatusOK, "Cruscotto della governance", "OUT-01: 28/33", `<th scope="row">Lombardia</th><td data-label="Reti territoriali" class="num">1</td><td data-label="Partner" class="num">1</td>`,
		`<th scope="row">Veneto</th><td data-label="Reti territoriali" class="num">0</td><td data-label="Partner" class="num">1</td>`, `<th scope="row">Totale nazionale</th><td data-label="Reti territoriali" class="num">1</td><td data-label="Partner" class="num">2</td>`)
	if strings.Contains(page, `<th scope="row">Lazio`) {
		t.Errorf("the dashboard lists a region without data")
	}
	admin.wantPage("/cruscotto", http.StatusOK, `<th scope="row">Lombardia</th>`)
	admin.wantPage("/cruscotto?trimestre=estate", http.StatusUnprocessableEntity, `id="f-trimestre-err"`)
}

// TestBrowserMonitoring visits the new pages in Chromium (axe-core clean
// on each): the lead partner's staff submit a report, the region returns
// it with a reason and reads the summaries, overlaps and dashboard; the
// quarter is closed anyway while hours await review.
func TestBrowserMonitoring(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupMonitoring(f)
	network := setupLombardia(f)
	c := f.client(t)
	c.signIn("mrossi@lombardia")
	c.logHours(network)
	b := newBrowser(t, f)

	b.signIn("staff@lombardia")
	b.open("/progetti/lab-impact/monitoraggio?trimestre=2021-q2", "monitoraggio-progetto")
	// The page offers 2021-q3, whose report another tab starts meanwhile:
	// the quarter's field says its report exists, where the form said an
	// "identifier" was taken.
	if _, err := famiv1.NewMonitoringServiceClient(f.conn).CreateMonitoringReport(f.admin("lombardia"), &famiv1.CreateMonitoringReportRequest{
		Parent: "regions/lombardia/projects/lab-impact", MonitoringReportId: "2021-q3", MonitoringReport: &famiv1.MonitoringReport{}}); err != nil {
		t.Fatal(err)
	}
	b.run("start the report of 2021-q3, started meanwhile", chromedp.SetValue(chromedp.CSS("#f-new_period"), "2021-q3"),
		chromedp.Click(chromedp.CSS(`#new-title ~ form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#form-error")))
	b.wantText("#f-new_period-err", "Il rapporto di questo trimestre esiste già")
	b.open(labReport+"/modifica", "rapporto-modifica")
	b.open(labReport, "rapporto-bozza")
	b.wantText("#report-state", "Bozza")
	b.run("submit", chromedp.Click(chromedp.CSS(`#submit-title ~ form button`)), chromedp.WaitVisible(chromedp.CSS(".alert.success")))
	b.wantText("#report-state", "Inviato")
	b.signOut()

	b.signIn("admin@lombardia")
	// Returning a report asks first; the admin answers yes.
	var accept atomic.Bool
	accept.Store(true)
	b.answerDialogs(&accept)
	b.open(labReport, "rapporto-inviato")
	b.run("return without a reason", chromedp.Click(chromedp.CSS(`form[action$="/restituisci"] button`)), chromedp.WaitVisible(chromedp.CSS("#f-reason-err")))
	b.check("rapporto-restituzione-senza-motivo")
	b.run("return with a reason", chromedp.SendKeys(chromedp.CSS("#f-reason"), "Manca la spesa dell'azione 01"),
		chromedp.Click(chromedp.CSS(`form[action$="/restituisci"] button`)), chromedp.WaitVisible(chromedp.CSS(".alert.success")))
	b.wantText("#report-state", "Restituito")
	b.open("/monitoraggio?trimestre=2021-q2", "monitoraggio-regione")
	b.open("/progetti/lab-impact", "progetto-sovrapposizioni")
	b.wantText("#overlap-count", "1")
	b.open("/cruscotto", "cruscotto-regione")
	b.open("/periodi", "periodi")
	b.run("close the quarter", chromedp.Click(chromedp.CSS(`#close-title ~ form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#waiting")))
	b.check("periodi-in-attesa")
	b.run("close anyway", chromedp.SendKeys(chromedp.CSS("#f-reason"), "Rendicontazione del trimestre"),
		chromedp.Click(chromedp.CSS(`button[name="conferma"]`)), chromedp.WaitVisible(chromedp.CSS(".alert.success")))
	b.wantText("tbody", "Chiuso")
	b.signOut()

	b.run("sign in with a ministry token", chromedp.Navigate(f.url("/accedi")), chromedp.Click(chromedp.CSS("details summary")),
		chromedp.SendKeys(chromedp.CSS("#f-token"), f.token(principal.Ministry, "")), chromedp.Submit(chromedp.CSS("#f-token")),
		chromedp.WaitVisible(chromedp.CSS("#regione")))
	b.open("/cruscotto?trimestre=2021-q2", "cruscotto-nazionale")
	b.wantText("tfoot", "Totale nazionale")
}

// TestReportFormNumbers: an indicator value typed the Italian way is read
// as an Italian reads it; anything else (a hex float, infinity, an
// exponent, a sign, an English decimal point) is refused with 422 and the
// Italian error next to the indicators, keeping what was typed, and the
// stored value does not move. strconv.ParseFloat read "0x1p4" as 16. The
// form shows a value in full, so that sending it unchanged keeps it (it
// showed 32,915 as 32,91).
func TestReportFormNumbers(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupMonitoring(f)
	staff := f.client(t)
	staff.signIn("staff@lombardia")
	edit := labReport + "/modifica"
	post := func(value string) (*http.Response, string) {
		form := url.Values{"csrf": {staff.csrf(edit)}, "plan": {staff.plan(edit)}, "act.0.state": {"ACTIVITY_STATE_COMPLETED"}, "act.0.start": {"15/01/2019"},
			"act.0.end": {"30/06/2021"}, "ind.0.value": {value}, "notes": {"Note"}}
		return staff.do("POST", edit, form)
	}
	for _, typed := range []string{"0x1p4", "Inf", "NaN", "1e308", "1e3", "+5", "1.5", "1,5e2", "١٢"} {
		res, page := post(typed)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-indicator_values-err"`) ||
			!strings.Contains(page, "Indica valori numerici non negativi") || !strings.Contains(page, `name="ind.0.value" value="`+strings.ReplaceAll(typed, "+", "&#43;")+`"`) {
			t.Errorf("indicator value %q: status %d; want 422 naming the indicators and keeping the input", typed, res.StatusCode)
		}
	}
	staff.wantPage(labReport, http.StatusOK, `<td data-label="Raggiunto" class="num">28</td>`)
	// An amount likewise: an English "3.50" was read as 350 €.
	for _, typed := range []string{"3.50", "1.2.3", "1234,", "0x10"} {
		form := url.Values{"csrf": {staff.csrf(edit)}, "plan": {staff.plan(edit)}, "exp.1.committed": {typed}, "exp.1.paid": {"1"}}
		if res, page := staff.do("POST", edit, form); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-expenditures-err"`) ||
			!strings.Contains(page, `name="exp.1.committed" value="`+typed+`"`) {
			t.Errorf("amount %q: status %d; want 422 naming the expenditures and keeping the input", typed, res.StatusCode)
		}
	}
	for typed, shown := range map[string]string{"16,5": "16,5", "1.234": "1234", "1.234,5": "1234,5", "32,915": "32,915", " 29 ": "29"} {
		if res, _ := post(typed); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("indicator value %q: status %d, want 303", typed, res.StatusCode)
		}
		staff.wantPage(edit, http.StatusOK, `name="ind.0.value" value="`+shown+`"`)
	}
}

// TestQuartersAreChosenAsShown: the pages show a quarter as "2° trimestre
// 2021" and people choose it that way, from a select valued with the
// quarter's id, never typing "2021-q2" (the hint used to ask for it). A
// new report offers the quarters of the project's span that have no
// report; a value an old form or an edited address sends is refused with
// an Italian error beside the field, and shown as it came.
func TestQuartersAreChosenAsShown(t *testing.T) {
	t.Parallel()
	f, staff, admin := monitoringClients(t)
	selectOf := func(page, name string) string {
		t.Helper()
		m := regexp.MustCompile(`(?s)<select id="f-` + name + `" name="` + name + `"[^>]*>(.*?)</select>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no select %q on the page", name)
		}
		return m[1]
	}

	page := staff.wantPage("/progetti/lab-impact/monitoraggio?trimestre=2021-q2", http.StatusOK)
	if filter := selectOf(page, "trimestre"); !strings.Contains(filter, `<option value="2021-q2" selected>2° trimestre 2021</option>`) ||
		!strings.Contains(filter, `<option value="2014-q1">1° trimestre 2014</option>`) {
		t.Errorf("the filter's select does not offer the quarters as shown, 2021-q2 chosen: %s", filter)
	}
	newer := selectOf(page, "new_period")
	for _, want := range []string{`<option value="2018-q3">3° trimestre 2018</option>`, `<option value="2021-q4">4° trimestre 2021</option>`} {
		if !strings.Contains(newer, want) {
			t.Errorf("the new report's select lacks %s", want)
		}
	}
	for _, not := range []string{`"2021-q2"`, `"2018-q2"`, `"2022-q1"`} {
		if strings.Contains(newer, not) {
			t.Errorf("the new report's select offers %s: reported already, or outside the project's span 2018-09-01 to 2021-12-31", not)
		}
	}
	if strings.Contains(page, "2021-q1.") || strings.Contains(page, `type="text" id="f-trimestre"`) {
		t.Error("the page still asks to type a quarter's id")
	}

	// What an old form sends, or a quarter outside the span, is named.
	create := url.Values{"csrf": {staff.csrf("/progetti/lab-impact/monitoraggio")}}
	for _, period := range []string{"2° trimestre 2021", "2024-q1"} {
		create.Set("new_period", period)
		res, page := staff.do("POST", "/progetti/lab-impact/monitoraggio", create)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `<span class="error-text" id="f-new_period-err">Scegli dall&#39;elenco un trimestre compreso nella durata del progetto.</span>`) {
			t.Errorf("create with %q: status %d, want 422 with the Italian error beside the quarter", period, res.StatusCode)
		}
		if !strings.Contains(selectOf(page, "new_period"), `<option value="`+html.EscapeString(period)+`" selected>`) {
			t.Errorf("create with %q: the select does not show what was sent", period)
		}
	}

	page = admin.wantPage("/monitoraggio?trimestre="+url.QueryEscape("2021-Q2"), http.StatusUnprocessableEntity,
		`<span class="error-text" id="f-trimestre-err">Scegli un trimestre dall&#39;elenco.</span>`)
	if !strings.Contains(selectOf(page, "trimestre"), `<option value="2021-Q2" selected>2021-Q2</option>`) {
		t.Error("the region's filter does not show the quarter asked")
	}

	m := f.client(t)
	if res, _ := m.do("POST", "/accedi/token", url.Values{"token": {f.token(principal.Ministry, "")}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("ministry sign-in: status %d", res.StatusCode)
	}
	page = m.wantPage("/cruscotto?trimestre=2021-q2", http.StatusOK)
	if !strings.Contains(selectOf(page, "trimestre"), `<option value="2021-q2" selected>2° trimestre 2021</option>`) {
		t.Error("the dashboard's filter does not offer the quarters as shown")
	}
}

// TestMonitoringFlagsSayWhatTheyAreAbout: a flag shows what it is about as
// people read it: the activity's code after "Attività in ritardo", and
// nothing after "Spesa indietro rispetto al budget", which showed the
// API's subject, "(budget)", on the report and on the project's list.
func TestMonitoringFlagsSayWhatTheyAreAbout(t *testing.T) {
	t.Parallel()
	_, staff, _ := monitoringClients(t)
	for path, want := range map[string]string{
		labReport:                           "<li><strong>Spesa indietro rispetto al budget</strong></li>",
		"/progetti/lab-impact/monitoraggio": "<li>Spesa indietro rispetto al budget</li>",
	} {
		page := staff.wantPage(path, http.StatusOK, want, "Attività in ritardo", "(02.1)")
		if strings.Contains(page, "(budget)") {
			t.Errorf("GET %s shows the flag's subject (budget)", path)
		}
	}
}

// TestOverdueProjectsNamedByTitle: the summary names the projects whose
// report is late by code and title, as the projects' pages do; it showed
// their ids ("lab-impact").
func TestOverdueProjectsNamedByTitle(t *testing.T) {
	t.Parallel()
	_, staff, admin := monitoringClients(t)
	lab := `<a href="/progetti/lab-impact/monitoraggio">PROG-2463 Lab&#39;Impact</a>`
	staff.wantPage("/progetti/lab-impact/monitoraggio?trimestre=2021-q2", http.StatusOK, "Progetti con il rapporto in ritardo (1): "+lab+"</p>")
	admin.wantPage("/monitoraggio?trimestre=2021-q2", http.StatusOK,
		`Progetti con il rapporto in ritardo (2): <a href="/progetti/fse-milano/monitoraggio">FSE-77 Sportelli FSE&#43;</a>, `+lab+"</p>")
}

// TestOverdueProjectsPaged: a summary counting 152 overdue projects shows
// them a page of 50 at a time, each page one ListOverdueProjects call of
// its own projects, labelled as they come (no BatchGetProjects or
// GetProject), with the count of them all; the pager's links reach the
// last page, and every project is named on one page. The page named them
// all and labelled them all (two batches of a hundred), however many they
// were; then it sliced the summary's whole list and labelled each page in
// one batch.
func TestOverdueProjectsPaged(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupMonitoring(f)
	projects, ctx := famiv1.NewProjectServiceClient(f.seed), f.admin("lombardia")
	bulk(t, 150, func(i int) error {
		_, err := projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/lombardia", ProjectId: fmt.Sprintf("ritardo-%03d", i),
			Project: &famiv1.Project{Code: fmt.Sprintf("RIT-%03d", i), Title: "In ritardo", StartDate: "2021-01-01", EndDate: "2021-12-31", Fund: famiv1.Fund_FUND_FAMI_2021_2027}})
		return err
	})
	base, reads := countedApp(t, f)
	token := f.signedIn("admin@lombardia")
	list, overdue := regexp.MustCompile(`<p>Progetti con il rapporto in ritardo \(152\): (.*)</p>`), regexp.MustCompile(`<a href="/progetti/([^"/]+)/monitoraggio">`)
	named := map[string]int{}
	at, pages := "/monitoraggio?trimestre=2021-q2", 0
	for ; at != "" && pages < 10; pages++ {
		reads.reset()
		page := fetch(t, base+at, token)
		var shown [][]string
		if m := list.FindStringSubmatch(page); m != nil {
			shown = overdue.FindAllStringSubmatch(m[1], -1)
		} else {
			t.Errorf("page %d of the overdue projects does not count them all (152)", pages+1)
		}
		if len(shown) == 0 || len(shown) > 50 {
			t.Errorf("page %d names %d overdue projects, want 1 to 50", pages+1, len(shown))
		}
		for _, m := range shown {
			named[m[1]]++
		}
		if got, items := reads.of("ListOverdueProjects"), reads.itemsOf("ListOverdueProjects"); got != 1 || items != len(shown) || reads.of("BatchGetProjects") != 0 || reads.of("GetProject") != 0 {
			t.Errorf("page %d reads its %d overdue projects in %d ListOverdueProjects calls of %d projects (and %d BatchGetProjects, %d GetProject), want one call of its own alone",
				pages+1, len(shown), got, items, reads.of("BatchGetProjects"), reads.of("GetProject"))
		}
		if at = nextPageOf(page, "rit_", at); at == "" && !strings.Contains(page, "Risultati da 151 a 152, su 152 in tutto.") {
			t.Errorf("the last page of the overdue projects does not say it ends the 152")
		}
	}
	if pages != 4 || len(named) != 152 {
		t.Errorf("the overdue projects were shown on %d pages naming %d of them, want 4 pages naming all 152", pages, len(named))
	}
	for _, want := range []string{"ritardo-000", "ritardo-149", "lab-impact"} {
		if named[want] != 1 {
			t.Errorf("overdue project %s is named on %d pages, want one", want, named[want])
		}
	}
	// A token edited by hand (a position, as the pages carried before) or
	// one of another quarter is refused, with the way back to the first page.
	other := nextPageOf(fetch(t, base+"/monitoraggio?trimestre=2021-q3", token), "rit_", "/monitoraggio?trimestre=2021-q3")
	for _, bad := range []string{"152", "x", "-50", must(url.Parse(other)).Query().Get("rit_pagina")} {
		status, page := getPage(t, base+"/monitoraggio?trimestre=2021-q2&rit_pagina="+bad, token)
		if status != http.StatusBadRequest || !strings.Contains(page, `<a href="/monitoraggio?trimestre=2021-q2">Torna alla prima pagina`) {
			t.Errorf("the overdue projects' page %q: status %d, want 400 with the way back to the first page", bad, status)
		}
	}
}

// TestReportControlsOnlyForItsLead: network staff whose partner leads no
// network implementing the project (a CPIA leading a network of its own)
// read the project's reports but are offered neither a new report, nor
// the edit, nor the submit, all of which the service refuses them; the
// edit page is a 403. The lead partner's staff and the region's admin
// keep them. They were offered to every network member.
func TestReportControlsOnlyForItsLead(t *testing.T) {
	t.Parallel()
	f, staff, admin := monitoringClients(t)
	cpia := f.partner("lombardia", "cpia-milano", "CPIA Milano")
	f.network("lombardia", "rete-cpia", "Rete CPIA", cpia)
	f.account("lombardia", "ospite", "Olga Ospite", famiv1.Role_ROLE_NETWORK_MEMBER, cpia)
	other := f.client(t)
	other.signIn("ospite@lombardia")

	project := "/progetti/lab-impact/monitoraggio?trimestre=2021-q2"
	edit, submit, create := labReport+"/modifica", "Invia il rapporto", "Nuovo rapporto trimestrale"
	for _, b := range []*browserless{staff, admin} {
		b.wantPage(project, http.StatusOK, create)
		b.wantPage(labReport, http.StatusOK, submit, `href="`+edit+`"`)
		b.wantPage(edit, http.StatusOK, `name="ind.0.value"`)
	}
	if page := other.wantPage(project, http.StatusOK, "2° trimestre 2021"); strings.Contains(page, create) {
		t.Errorf("another network's staff are offered a new report")
	}
	if page := other.wantPage(labReport, http.StatusOK, "Bozza"); strings.Contains(page, submit) || strings.Contains(page, edit) {
		t.Errorf("another network's staff are offered the report's edit or submit")
	}
	other.wantPage(edit, http.StatusForbidden, "Accesso negato")
	// What the pages no longer offer, the service refuses.
	if res, _ := other.do("POST", labReport+"/invia", url.Values{"csrf": {other.csrf(labReport)}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("another network's staff submit: status %d, want 403", res.StatusCode)
	}
}

// TestReportPlanChangedDuringEdit: a report's form numbers its activity,
// indicator and expenditure rows after the project's plan, and the save
// reads them by position. When the region changes the plan while the form
// is open, the save is refused in words, nothing is written, and the form
// comes back on the new plan with each typed value on the row of the item
// it was typed for; saved again, it lands there. Before, the values went
// to whatever the plan held at their position.
func TestReportPlanChangedDuringEdit(t *testing.T) {
	t.Parallel()
	f, staff, _ := monitoringClients(t)
	edit := labReport + "/modifica"
	_, page := staff.do("GET", edit, nil)
	typed := formValues(t, page, edit)
	typeOnOldPlan(typed)
	f.insertAtPlanFront()
	report := func() *famiv1.MonitoringReport { return f.report("2021-q2") }
	before := report()

	res, page := staff.do("POST", edit, typed)
	wantOnNewPlan(t, res.StatusCode, page)
	if got := report(); got.GetEtag() != before.GetEtag() {
		t.Fatalf("a save on a changed plan wrote the report: %v", got)
	}
	again := formValues(t, page, edit)
	if again.Get("act.2.state") != "ACTIVITY_STATE_COMPLETED" || again.Get("act.0.state") != "" {
		t.Errorf("the activities' states on the new plan are %q (01.0) and %q (02.1), want none and completed", again.Get("act.0.state"), again.Get("act.2.state"))
	}
	if res, page := staff.do("POST", edit, again); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saved again on the new plan: status %d, want 303\n%s", res.StatusCode, page)
	}
	got := report()
	values := map[string]float64{}
	for _, iv := range got.GetIndicatorValues() {
		values[iv.GetIndicator()] = iv.GetValue()
	}
	states := map[string]famiv1.ActivityState{}
	for _, a := range got.GetActivities() {
		states[a.GetActivity()] = a.GetState()
	}
	committed := map[string]int64{}
	for _, e := range got.GetExpenditures() {
		committed[e.GetAction()] = e.GetCommittedCents()
	}
	if len(values) != 1 || values["OUT-01"] != 31 {
		t.Errorf("the indicators saved are %v, want OUT-01 = 31 alone", values)
	}
	if len(states) != 2 || states["02.1"] != famiv1.ActivityState_ACTIVITY_STATE_COMPLETED || states["01.1"] != famiv1.ActivityState_ACTIVITY_STATE_COMPLETED {
		t.Errorf("the activities saved are %v, want 01.1 and 02.1 completed, 01.0 none", states)
	}
	if len(committed) != 1 || committed["02"] != 40000000 {
		t.Errorf("the expenditures saved are %v, want action 02's 400.000 € alone", committed)
	}
}

// insertAtPlanFront changes Lab'Impact's plan as an admin would while a
// report's form is open: an indicator, an activity and an action inserted
// before the others, so that every row of the form moves down by one.
func (f *famid) insertAtPlanFront() {
	f.t.Helper()
	projects := famiv1.NewProjectServiceClient(f.conn)
	lab, err := projects.GetProject(f.admin("lombardia"), &famiv1.GetProjectRequest{Name: "regions/lombardia/projects/lab-impact"})
	if err != nil {
		f.t.Error(err)
		return
	}
	lab.Indicators = append([]*famiv1.Indicator{{Code: "OUT-00", Name: "Sportelli aperti", Unit: "sportelli", Kind: famiv1.IndicatorKind_INDICATOR_KIND_OUTPUT,
		Target: 5, TargetDate: "2021-12-31"}}, lab.GetIndicators()...)
	lab.Timetable = append([]*famiv1.PlannedActivity{{Code: "01.0", Action: "01", Title: "Analisi dei bisogni", PlannedStart: "2018-09-01",
		PlannedEnd: "2018-12-31"}}, lab.GetTimetable()...)
	lab.Actions = append([]*famiv1.ProjectAction{{Code: "00", Title: "Governance"}}, lab.GetActions()...)
	if _, err := projects.UpdateProject(f.admin("lombardia"), &famiv1.UpdateProjectRequest{Project: lab,
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"indicators", "timetable", "actions"}}}); err != nil {
		f.t.Errorf("change the plan: %v", err)
	}
}

// retitle changes Lab'Impact's title, and nothing of its plan.
func (f *famid) retitle(title string) {
	f.t.Helper()
	if _, err := famiv1.NewProjectServiceClient(f.conn).UpdateProject(f.admin("lombardia"), &famiv1.UpdateProjectRequest{
		Project:    &famiv1.Project{Name: "regions/lombardia/projects/lab-impact", Title: title},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}}); err != nil {
		f.t.Errorf("retitle the project: %v", err)
	}
}

// report reads Lab'Impact's report of period.
func (f *famid) report(period string) *famiv1.MonitoringReport {
	f.t.Helper()
	rep, err := famiv1.NewMonitoringServiceClient(f.conn).GetMonitoringReport(f.admin("lombardia"), &famiv1.GetMonitoringReportRequest{
		Name: "regions/lombardia/projects/lab-impact/monitoringReports/" + period})
	if err != nil {
		f.t.Fatal(err)
	}
	return rep
}

// wantOnNewPlan checks the answer to a report's form typed on the plan
// insertAtPlanFront changed (OUT-01 31, 02.1 completed on 15/06/2021,
// action 02 committed 400.000): 409 saying so, and the form again on the
// new plan, each value on its item's row.
func wantOnNewPlan(t *testing.T, status int, page string) {
	t.Helper()
	if status != http.StatusConflict || !strings.Contains(page, "Il piano del progetto (attività, indicatori o azioni) è cambiato") {
		t.Fatalf("save on a changed plan: status %d; want 409 saying the plan changed", status)
	}
	for _, want := range []string{
		`name="ind.0.code" value="OUT-00"`, `name="ind.0.value" value=""`, `name="ind.1.code" value="OUT-01"`, `name="ind.1.value" value="31"`,
		`name="act.0.code" value="01.0"`, `name="act.2.code" value="02.1"`, `name="act.2.end" value="15/06/2021"`,
		`name="act.1.start" value="15/01/2019"`, // 01.1, as stored and not touched
		`name="exp.0.committed" value=""`, `name="exp.2.committed" value="400.000"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the form on the new plan lacks %s", want)
		}
	}
}

// beforeReportUpdate serves the application over f with hook run as each
// of its UpdateMonitoringReport calls (the n-th, from 1) is about to reach
// the service: after the save has read the project and checked the form.
func beforeReportUpdate(t *testing.T, f *famid, hook func(n int32)) (base string) {
	var updates atomic.Int32
	return appOver(t, f, func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if path.Base(method) == "UpdateMonitoringReport" {
			hook(updates.Add(1))
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	})
}

// typeOnOldPlan types into a report form values that wantOnNewPlan finds
// on their items' rows once the plan has a new item in front.
func typeOnOldPlan(typed url.Values) {
	typed.Set("ind.0.value", "31")                       // OUT-01
	typed.Set("act.1.state", "ACTIVITY_STATE_COMPLETED") // 02.1
	typed.Set("act.1.end", "15/06/2021")                 // 02.1
	typed.Set("exp.1.committed", "400.000")              // action 02
}

// savedOnNewPlan saves the staff's report form through the application at
// base with values typed on the plan as the form showed it (typeOnOldPlan),
// and wants the 409 on the new plan (wantOnNewPlan) and the report as it
// was; what names the save in the errors.
func savedOnNewPlan(t *testing.T, f *famid, base, what string) {
	t.Helper()
	edit := labReport + "/modifica"
	token := f.signedIn("staff@lombardia")
	page := fetch(t, base+edit, token)
	typed := formValues(t, page, edit)
	typeOnOldPlan(typed)
	before := f.report("2021-q2")

	status, page := postCounted(t, base+edit, token, page, typed)
	wantOnNewPlan(t, status, page)
	if got := f.report("2021-q2"); got.GetEtag() != before.GetEtag() {
		t.Errorf("%s wrote the report: %v", what, got)
	}
}

// TestReportPlanChangedBetweenCheckAndSave changes the plan after the
// save has read the project and checked the form's plan, just before its
// update reaches the service (an interceptor on the application's
// connection): the service refuses the update in its own transaction
// (project_etag, PROJECT_CHANGED), nothing is written, and the page is the
// same 409 as for a plan changed before the save, the form on the new
// plan. Checked and written in two calls, the update was saved.
func TestReportPlanChangedBetweenCheckAndSave(t *testing.T) {
	t.Parallel()
	f, _, _ := monitoringClients(t)
	base := beforeReportUpdate(t, f, func(n int32) {
		if n == 1 {
			f.insertAtPlanFront()
		}
	})
	savedOnNewPlan(t, f, base, "a save whose plan changed before its update")
}

// TestReportSavedAcrossAnotherProjectChange changes the project, not its
// plan, just before a report's update reaches the service: the update is
// refused (PROJECT_CHANGED), and the save, reading the project again with
// the same plan, is retried and written.
func TestReportSavedAcrossAnotherProjectChange(t *testing.T) {
	t.Parallel()
	f, _, _ := monitoringClients(t)
	var updates atomic.Int32
	base := beforeReportUpdate(t, f, func(n int32) {
		if updates.Store(n); n == 1 {
			f.retitle("Lab'Impact 2")
		}
	})
	edit := labReport + "/modifica"
	token := f.signedIn("staff@lombardia")
	page := fetch(t, base+edit, token)
	typed := formValues(t, page, edit)
	typed.Set("ind.0.value", "31")
	if status, page := postCounted(t, base+edit, token, page, typed); status != http.StatusSeeOther {
		t.Fatalf("save across a change of the project's title: status %d, want 303\n%s", status, page)
	}
	if n := updates.Load(); n != 2 {
		t.Errorf("the save made %d updates, want 2 (refused, then retried)", n)
	}
	got := f.report("2021-q2").GetIndicatorValues()
	if len(got) != 1 || got[0].GetIndicator() != "OUT-01" || got[0].GetValue() != 31 {
		t.Errorf("the indicators saved are %v, want OUT-01 = 31", got)
	}
}

// TestReportProjectChangedTwiceDuringSave changes the project's title
// just before the save's update, then, when the save has read the project
// again and retries, its plan: the form comes back with 409 on the plan as
// it is now, each value on its item's row, and nothing is written. Shown as
// a stale save, the form kept its rows by position under the new plan's
// items, so that saving it again put them on other items.
func TestReportProjectChangedTwiceDuringSave(t *testing.T) {
	t.Parallel()
	f, _, _ := monitoringClients(t)
	var updates atomic.Int32
	base := beforeReportUpdate(t, f, func(n int32) {
		switch updates.Store(n); n {
		case 1:
			f.retitle("Lab'Impact 2")
		case 2:
			f.insertAtPlanFront()
		}
	})
	savedOnNewPlan(t, f, base, "a save whose project changed twice")
	if n := updates.Load(); n != 2 {
		t.Errorf("the save made %d updates, want 2", n)
	}
}

// TestBrowserReportFormAt390: on a 390 px phone the report form is a card
// per row, as long titles and all. Nothing is wider than the screen (a title
// without spaces widened the page by more than 1,000 px); each activity and
// action of the plan is a group named by its code and title, and each
// deviation a group named by its number holding its five fields (they were
// five fields in a box, in no group); short fields that go together share a
// line (the two dates, the two amounts, a deviation's activity and new date,
// and age band and sex of a count of people; they were one under the
// other); every field keeps its visible label; and axe finds nothing
// serious.
func TestBrowserReportFormAt390(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupMonitoring(f)
	projects := famiv1.NewProjectServiceClient(f.conn)
	lab, err := projects.GetProject(f.admin("lombardia"), &famiv1.GetProjectRequest{Name: "regions/lombardia/projects/lab-impact"})
	if err != nil {
		t.Fatal(err)
	}
	lab.Timetable[0].Title = "Accompagnamento delle reti territoriali nella costruzione dei piani di intervento integrati per l'inclusione"
	lab.Timetable[1].Title = strings.Repeat("X", 150)
	lab.Actions[1].Title = strings.Repeat("Y", 150)
	lab.Indicators[0].Name = strings.Repeat("Z", 150)
	if _, err := projects.UpdateProject(f.admin("lombardia"), &famiv1.UpdateProjectRequest{Project: lab,
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"timetable", "actions", "indicators"}}}); err != nil {
		t.Fatalf("retitle the plan: %v", err)
	}
	b := newBrowser(t, f)
	b.signIn("staff@lombardia")
	edit := labReport + "/modifica"
	b.run("open "+edit+" at 390 px", chromedp.EmulateViewport(390, 844), chromedp.Navigate(b.f.url(edit)), chromedp.WaitReady(chromedp.CSS("main form")))
	type layout struct {
		Over       int      // px the page is wider than the screen
		Apart      []string // pairs of fields not on one line, or past the screen
		Unnamed    []string // a plan row's field whose group does not name its item
		Unlabelled []string // a field without a visible label
	}
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[layout](`(() => {
		const doc = document.documentElement, form = document.querySelector("main form");
		const box = id => document.getElementById(id).getBoundingClientRect();
		const apart = [], unnamed = [], unlabelled = [];
		for (const [a, b] of [["act.0.start", "act.0.end"], ["act.1.start", "act.1.end"], ["exp.0.committed", "exp.0.paid"],
			["exp.1.committed", "exp.1.paid"], ["dev.0.activity", "dev.0.new_date"], ["dev.1.activity", "dev.1.new_date"], ["ppl.0.age_band", "ppl.0.sex"]]) {
			if (box(a).top !== box(b).top || box(b).right > doc.clientWidth) apart.push(a + "|" + b);
		}
		for (const h of form.querySelectorAll('input[type=hidden][name^="act."][name$=".code"], input[type=hidden][name^="exp."][name$=".code"]')) {
			const group = h.closest("fieldset"), legend = group && group.querySelector(":scope > legend");
			const row = h.name.replace(/\.code$/, "");
			for (const el of form.querySelectorAll('[name^="' + row + '."]:not([type=hidden])')) {
				if (!legend || !legend.textContent.includes(h.value) || !group.contains(el)) unnamed.push(el.name);
			}
		}
		for (const el of form.querySelectorAll('[name^="dev."]')) {
			const row = +el.name.split(".")[1], group = el.closest("fieldset"), legend = group && group.querySelector(":scope > legend");
			if (!legend || legend.textContent.trim() !== "Scostamento " + (row + 1) || group.querySelectorAll('[name^="dev.' + row + '."]').length !== 5) unnamed.push(el.name);
		}
		for (const el of form.querySelectorAll("input:not([type=hidden]), select, textarea")) {
			const l = form.querySelector('label[for="' + el.id + '"]');
			if (!l || !l.textContent.trim() || l.getBoundingClientRect().width === 0) unlabelled.push(el.name);
		}
		return {Over: doc.scrollWidth - doc.clientWidth, Apart: apart, Unnamed: unnamed, Unlabelled: unlabelled};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Over > 0 {
		t.Errorf("the report form at 390 px is %d px wider than the screen", got.Over)
	}
	if len(got.Apart) > 0 {
		t.Errorf("at 390 px these fields do not share a line within the screen: %q", got.Apart)
	}
	if len(got.Unnamed) > 0 {
		t.Errorf("at 390 px these fields are not in a group named by their item: %q", got.Unnamed)
	}
	if len(got.Unlabelled) > 0 {
		t.Errorf("at 390 px these fields have no visible label: %q", got.Unlabelled)
	}
	b.check("rapporto-390")
	b.run("reset viewport", chromedp.EmulateReset())
}

// reportOffPlan starts famid with setupMonitoring, its report 2021-q2 in
// state, the report's deviation naming an activity the project's plan
// does not have (09.9), stored straight to the region's file: a report
// written before its plan changed.
func reportOffPlan(t *testing.T, state famiv1.MonitoringReportState) *famid {
	t.Helper()
	f := startFamid(t)
	setupMonitoring(f)
	return f.storedDirectly(func(tx store.WriteTx) error {
		r := &famiv1.MonitoringReport{}
		if err := tx.Get("regions/lombardia/projects/lab-impact/monitoringReports/2021-q2", r); err != nil {
			return err
		}
		r.Deviations[0].Activity, r.State = "09.9", state
		return tx.Put(r)
	})
}

// TestReportStoredOffItsPlan: a draft report whose deviation names an
// activity its project's plan no longer has (stored straight to the
// region's file) is checked whole, so its form's save is refused at the
// deviations; submitted as it is, the refusal brings back the report's
// form, the deviations marked and, in Italian, what to do: fix them, save,
// then submit it. Before, the report's page came back asking to check
// fields it does not show.
func TestReportStoredOffItsPlan(t *testing.T) {
	t.Parallel()
	f := reportOffPlan(t, famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT)
	staff := f.client(t)
	staff.signIn("staff@lombardia")

	edit := labReport + "/modifica"
	form := url.Values{"csrf": {staff.csrf(edit)}, "plan": {staff.plan(edit)}, "act.0.state": {"ACTIVITY_STATE_COMPLETED"}, "act.0.start": {"15/01/2019"},
		"act.0.end": {"30/06/2021"}, "act.1.state": {"ACTIVITY_STATE_LATE"}, "act.1.start": {"02/05/2019"}, "ind.0.value": {"28"},
		"dev.0.activity": {"09.9"}, "dev.0.description": {"Incontri rinviati"}, "dev.0.cause": {"Pandemia"}, "dev.0.new_date": {"30/09/2021"},
		"ppl.0.age_band": {"AGE_BAND_18_29"}, "ppl.0.sex": {"SEX_FEMALE"}, "ppl.0.count": {"12"}, "notes": {"Note del trimestre"}}
	if res, page := staff.do("POST", edit, form); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-deviations-err"`) {
		t.Errorf("the form's save with the deviation off the plan: status %d; want 422 naming the deviations", res.StatusCode)
	}

	res, page := staff.do("POST", labReport+"/invia", url.Values{"csrf": {staff.csrf(labReport)}, "conferma": {"1"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("submitting a report off its plan: status %d, want 422", res.StatusCode)
	}
	for _, want := range []string{`action="` + edit + `"`, `id="f-deviations-err"`, "correggi i campi evidenziati, salva il rapporto"} {
		if !strings.Contains(page, want) {
			t.Errorf("the refused submission's page lacks %q", want)
		}
	}
	if st := f.reportState("2021-q2"); st != famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT {
		t.Errorf("after the refused submission: %s, want a draft", st)
	}
}

// TestReportApprovalOffItsPlan: a submitted report whose deviation names an
// activity its project's plan no longer has (stored straight to the
// region's file) cannot be approved, and the admin, who cannot edit it,
// reads on the report's page, in Italian, what to do: return it to its
// authors. Before, the page asked to check fields it does not show.
func TestReportApprovalOffItsPlan(t *testing.T) {
	t.Parallel()
	f := reportOffPlan(t, famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED)
	admin := f.client(t)
	admin.signIn("admin@lombardia")

	res, page := admin.do("POST", labReport+"/approva", url.Values{"csrf": {admin.csrf(labReport)}, "conferma": {"1"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("approving a report off its plan: status %d, want 422", res.StatusCode)
	}
	if !strings.Contains(page, "restituiscilo agli autori") || strings.Contains(page, "Controlla i campi evidenziati") {
		t.Errorf("the refused approval's page does not say to return the report, or asks to check fields it does not show")
	}
	if st := f.reportState("2021-q2"); st != famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED {
		t.Errorf("after the refused approval: %s, want it submitted", st)
	}
}

// TestSummaryShowsEndedProjectsMoneyApart: after Lab'Impact's end, the
// region's summary no longer plans it, and says that the money it spent,
// still in the totals to date, is an ended project's, outside the budget
// and the percentages (ADR 32); over its span no such line shows.
func TestSummaryShowsEndedProjectsMoneyApart(t *testing.T) {
	t.Parallel()
	_, _, admin := monitoringClients(t)
	line := "<dt>Di cui da progetti conclusi (fuori dal budget e dalle percentuali)</dt><dd>300.000,00\u00a0€ impegnati, 200.000,00\u00a0€ pagati</dd>"
	admin.wantPage("/monitoraggio?trimestre=2022-q2", http.StatusOK, line)
	if page := admin.wantPage("/monitoraggio?trimestre=2021-q2", http.StatusOK); strings.Contains(page, "progetti conclusi") {
		t.Error("the summary of a quarter Lab'Impact covers shows money of ended projects")
	}
}

// TestNewReportOnlyOfABegunQuarter: a project running past today offers
// a new report of its quarters up to today's (the server's clock stands
// on 30 November 2026), never one not begun, which the service refuses
// (ADR 39); a form that sends one anyway gets the Italian reason beside
// the quarter, and nothing is written. Before, the select offered every
// quarter of the span, years ahead.
func TestNewReportOnlyOfABegunQuarter(t *testing.T) {
	t.Parallel()
	f, _, admin := monitoringClients(t)
	if _, err := famiv1.NewProjectServiceClient(f.conn).CreateProject(f.admin("lombardia"), &famiv1.CreateProjectRequest{Parent: "regions/lombardia", ProjectId: "in-corso",
		Project: &famiv1.Project{Code: "PROG-9", Title: "In corso", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2026-01-01", EndDate: "2028-12-31"}}); err != nil {
		t.Fatal(err)
	}
	const addr = "/progetti/in-corso/monitoraggio"
	page := admin.wantPage(addr, http.StatusOK)
	offered := regexp.MustCompile(`(?s)<select id="f-new_period" name="new_period"[^>]*>(.*?)</select>`).FindStringSubmatch(page)
	if offered == nil || !strings.Contains(offered[1], `<option value="2026-q4">`) || strings.Contains(offered[1], `"2027-q1"`) {
		t.Errorf("the new report's quarters: want 2026-q4 and none later: %v", offered)
	}

	res, page := admin.do("POST", addr, url.Values{"csrf": {admin.csrf(addr)}, "new_period": {"2027-q1"}})
	if want := `<span class="error-text" id="f-new_period-err">Questo trimestre non è ancora iniziato`; res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, want) {
		t.Errorf("create 2027-q1: status %d, want 422 with %s", res.StatusCode, want)
	}
	if _, err := famiv1.NewMonitoringServiceClient(f.conn).GetMonitoringReport(f.admin("lombardia"), &famiv1.GetMonitoringReportRequest{
		Name: "regions/lombardia/projects/in-corso/monitoringReports/2027-q1"}); status.Code(err) != codes.NotFound {
		t.Errorf("the refused report: %v, want NOT_FOUND", err)
	}
}

// TestReportFormOfAProjectWithoutAPlan: a project the web made (it edits
// no timetable, indicators or financial plan) has a report's form that
// says what the project lacks, instead of a date format's hint over no
// activity, empty indicators and spending, and a deviation row whose
// activity can be chosen from nothing, which the service then refused:
// a dead end. A project with its plan shows its rows as before.
func TestReportFormOfAProjectWithoutAPlan(t *testing.T) {
	t.Parallel()
	f, _, admin := monitoringClients(t)
	if _, err := famiv1.NewMonitoringServiceClient(f.conn).CreateMonitoringReport(f.admin("lombardia"), &famiv1.CreateMonitoringReportRequest{
		Parent: "regions/lombardia/projects/fse-milano", MonitoringReportId: "2021-q2", MonitoringReport: &famiv1.MonitoringReport{}}); err != nil {
		t.Fatal(err)
	}
	notes := []string{
		"Il progetto non ha un cronoprogramma: nessuna attività da aggiornare.",
		"Gli scostamenti si indicano sulle attività del cronoprogramma, che il progetto non ha.",
		"Il progetto non ha indicatori da misurare.",
		"Il progetto non ha azioni: la spesa si indica per azione.",
	}
	page := admin.wantPage("/progetti/fse-milano/monitoraggio/2021-q2/modifica", http.StatusOK, notes...)
	for _, gone := range []string{`name="dev.0.activity"`, `<p class="hint">Formato gg/mm/aaaa.</p>`} {
		if strings.Contains(page, gone) {
			t.Errorf("the form of a report of a project without a plan shows %s", gone)
		}
	}

	page = admin.wantPage("/progetti/lab-impact/monitoraggio/2021-q2/modifica", http.StatusOK, `name="dev.1.activity"`, `<p class="hint">Formato gg/mm/aaaa.</p>`)
	for _, note := range notes {
		if strings.Contains(page, note) {
			t.Errorf("the form of a report of a project with its plan says %q", note)
		}
	}
}
