package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestConfirmationsWithoutScript: every action a page asks about first
// (data-confirm) asks without JavaScript too, its page's query kept. The page's form posted as a
// browser without the script posts it does nothing and answers a page with
// the same question, headed by the action's own (not one heading for
// every action), a "Conferma" button and a way back; that page's form
// does the action. Before, such a POST acted at once: only app.js asked.
func TestConfirmationsWithoutScript(t *testing.T) {
	t.Parallel()
	f, consultant, _ := withLoggedHours(t)
	admin := f.client(t)
	admin.signIn("admin@lombardia")
	f.account("lombardia", "lverdi", "Luca Verdi", famiv1.Role_ROLE_CONSULTANT, "")
	auth := famiv1.NewAuthServiceClient(f.conn)
	if _, err := auth.CreateServiceToken(f.admin("lombardia"), &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: "siage"}); err != nil {
		t.Fatalf("CreateServiceToken: %v", err)
	}
	cpia := f.partner("lombardia", "cpia-bergamo", "CPIA Bergamo")
	udp := "regions/lombardia/partners/udp-bergamo"
	pact := f.network("lombardia", "rete-patto", "Rete del patto", udp, cpia)
	protocols := famiv1.NewProtocolServiceClient(f.conn)
	p, err := protocols.CreateProtocol(f.admin("lombardia"), &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", Protocol: &famiv1.Protocol{
		Network: pact, Title: "Protocollo UdP-CPIA", Body: "Art. 1 - Le parti collaborano.", ValidFrom: "2025-01-01",
		Parties: []*famiv1.Party{{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: cpia, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}})
	if err != nil {
		t.Fatalf("CreateProtocol: %v", err)
	}
	entry := "/ore/" + lastID(f.entries("lombardia")[0].GetName())
	protocol := "/protocolli/" + lastID(p.GetName())
	if res, _ := consultant.do("POST", "/incontri/calendario", url.Values{"csrf": {consultant.csrf("/incontri/calendario")}}); res.StatusCode != http.StatusOK {
		t.Fatalf("calendar address: status %d", res.StatusCode)
	}

	for _, c := range []confirmCase{
		{"entry", consultant, entry, regexp.MustCompile(`^/ore/[^/]+/elimina$`), "Eliminare la registrazione?", nil, func() bool { return len(f.entries("lombardia")) == 0 }},
		{"protocol", admin, protocol, regexp.MustCompile(`/apri$`), "Aprire il protocollo alla firma?", nil, func() bool {
			got, err := protocols.GetProtocol(f.admin("lombardia"), &famiv1.GetProtocolRequest{Name: p.GetName()})
			return err == nil && got.GetState() == famiv1.ProtocolState_PROTOCOL_STATE_OPEN_FOR_SIGNATURE
		}},
		{"account", admin, "/account", regexp.MustCompile(`^/account/lverdi/elimina$`), "Eliminare l'account?", nil, func() bool {
			_, err := auth.GetAccount(f.admin("lombardia"), &famiv1.GetAccountRequest{Name: "regions/lombardia/accounts/lverdi"})
			return err != nil
		}},
		{"token", admin, "/account", regexp.MustCompile(`^/token/[^/]+/revoca$`), "Revocare il token?", nil, func() bool {
			listed, err := auth.ListServiceTokens(f.admin("lombardia"), &famiv1.ListServiceTokensRequest{Parent: "regions/lombardia"})
			return err == nil && listed.GetServiceTokens()[0].GetState() == famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_REVOKED
		}},
		// Asked from the calendar page with a query (a list's position;
		// it was the meetings page's archive until the addresses got a
		// page of their own), which the confirmation and its way back keep.
		{"calendar", consultant, "/incontri/calendario?cal_da=50", regexp.MustCompile(`^/calendario/[^/]+/revoca\?cal_da=50$`), "Revocare l'indirizzo del calendario?", nil, func() bool {
			listed, err := famiv1.NewMeetingServiceClient(f.conn).ListCalendarTokens(f.admin("lombardia"), &famiv1.ListCalendarTokensRequest{Parent: "regions/lombardia"})
			return err == nil && listed.GetCalendarTokens()[0].GetRevokeTime() != nil
		}},
	} {
		t.Run(c.name, c.asksFirst)
	}
}

// TestIrreversibleActionsAskFirst: cancelling a meeting, reopening a
// closed period, returning a submitted report, reopening an approved one
// for correction, recording a project's extension, signing a protocol and
// terminating it ask first, as the actions of
// TestConfirmationsWithoutScript do, the reason typed carried through the
// confirmation (a report's, on two lines). Before, each acted at the first
// press, with or without the script.
func TestIrreversibleActionsAskFirst(t *testing.T) {
	t.Parallel()
	f, staff, admin := monitoringClients(t)
	ctx := f.admin("lombardia")
	meeting, err := f.onlineMeeting("", "regions/lombardia/networks/rete-milano", "Tavolo di coordinamento", f.Clock.Now().AddDate(0, 0, 10))
	if err != nil {
		t.Fatalf("CreateMeeting: %v", err)
	}
	support := famiv1.NewSupportServiceClient(f.conn)
	_, err = support.ClosePeriod(ctx, &famiv1.ClosePeriodRequest{Parent: "regions/lombardia", ClosedPeriod: &famiv1.ClosedPeriod{StartDate: "2026-07-01", EndDate: "2026-09-30"}})
	if err != nil {
		t.Fatalf("ClosePeriod: %v", err)
	}
	reports := famiv1.NewMonitoringServiceClient(f.conn)
	q2, q3 := "regions/lombardia/projects/lab-impact/monitoringReports/2021-q2", "regions/lombardia/projects/lab-impact/monitoringReports/2021-q3"
	if _, err := reports.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: "regions/lombardia/projects/lab-impact", MonitoringReportId: "2021-q3",
		MonitoringReport: &famiv1.MonitoringReport{}}); err != nil {
		t.Fatalf("CreateMonitoringReport: %v", err)
	}
	for _, name := range []string{q2, q3} {
		if _, err := reports.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: name}); err != nil {
			t.Fatalf("SubmitMonitoringReport %s: %v", name, err)
		}
	}
	if _, err := reports.ApproveMonitoringReport(ctx, &famiv1.ApproveMonitoringReportRequest{Name: q3}); err != nil {
		t.Fatalf("ApproveMonitoringReport: %v", err)
	}
	udp := "regions/lombardia/partners/udp-milano"
	cpia := f.partner("lombardia", "cpia-milano", "CPIA Milano")
	protocols := famiv1.NewProtocolServiceClient(f.conn)
	p, err := protocols.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", Protocol: &famiv1.Protocol{
		Network: f.network("lombardia", "rete-patto", "Rete del patto", udp, cpia), Title: "Protocollo UdP-CPIA", Body: "Art. 1 - Le parti collaborano.", ValidFrom: "2025-01-01",
		Parties: []*famiv1.Party{{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: cpia, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}})
	if err != nil {
		t.Fatalf("CreateProtocol: %v", err)
	}
	if _, err := protocols.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: p.GetName()}); err != nil {
		t.Fatalf("OpenProtocolForSignature: %v", err)
	}
	reason := func(r string) url.Values { return url.Values{"reason": {r}} }

	for _, c := range []confirmCase{
		{"meeting", admin, "/incontri/" + lastID(meeting.GetName()), regexp.MustCompile(`/annulla$`), "Annullare l'incontro?", reason("Sciopero dei trasporti"), func() bool {
			got, err := famiv1.NewMeetingServiceClient(f.conn).GetMeeting(ctx, &famiv1.GetMeetingRequest{Name: meeting.GetName()})
			return err == nil && got.GetState() == famiv1.MeetingState_MEETING_STATE_CANCELLED
		}},
		{"period", admin, "/periodi", regexp.MustCompile(`^/periodi/[^/]+/riapri$`), "Riaprire il periodo?", reason("Ore di settembre da correggere"), func() bool {
			listed, err := support.ListClosedPeriods(ctx, &famiv1.ListClosedPeriodsRequest{Parent: "regions/lombardia", ShowReopened: true})
			return err == nil && len(listed.GetClosedPeriods()) == 1 && listed.GetClosedPeriods()[0].GetState() == famiv1.ClosedPeriodState_CLOSED_PERIOD_STATE_REOPENED
		}},
		{"return", admin, labReport, regexp.MustCompile(`/restituisci$`), "Restituire il rapporto?", reason("Manca la spesa dell'azione 01.\nRivedere gli indicatori."), func() bool {
			return f.reportState("2021-q2") == famiv1.MonitoringReportState_MONITORING_REPORT_STATE_RETURNED
		}},
		{"correct", admin, "/progetti/lab-impact/monitoraggio/2021-q3", regexp.MustCompile(`/correggi$`), "Correggere il rapporto approvato?", reason("Spesa dell'azione 02 corretta"), func() bool {
			return f.reportState("2021-q3") == famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT
		}},
		{"extend", admin, "/progetti/lab-impact", regexp.MustCompile(`/proroga$`), "Registrare la proroga?",
			url.Values{"ext_end_date": {"31/12/2022"}, "ext_act_reference": {"Decreto 1234/2021"}}, func() bool {
				got, err := famiv1.NewProjectServiceClient(f.conn).GetProject(ctx, &famiv1.GetProjectRequest{Name: "regions/lombardia/projects/lab-impact"})
				return err == nil && got.GetEndDate() == "2022-12-31"
			}},
		// The lead partner's staff sign for it; the protocol is then
		// terminated.
		{"sign", staff, "/protocolli/" + lastID(p.GetName()), regexp.MustCompile(`/firma$`), "Firmare il protocollo?", nil, func() bool {
			got, err := protocols.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: p.GetName()})
			return err == nil && len(got.GetSignatures()) == 1
		}},
		{"terminate", admin, "/protocolli/" + lastID(p.GetName()), regexp.MustCompile(`/risolvi$`), "Risolvere il protocollo?", reason("Il partner è uscito dalla rete"), func() bool {
			got, err := protocols.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: p.GetName()})
			return err == nil && got.GetState() == famiv1.ProtocolState_PROTOCOL_STATE_TERMINATED
		}},
	} {
		t.Run(c.name, c.asksFirst)
	}
}

// TestBrowserConfirmsWithoutScript: in a browser that runs no script,
// "Revoca" leads to the confirmation page (checked by axe), which leaves the
// token active until its «Conferma» is pressed.
func TestBrowserConfirmsWithoutScript(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	auth := famiv1.NewAuthServiceClient(f.conn)
	if _, err := auth.CreateServiceToken(f.admin("lombardia"), &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: "siage"}); err != nil {
		t.Fatalf("CreateServiceToken: %v", err)
	}
	revoked := func() bool {
		listed, err := auth.ListServiceTokens(f.admin("lombardia"), &famiv1.ListServiceTokensRequest{Parent: "regions/lombardia"})
		if err != nil {
			t.Fatal(err)
		}
		return listed.GetServiceTokens()[0].GetState() == famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_REVOKED
	}
	b := newBrowser(t, f)
	var accept atomic.Bool
	asked := b.answerDialogs(&accept)
	b.signIn("admin@lombardia")
	b.run("revoke without scripts", scripts(true), chromedp.Navigate(f.url("/account")), chromedp.WaitReady(chromedp.CSS("main")),
		chromedp.Click(chromedp.CSS(`form[action^="/token/"] button`)), chromedp.WaitVisible(chromedp.CSS("#confirm-question")))
	// axe is a script: the page is checked with scripts back on.
	b.run("scripts on for axe", scripts(false))
	b.check("conferma-revoca")
	b.wantText("#confirm-question", "non potrà più accedere")
	if revoked() {
		t.Fatal("the token was revoked before the confirmation was answered")
	}
	b.run("confirm", chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`main .alert.success`)))
	b.wantText("main .alert.success", "Token revocato.")
	if !revoked() {
		t.Error("confirmed, the token is still active")
	}
	if got := asked(); len(got) != 0 {
		t.Errorf("a browser without scripts showed dialogs %q", got)
	}
}

// scripts turns the page's scripts off (a browser without JavaScript) or
// back on.
func scripts(off bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off})
		return err
	})
}

// TestBrowserAsksBeforeCancelAndReturn: in the browser, cancelling a
// meeting asks in the script's dialog with the meeting's own question
// (answered no, the meeting stays scheduled; yes, it is cancelled with the
// reason typed); returning a report without scripts leads to its
// confirmation page (checked by axe), headed by its own question, which
// returns it with the reason typed, on two lines, once confirmed.
func TestBrowserAsksBeforeCancelAndReturn(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupMonitoring(f)
	ctx := f.admin("lombardia")
	meetings := famiv1.NewMeetingServiceClient(f.conn)
	m, err := f.onlineMeeting("", "regions/lombardia/networks/rete-milano", "Tavolo di coordinamento", f.Clock.Now().AddDate(0, 0, 10))
	if err != nil {
		t.Fatalf("CreateMeeting: %v", err)
	}
	state := func() famiv1.MeetingState {
		got, err := meetings.GetMeeting(ctx, &famiv1.GetMeetingRequest{Name: m.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		return got.GetState()
	}
	if _, err := famiv1.NewMonitoringServiceClient(f.conn).SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{
		Name: "regions/lombardia/projects/lab-impact/monitoringReports/2021-q2"}); err != nil {
		t.Fatalf("SubmitMonitoringReport: %v", err)
	}
	b := newBrowser(t, f)
	b.signIn("admin@lombardia")

	b.open("/incontri/"+lastID(m.GetName()), "incontro-annulla")
	b.run("type the reason", chromedp.SendKeys(chromedp.CSS(`form[action$="/annulla"] #f-reason`), "Sciopero dei trasporti"))
	askedFirst(b, "cancel", chromedp.Click(chromedp.CSS(`form[action$="/annulla"] button`)), "Annullare l'incontro?", state,
		famiv1.MeetingState_MEETING_STATE_SCHEDULED, `main .alert.success`, famiv1.MeetingState_MEETING_STATE_CANCELLED)
	b.wantText("main .alert.success", "Incontro annullato.")
	b.wantText("main", "Sciopero dei trasporti")
	// Any dialog from here on is one too many: answered no, and counted.
	later := b.answerDialogs(new(atomic.Bool))

	b.run("return without scripts", scripts(true), chromedp.Navigate(f.url(labReport)), chromedp.WaitReady(chromedp.CSS("main")),
		chromedp.SendKeys(chromedp.CSS(`form[action$="/restituisci"] textarea`), "Manca la spesa dell'azione 01.\nRivedere gli indicatori."),
		chromedp.Click(chromedp.CSS(`form[action$="/restituisci"] button`)), chromedp.WaitVisible(chromedp.CSS("#confirm-question")))
	b.run("scripts on for axe", scripts(false))
	b.check("conferma-restituzione")
	b.wantText("main h1", "Restituire il rapporto?")
	if got := f.reportState("2021-q2"); got != famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED {
		t.Fatalf("before the confirmation was answered the report is %v, want submitted", got)
	}
	b.run("confirm", scripts(true), chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`main .alert.success`)))
	b.wantText("main .alert.success", "Rapporto restituito.")
	b.wantText("main", "Manca la spesa dell'azione 01.")
	b.wantText("main", "Rivedere gli indicatori.")
	if got := f.reportState("2021-q2"); got != famiv1.MonitoringReportState_MONITORING_REPORT_STATE_RETURNED {
		t.Errorf("confirmed, the report is %v, want returned", got)
	}
	if got := later(); len(got) != 0 {
		t.Errorf("after the meeting's two dialogs the browser showed %q, want none", got)
	}
}

// confirmCase is an action a page asks about first (data-confirm): the
// page its form is on, the user who presses it, the form's address
// (action), the heading of its confirmation page (the action's own
// question), what the user types in the form before pressing (fill), and
// whether the action is done.
type confirmCase struct {
	name    string
	as      *browserless
	page    string
	action  *regexp.Regexp
	heading string
	fill    url.Values
	done    func() bool
}

// asksFirst posts c's form as a browser without the script: it does
// nothing and answers a page headed by c's own question, asking the form's
// question with a "Conferma" button and a way back; that page's form,
// carrying what was typed, does the action.
func (c confirmCase) asksFirst(t *testing.T) {
	t.Helper()
	_, page := c.as.do("GET", c.page, nil)
	var action, question string
	for _, m := range regexp.MustCompile(`<form method="post" action="([^"]*)"[^>]*data-confirm="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if c.action.MatchString(m[1]) {
			action, question = m[1], html.UnescapeString(m[2])
		}
	}
	if action == "" {
		t.Fatalf("%s has no form asking first that matches %s", c.page, c.action)
	}
	sent := formValues(t, page, action)
	if sent.Has("conferma") {
		t.Fatalf("the page's form is confirmed before anyone answered: %v", sent)
	}
	for name := range c.fill {
		sent.Set(name, c.fill.Get(name))
	}
	// What the form sent comes back as text, a forged value too.
	sent.Set("forged", evil)
	res, asked := c.as.do("POST", action, sent)
	if res.StatusCode != http.StatusOK || c.done() {
		t.Fatalf("posted without the script: status %d, done %v; want 200 and nothing done", res.StatusCode, c.done())
	}
	if !strings.Contains(html.UnescapeString(asked), question) || !strings.Contains(asked, ">Conferma</button>") {
		t.Errorf("the confirmation page does not ask %q with a «Conferma» button:\n%s", question, asked)
	}
	// The question is the action's own: the page's heading and title, not
	// one heading for every action.
	if !strings.Contains(html.UnescapeString(asked), "<h1>"+c.heading+"</h1>") || !strings.Contains(html.UnescapeString(asked), "<title>"+c.heading+" · ") {
		t.Errorf("the confirmation page is not headed and titled %q:\n%s", c.heading, asked)
	}
	if !strings.Contains(asked, `href="`+c.page+`">Annulla</a>`) {
		t.Errorf("the confirmation page does not lead back to %s", c.page)
	}
	if strings.Contains(asked, evil) || !strings.Contains(asked, `name="forged" value="`+evilEscaped+`"`) {
		t.Errorf("the confirmation page does not send the forged field back escaped")
	}
	again := formValues(t, asked, action)
	for name := range sent {
		if name != "csrf" && again.Get(name) != sent.Get(name) {
			t.Errorf("the confirmation's form sends %s=%q, the page's sent %q", name, again.Get(name), sent.Get(name))
		}
	}
	if res, page := c.as.do("POST", action, again); res.StatusCode != http.StatusSeeOther || !c.done() {
		t.Errorf("confirmed: status %d, done %v; want 303 and done\n%s", res.StatusCode, c.done(), page)
	}
}
