package web_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/principal"
)

// TestDurationColumnsSayHowTheyCount: the hours tables show a duration as
// "1 h 30 min", so their column is "Durata", not "Durata (minuti)", which
// belongs to the form's field, where minutes are typed.
func TestDurationColumnsSayHowTheyCount(t *testing.T) {
	t.Parallel()
	f, c, _ := withLoggedHours(t)
	a := f.client(t)
	a.signIn("admin@lombardia")
	for _, page := range []struct {
		who  *browserless
		path string
	}{{c, "/ore?data=2026-11-20"}, {a, "/approvazioni"}} { // the entry's month: /ore alone is the month of the day the test runs
		_, body := page.who.do("GET", page.path, nil)
		// The cell carries its heading, shown beside it on a phone.
		if !strings.Contains(body, `<td data-label="Durata" class="num">1 h 30 min</td>`) {
			t.Errorf("%s does not show the 90 minutes as 1 h 30 min", page.path)
		}
		if want := `<th scope="col" class="num">Durata</th>`; !strings.Contains(body, want) {
			t.Errorf("%s: the duration column is not headed %q", page.path, want)
		}
	}
}

// TestCountsAgreeInItalian: one entry is "1 registrazione", not "1
// registrazioni", in the summary's total.
func TestCountsAgreeInItalian(t *testing.T) {
	t.Parallel()
	_, c, _ := withLoggedHours(t)
	_, page := c.do("GET", "/riepilogo?start_date=01/11/2026&end_date=30/11/2026", nil)
	if want := "Totale: 1 h 30 min in 1 registrazione<"; !strings.Contains(page, want) {
		t.Errorf("the summary of one entry lacks %q", want)
	}
}

// TestSummaryNamesMonths: the summary's months read as people say them,
// "novembre 2026", not "11/2026".
func TestSummaryNamesMonths(t *testing.T) {
	t.Parallel()
	_, c, _ := withLoggedHours(t)
	_, page := c.do("GET", "/riepilogo?start_date=01/11/2026&end_date=30/11/2026", nil)
	if !strings.Contains(page, ">novembre 2026<") || strings.Contains(page, "11/2026<") {
		t.Errorf("the summary by month does not name November 2026 novembre 2026")
	}
}

// TestMeetingDayWrittenOnce: a meeting within one day reads "dd/mm/yyyy
// dalle 10:00 alle 12:00", not the same date twice.
func TestMeetingDayWrittenOnce(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	anna, network, _, _ := f.annaInBergamo(t)
	d := f.Clock.Now().In(rome()).AddDate(0, 0, 10)
	start := time.Date(d.Year(), d.Month(), d.Day(), 10, 0, 0, 0, rome())
	m, err := famiv1.NewMeetingServiceClient(f.conn).CreateMeeting(f.admin("lombardia"), &famiv1.CreateMeetingRequest{Parent: "regions/lombardia",
		Meeting: &famiv1.Meeting{Networks: []string{network}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: "Tavolo di coordinamento",
			StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(2 * time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_IN_PERSON, Place: "Bergamo"}})
	if err != nil {
		t.Fatal(err)
	}
	_, page := anna.do("GET", "/incontri/"+lastID(m.GetName()), nil)
	if want := start.Format("02/01/2006") + " dalle 10:00 alle 12:00"; !strings.Contains(page, want) {
		t.Errorf("the meeting's page does not say %q", want)
	}
	// No facilitator named: no empty row for one.
	if strings.Contains(page, "<dt>Facilitatore</dt>") {
		t.Errorf("the meeting's page shows an empty facilitator")
	}
}

// TestMeetingsEmptyStatesSayWhich: with no meetings, each list says what it
// lacks, rather than the same "Nessun incontro." three times.
func TestMeetingsEmptyStatesSayWhich(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	anna, _, _, _ := f.annaInBergamo(t)
	_, page := anna.do("GET", "/incontri", nil)
	for _, want := range []string{"<p>Nessun incontro in programma.</p>", "<p>Nessun incontro negli ultimi tre mesi.</p>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the meetings page lacks %q", want)
		}
	}
	if _, page = anna.do("GET", "/incontri?passati=tutti", nil); !strings.Contains(page, "<p>Nessun incontro passato.</p>") {
		t.Errorf("the archive of past meetings does not say it has none")
	}
}

// TestHistoryLinksBack: a resource's history is no dead end; it links back
// to the resource's page.
func TestHistoryLinksBack(t *testing.T) {
	t.Parallel()
	f, _, _ := withLoggedHours(t)
	a := f.client(t)
	a.signIn("admin@lombardia")
	_, page := a.do("GET", "/storia?nome=regions/lombardia/networks/rete-bergamo", nil)
	if want := `<a href="/reti/rete-bergamo">← Torna alla scheda</a>`; !strings.Contains(page, want) {
		t.Errorf("the network's history lacks the link back %q", want)
	}
}

// TestSummaryEmptyPeriodSaysSo: a period without hours reads as one
// sentence, not "Totale: 0 min in 0 registrazioni" over three empty charts.
func TestSummaryEmptyPeriodSaysSo(t *testing.T) {
	t.Parallel()
	_, c, _ := withLoggedHours(t)
	_, page := c.do("GET", "/riepilogo?start_date=01/01/2025&end_date=31/03/2025", nil)
	if want := "Nessuna ora di supporto registrata dal 01/01/2025 al 31/03/2025."; !strings.Contains(page, want) {
		t.Errorf("the summary of an empty period lacks %q", want)
	}
	if strings.Contains(page, "0 registrazioni") || strings.Contains(page, `id="summary.by_network"`) {
		t.Errorf("the summary of an empty period still shows a zero total or empty charts")
	}
}

// TestOptionalSelectsOfferNone: a select that may stay empty starts with
// "Nessuno", one that must be chosen with "Scegli…": the linked meeting of
// an entry, optional, read "Scegli…" like the network above it, as if a
// meeting had to be chosen.
func TestOptionalSelectsOfferNone(t *testing.T) {
	t.Parallel()
	_, c, _ := withLoggedHours(t)
	_, page := c.do("GET", "/ore", nil)
	for name, first := range map[string]string{"meeting": "Nessuno", "network": "Scegli…"} {
		if want := `name="` + name + `"`; !strings.Contains(page, want) {
			t.Fatalf("the hours page has no %s select", name)
		}
		_, rest, _ := strings.Cut(page, `<select id="f-`+name+`" name="`+name+`"`)
		if _, opt, _ := strings.Cut(rest, ">\n"); !strings.HasPrefix(opt, `<option value="">`+first+`</option>`) {
			t.Errorf("the %s select does not start with %q: %.80s", name, first, opt)
		}
	}
}

// TestHomeGreetsWhoSignedIn: the home page greets a person by name and
// names a network member's organisation "Ente", as the account form that
// sets it does; a ministry signed in with a bootstrap token, which names
// no one, is greeted without a name and told it used a technical
// credential. Before, it was "Benvenuto, utenza tecnica", and the staff's
// page said "Partner: Ufficio di Piano di Bergamo".
func TestHomeGreetsWhoSignedIn(t *testing.T) {
	t.Parallel()
	f, staff, _ := inLombardia(t)
	f.account("lombardia", "anna", "Anna Bianchi", famiv1.Role_ROLE_NETWORK_MEMBER, "regions/lombardia/partners/udp-bergamo")
	staff.signIn("anna@lombardia")
	_, page := staff.do("GET", "/", nil)
	if !strings.Contains(page, "<h1>Benvenuto, Anna Bianchi</h1>") || !strings.Contains(page, "<p>Ente: Ufficio di Piano di Bergamo</p>") || strings.Contains(page, "Partner:") {
		t.Errorf("the staff's home page does not greet Anna Bianchi and name her Ente:\n%s", mainOf(page))
	}

	m := f.client(t)
	if res, _ := m.do("POST", "/accedi/token", url.Values{"token": {f.token(principal.Ministry, "")}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in with a token: status %d", res.StatusCode)
	}
	_, page = m.do("GET", "/", nil)
	if strings.Contains(page, "Benvenuto, utenza tecnica") || !strings.Contains(page, "<h1>Benvenuto</h1>") ||
		!strings.Contains(page, html.EscapeString("Hai effettuato l'accesso con un'utenza tecnica")) {
		t.Errorf("the ministry's token is greeted as though it were a name, or not told what it signed in with:\n%s", mainOf(page))
	}
}

// mainOf is the page's main content, for a failure's message.
func mainOf(page string) string {
	if _, after, ok := strings.Cut(page, "<main"); ok {
		before, _, _ := strings.Cut(after, "</main>")
		return before
	}
	return page
}
