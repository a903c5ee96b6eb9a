package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/principal"
)

func lastID(name string) string { return name[strings.LastIndexByte(name, '/')+1:] }

func TestEntryEditRejectResubmitDelete(t *testing.T) {
	f, c, network := withLoggedHours(t)
	entry := f.entries("lombardia")[0]
	id := lastID(entry.GetName())

	// Edit while submitted: the form carries the etag it was read at.
	edit := "/ore/" + id
	_, page := c.do("GET", edit, nil)
	if !strings.Contains(page, `name="etag" value="`+entry.GetEtag()+`"`) {
		t.Fatalf("edit form lacks the entry's etag")
	}
	form := entryForm(c.csrf(edit), network)
	form.Set("etag", entry.GetEtag())
	form.Set("duration_minutes", "120")
	if res, _ := c.do("POST", edit, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: status %d", res.StatusCode)
	}
	if got := f.entries("lombardia")[0].GetDurationMinutes(); got != 120 {
		t.Errorf("after edit: %d minutes, want 120", got)
	}

	// The same form again holds a stale etag: the page keeps the input and
	// offers to reload.
	form.Set("duration_minutes", "45")
	res, page := c.do("POST", edit, form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Ricarica la versione attuale") || !strings.Contains(page, `value="45"`) {
		t.Errorf("stale edit: status %d; want 422 keeping 45 and offering to reload", res.StatusCode)
	}
	if !strings.Contains(page, `<th scope="row">Durata (minuti)</th><td>120</td><td>45</td>`) {
		t.Errorf("stale edit does not show what changed")
	}
	if got := f.entries("lombardia")[0].GetDurationMinutes(); got != 120 {
		t.Errorf("a stale edit changed the entry to %d minutes", got)
	}

	// Rejected with a reason: the consultant sees it and resubmits.
	a := f.client(t)
	a.signIn("admin@lombardia")
	res, _ = a.do("POST", "/approvazioni", url.Values{"csrf": {a.csrf("/approvazioni")}, "voce": {id}, "azione": {"respingi"}, "reason": {"Manca il verbale"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: status %d", res.StatusCode)
	}
	if res, page := c.do("GET", "/approvazioni", nil); res.StatusCode != http.StatusForbidden || !strings.Contains(page, "Accesso negato") {
		t.Errorf("a consultant opens the approval queue: status %d, want 403", res.StatusCode)
	}
	_, page = c.do("GET", "/ore", nil)
	if !strings.Contains(page, "Motivo del rifiuto: Manca il verbale") || !strings.Contains(page, "/ore?ripresenta="+id) {
		t.Errorf("the hours page does not show the rejection's reason and a way to resubmit")
	}
	_, page = c.do("GET", "/ore?ripresenta="+id, nil)
	if !strings.Contains(page, `value="120"`) {
		t.Errorf("the resubmission form does not start from the rejected entry")
	}
	c.logHours(network)

	// A submitted entry can be deleted; a rejected one cannot, and says why.
	var fresh *famiv1.SupportEntry
	for _, e := range f.entries("lombardia") {
		if e.GetState() == famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_SUBMITTED {
			fresh = e
		}
	}
	res, page = c.do("POST", "/ore/"+id+"/elimina", url.Values{"csrf": {c.csrf("/ore")}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "già state approvate o respinte") {
		t.Errorf("delete a rejected entry: status %d; want 422 saying why", res.StatusCode)
	}
	res, _ = c.do("POST", "/ore/"+lastID(fresh.GetName())+"/elimina", url.Values{"csrf": {c.csrf("/ore")}, "etag": {fresh.GetEtag()}})
	if res.StatusCode != http.StatusSeeOther || len(f.entries("lombardia")) != 1 {
		t.Errorf("delete a submitted entry: status %d, %d entries left; want 303 and 1", res.StatusCode, len(f.entries("lombardia")))
	}
}

// TestEntryStaleDeleteShowsCurrent: a delete sent from a page read before
// someone changed the entry is refused; the answer shows the entry as
// stored now (never the delete form's empty values, which a save would
// write over it) and a delete button carrying the stored etag, which
// deletes once pressed again.
func TestEntryStaleDeleteShowsCurrent(t *testing.T) {
	f, c, network := withLoggedHours(t)
	entry := f.entries("lombardia")[0]
	id := lastID(entry.GetName())
	edit := "/ore/" + id
	form := entryForm(c.csrf(edit), network)
	form.Set("etag", entry.GetEtag())
	form.Set("duration_minutes", "120")
	form.Set("notes", "Cambiato nel frattempo")
	if res, _ := c.do("POST", edit, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: status %d", res.StatusCode)
	}
	current := f.entries("lombardia")[0].GetEtag()

	res, page := c.do("POST", edit+"/elimina", url.Values{"csrf": {c.csrf(edit)}, "etag": {entry.GetEtag()}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("stale delete: status %d, want 422", res.StatusCode)
	}
	if len(f.entries("lombardia")) != 1 {
		t.Fatalf("a stale delete deleted the entry")
	}
	for _, want := range []string{`value="120"`, "Cambiato nel frattempo", "Se vuoi ancora eliminarla"} {
		if !strings.Contains(page, want) {
			t.Errorf("stale delete page lacks %q (the stored entry and a new confirmation)", want)
		}
	}
	if strings.Contains(page, "I tuoi valori sono ancora qui sotto") {
		t.Errorf("stale delete page claims to keep values the user never typed")
	}
	del := regexp.MustCompile(`action="/ore/` + id + `/elimina"[^>]*>\s*<input type="hidden" name="csrf" value="[^"]*"><input type="hidden" name="etag" value="([^"]*)"`).FindStringSubmatch(page)
	if del == nil || del[1] != current {
		t.Fatalf("the delete button carries %v, want the stored etag %q", del, current)
	}
	if res, _ := c.do("POST", edit+"/elimina", url.Values{"csrf": {c.csrf(edit)}, "etag": {del[1]}}); res.StatusCode != http.StatusSeeOther || len(f.entries("lombardia")) != 0 {
		t.Errorf("delete confirmed again: status %d, want 303 and no entry left", res.StatusCode)
	}
}

func TestHoursCSV(t *testing.T) {
	_, c, network := inLombardia(t)
	c.signIn("mrossi@lombardia")
	c.do("POST", "/ore", entryForm(c.csrf("/ore"), network))
	res, body := c.do("GET", "/ore.csv?dal=2026-11-01&al=2026-11-30", nil)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if lines := strings.Split(strings.TrimSpace(body), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "2026-11-20") {
		t.Errorf("CSV is %q, want a header and the one entry", body)
	}
}

// TestHoursCSVDefusesFormulas: a consultant's note that a spreadsheet
// would run as a formula reaches the region admin's CSV from the web
// defused, byte for byte the file the REST export writes. The web wrote
// its own CSV, with neither the defusing nor the byte-order mark.
func TestHoursCSVDefusesFormulas(t *testing.T) {
	f, c, network := inLombardia(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	c.signIn("mrossi@lombardia")
	const note = `=HYPERLINK("http://evil.example";"clic") ;-2+3`
	form := entryForm(c.csrf("/ore"), network)
	form.Set("notes", note)
	if res, _ := c.do("POST", "/ore", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("log hours: status %d", res.StatusCode)
	}
	admin := f.client(t)
	admin.signIn("admin@lombardia")
	res, web := admin.do("GET", "/ore.csv?dal=2026-11-01&al=2026-11-30", nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Disposition") != `attachment; filename="ore-lombardia.csv"` {
		t.Fatalf("CSV: status %d, disposition %q", res.StatusCode, res.Header.Get("Content-Disposition"))
	}
	if !strings.Contains(web, `"'=HYPERLINK(""http://evil.example"";""clic"") ;'-2+3"`) {
		t.Errorf("the web's CSV does not defuse the note's formulas:\n%s", web)
	}
	// A refused export is a page, not a download.
	if res, _ := admin.do("GET", "/ore.csv?dal=ieri", nil); res.StatusCode == http.StatusOK || res.Header.Get("Content-Disposition") != "" {
		t.Errorf("a refused export: status %d, disposition %q; want an error page", res.StatusCode, res.Header.Get("Content-Disposition"))
	}
	req, _ := http.NewRequest("GET", f.url("/v1/regions/lombardia/supportEntries:export?startDate=2026-11-01&endDate=2026-11-30"), nil)
	req.Header.Set("Authorization", "Bearer "+f.token(principal.RegionAdmin, "lombardia"))
	rest, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer rest.Body.Close()
	want, _ := io.ReadAll(rest.Body)
	if web != string(want) {
		t.Errorf("the web's CSV differs from the REST export:\nweb:  %q\nrest: %q", web, want)
	}
}

func TestPartnerStaleEditShowsCurrent(t *testing.T) {
	f := startFamid(t)
	f.partner("lombardia", "cpia", "CPIA Bergamo")
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	a := f.client(t)
	a.signIn("admin@lombardia")
	_, page := a.do("GET", "/partner/cpia", nil)
	form := url.Values{"csrf": {a.csrf("/partner/cpia")}, "etag": {formEtag(t, page)}, "display_name": {"CPIA 1 Bergamo"}, "kind": {"PARTNER_KIND_ADULT_EDUCATION_CENTRE"}}
	if res, _ := a.do("POST", "/partner/cpia", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: status %d", res.StatusCode)
	}
	form.Set("display_name", "CPIA Bergamo Est")
	res, page := a.do("POST", "/partner/cpia", form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "<strong>CPIA 1 Bergamo</strong>") || !strings.Contains(page, `value="CPIA Bergamo Est"`) {
		t.Errorf("stale edit: status %d; want 422 showing the stored name beside the typed one", res.StatusCode)
	}
	if !strings.Contains(page, `<th scope="row">Denominazione</th><td>CPIA 1 Bergamo</td><td>CPIA Bergamo Est</td>`) {
		t.Errorf("stale edit does not show what changed")
	}
	// Bad input lands next to its field, in Italian.
	for _, c := range []struct {
		form url.Values
		want []string
	}{
		{url.Values{"partner_id": {"Non Valido!"}, "display_name": {"Ente"}}, []string{`id="f-partner_id-err"`, `value="Non Valido!"`}},
		{url.Values{"partner_id": {"ente"}, "display_name": {""}, "fiscal_code": {"123"}},
			[]string{`id="f-display_name-err">Indica la denominazione.`, `id="f-fiscal_code-err">Codice fiscale non valido`, `value="123"`}},
	} {
		c.form.Set("csrf", form.Get("csrf"))
		res, page = a.do("POST", "/partner", c.form)
		for _, want := range c.want {
			if !strings.Contains(page, want) {
				t.Errorf("invalid partner (status %d): page lacks %q", res.StatusCode, want)
			}
		}
	}
}

func TestMinistryReadsAnyRegionAndHistory(t *testing.T) {
	f := startFamid(t)
	f.partner("veneto", "udp-padova", "Ufficio di Piano di Padova")
	// Accounts are regional, so the ministry signs in with a token from
	// famictl token create.
	m := f.client(t)
	res, page := m.do("POST", "/accedi/token", url.Values{"token": {"not a token"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-token-err">Token non valido`) {
		t.Errorf("a bad token: status %d; want 422 with the error at the token", res.StatusCode)
	}
	if res, _ = m.do("POST", "/accedi/token", url.Values{"token": {f.token(principal.Ministry, "")}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in with a token: status %d", res.StatusCode)
	}
	res, _ = m.do("POST", "/regione", url.Values{"csrf": {m.csrf("/")}, "regione": {"veneto"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch region: status %d", res.StatusCode)
	}
	_, page = m.do("GET", "/partner", nil)
	if !strings.Contains(page, "Ufficio di Piano di Padova") || strings.Contains(page, "Nuovo partner") {
		t.Errorf("the ministry does not read Veneto's partners read-only")
	}
	_, page = m.do("GET", "/partner/udp-padova", nil)
	if !strings.Contains(page, "Ufficio di Piano di Padova") || strings.Contains(page, `action="/partner/udp-padova"`) {
		t.Errorf("the ministry is offered a form to edit a partner")
	}
	_, page = m.do("GET", "/storia?nome=regions/veneto/partners/udp-padova", nil)
	if !strings.Contains(page, "creazione") || !strings.Contains(page, "test:region_admin:veneto") {
		t.Errorf("the partner's history does not show its creation and who made it")
	}
}

func TestReviewWithoutSelection(t *testing.T) {
	f := startFamid(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	a := f.client(t)
	a.signIn("admin@lombardia")
	for _, action := range []string{"approva", "respingi"} {
		res, page := a.do("POST", "/approvazioni", url.Values{"csrf": {a.csrf("/")}, "azione": {action}, "reason": {"motivo"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="selection-err">Seleziona almeno una registrazione.`) {
			t.Errorf("%s with nothing selected: status %d; want 422 with an error", action, res.StatusCode)
		}
	}
}

var etagRE = regexp.MustCompile(`name="etag" value="([^"]*)"`)

// formEtag reads the etag an edit page's form carries.
func formEtag(t *testing.T, page string) string {
	t.Helper()
	m := etagRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the edit form carries no etag")
	}
	return m[1]
}

// staleEdit is the network two admins edit at once in the stale-edit
// tests.
const staleEdit = "/reti/rete-bergamo"

// twoAdminsEditing signs in two admins of Lombardia, Anna and Bruno, and
// opens the edit form of staleEdit (a network of the partners udp and
// cpia, in that order) for each: the forms they would send unchanged.
func twoAdminsEditing(t *testing.T, f *famid, udp, cpia string) (anna *browserless, annas url.Values, bruno *browserless, brunos url.Values) {
	t.Helper()
	formOf := func(c *browserless) url.Values {
		_, page := c.do("GET", staleEdit, nil)
		return url.Values{"csrf": {csrfRE.FindStringSubmatch(page)[1]}, "etag": {formEtag(t, page)}, "display_name": {"Rete Bergamo"},
			"member.0.partner": {udp}, "member.0.role": {"MEMBER_ROLE_LEAD"}, "member.1.partner": {cpia}, "member.1.role": {"MEMBER_ROLE_PARTNER"}}
	}
	f.account("lombardia", "anna", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	f.account("lombardia", "bruno", "Bruno Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	anna, bruno = f.client(t), f.client(t)
	anna.signIn("anna@lombardia")
	bruno.signIn("bruno@lombardia")
	return anna, formOf(anna), bruno, formOf(bruno)
}

// TestNetworkStaleEditRedone: two admins edit the same network. The one
// who saves second sees the other's change beside what they typed, keeps
// it, and saves it by submitting again; a form still based on an older
// version is refused again.
func TestNetworkStaleEditRedone(t *testing.T) {
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	name := f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	stored := func() *famiv1.Network {
		n, err := famiv1.NewNetworkServiceClient(f.conn).GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	anna, annas, bruno, brunos := twoAdminsEditing(t, f, udp, cpia)

	annas.Set("display_name", "Rete Bergamo Est")
	if res, _ := anna.do("POST", staleEdit, annas); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first edit: status %d, want 303", res.StatusCode)
	}

	// Bruno's form is based on the version before Anna's.
	brunos.Set("description", "Rete dei servizi della bassa bergamasca")
	brunos.Set("ats", "ATS Bergamo")
	res, page := bruno.do("POST", staleEdit, brunos)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Ricarica la versione attuale") {
		t.Fatalf("stale edit: status %d; want 422 offering to reload", res.StatusCode)
	}
	for _, want := range []string{
		`<th scope="row">Denominazione</th><td>Rete Bergamo Est</td><td>Rete Bergamo</td>`,
		`<th scope="row">ATS</th><td></td><td>ATS Bergamo</td>`,
		`value="ATS Bergamo"`, "Rete dei servizi della bassa bergamasca</textarea>",
		"salva di nuovo",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("stale edit page lacks %q", want)
		}
	}
	if got := stored().GetDescription(); got != "" {
		t.Errorf("a stale edit wrote the description %q", got)
	}
	current := stored().GetEtag()
	if got := formEtag(t, page); got != current {
		t.Fatalf("the stale edit's form carries etag %q, want the stored %q", got, current)
	}

	// Having seen the differences, Bruno submits the form again: it saves.
	brunos.Set("etag", formEtag(t, page))
	if res, _ := bruno.do("POST", staleEdit, brunos); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("resubmitted edit: status %d, want 303", res.StatusCode)
	}
	if n := stored(); n.GetDescription() != "Rete dei servizi della bassa bergamasca" || n.GetDisplayName() != "Rete Bergamo" {
		t.Errorf("after the resubmit: %q, %q; want Bruno's values", n.GetDisplayName(), n.GetDescription())
	}

	// Anna's form is now stale in turn: refused, nothing written.
	annas.Set("display_name", "Rete Bergamo Ovest")
	if res, _ := anna.do("POST", staleEdit, annas); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a third, stale edit: status %d, want 422", res.StatusCode)
	}
	if got := stored().GetDisplayName(); got != "Rete Bergamo" {
		t.Errorf("a stale edit changed the name to %q", got)
	}
}

// TestStaleEditNamesLinkedResources: the table of what changed under a
// stale edit names the partners a network links to by their display
// names, as the form's lists do, not by their ids.
func TestStaleEditNamesLinkedResources(t *testing.T) {
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	comune := f.partner("lombardia", "comune-bergamo", "Comune di Bergamo")
	f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	anna, annas, bruno, brunos := twoAdminsEditing(t, f, udp, cpia)

	annas.Set("member.1.partner", comune)
	if res, _ := anna.do("POST", staleEdit, annas); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first edit: status %d, want 303", res.StatusCode)
	}
	brunos.Set("description", "Rete dei servizi della bassa bergamasca")
	res, page := bruno.do("POST", staleEdit, brunos)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("stale edit: status %d, want 422", res.StatusCode)
	}
	if want := `<th scope="row">Membri</th><td>Ufficio di Piano di Bergamo, Comune di Bergamo</td><td>Ufficio di Piano di Bergamo, CPIA Bergamo</td>`; !strings.Contains(page, want) {
		t.Errorf("stale edit page lacks %q", want)
	}
	// Only the fields that differ: not those stored empty and left out of
	// the form (ATS, social district), nor the unchanged lead partner.
	table := regexp.MustCompile(`(?s)<caption>.*?</table>`).FindString(page)
	if rows := regexp.MustCompile(`<th scope="row">([^<]*)</th>`).FindAllStringSubmatch(table, -1); len(rows) != 2 || rows[0][1] != "Descrizione" || rows[1][1] != "Membri" {
		t.Errorf("the changes listed are %q, want Descrizione and Membri", rows)
	}
}
