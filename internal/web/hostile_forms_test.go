package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// hostileForm is one form the application serves, as a user of its page
// fills it: path is where it posts, csrfFrom a page that carries a CSRF
// token of the session, base the values it sends when filled right, and
// text the field of it the user types free text into, which the hostile
// values replace.
type hostileForm struct {
	path, csrfFrom, text string
	base                 url.Values
	// multiline is whether text is free text of several lines, which the
	// API lets hold invisible and direction-changing characters (a
	// zero-width joiner is part of some scripts and emoji): only a name,
	// a title, a line, refuses them (check.Text).
	multiline bool
	// bad are values of the form's other fields that the API refuses:
	// numbers and dates out of range, hidden ids of another region's
	// records or with path tricks.
	bad []field
	// resent is whether the form carries a request id, so that sending it
	// twice (a double click, the back button) writes once.
	resent bool
}

// filledBy is a form and the session that fills it.
type filledBy struct {
	who  *browserless
	form hostileForm
}

// field is a form field and a value of it.
type field struct{ name, value string }

// hostileText are values no text field takes: each must be refused on the
// field, in Italian, with nothing written.
var hostileText = []struct{ name, value string }{
	{"invalid UTF-8", "Testo\xff\xfe"},
	{"NUL", "Testo\x00nullo"},
	{"bidi override", "Testo\u202eotseT"},
	{"zero-width", "Te\u200bsto"},
	{"over every size", strings.Repeat("Testo lungo ", 20_000)},
}

// englishRefusal matches words of the services' English violations, which
// a page must never show: each refusal is said in Italian.
var englishRefusal = regexp.MustCompile(`is required|characters long|is not a|at most \d+ are allowed|contains a control|rpc error|invisible or direction`)

// regionRevision is the revision of region's change log: unchanged when
// nothing was written.
func (f *famid) regionRevision(region string) int64 {
	f.t.Helper()
	res, err := famiv1.NewSyncServiceClient(f.conn).ListChanges(f.admin(region), &famiv1.ListChangesRequest{Parent: "regions/" + region, PageSize: 1})
	if err != nil {
		f.t.Fatalf("revision of %s: %v", region, err)
	}
	return res.GetRevision()
}

// TestHostileInputOnEveryTextForm walks the forms a region officer and a
// consultant fill with text, and sends each, in place of its text, what
// no field takes (bytes that are not UTF-8, a NUL, a direction override, a
// zero-width character, a text over every size the API documents), the
// text field twice, and the form with another session's CSRF token, by
// GET, and with its text missing where it is required. Each is refused
// with a clean page in Italian (the field marked, or the error page),
// never 5xx and never English, and the region's revision does not move:
// nothing is half-written. The same form as the page fills it is then
// accepted, so each refusal was the hostile value's.
func TestHostileInputOnEveryTextForm(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupMonitoring(f)
	udp := "regions/lombardia/partners/udp-milano"
	network := "regions/lombardia/networks/rete-milano"
	f.account("lombardia", "mrossi", "Mario Rossi", famiv1.Role_ROLE_CONSULTANT, "")
	f.account("lombardia", "other", "Altro Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	admin, consultant, other := f.client(t), f.client(t), f.client(t)
	admin.signIn("admin@lombardia")
	consultant.signIn("mrossi@lombardia")
	other.signIn("other@lombardia")
	consultant.logHours(network)
	vudp := f.partner("veneto", "udp-padova", "Ufficio di Piano di Padova")
	vnet := f.network("veneto", "rete-padova", "Rete Padova", vudp)
	veneto := f.regionRevision("veneto")
	// climb is a hidden id that climbs from Lombardia's collection to
	// Veneto's record, as a path would.
	climb := func(name string) string { return "regions/lombardia/networks/../../../" + name }
	entry := lastID(f.entries("lombardia")[0].GetName())
	if _, err := f.onlineMeeting("tavolo", network, "Tavolo", f.Clock.Now().Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}

	forms := []filledBy{
		{consultant, hostileForm{path: "/ore", csrfFrom: "/ore", text: "notes", multiline: true, resent: true,
			base: url.Values{"network": {network}, "activity": {"SUPPORT_ACTIVITY_WORKSHOP"}, "mode": {"SUPPORT_MODE_ONLINE"},
				"date": {"21/11/2026"}, "duration_minutes": {"60"}, "notes": {"Note"}},
			bad: []field{{"network", vnet}, {"network", climb(vnet)}, {"network", "regions/lombardia/networks/rete-milano/../../networks/x"},
				{"network", "regions%2Flombardia%2Fnetworks%2Frete-milano"}, {"duration_minutes", "1e3"}, {"duration_minutes", "-60"},
				{"duration_minutes", "99999999999999999999"}, {"duration_minutes", "0x3c"}, {"date", "01/01/0001"}, {"date", "31/12/9999"},
				{"date", "30/02/2026"}, {"activity", "SUPPORT_ACTIVITY_UNSPECIFIED"}, {"activity", "99"}}}},
		{consultant, hostileForm{path: "/ore/" + entry, csrfFrom: "/ore/" + entry, text: "notes", multiline: true,
			base: url.Values{"network": {network}, "activity": {"SUPPORT_ACTIVITY_WORKSHOP"}, "mode": {"SUPPORT_MODE_ONLINE"},
				"date": {"20/11/2026"}, "duration_minutes": {"30"}, "notes": {"Note"}},
			bad: []field{{"network", vnet}, {"duration_minutes", "2147483648"}, {"date", "31/12/1899"}}}},
		{admin, hostileForm{path: "/approvazioni", csrfFrom: "/approvazioni", text: "reason", multiline: true,
			base: url.Values{"voce": {entry}, "azione": {"respingi"}, "reason": {"Manca il verbale"}},
			bad:  []field{{"voce", "../../../veneto/supportEntries/x"}, {"voce", "%2E%2E%2Fx"}}}},
		{admin, hostileForm{path: "/partner", csrfFrom: "/partner/nuovo", text: "display_name", resent: true,
			base: url.Values{"partner_id": {"coop"}, "display_name": {"Cooperativa"}, "kind": {"PARTNER_KIND_OTHER"}},
			bad: []field{{"partner_id", "../udp-milano"}, {"partner_id", "udp-milano%2F..%2Fx"}, {"partner_id", "nuovo"},
				{"partner_id", strings.Repeat("a", 200)}, {"fiscal_code", "1234567890123"}}}},
		{admin, hostileForm{path: "/partner/udp-milano", csrfFrom: "/partner/udp-milano", text: "display_name",
			base: url.Values{"display_name": {"Ufficio di Piano di Milano"}, "kind": {"PARTNER_KIND_OTHER"}},
			bad:  []field{{"kind", "PARTNER_KIND_NOPE"}}}},
		{admin, hostileForm{path: "/reti", csrfFrom: "/reti/nuova", text: "display_name", resent: true,
			base: url.Values{"network_id": {"rete-nuova"}, "display_name": {"Rete nuova"}, "member.0.partner": {udp}, "member.0.role": {"MEMBER_ROLE_LEAD"}},
			bad: []field{{"member.0.partner", vudp}, {"member.0.partner", climb(vudp)}, {"projects", "regions/veneto/projects/x"},
				{"municipalities", "../015146"}}}},
		{admin, hostileForm{path: "/progetti", csrfFrom: "/progetti/nuovo", text: "title", resent: true,
			base: url.Values{"project_id": {"nuovo-p"}, "code": {"P-9"}, "title": {"Progetto"}, "fund": {"FUND_FAMI_2021_2027"},
				"start_date": {"01/01/2025"}, "end_date": {"31/12/2026"}, "budget_cents": {"1.000,00"},
				"action.0.code": {"01"}, "action.0.title": {"Scuola"}, "budget.0.action": {"01"}, "budget.0.amount": {"1.000,00"},
				"activity.0.code": {"01.1"}, "activity.0.action": {"01"}, "activity.0.title": {"Corsi"},
				"activity.0.start": {"01/03/2025"}, "activity.0.end": {"30/06/2025"}},
			bad: []field{{"budget_cents", "1e9"}, {"budget_cents", "-5"}, {"budget_cents", "92.233.720.368.547.758,08"},
				{"budget_cents", "99999999999999999999999"}, {"start_date", "01/01/0000"}, {"end_date", "01/01/2200"},
				{"beneficiary", vudp}, {"beneficiary", "Ufficio di Piano di Padova"},
				{"budget.0.amount", "1e9"}, {"budget.0.amount", "-5"}, {"budget.0.amount", "92.233.720.368.547.758,08"},
				{"budget.0.action", "01\u202e"}, {"budget.0.action", "../01"}, {"budget.1000000.action", "01"},
				{"activity.0.code", "01\u200b"}, {"activity.0.code", "<script>"}, {"activity.0.action", "../01"},
				{"activity.0.title", strings.Repeat("è", 301)}, {"activity.0.start", "01/01/0000"}, {"activity.0.end", "31/12/9999"},
				{"activity.0.start", "2025-02-30"}, {"activity.1000000.code", "02.1"}}}},
		{admin, hostileForm{path: "/progetti/lab-impact/proroga", csrfFrom: "/progetti/lab-impact", text: "ext_act_reference",
			base: url.Values{"ext_end_date": {"31/12/2030"}, "ext_act_reference": {"DGR 1/2021"}, "ext_granted_on": {"01/12/2021"}, "conferma": {"1"}},
			bad:  []field{{"ext_end_date", "31/12/9999"}, {"ext_granted_on", "1/1/1"}}}},
		{admin, hostileForm{path: "/progetti/lab-impact/monitoraggio", csrfFrom: "/progetti/lab-impact/monitoraggio", text: "new_notes", multiline: true,
			base: url.Values{"new_period": {"2021-q3"}, "new_notes": {"Note"}},
			bad:  []field{{"new_period", "../2021-q2"}, {"new_period", "2021-q9"}, {"new_period", "99999-q1"}}}},
		{consultant, hostileForm{path: "/reti/rete-milano/capacita", csrfFrom: "/reti/rete-milano/capacita", text: "new_display_name", resent: true,
			base: url.Values{"new_measure": {"co-progettazione"}, "new_display_name": {"Co-progettazione"}, "new_t0": {"2"}, "new_t0_date": {"01/02/2026"}},
			bad: []field{{"new_measure", "../x"}, {"new_measure", "x%2F..%2Fy"}, {"new_t0", "1e0"}, {"new_t0", "0x2"}, {"new_t0", "-2"}, {"new_t0", "NaN"},
				{"new_scale_max", "99999999999"}, {"new_scale_max", "1"}, {"new_t0_date", "01/01/0001"}, {"new_t0_date", "31/12/9999"},
				{"new_t0_date", "30/02/2026"}, {"new_t1_date", "01/03/2026"}, {"new_t1", "Inf"}}}},
		{consultant, hostileForm{path: "/incontri/tavolo/questionario", csrfFrom: "/incontri/tavolo/questionario", text: "title", resent: true,
			base: url.Values{"title": {"Gradimento"}, "close_date": {"31/12/2026"}},
			bad:  []field{{"close_date", "01/01/0001"}, {"close_date", "31/12/9999"}, {"close_date", "30/02/2026"}, {"close_date", "01/01/2020"}}}},
		{admin, hostileForm{path: "/protocolli", csrfFrom: "/protocolli/nuovo", text: "title", resent: true,
			base: url.Values{"network": {network}, "title": {"Protocollo"}, "body": {"Art. 1"}, "party.0.partner": {udp}, "party.0.role": {"PARTY_ROLE_PROPONENT"}},
			bad: []field{{"network", vnet}, {"network", climb(vnet)}, {"party.0.partner", vudp}, {"valid_from", "01/01/0001"},
				{"party.0.role", "PARTY_ROLE_X"}, {"additional_networks", vnet}, {"additional_networks", climb(vnet)},
				{"additional_networks", network}, {"additional_networks", "regions/lombardia/networks/x\x00"}}}},
		{admin, hostileForm{path: "/incontri", csrfFrom: "/incontri/nuovo", text: "title", resent: true,
			base: url.Values{"networks": {network}, "kind": {"MEETING_KIND_COORDINATION_TABLE"}, "title": {"Tavolo"}, "day": {"10/12/2026"},
				"start_time": {"10:00"}, "end_time": {"12:00"}, "mode": {"MEETING_MODE_ONLINE"}, "link": {"https://meet.example/x"}},
			bad: []field{{"networks", vnet}, {"networks", climb(vnet)}, {"day", "10/12/9999"}, {"start_time", "25:00"},
				{"link", "javascript:alert(1)"}}}},
		{admin, hostileForm{path: "/account", csrfFrom: "/account", text: "display_name",
			base: url.Values{"account_id": {"lverdi"}, "display_name": {"Luca Verdi"}, "role": {"ROLE_CONSULTANT"}, "password": {password}},
			bad: []field{{"account_id", "../admin"}, {"role", "ROLE_MINISTRY"}, {"role", "ROLE_REGION_ADMIN\x00"}, {"partner", vudp},
				{"email", "a@b\u202ec"}}}},
		{admin, hostileForm{path: "/token", csrfFrom: "/account", text: "tok_display_name",
			base: url.Values{"tok_system_id": {"siage"}, "tok_display_name": {"SIAGE"}},
			bad:  []field{{"tok_system_id", "../x"}}}},
		{admin, hostileForm{path: "/periodi", csrfFrom: "/periodi", text: "reason", multiline: true,
			base: url.Values{"start_date": {"01/01/2020"}, "end_date": {"31/01/2020"}, "reason": {"Chiusura"}},
			bad:  []field{{"start_date", "01/01/0001"}, {"end_date", "31/12/9999"}, {"end_date", "01/01/2019"}}}},
	}
	walkHostileForms(t, f, other, forms, veneto)
	// The ministry reads every region and writes none: each form, filled
	// right, is refused to it with nothing written.
	m := f.ministryIn(t, "lombardia")
	for _, c := range forms {
		before := f.regionRevision("lombardia")
		v := url.Values{"csrf": {m.csrf("/")}}
		for k, vs := range c.form.base {
			v[k] = vs
		}
		res, page := m.do("POST", c.form.path, v)
		if res.StatusCode < 400 || res.StatusCode >= 500 || !strings.Contains(page, `lang="it"`) || englishRefusal.MatchString(page) {
			t.Errorf("the ministry posts %s: status %d, want a refusal in Italian", c.form.path, res.StatusCode)
		}
		if after := f.regionRevision("lombardia"); after != before {
			t.Errorf("the ministry's %s moved the revision from %d to %d", c.form.path, before, after)
		}
	}
	for _, region := range []string{"../veneto", "veneto/..", "veneto%2F..", "VENETO", "veneto\x00", "veneto\u200b", ""} {
		if res, page := m.do("POST", "/regione", url.Values{"csrf": {m.csrf("/")}, "regione": {region}}); res.StatusCode != http.StatusNotFound || !strings.Contains(page, `lang="it"`) {
			t.Errorf("the ministry switches to region %q: status %d, want 404", region, res.StatusCode)
		}
	}
	if _, page := m.do("GET", "/partner", nil); !strings.Contains(page, "Ufficio di Piano di Milano") {
		t.Error("after the hostile switches the ministry no longer reads Lombardia")
	}
}

// walkHostileForms is TestHostileInputOnEveryTextForm's walk of forms,
// other being a session whose CSRF token is foreign to each form's.
// veneto is Veneto's revision before the walk.
func walkHostileForms(t *testing.T, f *famid, other *browserless, forms []filledBy, veneto int64) {
	for _, c := range forms {
		b, hf := c.who, c.form
		csrf := b.csrf(hf.csrfFrom)
		with := func(text []string) url.Values {
			v := url.Values{"csrf": {csrf}}
			for k, vs := range hf.base {
				v[k] = vs
			}
			if text == nil {
				delete(v, hf.text)
			} else {
				v[hf.text] = text
			}
			return v
		}
		refused := func(t *testing.T, what string, res *http.Response, page string, field bool) {
			t.Helper()
			if res.StatusCode < 400 || res.StatusCode >= 500 {
				t.Errorf("%s: status %d, want a refusal (4xx)", what, res.StatusCode)
			}
			if !strings.Contains(page, `lang="it"`) || englishRefusal.MatchString(page) {
				t.Errorf("%s: the refusal is not said in Italian:\n%s", what, englishRefusal.FindString(page))
			}
			if field && !strings.Contains(page, `-err"`) && !strings.Contains(page, `id="form-error"`) {
				t.Errorf("%s: status %d, no field marked and no message on the form", what, res.StatusCode)
			}
		}
		t.Run(strings.TrimPrefix(hf.path, "/"), func(t *testing.T) {
			before := f.regionRevision("lombardia")
			for _, h := range hostileText {
				if hf.multiline && (h.name == "bidi override" || h.name == "zero-width") {
					continue
				}
				res, page := b.do("POST", hf.path, with([]string{h.value}))
				refused(t, h.name+" in "+hf.text, res, page, true)
			}
			res, page := b.do("POST", hf.path, with([]string{"Uno", "Due"}))
			refused(t, hf.text+" twice", res, page, false)
			foreign := with(hf.base[hf.text])
			foreign.Set("csrf", other.csrf("/"))
			res, page = b.do("POST", hf.path, foreign)
			refused(t, "another session's CSRF token", res, page, false)
			res, page = b.do("GET", hf.path+"?"+with(hf.base[hf.text]).Encode(), nil)
			if res.StatusCode >= 500 || res.StatusCode == http.StatusSeeOther {
				t.Errorf("GET in place of POST: status %d", res.StatusCode)
			}
			_ = page
			for _, bad := range hf.bad {
				v := with(hf.base[hf.text])
				v.Set(bad.name, bad.value)
				res, page := b.do("POST", hf.path, v)
				refused(t, fmt.Sprintf("%s %q", bad.name, bad.value), res, page, true)
				if leaked := venetoNames.FindString(page); leaked != "" && !strings.Contains(bad.value, leaked) {
					t.Errorf("%s %q: the page shows Veneto's records", bad.name, bad.value)
				}
			}
			if after := f.regionRevision("lombardia"); after != before {
				t.Errorf("hostile forms moved the revision from %d to %d", before, after)
			}
			if after := f.regionRevision("veneto"); after != veneto {
				t.Errorf("hostile forms moved Veneto's revision from %d to %d", veneto, after)
			}
			good := with(hf.base[hf.text])
			if hf.resent {
				good.Set("request_id", "hostile-"+strings.ReplaceAll(hf.path, "/", "-"))
			}
			if res, page := b.do("POST", hf.path, good); res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusOK {
				t.Errorf("the form as the page fills it: status %d, want it accepted\n%s", res.StatusCode, errorsOf(page))
			}
			if !hf.resent {
				return
			}
			once := f.regionRevision("lombardia")
			if res, page := b.do("POST", hf.path, good); res.StatusCode != http.StatusSeeOther {
				t.Errorf("the same form sent again: status %d, want it answered as the first\n%s", res.StatusCode, errorsOf(page))
			}
			if again := f.regionRevision("lombardia"); again != once {
				t.Errorf("the same form sent again wrote again: revision %d, then %d", once, again)
			}
		})
	}
}

// venetoNames are the display names of Veneto's records in
// TestHostileInputOnEveryTextForm, which no page of a Lombardia user may
// show unless the user typed them.
var venetoNames = regexp.MustCompile(`Rete Padova|Ufficio di Piano di Padova`)

var errorTextRE = regexp.MustCompile(`(?s)(id="form-error"[^>]*>.*?</|class="error-text"[^>]*>[^<]*)`)

// errorsOf is what a page says is wrong, for a failure's message.
func errorsOf(page string) string {
	return strings.Join(errorTextRE.FindAllString(page, -1), "\n")
}

// TestHostileInputOnTheMeetingsForms walks the forms of a held meeting's
// page (attendance, minutes and action items, cancellation) with what
// their fields never hold: counts with an exponent, negative or past an
// int32, an unknown role, a Veneto partner, sixty thousand partners in one
// form, text that is not UTF-8 or holds a NUL, a due date past 2199, an
// action item id that climbs. Each is refused on a clean Italian page
// that stays small and shows nothing of Veneto, and nothing is written.
func TestHostileInputOnTheMeetingsForms(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	b, _, udp, cpia := f.annaInBergamo(t)
	vudp := f.partner("veneto", "udp-padova", "Ufficio di Piano di Padova")
	day := f.Clock.Now().In(rome()).AddDate(0, 0, -10)
	res, _ := b.do("POST", "/incontri", url.Values{"csrf": {b.csrf("/incontri/nuovo")}, "networks": {"regions/lombardia/networks/rete-bergamo"},
		"kind": {"MEETING_KIND_COORDINATION_TABLE"}, "title": {"Tavolo"}, "day": {day.Format("02/01/2006")},
		"start_time": {"10:00"}, "end_time": {"12:00"}, "mode": {"MEETING_MODE_IN_PERSON"}, "place": {"Bergamo"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("schedule: status %d", res.StatusCode)
	}
	path := strings.Split(res.Header.Get("Location"), "?")[0]
	many := url.Values{}
	for i := range 60_000 {
		many.Set(fmt.Sprintf("att.regions/lombardia/partners/p%d", i), "1")
	}
	due := day.AddDate(0, 0, 2).Format("02/01/2006")
	for _, c := range []struct {
		name, path string
		form       url.Values
	}{
		{"attendance with an exponent", "/presenze", url.Values{"att." + udp: {"3e1"}}},
		{"attendance negative", "/presenze", url.Values{"att." + udp: {"-3"}}},
		{"attendance past an int32", "/presenze", url.Values{"att." + udp: {"4294967299"}}},
		{"attendance of a role past an int32", "/presenze", url.Values{"att." + udp: {"3"}, "att." + udp + ".ATTENDEE_ROLE_TEACHER": {"4294967297"}}},
		{"attendance of an unknown role", "/presenze", url.Values{"att." + udp: {"3"}, "att." + udp + ".ATTENDEE_ROLE_NOPE": {"1"}}},
		{"attendance of a Veneto partner", "/presenze", url.Values{"att." + vudp: {"3"}}},
		{"attendance of a climbing partner", "/presenze", url.Values{"att.regions/lombardia/partners/../../veneto/partners/udp-padova": {"3"}}},
		{"attendance of sixty thousand partners", "/presenze", many},
		{"minutes not UTF-8", "/verbale", url.Values{"minutes": {"Verbale\xff"}}},
		{"minutes with a NUL", "/verbale", url.Values{"minutes": {"Verbale\x00"}}},
		{"an action item of a Veneto owner", "/verbale", url.Values{"minutes": {"Verbale"}, "ai.0.description": {"Fare"}, "ai.0.owner": {vudp}, "ai.0.due_date": {due}}},
		{"an action item due in 9999", "/verbale", url.Values{"minutes": {"Verbale"}, "ai.0.description": {"Fare"}, "ai.0.owner": {cpia}, "ai.0.due_date": {"31/12/9999"}}},
		{"an action item owned by a bidi name", "/verbale", url.Values{"minutes": {"Verbale"}, "ai.0.description": {"Fare\u202e"}, "ai.0.owner": {cpia}}},
		{"a climbing action item", "/azioni/" + url.PathEscape("../../x"), url.Values{}},
		{"a cancellation whose reason holds a NUL", "/annulla", url.Values{"reason": {"No\x00"}, "conferma": {"1"}}},
	} {
		before := f.regionRevision("lombardia")
		c.form.Set("csrf", b.csrf(path))
		res, page := b.do("POST", path+c.path, c.form)
		if res.StatusCode < 400 || res.StatusCode >= 500 {
			t.Errorf("%s: status %d, want a refusal", c.name, res.StatusCode)
		}
		if !strings.Contains(page, `lang="it"`) || englishRefusal.MatchString(page) {
			t.Errorf("%s: the refusal is not said in Italian: %s", c.name, englishRefusal.FindString(page))
		}
		if venetoNames.MatchString(page) {
			t.Errorf("%s: the page shows Veneto's records", c.name)
		}
		if len(page) > 1<<20 {
			t.Errorf("%s: a page of %d bytes", c.name, len(page))
		}
		if after := f.regionRevision("lombardia"); after != before {
			t.Errorf("%s: the revision moved from %d to %d", c.name, before, after)
		}
	}
}

// TestHostileInputOnTheReportForm walks a monitoring report's edit form,
// filled as its page fills it, with numbers and dates no field takes
// (exponents, negatives, NaN, past an int64 of cents or an int32 of
// people, the year 1), text that is not UTF-8, and two thousand deviation
// rows. Each is refused in Italian, on a page that stays small, and the
// report is unchanged.
func TestHostileInputOnTheReportForm(t *testing.T) {
	t.Parallel()
	f, staff, _ := monitoringClients(t)
	edit := labReport + "/modifica"
	_, page := staff.do("GET", edit, nil)
	base := formValues(t, page, edit)
	manyRows := map[string]string{}
	for i := range 2000 {
		manyRows[fmt.Sprintf("dev.%d.description", i)] = "Ritardo"
	}
	for _, c := range []struct {
		name string
		set  map[string]string
	}{
		{"an indicator value with an exponent", map[string]string{"ind.0.value": "1e308"}},
		{"an indicator value negative", map[string]string{"ind.0.value": "-5"}},
		{"an indicator value NaN", map[string]string{"ind.0.value": "NaN"}},
		{"an expenditure past an int64 of cents", map[string]string{"exp.1.committed": "92.233.720.368.547.758,08"}},
		{"an expenditure with an exponent", map[string]string{"exp.1.paid": "1e5"}},
		{"a start in the year 1", map[string]string{"act.0.start": "01/01/0001"}},
		{"a deviation not UTF-8", map[string]string{"dev.0.description": "Ritardo\xff"}},
		{"people reached past an int32", map[string]string{"ppl.0.count": "4294967297"}},
		{"two thousand deviations", manyRows},
	} {
		before := f.regionRevision("lombardia")
		form := url.Values{}
		for k, v := range base {
			form[k] = slices.Clone(v)
		}
		form.Set("csrf", staff.csrf(edit))
		for k, v := range c.set {
			form.Set(k, v)
		}
		res, page := staff.do("POST", edit, form)
		if res.StatusCode < 400 || res.StatusCode >= 500 {
			t.Errorf("%s: status %d, want a refusal", c.name, res.StatusCode)
		}
		if !strings.Contains(page, `lang="it"`) || englishRefusal.MatchString(page) {
			t.Errorf("%s: the refusal is not said in Italian: %s", c.name, englishRefusal.FindString(page))
		}
		if len(page) > 1<<20 {
			t.Errorf("%s: a page of %d bytes", c.name, len(page))
		}
		if after := f.regionRevision("lombardia"); after != before {
			t.Errorf("%s: the revision moved from %d to %d", c.name, before, after)
		}
	}
	base.Set("csrf", staff.csrf(edit))
	if res, page := staff.do("POST", edit, base); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the form as its page fills it: status %d, want it saved\n%s", res.StatusCode, errorsOf(page))
	}
}

// TestHostileSignIn posts the sign-in forms, which read no session, with
// a username and a password that no account holds (not UTF-8, a NUL, a
// direction override, 100,000 characters) and tokens that are none. Each
// is refused on the sign-in page in Italian, with no session.
func TestHostileSignIn(t *testing.T) {
	t.Parallel()
	f, _, _ := inLombardia(t)
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{"/accedi", url.Values{"username": {"mrossi@lombardia\xff"}, "password": {password}}},
		{"/accedi", url.Values{"username": {"mrossi\x00@lombardia"}, "password": {password}}},
		{"/accedi", url.Values{"username": {"mrossi\u202e@lombardia"}, "password": {password}}},
		{"/accedi", url.Values{"username": {"mrossi@../veneto"}, "password": {password}}},
		{"/accedi", url.Values{"username": {strings.Repeat("m", 100_000) + "@lombardia"}, "password": {password}}},
		{"/accedi", url.Values{"username": {"mrossi@lombardia"}, "password": {strings.Repeat("p", 100_000)}}},
		{"/accedi", url.Values{"username": {"mrossi@lombardia"}, "password": {password + "\x00"}}},
		{"/accedi", url.Values{"password": {password}}},
		{"/accedi/token", url.Values{"token": {"\xff\xfe"}}},
		{"/accedi/token", url.Values{"token": {strings.Repeat("a.", 50_000)}}},
		{"/accedi/token", url.Values{}},
	} {
		b := f.client(t)
		res, page := b.do("POST", c.path, c.form)
		if res.StatusCode < 400 || res.StatusCode >= 500 || !strings.Contains(page, `lang="it"`) || englishRefusal.MatchString(page) {
			t.Errorf("%s with %.60q: status %d, want a refusal in Italian", c.path, c.form.Encode(), res.StatusCode)
		}
		for _, ck := range res.Cookies() {
			if ck.Name == "raccordo_sessione" && ck.Value != "" {
				t.Errorf("%s with %.60q: a session cookie was set", c.path, c.form.Encode())
			}
		}
	}
}
