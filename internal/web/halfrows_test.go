package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestHalfFilledPartyRowRefused: a party row with its commitments typed
// and no partner chosen was dropped on save, with what was typed (clearing
// the partner is how a party is removed). The draft form comes back, 422,
// with everything typed and the row's partner marked; an all-empty row is
// still a removal, and a recorded party is removed by emptying its row.
func TestHalfFilledPartyRowRefused(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	b, network, udp, _ := f.annaInBergamo(t)

	form := url.Values{"csrf": {b.csrf("/protocolli/nuovo")}, "network": {network}, "title": {"Protocollo UdP-CPIA"},
		"body": {"Art. 1"}, "valid_from": {"01/01/2025"}, "party.0.partner": {udp}, "party.0.role": {"PARTY_ROLE_PROPONENT"},
		"party.1.partner": {""}, "party.1.commitments": {"Corsi serali di italiano"}, "party.2.partner": {""}}
	res, page := b.do("POST", "/protocolli", form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="p1-partner-err">Scegli l&#39;ente di questa parte, o svuota la riga`) ||
		!strings.Contains(page, `value="Corsi serali di italiano"`) || !strings.Contains(page, `id="p1-partner" name="party.1.partner" aria-invalid="true"`) {
		t.Fatalf("a party with commitments and no partner: status %d; want 422, the row's partner marked, the commitments kept", res.StatusCode)
	}
	form.Set("party.1.commitments", "")
	res, _ = b.do("POST", "/protocolli", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the row emptied: status %d, want 303", res.StatusCode)
	}
	path := strings.Split(res.Header.Get("Location"), "?")[0]
	_, page = b.do("GET", path+"/modifica", nil)
	edit := url.Values{"csrf": {b.csrf(path + "/modifica")}, "etag": {formEtag(t, page)}, "network": {network}, "title": {"Protocollo UdP-CPIA"},
		"body": {"Art. 1"}, "valid_from": {"01/01/2025"}, "party.0.partner": {udp}, "party.0.role": {"PARTY_ROLE_PROPONENT"},
		"party.1.partner": {""}, "party.1.role_label": {"Ente formatore"}}
	res, page = b.do("POST", path+"/modifica", edit)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="p1-partner-err"`) || !strings.Contains(page, `value="Ente formatore"`) {
		t.Errorf("an edit with a role label and no partner: status %d; want 422, the row marked, the label kept", res.StatusCode)
	}
}

// TestPartyRowWithOnlyItsRoleChosen: a spare party row with a role
// chosen and no partner was dropped silently on save; it is refused on its
// row, the role kept. A recorded party is still removed by clearing its
// partner alone, its role left as the page showed it.
func TestPartyRowWithOnlyItsRoleChosen(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	b, network, udp, cpia := f.annaInBergamo(t)

	_, page := b.do("GET", "/protocolli/nuovo", nil)
	form := formValues(t, page, "/protocolli")
	form.Set("network", network)
	form.Set("title", "Protocollo UdP-CPIA")
	form.Set("body", "Art. 1")
	form.Set("valid_from", "01/01/2025")
	form.Set("party.1.role", "PARTY_ROLE_SIGNATORY")
	res, page := b.do("POST", "/protocolli", form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="p1-partner-err">Scegli l&#39;ente di questa parte, o svuota la riga`) ||
		!strings.Contains(page, `<option value="PARTY_ROLE_SIGNATORY" selected>`) {
		t.Fatalf("a spare party row with only its role chosen: status %d; want 422, the row's partner marked, the role kept", res.StatusCode)
	}
	form.Set("party.1.partner", cpia)
	res, _ = b.do("POST", "/protocolli", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the party's partner chosen: status %d, want 303", res.StatusCode)
	}
	path := strings.Split(res.Header.Get("Location"), "?")[0]
	_, page = b.do("GET", path+"/modifica", nil)
	edit := formValues(t, page, path+"/modifica")
	if edit.Get("party.1.partner") != cpia || edit.Get("party.1.role") != "PARTY_ROLE_SIGNATORY" {
		t.Fatalf("the edit form's second party: %q as %q, want the CPIA as a signatory", edit.Get("party.1.partner"), edit.Get("party.1.role"))
	}
	edit.Set("party.1.partner", "")
	if res, _ = b.do("POST", path+"/modifica", edit); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a recorded party removed by clearing its partner, its role left: status %d, want 303", res.StatusCode)
	}
	_, page = b.do("GET", path+"/modifica", nil)
	if after := formValues(t, page, path+"/modifica"); after.Get("party.1.partner") != "" || after.Get("party.0.partner") != udp {
		t.Errorf("after the removal the parties are %q and %q, want the UdP alone", after.Get("party.0.partner"), after.Get("party.1.partner"))
	}
}

// TestBrowserHalfFilledPartyRow: the refused draft form, in Chromium, says
// at the row what to do, keeps the other network checked, and is axe
// clean, its group of other networks included.
func TestBrowserHalfFilledPartyRow(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	dalmine := f.network("lombardia", "rete-dalmine", "Rete di Dalmine", f.partner("lombardia", "cpia-dalmine", "CPIA Dalmine"))
	f.account("lombardia", "anna", "Anna Bianchi", famiv1.Role_ROLE_NETWORK_MEMBER, udp)
	b := newBrowser(t, f)
	b.signIn("anna@lombardia")
	b.open("/protocolli/nuovo", "protocollo-nuovo")
	other := `input[name="additional_networks"][value="` + dalmine + `"]`
	b.run("type", chromedp.SendKeys(chromedp.CSS("#f-title"), "Protocollo UdP-CPIA"),
		chromedp.SendKeys(chromedp.CSS("#f-body"), "Art. 1"), chromedp.SendKeys(chromedp.CSS("#f-valid_from"), "01/01/2025"),
		chromedp.SendKeys(chromedp.CSS("#p1-commit"), "Corsi serali di italiano"), chromedp.Click(chromedp.CSS(other)))
	b.submit("save", chromedp.Click(chromedp.CSS(`main form button[name="salva"]`)))
	b.wantText("#p1-partner-err", "Scegli l'ente di questa parte, o svuota la riga per toglierla.")
	if got := b.value("#p1-commit"); got != "Corsi serali di italiano" {
		t.Errorf("the commitments typed came back as %q", got)
	}
	if b.count(other+":checked") != 1 || b.count(`input[name="additional_networks"]:checked`) != 1 {
		t.Errorf("the other network checked did not come back checked, alone")
	}
	b.check("protocollo-parte-senza-ente")
}

// TestHalfFilledActionRowRefused: a project's action row with a title and
// no code was dropped on save (clearing the code removes an action); the
// form comes back, 422, the row's code marked and the title kept.
func TestHalfFilledActionRowRefused(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	a := f.adminIn(t)
	project := url.Values{"csrf": {a.csrf("/progetti/nuovo")}, "project_id": {"lab-impact"}, "code": {"PROG-2463"}, "title": {"Lab Impact"},
		"fund": {"FUND_FAMI_2014_2020"}, "budget_cents": {"92.500"}, "start_date": {"01/09/2018"}, "end_date": {"31/12/2021"},
		"action.0.code": {"01"}, "action.0.title": {"Scuola"}, "action.1.code": {""}, "action.1.title": {"Lavoro"}}
	res, page := a.do("POST", "/progetti", project)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="a1-code-err">Scrivi il codice di questa azione`) || !strings.Contains(page, `value="Lavoro"`) {
		t.Fatalf("an action with a title and no code: status %d; want 422, the row's code marked, the title kept", res.StatusCode)
	}
	// With an unknown beneficiary too, both faults come back in one answer:
	// the row was shown first, and the beneficiary at the next save.
	project.Set("beneficiary", "Nessuno di questi")
	res, page = a.do("POST", "/progetti", project)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="a1-code-err">Scrivi il codice di questa azione`) ||
		!strings.Contains(page, `id="f-beneficiary-err">Beneficiario: nessun partner della regione si chiama «Nessuno di questi»`) {
		t.Fatalf("an uncoded action and an unknown beneficiary: status %d; want 422 marking both", res.StatusCode)
	}
	project.Del("beneficiary")
	project.Set("action.1.code", "02")
	if res, _ = a.do("POST", "/progetti", project); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the action coded: status %d, want 303", res.StatusCode)
	}
	_, page = a.do("GET", "/progetti/lab-impact", nil)
	project = url.Values{"csrf": {a.csrf("/progetti/lab-impact")}, "etag": {formEtag(t, page)}, "code": {"PROG-2463"}, "title": {"Lab Impact"},
		"fund": {"FUND_FAMI_2014_2020"}, "budget_cents": {"92.500"}, "start_date": {"01/09/2018"}, "end_date": {"31/12/2021"},
		"action.0.code": {""}, "action.0.title": {"Scuola"}, "action.1.code": {"02"}, "action.1.title": {"Lavoro"}}
	if res, page = a.do("POST", "/progetti/lab-impact", project); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="a0-code-err"`) {
		t.Errorf("an edit clearing a code and keeping its title: status %d; want 422 with the row marked", res.StatusCode)
	}
}

// TestHalfFilledPartyRowIsTheServicesRefusal: a party row typed into
// without a partner is sent to the service, which refuses the missing
// partner as it does from any client, and the page says so at the row;
// the form's other faults (here, a missing title) come back in the same
// answer. The page refused the row itself, a copy of the service's rule,
// without sending the form: the title was marked only at the next save.
func TestHalfFilledPartyRowIsTheServicesRefusal(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	b, network, udp, _ := f.annaInBergamo(t)
	form := url.Values{"csrf": {b.csrf("/protocolli/nuovo")}, "network": {network}, "title": {""},
		"body": {"Art. 1"}, "party.0.partner": {udp}, "party.0.role": {"PARTY_ROLE_PROPONENT"},
		"party.1.partner": {""}, "party.1.commitments": {"Corsi serali di italiano"}}
	res, page := b.do("POST", "/protocolli", form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="p1-partner-err">Scegli l&#39;ente di questa parte, o svuota la riga`) ||
		!strings.Contains(page, `id="f-title-err"`) || !strings.Contains(page, `value="Corsi serali di italiano"`) {
		t.Errorf("a party without a partner and no title: status %d; want 422 marking the row's partner and the title, the commitments kept\n%s", res.StatusCode, errorsOf(page))
	}
	// The API's verdict on the same party is the one the page shows.
	_, err := famiv1.NewProtocolServiceClient(f.conn).CreateProtocol(f.admin("lombardia"), &famiv1.CreateProtocolRequest{Parent: "regions/lombardia",
		Protocol: &famiv1.Protocol{Network: network, Title: "Protocollo", Parties: []*famiv1.Party{
			{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Commitments: "Corsi serali di italiano"}}}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "protocol.parties[1].partner") {
		t.Errorf("the API on a party without a partner: %v, want INVALID_ARGUMENT naming its partner", err)
	}
	list, err := famiv1.NewProtocolServiceClient(f.conn).ListProtocols(f.admin("lombardia"), &famiv1.ListProtocolsRequest{Parent: "regions/lombardia"})
	if err != nil || len(list.GetProtocols()) != 0 {
		t.Errorf("after the refused forms: %d protocols, %v; want none", len(list.GetProtocols()), err)
	}
}

// TestUnknownBeneficiaryWithTheServicesFaults: a project form whose
// beneficiary names no partner, which the page resolves before any call,
// is checked by the service with validate_only, so that the faults of the
// rest of the form come back in the same answer: a half-filled action row
// on its row, and a missing title. Nothing is written, and the request_id
// of the form so checked still saves it once it is right. The page copied
// the service's rule on action rows for this answer, and the title was
// marked only at the next save.
func TestUnknownBeneficiaryWithTheServicesFaults(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	a := f.adminIn(t)
	project := url.Values{"csrf": {a.csrf("/progetti/nuovo")}, "project_id": {"lab-impact"}, "request_id": {"form-lab-impact"}, "code": {"PROG-2463"},
		"title": {""}, "fund": {"FUND_FAMI_2014_2020"}, "budget_cents": {"92.500"}, "start_date": {"01/09/2018"}, "end_date": {"31/12/2021"},
		"beneficiary": {"Nessuno di questi"}, "action.0.code": {"01"}, "action.0.title": {"Scuola"}, "action.1.code": {""}, "action.1.title": {"Lavoro"}}
	res, page := a.do("POST", "/progetti", project)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="a1-code-err">Scrivi il codice di questa azione`) ||
		!strings.Contains(page, `id="f-beneficiary-err">Beneficiario: nessun partner della regione si chiama «Nessuno di questi»`) ||
		!strings.Contains(page, `id="f-title-err"`) || !strings.Contains(page, `value="Lavoro"`) {
		t.Fatalf("an unknown beneficiary, an uncoded action and no title: status %d; want 422 marking all three\n%s", res.StatusCode, errorsOf(page))
	}
	projects := famiv1.NewProjectServiceClient(f.conn)
	if list, err := projects.ListProjects(f.admin("lombardia"), &famiv1.ListProjectsRequest{Parent: "regions/lombardia"}); err != nil || len(list.GetProjects()) != 0 {
		t.Fatalf("after the refused form: %d projects, %v; want none", len(list.GetProjects()), err)
	}
	project.Set("beneficiary", "")
	project.Set("title", "Lab Impact")
	project.Set("action.1.code", "02")
	if res, page = a.do("POST", "/progetti", project); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the form put right, under the same request_id: status %d, want 303\n%s", res.StatusCode, errorsOf(page))
	}
	// The edit page checks the same way.
	_, page = a.do("GET", "/progetti/lab-impact", nil)
	edit := url.Values{"csrf": {a.csrf("/progetti/lab-impact")}, "etag": {formEtag(t, page)}, "code": {"PROG-2463"}, "title": {""},
		"fund": {"FUND_FAMI_2014_2020"}, "budget_cents": {"92.500"}, "start_date": {"01/09/2018"}, "end_date": {"31/12/2021"},
		"beneficiary": {"Nessuno di questi"}, "action.0.code": {""}, "action.0.title": {"Scuola nuova"}, "action.1.code": {"02"}, "action.1.title": {"Lavoro"}}
	res, page = a.do("POST", "/progetti/lab-impact", edit)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="a0-code-err"`) ||
		!strings.Contains(page, `id="f-beneficiary-err"`) || !strings.Contains(page, `id="f-title-err"`) {
		t.Errorf("an edit with an unknown beneficiary, an uncoded action and no title: status %d; want 422 marking all three\n%s", res.StatusCode, errorsOf(page))
	}
	p, err := projects.GetProject(f.admin("lombardia"), &famiv1.GetProjectRequest{Name: "regions/lombardia/projects/lab-impact"})
	if err != nil || p.GetTitle() != "Lab Impact" || len(p.GetActions()) != 2 {
		t.Errorf("after the refused edit: %v, %v; want the project as saved", p, err)
	}
}
