package web_test

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/principal"
)

// TestBrowserHoursApprovedAndQuarterClosed is acceptance (a): a consultant
// logs 90 minutes and sees them submitted; a region admin approves them and
// closes the quarter; the consultant can no longer edit them and is told
// why.
func TestBrowserHoursApprovedAndQuarterClosed(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupLombardia(f)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	b := newBrowser(t, f)
	today := f.Clock.Now().In(rome()).Format("02/01/2006")

	b.open("/ore", "accedi") // no session: the sign-in page
	b.signIn("mrossi@lombardia")
	b.open("/ore", "ore")
	b.run("log 90 minutes",
		chromedp.SetValue(chromedp.CSS("#f-network"), "regions/lombardia/networks/rete-bergamo"),
		chromedp.SetValue(chromedp.CSS("#f-activity"), "SUPPORT_ACTIVITY_WORKSHOP"),
		chromedp.SetValue(chromedp.CSS("#f-date"), today),
		chromedp.SendKeys(chromedp.CSS("#f-duration_minutes"), "90"),
		chromedp.Click(chromedp.CSS("details.more summary")),
		chromedp.Click(chromedp.CSS(`input[value="SUPPORT_TOPIC_GOVERNANCE"]`)),
		chromedp.Submit(chromedp.CSS("#f-duration_minutes")),
		chromedp.WaitVisible(chromedp.CSS(".alert.success")))
	b.wantText("tbody", "1 h 30 min")
	b.wantText("tbody", "In attesa di approvazione")
	b.check("ore-registrate")
	// Edited from the week view, the entry leads back to the week view:
	// its page's back link, and its save. Both led to its month.
	b.open("/ore?vista=settimana", "ore-settimana")
	b.run("edit the entry from the week view", chromedp.Click(chromedp.CSS(`tbody a[href^="/ore/"]`)), chromedp.WaitVisible(chromedp.CSS("#f-notes")))
	if back := b.attr(`main p a[href^="/ore"]`, "href"); !strings.Contains(back, "vista=settimana") {
		t.Errorf("the entry's page leads back to %q, want the week view", back)
	}
	b.run("save a note", chromedp.SendKeys(chromedp.CSS("#f-notes"), "Laboratorio sul protocollo"),
		chromedp.Click(chromedp.CSS(`button[name="salva"]`)), chromedp.WaitVisible(chromedp.CSS(".alert.success")))
	if n := b.count(`.tabs a[aria-current="true"][href^="/ore?vista=settimana"]`); n != 1 {
		t.Errorf("the entry saved from the week view came back to another view")
	}
	b.wantText("tbody", "1 h 30 min")
	b.signOut()

	b.signIn("admin@lombardia")
	b.open("/approvazioni", "approvazioni")
	b.run("approve", chromedp.Click(chromedp.CSS(`input[name="voce"]`)),
		chromedp.Click(chromedp.CSS(`button[value="approva"]`)), chromedp.WaitVisible(chromedp.CSS(".alert.success")))
	b.wantText("main", "Nessuna registrazione in attesa")
	b.open("/periodi", "periodi")
	b.run("close the quarter", chromedp.Click(chromedp.CSS(`#close-title ~ form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".alert.success")))
	b.wantText("tbody", "Chiuso")
	b.open("/riepilogo", "riepilogo")
	b.wantText("main", "Laboratorio")
	// A service token, so that the accounts page is checked with its table.
	if _, err := famiv1.NewAuthServiceClient(f.conn).CreateServiceToken(f.admin("lombardia"),
		&famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: "siage"}); err != nil {
		t.Fatal(err)
	}
	for _, page := range []struct{ path, shot string }{
		{"/partner", "partner"}, {"/partner/nuovo", "partner-nuovo"}, {"/partner/udp-bergamo", "partner-modifica"},
		{"/progetti", "progetti"}, {"/progetti/nuovo", "progetto-nuovo"}, {"/reti", "reti"}, {"/reti/nuova", "rete-nuova"},
		{"/reti/rete-bergamo", "rete-modifica"}, {"/account", "account"}, {"/protocolli", "protocolli"}, {"/incontri", "incontri"},
		{"/storia?nome=regions/lombardia/networks/rete-bergamo", "storia"}, {"/non-esiste", "pagina-non-trovata"},
	} {
		b.open(page.path, page.shot)
	}
	b.signOut()

	b.signIn("mrossi@lombardia")
	b.open("/ore", "ore-chiuse")
	b.wantText("tbody", "Approvata")
	b.wantText("tbody", "Il trimestre è chiuso")
	if n := b.count(`tbody a[href^="/ore/"]`); n != 0 {
		t.Errorf("the closed entry still has %d edit links", n)
	}
	id := f.entries("lombardia")[0].GetName()
	b.open("/ore/"+id[strings.LastIndexByte(id, '/')+1:], "ora-chiusa")
	b.wantText("#locked", "Il trimestre è chiuso")
	if n := b.count(`form[action^="/ore/"]`); n != 0 {
		t.Errorf("the closed entry's page still offers %d forms", n)
	}
	b.open("/riepilogo", "riepilogo-consulente")
}

// TestBrowserThreePartiesSignAProtocol is acceptance (b): the staff of
// three partners each read the text and hash they sign, sign, and the
// protocol shows as in force.
func TestBrowserThreePartiesSignAProtocol(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	cpi := f.partner("lombardia", "cpi-bergamo", "Centro per l'impiego di Bergamo")
	network := f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia, cpi)
	prot := famiv1.NewProtocolServiceClient(f.conn)
	p, err := prot.CreateProtocol(f.admin("lombardia"), &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", ProtocolId: "udp-cpia-cpi", Protocol: &famiv1.Protocol{
		Network: network, Title: "Protocollo UdP-CPIA-CPI", Body: "Art. 1 - Oggetto\nLe parti collaborano per i corsi di italiano L2.",
		ValidFrom: "2025-01-01", Parties: []*famiv1.Party{
			{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: cpia, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}, {Partner: cpi, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY},
		}}})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = prot.OpenProtocolForSignature(f.admin("lombardia"), &famiv1.OpenProtocolForSignatureRequest{Name: p.GetName()}); err != nil {
		t.Fatal(err)
	}
	staff := map[string]string{"anna": udp, "marco": cpia, "giulia": cpi}
	for user, partner := range staff {
		f.account("lombardia", user, strings.ToUpper(user[:1])+user[1:], famiv1.Role_ROLE_NETWORK_MEMBER, partner)
	}

	b := newBrowser(t, f)
	// A signature cannot be withdrawn: the browser asks first, each party
	// answering yes.
	var accept atomic.Bool
	accept.Store(true)
	asked := b.answerDialogs(&accept)
	for i, user := range []string{"anna", "marco", "giulia"} {
		b.signIn(user + "@lombardia")
		b.open("/protocolli", "protocolli-"+user)
		b.run("open the protocol", chromedp.Click(chromedp.CSS(`a[href="/protocolli/udp-cpia-cpi"]`)), chromedp.WaitVisible(chromedp.CSS("#protocol-hash")))
		b.check("protocollo-" + user)
		if got := b.text("#protocol-hash"); got != p.GetContentHash() {
			t.Errorf("%s reads hash %q, want %q", user, got, p.GetContentHash())
		}
		b.wantText("#protocol-body", "Le parti collaborano")
		b.wantText("#sign-title ~ code", p.GetContentHash())
		b.run("sign", chromedp.Click(chromedp.CSS("#sign")), chromedp.WaitVisible(chromedp.CSS(".alert.success")))
		if i < 2 {
			b.wantText("#protocol-state", "Aperto alla firma")
		}
		if n := b.count("#sign"); n != 0 {
			t.Errorf("%s may sign twice", user)
		}
		if got := asked(); len(got) != i+1 || !strings.HasPrefix(got[i], "Firmare il protocollo") {
			t.Errorf("before %s signed the browser asked %q, want once more whether to sign", user, got)
		}
		b.signOut()
	}
	b.signIn("anna@lombardia")
	b.open("/protocolli/udp-cpia-cpi", "protocollo-in-vigore")
	b.wantText("#protocol-state", "In vigore")

	// The meetings of anna's network, with the forms to record one held.
	start := f.Clock.Now().Add(-72 * time.Hour)
	mt, err := famiv1.NewMeetingServiceClient(f.conn).CreateMeeting(f.admin("lombardia"), &famiv1.CreateMeetingRequest{Parent: "regions/lombardia", Meeting: &famiv1.Meeting{
		Networks: []string{network}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: "Tavolo di coordinamento",
		StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(2 * time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_ONLINE,
		Link: "https://meet.example.org/tavolo", Facilitator: "test:region_admin:lombardia",
	}})
	if err != nil {
		t.Fatal(err)
	}
	b.open("/incontri", "incontri")
	b.open("/incontri/"+mt.GetName()[strings.LastIndexByte(mt.GetName(), '/')+1:], "incontro")
	b.open("/incontri/nuovo", "incontro-nuovo")
	// 02:30 on 25/10/2026, the night summer time ends, is shown twice by
	// the clocks: the form asks which, on the field, and saves the answer.
	b.run("schedule a meeting at 02:30 on 25/10/2026",
		chromedp.SetValue(chromedp.CSS("#f-networks"), network), chromedp.SetValue(chromedp.CSS("#f-kind"), "MEETING_KIND_COORDINATION_TABLE"),
		chromedp.SendKeys(chromedp.CSS("#f-title"), "Tavolo della notte del cambio d'ora"), chromedp.SendKeys(chromedp.CSS("#f-day"), "25/10/2026"),
		chromedp.SendKeys(chromedp.CSS("#f-start_time"), "02:30"), chromedp.SendKeys(chromedp.CSS("#f-end_time"), "04:00"),
		chromedp.SetValue(chromedp.CSS("#f-mode"), "MEETING_MODE_ONLINE"), chromedp.SendKeys(chromedp.CSS("#f-link"), "https://meet.example.org/notte"),
		chromedp.Click(chromedp.CSS(`button[name="salva"]`)), chromedp.WaitVisible(chromedp.CSS("#f-start_time-err, .alert.success")))
	b.check("incontro-ora-ripetuta")
	b.wantText("#f-start_time-err", "due volte")
	if n, m := b.count(`input[type="radio"][name="start_time_ora"]`), b.count(`input[name="end_time_ora"]`); n != 2 || m != 0 {
		t.Errorf("the form offers %d choices of the start and %d of the end, want 2 and none", n, m)
	}
	b.wantText("fieldset[aria-describedby=\"f-start_time-err\"] legend", "quale delle due 02:30")
	b.run("answer the second, in winter time", chromedp.Click(chromedp.CSS(`input[name="start_time_ora"][value="solare"]`)),
		chromedp.Click(chromedp.CSS(`button[name="salva"]`)), chromedp.WaitVisible(chromedp.CSS(".alert.success")))
	b.wantText("main", "25/10/2026 dalle 02:30 (ora solare) alle 04:00")
	ms, err := famiv1.NewMeetingServiceClient(f.conn).ListMeetings(f.admin("lombardia"), &famiv1.ListMeetingsRequest{Parent: "regions/lombardia", OrderBy: "start_time"})
	if err != nil || len(ms.GetMeetings()) != 2 {
		t.Fatalf("list the meetings: %d, %v", len(ms.GetMeetings()), err)
	}
	if got := ms.GetMeetings()[0].GetStartTime().AsTime().Format(time.RFC3339); got != "2026-10-25T01:30:00Z" {
		t.Errorf("the meeting answered at 02:30 in winter time starts at %s, want 2026-10-25T01:30:00Z", got)
	}
	b.open("/protocolli/nuovo", "protocollo-nuovo")
}

// TestBrowserVenetoNeverSeesLombardia is acceptance (c).
func TestBrowserVenetoNeverSeesLombardia(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupLombardia(f)
	f.partner("veneto", "udp-padova", "Ufficio di Piano di Padova")
	f.account("veneto", "vadmin", "Vittoria Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	lb := f.client(t)
	lb.signIn("mrossi@lombardia")
	lb.do("POST", "/ore", entryForm(lb.csrf("/ore"), "regions/lombardia/networks/rete-bergamo"))
	id := f.entries("lombardia")[0].GetName()

	b := newBrowser(t, f)
	b.signIn("vadmin@veneto")
	for _, path := range []string{"/", "/approvazioni", "/periodi", "/riepilogo", "/partner", "/reti", "/protocolli"} {
		b.open(path, "veneto"+strings.ReplaceAll(path, "/", "-"))
		body := b.text("body")
		for _, leak := range []string{"Bergamo", "Mario Rossi", "lombardia", "Lombardia"} {
			if strings.Contains(body, leak) {
				t.Errorf("%s shows %q to a Veneto user", path, leak)
			}
		}
	}
	b.wantText("main", "")
	b.open("/storia?nome="+id, "veneto-storia-lombardia")
	b.wantText("h1", "Pagina non trovata")
	b.open("/partner/udp-bergamo", "veneto-partner-lombardia")
	b.wantText("h1", "Pagina non trovata")
	b.signOut()

	// The ministry reads every region, read-only, switching from the header.
	b.run("sign in with a ministry token", chromedp.Navigate(f.url("/accedi")), chromedp.Click(chromedp.CSS("details summary")),
		chromedp.SendKeys(chromedp.CSS("#f-token"), f.token(principal.Ministry, "")), chromedp.Submit(chromedp.CSS("#f-token")),
		chromedp.WaitVisible(chromedp.CSS("#regione")))
	b.run("switch to Veneto", chromedp.SetValue(chromedp.CSS("#regione"), "veneto"), chromedp.Submit(chromedp.CSS("#regione")),
		chromedp.WaitVisible(chromedp.CSS(".alert.success")))
	b.open("/partner", "ministero-partner-veneto")
	b.wantText("tbody", "Ufficio di Piano di Padova")
	if n := b.count(`a[href="/partner/nuovo"]`); n != 0 {
		t.Errorf("the ministry is offered to create a partner")
	}
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+quote(sel)+`).length`))
	if err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

// value is the value of the form control sel, as the page holds it now.
// attr reads an attribute of the first element sel selects, as written
// in the page.
func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector(`+quote(sel)+`).getAttribute(`+quote(name)+`)`))
	if err != nil {
		b.t.Fatalf("read %s of %s: %v", name, sel, err)
	}
	return v
}

func (b *browser) value(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector(`+quote(sel)+`).value`))
	if err != nil {
		b.t.Fatalf("read the value of %s: %v", sel, err)
	}
	return v
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

func rome() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err)
	}
	return loc
}

// TestBrowserStaleNetworkEdit: an admin edits a network that someone else
// renames meanwhile. The conflict page (axe-checked) lists the other's
// change beside the admin's typed values; submitting it again saves them.
func TestBrowserStaleNetworkEdit(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	name := f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	networks := famiv1.NewNetworkServiceClient(f.conn)

	b := newBrowser(t, f)
	b.signIn("admin@lombardia")
	b.open("/reti/rete-bergamo", "rete-modifica")
	if _, err := networks.UpdateNetwork(f.admin("lombardia"), &famiv1.UpdateNetworkRequest{
		Network: &famiv1.Network{Name: name, DisplayName: "Rete Bergamo Est"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
	}); err != nil {
		t.Fatal(err)
	}
	b.run("a stale edit", chromedp.SendKeys(chromedp.CSS("#f-description"), "Servizi della bassa bergamasca"),
		chromedp.Submit(chromedp.CSS("#f-display_name")), chromedp.WaitVisible(chromedp.CSS("#form-error")))
	b.check("rete-conflitto")
	b.wantText("#form-error tbody", "Denominazione\tRete Bergamo Est\tRete Bergamo")
	b.wantText("#form-error", "salva di nuovo il modulo")
	b.run("the same form again", chromedp.Submit(chromedp.CSS("#f-display_name")), chromedp.WaitVisible(chromedp.CSS(".alert.success")))
	n, err := networks.GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: name})
	if err != nil || n.GetDisplayName() != "Rete Bergamo" || n.GetDescription() != "Servizi della bassa bergamasca" {
		t.Errorf("after the resubmit: %v, %v; want the admin's name and description", n, err)
	}
}

// TestBrowserNetworkMembersByName: the network form's member rows take a
// partner's name from one list the rows share. An admin removes a member
// (clears its row) and adds one by its name in a spare row; a name that
// matches no partner of the region is refused with the row named, the
// page (axe-checked) keeping what was typed, and nothing saved.
func TestBrowserNetworkMembersByName(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	comune := f.partner("lombardia", "comune-bergamo", "Comune di Bergamo")
	name := f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	networks := famiv1.NewNetworkServiceClient(f.conn)
	members := func() []string {
		n, err := networks.GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range n.GetMembers() {
			out = append(out, m.GetPartner()+" "+m.GetRole().String())
		}
		return out
	}

	b := newBrowser(t, f)
	b.signIn("admin@lombardia")
	b.open("/reti/rete-bergamo", "rete-modifica")
	if got := b.count("#partner-list option"); got != 3 {
		t.Errorf("the shared list offers %d partners, want 3", got)
	}
	if got := b.count("select[name$='.partner']"); got != 0 {
		t.Errorf("%d member rows still repeat the partners in a select", got)
	}
	b.run("a name matching no partner", chromedp.SetValue(chromedp.CSS("#m2-partner"), "Comune di Brescia"),
		chromedp.SetValue(chromedp.CSS("#m2-role"), "MEMBER_ROLE_PARTNER"),
		chromedp.Submit(chromedp.CSS("#f-display_name")), chromedp.WaitVisible(chromedp.CSS("#f-members-err")))
	b.check("rete-membro-sconosciuto")
	b.wantText("#f-members-err", "Membro 3: nessun partner della regione si chiama «Comune di Brescia»")
	if got := b.value("#m2-partner"); got != "Comune di Brescia" {
		t.Errorf("the refused row shows %q, want the name as typed", got)
	}
	if got, want := members(), []string{udp + " MEMBER_ROLE_LEAD", cpia + " MEMBER_ROLE_PARTNER"}; !slices.Equal(got, want) {
		t.Errorf("after the refused save the members are %q, want %q", got, want)
	}

	b.run("remove the CPIA, add the Comune by name", chromedp.Clear(chromedp.CSS("#m1-partner")),
		chromedp.Clear(chromedp.CSS("#m2-partner")), chromedp.SendKeys(chromedp.CSS("#m2-partner"), "comune di bergamo"),
		chromedp.Submit(chromedp.CSS("#f-display_name")), chromedp.WaitVisible(chromedp.CSS(".alert.success")))
	if got, want := members(), []string{udp + " MEMBER_ROLE_LEAD", comune + " MEMBER_ROLE_PARTNER"}; !slices.Equal(got, want) {
		t.Errorf("after the save the members are %q, want %q", got, want)
	}
	b.open("/reti/rete-bergamo", "rete-modifica")
	if got := b.value("#m1-partner"); got != "Comune di Bergamo" {
		t.Errorf("the saved member's row shows %q, want its name", got)
	}
}

// TestBrowserStaleReportEdit: the lead partner's staff edit a quarterly
// report whose indicator the region's admin changes meanwhile. The
// conflict page (axe-checked) lists the admin's value beside the one typed
// the Italian way; submitting it again saves the typed one.
func TestBrowserStaleReportEdit(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupMonitoring(f)
	reports := famiv1.NewMonitoringServiceClient(f.conn)
	name := "regions/lombardia/projects/lab-impact/monitoringReports/2021-q2"

	b := newBrowser(t, f)
	b.signIn("staff@lombardia")
	b.open(labReport+"/modifica", "rapporto-modifica")
	if _, err := reports.UpdateMonitoringReport(f.admin("lombardia"), &famiv1.UpdateMonitoringReportRequest{
		MonitoringReport: &famiv1.MonitoringReport{Name: name, IndicatorValues: []*famiv1.IndicatorValue{{Indicator: "OUT-01", Value: 30}}},
		UpdateMask:       &fieldmaskpb.FieldMask{Paths: []string{"indicator_values"}},
	}); err != nil {
		t.Fatal(err)
	}
	indicator := chromedp.CSS(`[id="ind.0.value"]`)
	b.run("a stale edit", chromedp.SetValue(indicator, "29,5"), chromedp.Submit(indicator), chromedp.WaitVisible(chromedp.CSS("#form-error")))
	b.check("rapporto-conflitto")
	b.wantText("#form-error tbody", "Valori degli indicatori\t30\t29,5")
	b.wantText("#form-error", "salva di nuovo il modulo")
	b.run("the same form again", chromedp.Submit(indicator), chromedp.WaitVisible(chromedp.CSS(".alert.success")))
	rep, err := reports.GetMonitoringReport(f.admin("lombardia"), &famiv1.GetMonitoringReportRequest{Name: name})
	if err != nil || len(rep.GetIndicatorValues()) != 1 || rep.GetIndicatorValues()[0].GetValue() != 29.5 {
		t.Errorf("after the resubmit: %v, %v; want the staff's 29.5", rep.GetIndicatorValues(), err)
	}
}

// TestBrowserRefusedRejectionSaysWhich rejects, in Chromium, a selection
// one of whose entries another admin approved meanwhile: nothing is
// rejected, and the page, which passes axe-core, says which entry stopped
// the batch and why.
func TestBrowserRefusedRejectionSaysWhich(t *testing.T) {
	t.Parallel()
	f, c, network := withLoggedHours(t)
	c.logHours(network)
	entries := f.entries("lombardia")
	b := newBrowser(t, f)
	b.signIn("admin@lombardia")
	b.open("/approvazioni", "approvazioni-due")
	if _, err := famiv1.NewSupportServiceClient(f.conn).BatchApproveSupportEntries(f.admin("lombardia"),
		&famiv1.BatchApproveSupportEntriesRequest{Parent: "regions/lombardia", Names: []string{entries[1].GetName()}}); err != nil {
		t.Fatal(err)
	}
	b.run("reject both",
		chromedp.Click(chromedp.CSS("#all")),
		chromedp.SendKeys(chromedp.CSS("#f-reason"), "Manca il verbale"),
		chromedp.Click(chromedp.CSS(`button[value="respingi"]`)),
		chromedp.WaitVisible(chromedp.CSS("#selection-err")))
	b.wantText("#selection-err", "Nessuna registrazione è stata modificata: quella del 20/11/2026 di Mario Rossi (Laboratorio)")
	b.wantText("main", "Queste ore sono già state approvate o respinte")
	b.check("respingi-rifiutato")
	// The approved entry has left the queue; the other is still selected.
	if n := b.count(`input[name="voce"]:checked`); n != 1 {
		t.Errorf("%d entries selected after the refusal, want the one still submitted", n)
	}
	if got := f.entries("lombardia")[0].GetState(); got != famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_SUBMITTED {
		t.Errorf("after the refused rejection, the other entry is %s, want SUBMITTED", got)
	}
}
