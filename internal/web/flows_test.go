package web_test

import (
	"fmt"
	"html"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/principal"
)

func lastID(name string) string { return name[strings.LastIndexByte(name, '/')+1:] }

func TestEntryEditRejectResubmitDelete(t *testing.T) {
	t.Parallel()
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
	if !strings.Contains(page, `<th scope="row">Durata (minuti)</th><td data-label="Valore attuale">120</td><td data-label="Il tuo valore">45</td>`) {
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
	// The entry's month, which the page shows by date; /ore alone shows
	// the month of the real day the test runs on.
	_, page = c.do("GET", "/ore?data=2026-11-20", nil)
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
	res, page = c.do("POST", "/ore/"+id+"/elimina", url.Values{"csrf": {c.csrf("/ore")}, "conferma": {"1"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "già state approvate o respinte") {
		t.Errorf("delete a rejected entry: status %d; want 422 saying why", res.StatusCode)
	}
	res, _ = c.do("POST", "/ore/"+lastID(fresh.GetName())+"/elimina", url.Values{"csrf": {c.csrf("/ore")}, "etag": {fresh.GetEtag()}, "conferma": {"1"}})
	if res.StatusCode != http.StatusSeeOther || len(f.entries("lombardia")) != 1 {
		t.Errorf("delete a submitted entry: status %d, %d entries left; want 303 and 1", res.StatusCode, len(f.entries("lombardia")))
	}
}

// changeEntryMeanwhile saves entry, edited at path, as someone else
// would between a page's load and its submit: 120 minutes and a note
// ("Cambiato nel frattempo") the stale page must then show.
func changeEntryMeanwhile(t *testing.T, c *browserless, network, path string, entry *famiv1.SupportEntry) {
	t.Helper()
	form := entryForm(c.csrf(path), network)
	form.Set("etag", entry.GetEtag())
	form.Set("duration_minutes", "120")
	form.Set("notes", "Cambiato nel frattempo")
	if res, _ := c.do("POST", path, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: status %d", res.StatusCode)
	}
}

// TestEntryStaleDeleteShowsCurrent: a delete sent from a page read before
// someone changed the entry is refused; the answer shows the entry as
// stored now (never the delete form's empty values, which a save would
// write over it) and a delete button carrying the stored etag, which
// deletes once pressed again.
func TestEntryStaleDeleteShowsCurrent(t *testing.T) {
	t.Parallel()
	f, c, network := withLoggedHours(t)
	entry := f.entries("lombardia")[0]
	id := lastID(entry.GetName())
	edit := "/ore/" + id
	changeEntryMeanwhile(t, c, network, edit, entry)
	current := f.entries("lombardia")[0].GetEtag()

	res, page := c.do("POST", edit+"/elimina", url.Values{"csrf": {c.csrf(edit)}, "etag": {entry.GetEtag()}, "conferma": {"1"}})
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
	if res, _ := c.do("POST", edit+"/elimina", url.Values{"csrf": {c.csrf(edit)}, "etag": {del[1]}, "conferma": {"1"}}); res.StatusCode != http.StatusSeeOther || len(f.entries("lombardia")) != 0 {
		t.Errorf("delete confirmed again: status %d, want 303 and no entry left", res.StatusCode)
	}
}

// TestEntryDateTypedWithOneDigit: a day and month typed with one digit,
// as Italians often write them (5/11/2026), log the day meant. They were
// passed on as typed, and the service refused the date.
func TestEntryDateTypedWithOneDigit(t *testing.T) {
	t.Parallel()
	f, c, network := inLombardia(t)
	c.signIn("mrossi@lombardia")
	form := entryForm(c.csrf("/ore"), network)
	form.Set("date", "5/11/2026")
	if res, page := c.do("POST", "/ore", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("log hours on 5/11/2026: status %d, want 303 (the date refused: %t)", res.StatusCode, strings.Contains(page, `id="f-date-err"`))
	}
	if got := f.entries("lombardia")[0].GetDate(); got != "2026-11-05" {
		t.Errorf("logged on %s, want 2026-11-05", got)
	}
}

// TestEntryLoggedInAnotherMonthIsShown: an entry logged from November's
// page on 31/10/2026 leads to October's, the page that shows it, with the
// notice; one logged on a day the page shows comes back to it (as
// TestHoursFormComesBackToItsPage checks). It came back to November's,
// saying the hours were logged where they were not to be seen.
func TestEntryLoggedInAnotherMonthIsShown(t *testing.T) {
	t.Parallel()
	_, c, network := inLombardia(t)
	c.signIn("mrossi@lombardia")
	form := entryForm(c.csrf("/ore"), network)
	form.Set("date", "31/10/2026")
	res, _ := c.do("POST", "/ore?vista=mese&data=2026-11-01", form)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || loc != "/ore?data=2026-10-31&vista=mese" {
		t.Fatalf("log hours on 31/10/2026 from November's page: status %d to %q, want 303 to October's", res.StatusCode, loc)
	}
	if _, page := c.do("GET", loc, nil); !strings.Contains(page, "Ore registrate") || !strings.Contains(page, "31/10/2026") {
		t.Errorf("%s does not show the entry logged with its notice", loc)
	}
}

// TestHoursPageOfADayOutOfRange: an hours page asked for a period that
// reaches past the dates the services take (an address written by hand)
// shows today's month, as one asked for no date does. The listing refused
// its dates, and the page was an error, "I dati inviati non sono validi".
func TestHoursPageOfADayOutOfRange(t *testing.T) {
	t.Parallel()
	_, c, network := inLombardia(t)
	c.signIn("mrossi@lombardia")
	c.logHours(network)
	for q, want := range map[string]string{
		"data=0001-01-01": "20/11/2026", "data=9999-12-31": "20/11/2026", // the month's entry
		"data=1899-12-31&vista=settimana": "data=2026-12-07", "data=2199-12-31&vista=settimana": "data=2026-12-07", // the next week's link
	} {
		res, page := c.do("GET", "/ore?"+q, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(page, want) {
			t.Errorf("/ore?%s: status %d; want 200, the page of this period (%q)", q, res.StatusCode, want)
		}
	}
	if res, page := c.do("GET", "/ore?data=2199-12-01", nil); res.StatusCode != http.StatusOK || strings.Contains(page, "20/11/2026") {
		t.Errorf("/ore?data=2199-12-01: status %d; want 200, the page of December 2199", res.StatusCode)
	}
}

func TestHoursCSV(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
	f := startFamid(t)
	f.partner("lombardia", "cpia", "CPIA Bergamo")
	a := f.adminIn(t)
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
	if !strings.Contains(page, `<th scope="row">Denominazione</th><td data-label="Valore attuale">CPIA 1 Bergamo</td><td data-label="Il tuo valore">CPIA Bergamo Est</td>`) {
		t.Errorf("stale edit does not show what changed")
	}
	// Bad input lands next to its field, in Italian.
	for _, c := range []struct {
		form url.Values
		want []string
	}{
		{url.Values{"partner_id": {"Non Valido!"}, "display_name": {"Ente"}}, []string{`id="f-partner_id-err"`, `value="Non Valido!"`}},
		// The word of the new partner's page, which would leave the partner without one.
		{url.Values{"partner_id": {"nuovo"}, "display_name": {"Ente"}, "kind": {"PARTNER_KIND_OTHER"}},
			[]string{`id="f-partner_id-err">Questa parola è riservata`, `value="nuovo"`}},
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

// TestMinistryChoosesOnlyARegion: the ministry's choice of region takes
// one of Italy's regions only; another (a forged form, or a cookie naming
// none) is not chosen, and the pages go on reading a region. Chosen, it
// made every page of the region "page not found" until another was.
func TestMinistryChoosesOnlyARegion(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupLombardia(f)
	m := f.ministryIn(t, "lombardia")
	if res, _ := m.do("POST", "/regione", url.Values{"csrf": {m.csrf("/")}, "regione": {"atlantide"}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("switch to atlantide: status %d, want 404", res.StatusCode)
	}
	m.wantPage("/reti", http.StatusOK, "Rete Bergamo")

	site, err := url.Parse(f.URL())
	if err != nil {
		t.Fatal(err)
	}
	m.c.Jar.SetCookies(site, []*http.Cookie{{Name: "raccordo_regione", Value: "atlantide", Path: "/"}})
	m.wantPage("/reti", http.StatusOK)
}

func TestMinistryReadsAnyRegionAndHistory(t *testing.T) {
	t.Parallel()
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
	// The partner was created with a token minted without a name: the
	// history says so in words, not with the token's subject.
	if !strings.Contains(page, "creazione") || !strings.Contains(page, `<td data-label="Chi">utenza tecnica</td>`) || strings.Contains(page, "test:region_admin:veneto") {
		t.Errorf("the partner's history does not show its creation and who made it, in words")
	}
	// The header names the ministry's token, minted without a name, in
	// words too.
	if strings.Contains(page, "test:ministry") || !strings.Contains(page, "utenza tecnica</span>") {
		t.Errorf("the header names the signed-in token by its subject")
	}
}

// TestRejectSelectionAllOrNothing checks that rejecting a selection is one
// batch: when one of the selected entries was approved meanwhile, none is
// rejected, and the page says which entry stopped it and why.
func TestRejectSelectionAllOrNothing(t *testing.T) {
	t.Parallel()
	f, c, network := withLoggedHours(t)
	for range 3 {
		c.logHours(network)
	}
	entries := f.entries("lombardia")
	if len(entries) != 4 {
		t.Fatalf("logged %d entries, want 4", len(entries))
	}
	a := f.client(t)
	a.signIn("admin@lombardia")
	csrf := a.csrf("/approvazioni")
	// Another admin approves the last entry while this one is selecting.
	late := entries[2]
	if _, err := famiv1.NewSupportServiceClient(f.conn).BatchApproveSupportEntries(f.admin("lombardia"),
		&famiv1.BatchApproveSupportEntriesRequest{Parent: "regions/lombardia", Names: []string{late.GetName()}}); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"csrf": {csrf}, "azione": {"respingi"}, "reason": {"Manca il verbale"}}
	for _, e := range entries {
		form.Add("voce", lastID(e.GetName()))
	}
	res, page := a.do("POST", "/approvazioni", form)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("reject a selection with an approved entry: status %d, want 422", res.StatusCode)
	}
	which := html.EscapeString("Nessuna registrazione è stata modificata: quella del 20/11/2026 di Mario Rossi (Laboratorio) non si può approvare né respingere.")
	why := html.EscapeString("Queste ore sono già state approvate o respinte")
	if !strings.Contains(page, `id="selection-err">`+which) || !strings.Contains(page, why) {
		t.Errorf("the page does not say which entry stopped the batch and why:\n%s", page)
	}
	for _, e := range f.entries("lombardia") {
		want := famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_SUBMITTED
		if e.GetName() == late.GetName() {
			want = famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_APPROVED
		}
		if e.GetState() != want {
			t.Errorf("after the refused batch, %s is %s, want %s", e.GetName(), e.GetState(), want)
		}
	}

	// The consultant deletes a selected entry meanwhile: the page names
	// it, and again nothing changes.
	gone := entries[3]
	if res, _ := c.do("POST", "/ore/"+lastID(gone.GetName())+"/elimina", url.Values{"csrf": {c.csrf("/ore")}, "etag": {gone.GetEtag()}, "conferma": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the consultant deletes an entry: status %d", res.StatusCode)
	}
	form.Del("voce")
	form.Add("voce", lastID(entries[0].GetName()))
	form.Add("voce", lastID(gone.GetName()))
	res, page = a.do("POST", "/approvazioni", form)
	which = html.EscapeString("Nessuna registrazione è stata modificata: la registrazione " + lastID(gone.GetName()) + " non si può approvare né respingere.")
	why = html.EscapeString("Un elemento indicato non esiste più")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="selection-err">`+which) || !strings.Contains(page, why) {
		t.Errorf("reject a selection with a deleted entry: status %d; want 422 saying which entry and why:\n%s", res.StatusCode, page)
	}
	if got := f.entries("lombardia")[0].GetState(); got != famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_SUBMITTED {
		t.Errorf("after the refused batch, the first entry is %s, want SUBMITTED", got)
	}

	// The submitted entries alone are rejected at once.
	form.Del("voce")
	form.Add("voce", lastID(entries[0].GetName()))
	form.Add("voce", lastID(entries[1].GetName()))
	if res, _ := a.do("POST", "/approvazioni", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject the two submitted entries: status %d", res.StatusCode)
	}
	for _, e := range f.entries("lombardia") {
		if e.GetName() != late.GetName() && (e.GetState() != famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_REJECTED || e.GetReview().GetReason() != "Manca il verbale") {
			t.Errorf("after the batch, %s is %s (%q), want REJECTED with the reason", e.GetName(), e.GetState(), e.GetReview().GetReason())
		}
	}
}

func TestReviewWithoutSelection(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	a := f.adminIn(t)
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

// savedMeanwhile posts first's form to path, which must save (303), then
// stale's, read before that save, which must be refused (422): the page
// refusing it.
func savedMeanwhile(t *testing.T, path string, first *browserless, firsts url.Values, second *browserless, stale url.Values) string {
	t.Helper()
	if res, _ := first.do("POST", path, firsts); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first edit: status %d, want 303", res.StatusCode)
	}
	res, page := second.do("POST", path, stale)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("stale edit: status %d, want 422", res.StatusCode)
	}
	return page
}

// TestNetworkStaleEditRedone: two admins edit the same network. The one
// who saves second sees the other's change beside what they typed, keeps
// it, and saves it by submitting again; a form still based on an older
// version is refused again.
func TestNetworkStaleEditRedone(t *testing.T) {
	t.Parallel()
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
	// Bruno's form is based on the version before Anna's.
	brunos.Set("description", "Rete dei servizi della bassa bergamasca")
	brunos.Set("ats", "ATS Bergamo")
	page := savedMeanwhile(t, staleEdit, anna, annas, bruno, brunos)
	if !strings.Contains(page, "Ricarica la versione attuale") {
		t.Fatalf("stale edit: want 422 offering to reload")
	}
	for _, want := range []string{
		`<th scope="row">Denominazione</th><td data-label="Valore attuale">Rete Bergamo Est</td><td data-label="Il tuo valore">Rete Bergamo</td>`,
		`<th scope="row">ATS</th><td data-label="Valore attuale"></td><td data-label="Il tuo valore">ATS Bergamo</td>`,
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
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	comune := f.partner("lombardia", "comune-bergamo", "Comune di Bergamo")
	f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	anna, annas, bruno, brunos := twoAdminsEditing(t, f, udp, cpia)

	annas.Set("member.1.partner", comune)
	brunos.Set("description", "Rete dei servizi della bassa bergamasca")
	page := savedMeanwhile(t, staleEdit, anna, annas, bruno, brunos)
	if want := `<th scope="row">Membri</th><td data-label="Valore attuale">Ufficio di Piano di Bergamo, Comune di Bergamo</td><td data-label="Il tuo valore">Ufficio di Piano di Bergamo, CPIA Bergamo</td>`; !strings.Contains(page, want) {
		t.Errorf("stale edit page lacks %q", want)
	}
	// Only the fields that differ: not those stored empty and left out of
	// the form (ATS, social district), nor the unchanged lead partner.
	table := regexp.MustCompile(`(?s)<caption>.*?</table>`).FindString(page)
	if rows := regexp.MustCompile(`<th scope="row">([^<]*)</th>`).FindAllStringSubmatch(table, -1); len(rows) != 2 || rows[0][1] != "Descrizione" || rows[1][1] != "Membri" {
		t.Errorf("the changes listed are %q, want Descrizione and Membri", rows)
	}
}

// TestStaleActionsAskToPressAgain: a button pressed on a page read before
// someone changed the resource (cancelling a meeting, opening a protocol
// for signature) is refused. The answer shows the resource as stored now
// and says so in words fit for a button, not "your values are still
// below"; it offers no reload of the button's address (a POST-only path);
// the button carries the stored etag and acts once pressed again.
func TestStaleActionsAskToPressAgain(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	b, network, udp, cpia := f.annaInBergamo(t)
	ctx := f.admin("lombardia")

	schedule := func(days int) string {
		day := f.Clock.Now().In(rome()).AddDate(0, 0, days).Format("02/01/2006")
		res, _ := b.do("POST", "/incontri", url.Values{"csrf": {b.csrf("/incontri/nuovo")}, "networks": {network}, "kind": {"MEETING_KIND_COORDINATION_TABLE"},
			"title": {"Tavolo di coordinamento"}, "day": {day}, "start_time": {"10:00"}, "end_time": {"12:00"}, "mode": {"MEETING_MODE_IN_PERSON"}, "place": {"Bergamo"}})
		return strings.Split(res.Header.Get("Location"), "?")[0]
	}
	meeting, held := schedule(10), schedule(-10)
	b.do("POST", held+"/verbale", url.Values{"csrf": {b.csrf(held)}, "minutes": {"Il tavolo ha condiviso il calendario."},
		"ai.0.description": {"Inviare il calendario"}, "ai.0.owner": {cpia}, "ai.0.due_date": {f.Clock.Now().In(rome()).Format("02/01/2006")}})
	m, err := famiv1.NewMeetingServiceClient(f.conn).GetMeeting(ctx, &famiv1.GetMeetingRequest{Name: "regions/lombardia/meetings/" + lastID(held)})
	if err != nil || len(m.GetActionItems()) != 1 {
		t.Fatalf("the held meeting: %v, %v; want one action item", m, err)
	}
	res, _ := b.do("POST", "/protocolli", url.Values{"csrf": {b.csrf("/protocolli/nuovo")}, "network": {network}, "title": {"Protocollo UdP-CPIA"},
		"body": {"Art. 1 - Le parti collaborano."}, "valid_from": {"01/01/2025"}, "party.0.partner": {udp}, "party.0.role": {"PARTY_ROLE_PROPONENT"},
		"party.1.partner": {cpia}, "party.1.role": {"PARTY_ROLE_SIGNATORY"}})
	protocol := strings.Split(res.Header.Get("Location"), "?")[0]

	for _, tc := range []staleButton{
		{meeting, "/annulla", "Sciopero dei trasporti", func() error {
			_, err := famiv1.NewMeetingServiceClient(f.conn).UpdateMeeting(ctx, &famiv1.UpdateMeetingRequest{
				Meeting:    &famiv1.Meeting{Name: "regions/lombardia/meetings/" + lastID(meeting), Place: "Bergamo, sala consiliare"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"place"}}})
			return err
		}, []string{"Bergamo, sala consiliare"}},
		{protocol, "/apri", "", func() error {
			_, err := famiv1.NewProtocolServiceClient(f.conn).UpdateProtocol(ctx, &famiv1.UpdateProtocolRequest{
				Protocol:   &famiv1.Protocol{Name: "regions/lombardia/protocols/" + lastID(protocol), Title: "Protocollo UdP-CPIA 2025"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}})
			return err
		}, []string{"Protocollo UdP-CPIA 2025"}},
		{held, "/azioni/" + m.GetActionItems()[0].GetId(), "", func() error {
			_, page := b.do("GET", held, nil)
			att := formValues(t, page, held+"/presenze")
			att.Set("att."+udp, "3")
			if res, _ := b.do("POST", held+"/presenze", att); res.StatusCode != http.StatusSeeOther {
				return fmt.Errorf("attendance: status %d", res.StatusCode)
			}
			return nil
		}, []string{`name="att.` + udp + `" value="3"`, "Il tavolo ha condiviso il calendario.</textarea>"}},
	} {
		t.Run(tc.button, func(t *testing.T) { tc.press(t, b) })
	}
}

// staleButton is a button of page (its form posts to page+button) pressed
// after change changed the resource the page shows, with typed in the
// reason field of the button's form when it has one.
type staleButton struct {
	page, button, typed string
	change              func() error
	stored              []string // what the page shows of the resource as stored
}

// press checks that the stale button is refused in words fit for a
// button, on a page that shows the stored resource (stored), and that it
// acts once pressed again.
func (tc staleButton) press(t *testing.T, b *browserless) {
	t.Helper()
	buttonEtag := func(page string) string {
		m := regexp.MustCompile(`action="` + tc.page + tc.button + `"[^>]*>.*?name="etag" value="([^"]*)"`).FindStringSubmatch(strings.ReplaceAll(page, "\n", " "))
		if m == nil {
			t.Fatalf("no %s button on %s", tc.button, tc.page)
		}
		return m[1]
	}
	_, page := b.do("GET", tc.page, nil)
	loaded := buttonEtag(page)
	if err := tc.change(); err != nil {
		t.Fatal(err)
	}
	// Pressed as the script sends a confirmed press (the buttons that
	// cannot be undone ask first); the other buttons ignore the field.
	form := url.Values{"csrf": {b.csrf(tc.page)}, "etag": {loaded}, "reason": {tc.typed}, "conferma": {"1"}}
	res, page := b.do("POST", tc.page+tc.button, form)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("stale %s: status %d, want 422", tc.button, res.StatusCode)
	}
	for _, want := range append([]string{"Nel frattempo qualcun altro ha modificato questi dati.", "se vuoi ancora procedere, premi di nuovo il pulsante"}, tc.stored...) {
		if !strings.Contains(page, want) {
			t.Errorf("stale %s page lacks %q", tc.button, want)
		}
	}
	for _, wrong := range []string{"ancora qui sotto", "Ricarica la versione attuale"} {
		if strings.Contains(page, wrong) {
			t.Errorf("stale %s page says %q, which does not fit a button", tc.button, wrong)
		}
	}
	if tc.typed != "" && !strings.Contains(page, `value="`+tc.typed+`"`) {
		t.Errorf("stale %s page lost the typed %q", tc.button, tc.typed)
	}
	current := buttonEtag(page)
	if current == loaded {
		t.Fatalf("the %s button still carries the etag the page was loaded with", tc.button)
	}
	form.Set("etag", current)
	if res, _ := b.do("POST", tc.page+tc.button, form); res.StatusCode != http.StatusSeeOther {
		t.Errorf("%s pressed again: status %d, want 303", tc.button, res.StatusCode)
	}
}

// TestStaleReportSubmit: a report's submit button pressed on a page read
// before the region changed the report is refused as a button is
// (staleButton), and submits once pressed again.
func TestStaleReportSubmit(t *testing.T) {
	t.Parallel()
	f, staff, _ := monitoringClients(t)
	staleButton{labReport, "/invia", "", func() error {
		_, err := famiv1.NewMonitoringServiceClient(f.conn).UpdateMonitoringReport(f.admin("lombardia"), &famiv1.UpdateMonitoringReportRequest{
			MonitoringReport: &famiv1.MonitoringReport{Name: "regions/lombardia/projects/lab-impact/monitoringReports/2021-q2", Notes: "Dati verificati dalla regione"},
			UpdateMask:       &fieldmaskpb.FieldMask{Paths: []string{"notes"}}})
		return err
	}, []string{"Dati verificati dalla regione"}}.press(t, staff)
	if got := f.reportState("2021-q2"); got != famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED {
		t.Errorf("after pressing again the report is %v, want submitted", got)
	}
}

// TestStaleEditNamesMeeting: the table of what changed under a stale
// support entry names the meeting the entry links to as the form's choice
// does (its day and title), not by its id.
func TestStaleEditNamesMeeting(t *testing.T) {
	t.Parallel()
	f, c, network := withLoggedHours(t)
	start := f.Clock.Now().In(rome()).AddDate(0, 0, -2)
	m, err := famiv1.NewMeetingServiceClient(f.conn).CreateMeeting(f.admin("lombardia"), &famiv1.CreateMeetingRequest{Parent: "regions/lombardia",
		Meeting: &famiv1.Meeting{Networks: []string{network}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: "Tavolo di coordinamento",
			StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(2 * time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_IN_PERSON, Place: "Bergamo"}})
	if err != nil {
		t.Fatal(err)
	}
	entry := f.entries("lombardia")[0]
	edit := "/ore/" + lastID(entry.GetName())
	form := entryForm(c.csrf(edit), network)
	form.Set("etag", entry.GetEtag())
	form.Set("meeting", m.GetName())
	stale := maps.Clone(form)
	stale.Set("meeting", "")
	page := savedMeanwhile(t, edit, c, form, c, stale)
	if want := `<th scope="row">Incontro collegato</th><td data-label="Valore attuale">` + start.Format("02/01/2006") + ` · Tavolo di coordinamento</td><td data-label="Il tuo valore"></td>`; !strings.Contains(page, want) {
		t.Errorf("stale edit page lacks %q", want)
	}
}

// formValues reads the form of page that posts to action as a browser
// sends it unchanged: its inputs, each select's selected option ("" for
// none) and its textareas.
func formValues(t *testing.T, page, action string) url.Values {
	t.Helper()
	fm := regexp.MustCompile(`(?s)<form [^>]*action="` + regexp.QuoteMeta(action) + `".*?</form>`).FindString(page)
	if fm == "" {
		t.Fatalf("no form posts to %s", action)
	}
	v := url.Values{}
	for _, in := range regexp.MustCompile(`<input [^>]*name="([^"]*)" value="([^"]*)"[^>]*>`).FindAllStringSubmatch(fm, -1) {
		if strings.Contains(in[0], `type="checkbox"`) && !strings.Contains(in[0], " checked") {
			continue // as a browser sends the form: a box unchecked is not sent
		}
		v.Add(in[1], html.UnescapeString(in[2]))
	}
	for _, sel := range regexp.MustCompile(`(?s)<select [^>]*name="([^"]*)"[^>]*>(.*?)</select>`).FindAllStringSubmatch(fm, -1) {
		v.Set(sel[1], "")
		if opt := regexp.MustCompile(`<option value="([^"]*)" selected>`).FindStringSubmatch(sel[2]); opt != nil {
			v.Set(sel[1], html.UnescapeString(opt[1]))
		}
	}
	for _, ta := range regexp.MustCompile(`(?s)<textarea [^>]*name="([^"]*)"[^>]*>(.*?)</textarea>`).FindAllStringSubmatch(fm, -1) {
		v.Add(ta[1], html.UnescapeString(ta[2]))
	}
	return v
}

// changedFields are the labels of the rows of the table of what changed.
func changedFields(page string) []string {
	table := regexp.MustCompile(`(?s)<caption>.*?</table>`).FindString(page)
	var out []string
	for _, row := range regexp.MustCompile(`<th scope="row">([^<]*)</th>`).FindAllStringSubmatch(table, -1) {
		out = append(out, html.UnescapeString(row[1]))
	}
	return out
}

// TestReportStaleEditRedone: the lead partner's staff edit a quarterly
// report that the region's admin changes meanwhile. The refused form keeps
// what the staff typed (a number typed the Italian way included), carries
// the stored etag and lists only the fields the admin changed; sent
// again, it saves; the admin's form, now stale in turn, is refused.
func TestReportStaleEditRedone(t *testing.T) {
	t.Parallel()
	f, staff, admin := monitoringClients(t)
	edit := labReport + "/modifica"
	name := "regions/lombardia/projects/lab-impact/monitoringReports/2021-q2"
	stored := func() *famiv1.MonitoringReport {
		rep, err := famiv1.NewMonitoringServiceClient(f.conn).GetMonitoringReport(f.admin("lombardia"), &famiv1.GetMonitoringReportRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	_, page := staff.do("GET", edit, nil)
	staffs := formValues(t, page, edit)
	_, page = admin.do("GET", edit, nil)
	admins := formValues(t, page, edit)

	admins.Set("ind.0.value", "30")
	admins.Set("notes", "Dati verificati dalla regione")
	staffs.Set("ind.0.value", "1.234,5")
	// An amount written another way ("300000" for "300.000,00") is no
	// change.
	if committed := staffs.Get("exp.1.committed"); committed != "300.000,00" {
		t.Fatalf("the form shows 300,000 euros committed as %q", committed)
	}
	staffs.Set("exp.1.committed", "300000")
	page = savedMeanwhile(t, edit, admin, admins, staff, staffs)
	for _, want := range []string{
		`<th scope="row">Valori degli indicatori</th><td data-label="Valore attuale">30</td><td data-label="Il tuo valore">1.234,5</td>`,
		`<th scope="row">Note</th><td data-label="Valore attuale">Dati verificati dalla regione</td><td data-label="Il tuo valore">` + evilEscaped + `</td>`,
		`name="ind.0.value" value="1.234,5"`, "salva di nuovo il modulo",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("stale report page lacks %q", want)
		}
	}
	if got := changedFields(page); !slices.Equal(got, []string{"Valori degli indicatori", "Note"}) {
		t.Errorf("the changes listed are %q, want the indicators and the notes only", got)
	}
	if got, want := formEtag(t, page), stored().GetEtag(); got != want {
		t.Fatalf("the stale form carries etag %q, want the stored %q", got, want)
	}

	staffs.Set("etag", formEtag(t, page))
	if res, _ := staff.do("POST", edit, staffs); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("resubmitted edit: status %d, want 303", res.StatusCode)
	}
	if rep := stored(); len(rep.GetIndicatorValues()) != 1 || rep.GetIndicatorValues()[0].GetValue() != 1234.5 || rep.GetNotes() != evil {
		t.Errorf("after the resubmit: %v, %q; want the staff's 1234.5 and notes", rep.GetIndicatorValues(), rep.GetNotes())
	}
	admins.Set("notes", "Di nuovo")
	if res, _ := admin.do("POST", edit, admins); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("the admin's stale form: status %d, want 422", res.StatusCode)
	}
	if got := stored().GetNotes(); got != evil {
		t.Errorf("a stale edit wrote the notes %q", got)
	}
}

// TestEntryStaleDeleteListsChanges: a delete pressed on a page loaded
// before someone changed the entry is refused, and the answer lists what
// changed since the page was loaded (its delete form sends the entry as
// it showed it) beside the entry as stored now.
func TestEntryStaleDeleteListsChanges(t *testing.T) {
	t.Parallel()
	f, c, network := withLoggedHours(t)
	entry := f.entries("lombardia")[0]
	edit := "/ore/" + lastID(entry.GetName())
	_, page := c.do("GET", edit, nil)
	del := formValues(t, page, edit+"/elimina")

	changeEntryMeanwhile(t, c, network, edit, entry)
	// What the delete form sends is shown, as text: a forged value too.
	del.Set("mode", evil)
	del.Set("conferma", "1")
	res, page := c.do("POST", edit+"/elimina", del)
	if res.StatusCode != http.StatusUnprocessableEntity || len(f.entries("lombardia")) != 1 {
		t.Fatalf("stale delete: status %d, want 422 and the entry kept", res.StatusCode)
	}
	for _, want := range []string{
		`<th scope="col">Quando hai aperto la pagina</th>`,
		`<th scope="row">Durata (minuti)</th><td data-label="Valore attuale">120</td><td data-label="Quando hai aperto la pagina">90</td>`,
		`<th scope="row">Note</th><td data-label="Valore attuale">Cambiato nel frattempo</td><td data-label="Quando hai aperto la pagina"></td>`,
		`<th scope="row">Modalità</th><td data-label="Valore attuale">A distanza</td><td data-label="Quando hai aperto la pagina">` + evilEscaped + `</td>`,
		"Se vuoi ancora eliminarla", `value="120"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("stale delete page lacks %q", want)
		}
	}
	if got := changedFields(page); !slices.Equal(got, []string{"Durata (minuti)", "Modalità", "Note"}) {
		t.Errorf("the changes listed are %q, want the duration, the forged mode and the notes", got)
	}
	if strings.Contains(page, "Ricarica la versione attuale") {
		t.Errorf("stale delete page offers to reload the delete's address")
	}
	again := formValues(t, page, edit+"/elimina")
	if again.Get("duration_minutes") != "120" || again.Get("etag") != f.entries("lombardia")[0].GetEtag() {
		t.Fatalf("the delete form sends %v, want the stored entry and etag", again)
	}
	again.Set("conferma", "1")
	if res, _ := c.do("POST", edit+"/elimina", again); res.StatusCode != http.StatusSeeOther || len(f.entries("lombardia")) != 0 {
		t.Errorf("delete confirmed again: status %d, want 303 and no entry left", res.StatusCode)
	}
}

// TestStaleEntryEditListsTopicsAndOperators: the table of what changed
// under a stale support entry lists its topics and each operator role's
// count that differ from what the user typed, by the form's labels, and
// leaves out a count typed as stored.
func TestStaleEntryEditListsTopicsAndOperators(t *testing.T) {
	t.Parallel()
	f, c, network := withLoggedHours(t)
	entry := f.entries("lombardia")[0]
	edit := "/ore/" + lastID(entry.GetName())
	form := entryForm(c.csrf(edit), network)
	form.Set("etag", entry.GetEtag())
	stale := maps.Clone(form)
	form["topics"] = []string{"SUPPORT_TOPIC_GOVERNANCE", "SUPPORT_TOPIC_CO_DESIGN"}
	form.Set("op.SUPPORT_OPERATOR_ROLE_TEACHER", "5")
	form.Set("op.SUPPORT_OPERATOR_ROLE_CULTURAL_MEDIATOR", "2")
	stale["topics"] = []string{"SUPPORT_TOPIC_EVALUATION"}
	stale.Set("op.SUPPORT_OPERATOR_ROLE_TEACHER", "3")
	stale.Set("op.SUPPORT_OPERATOR_ROLE_CULTURAL_MEDIATOR", "2")
	page := savedMeanwhile(t, edit, c, form, c, stale)
	if got, want := changedFields(page), []string{"Docenti", "Temi"}; !slices.Equal(got, want) {
		t.Errorf("the changes listed are %q, want %q", got, want)
	}
	for _, want := range []string{`<th scope="row">Docenti</th><td data-label="Valore attuale">5</td><td data-label="Il tuo valore">3</td>`, "Governance", "Co-progettazione", "Valutazione"} {
		if !strings.Contains(page, want) {
			t.Errorf("stale edit page lacks %q", want)
		}
	}
}

// TestRejectedEntryLeadsToItsResubmission: a consultant's rejected entry
// says it can be logged again and links to that, on the hours page and on
// the entry's own page; the entry's page was a dead end ("non si possono
// più modificare", and nothing else), and the row's message contradicted
// its own "Ripresenta". Once the quarter is closed neither offers it: the
// new entry would be refused.
func TestRejectedEntryLeadsToItsResubmission(t *testing.T) {
	t.Parallel()
	f, c, _ := withLoggedHours(t)
	e := f.entries("lombardia")[0]
	support := famiv1.NewSupportServiceClient(f.conn)
	if _, err := support.RejectSupportEntry(f.admin("lombardia"), &famiv1.RejectSupportEntryRequest{Name: e.GetName(), Reason: "Manca il verbale"}); err != nil {
		t.Fatal(err)
	}
	id := lastID(e.GetName())
	resubmit := `<a href="/ore?ripresenta=` + id + `#log-title">Ripresenta</a>`
	says := html.EscapeString("Ore respinte: non si modificano più, ma puoi ripresentarle")
	for _, path := range []string{"/ore?data=2026-11-20", "/ore/" + id} {
		_, page := c.do("GET", path, nil)
		if !strings.Contains(page, says) || !strings.Contains(page, resubmit) {
			t.Errorf("GET %s does not say the rejected entry can be logged again, with a link to do it", path)
		}
		if strings.Contains(page, "non si possono più modificare") {
			t.Errorf("GET %s still says only that the rejected entry cannot change", path)
		}
	}

	if _, err := support.ClosePeriod(f.admin("lombardia"), &famiv1.ClosePeriodRequest{Parent: "regions/lombardia",
		ClosedPeriod: &famiv1.ClosedPeriod{StartDate: "2026-10-01", EndDate: "2026-12-31"}}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/ore?data=2026-11-20", "/ore/" + id} {
		if _, page := c.do("GET", path, nil); strings.Contains(page, "ripresenta=") || !strings.Contains(page, "Il trimestre è chiuso") {
			t.Errorf("GET %s after the quarter closed: want the closed quarter said and no resubmission offered", path)
		}
	}
}
