package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/principal"
)

// TestRepeatedFieldRefused posts forms in which a field the page sends
// once comes twice, as a hostile or broken form sends it. Each is refused
// with 400 naming the field, and nothing is written; before, the first
// value was read and the second dropped without a word. A group of
// checkboxes (an entry's topics) still sends its values together.
func TestRepeatedFieldRefused(t *testing.T) {
	t.Parallel()
	f, b, network := inLombardia(t)
	b.signIn("mrossi@lombardia")
	csrf := b.csrf("/ore")

	form := entryForm(csrf, network)
	form.Add("duration_minutes", "900")
	res, page := b.do("POST", "/ore", form)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Campo ripetuto") || !strings.Contains(page, "«duration_minutes»") {
		t.Errorf("entry with its duration twice: status %d; want 400 naming duration_minutes:\n%s", res.StatusCode, page)
	}
	form = entryForm(csrf, network)
	form.Add("csrf", csrf)
	if res, page := b.do("POST", "/ore", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "«csrf»") {
		t.Errorf("entry with its CSRF token twice: status %d; want 400 naming csrf", res.StatusCode)
	}
	if n := len(f.entries("lombardia")); n != 0 {
		t.Errorf("a form with a repeated field wrote %d entries", n)
	}

	form = entryForm(csrf, network)
	form["topics"] = []string{"SUPPORT_TOPIC_PROTOCOL_DEFINITION", "SUPPORT_TOPIC_CO_DESIGN"}
	if res, _ := b.do("POST", "/ore", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("entry with two topics: status %d, want 303", res.StatusCode)
	}
	if got := f.entries("lombardia"); len(got) != 1 || len(got[0].GetTopics()) != 2 {
		t.Errorf("entry with two topics: stored %v, want one entry with both", got)
	}

	// The sign-in form, read before any session.
	res, page = f.client(t).do("POST", "/accedi", url.Values{"username": {"mrossi@lombardia", "admin@lombardia"}, "password": {password}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "«username»") {
		t.Errorf("sign-in with two usernames: status %d; want 400 naming username", res.StatusCode)
	}
}

// TestNetworkRowsAfterABlankOneKept edits a network of four members
// through its form. Cleared, its second row left a gap: the form shown
// again after a refusal (here, an empty name) had no fourth row any more,
// and saving it then dropped that member unseen. A form whose rows skip
// numbers (a hostile one, or a page whose script removed a row) lost
// every row after the gap on save; rows numbered in the billions are
// read as rows, without a loop up to their number; a row that is no
// number is refused, naming it, as is a form of more rows than any
// service takes, which was shown again row by row.
func TestNetworkRowsAfterABlankOneKept(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	comune := f.partner("lombardia", "comune-bergamo", "Comune di Bergamo")
	ats := f.partner("lombardia", "ats-bergamo", "ATS Bergamo")
	f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia, comune, ats)
	a := f.adminIn(t)
	networks := famiv1.NewNetworkServiceClient(f.conn)
	members := func() []string {
		t.Helper()
		n, err := networks.GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: "regions/lombardia/networks/rete-bergamo"})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range n.GetMembers() {
			out = append(out, m.GetPartner())
		}
		return out
	}
	form := func(rows ...string) url.Values {
		_, page := a.do("GET", "/reti/rete-bergamo", nil)
		v := url.Values{"csrf": {a.csrf("/reti/rete-bergamo")}, "etag": {formEtag(t, page)}, "display_name": {"Rete Bergamo"}}
		for i := 0; i+3 <= len(rows); i += 3 {
			v.Set("member."+rows[i]+".partner", rows[i+1])
			v.Set("member."+rows[i]+".role", rows[i+2])
		}
		return v
	}

	v := form("0", udp, "MEMBER_ROLE_LEAD", "1", "", "", "2", comune, "MEMBER_ROLE_PARTNER", "3", ats, "MEMBER_ROLE_PARTNER", "4", "", "")
	v.Set("display_name", "")
	res, page := a.do("POST", "/reti/rete-bergamo", v)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `name="member.2.partner" value="Comune di Bergamo"`) ||
		!strings.Contains(page, `name="member.3.partner" value="ATS Bergamo"`) {
		t.Errorf("refused form with a cleared second row: status %d; want 422 showing the rows after it again:\n%s", res.StatusCode, page)
	}
	if got := members(); !slices.Equal(got, []string{udp, cpia, comune, ats}) {
		t.Fatalf("a refused form changed the members to %v", got)
	}

	if res, _ := a.do("POST", "/reti/rete-bergamo", form("0", udp, "MEMBER_ROLE_LEAD", "2", comune, "MEMBER_ROLE_PARTNER")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save rows 0 and 2: status %d", res.StatusCode)
	}
	if got := members(); !slices.Equal(got, []string{udp, comune}) {
		t.Errorf("rows 0 and 2 saved the members %v; want both", got)
	}

	if res, _ := a.do("POST", "/reti/rete-bergamo", form("0", udp, "MEMBER_ROLE_LEAD", "4000000000000000000", cpia, "MEMBER_ROLE_PARTNER", "9", comune, "MEMBER_ROLE_PARTNER")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save rows 0, 9 and 4e18: status %d", res.StatusCode)
	}
	if got := members(); !slices.Equal(got, []string{udp, comune, cpia}) {
		t.Errorf("rows 0, 9 and 4e18 saved the members %v; want all three in the rows' order", got)
	}

	for _, row := range []string{"x", "01", "-1", "99999999999999999999"} {
		res, page := a.do("POST", "/reti/rete-bergamo", form("0", udp, "MEMBER_ROLE_LEAD", row, cpia, "MEMBER_ROLE_PARTNER"))
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "«member."+row+".") {
			t.Errorf("row %q: status %d; want 400 naming the field", row, res.StatusCode)
		}
	}
	many := form("0", udp, "MEMBER_ROLE_LEAD")
	for i := 1; i <= 1000; i++ {
		many.Set("member."+strconv.Itoa(i)+".role", "")
	}
	if res, page := a.do("POST", "/reti/rete-bergamo", many); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "più di 1000 righe nel gruppo «member»") {
		t.Errorf("1,001 rows: status %d; want 400 saying the form has too many rows, not the form shown again row by row", res.StatusCode)
	}
	if got := members(); !slices.Equal(got, []string{udp, comune, cpia}) {
		t.Errorf("refused rows changed the members to %v", got)
	}
}

// TestMeetingActionItemRowsKept records a held meeting's minutes with new
// action items. A row with an owner and a date but no description was
// dropped without a word, and the minutes saved; now it is refused, and
// the form shown again keeps the row, the owner chosen too (it was
// shown again unchosen), its refusal in words on the new actions'
// fieldset, which they describe (aria-describedby). The form's rows past
// its three, from a form that skips numbers, were never read.
func TestMeetingActionItemRowsKept(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	b, network, _, cpia := f.annaInBergamo(t)
	day := f.Clock.Now().In(rome()).AddDate(0, 0, -10)
	res, _ := b.do("POST", "/incontri", url.Values{"csrf": {b.csrf("/incontri/nuovo")}, "networks": {network},
		"kind": {"MEETING_KIND_COORDINATION_TABLE"}, "title": {"Tavolo di novembre"}, "day": {day.Format("02/01/2006")},
		"start_time": {"10:00"}, "end_time": {"12:00"}, "mode": {"MEETING_MODE_IN_PERSON"}, "place": {"Bergamo"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("schedule: status %d", res.StatusCode)
	}
	path := strings.Split(res.Header.Get("Location"), "?")[0]
	due := day.AddDate(0, 0, 20).Format("02/01/2006")
	res, page := b.do("POST", path+"/verbale", url.Values{"csrf": {b.csrf(path)}, "minutes": {"Verbale"},
		"ai.0.description": {""}, "ai.0.owner": {cpia}, "ai.0.due_date": {due}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `<option value="`+cpia+`" selected>`) || !strings.Contains(page, `value="`+due+`"`) {
		t.Errorf("action item without a description: status %d; want 422 keeping its owner and date:\n%s", res.StatusCode, page)
	}
	if !strings.Contains(page, `<fieldset aria-describedby="f-action_items-err"><legend>`) || !strings.Contains(page, `<span class="error-text" id="f-action_items-err">`) {
		t.Errorf("action item without a description: the new actions' fieldset is not described by its error:\n%s", page)
	}
	meetings := famiv1.NewMeetingServiceClient(f.conn)
	ms, err := meetings.ListMeetings(f.admin("lombardia"), &famiv1.ListMeetingsRequest{Parent: "regions/lombardia"})
	if err != nil || len(ms.GetMeetings()) != 1 || ms.GetMeetings()[0].GetMinutes() != "" {
		t.Fatalf("after the refused minutes: %v, %v; want the one meeting without minutes", ms.GetMeetings(), err)
	}

	res, _ = b.do("POST", path+"/verbale", url.Values{"csrf": {b.csrf(path)}, "minutes": {"Verbale"},
		"ai.0.description": {"Prima"}, "ai.0.owner": {cpia}, "ai.0.due_date": {due},
		"ai.7.description": {"Seconda"}, "ai.7.owner": {cpia}, "ai.7.due_date": {due}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("minutes with rows 0 and 7: status %d", res.StatusCode)
	}
	m, err := meetings.GetMeeting(f.admin("lombardia"), &famiv1.GetMeetingRequest{Name: ms.GetMeetings()[0].GetName()})
	if err != nil || len(m.GetActionItems()) != 2 {
		t.Errorf("minutes with rows 0 and 7 saved the items %v (%v); want both", m.GetActionItems(), err)
	}
}

// TestNetworkMemberDeletedMeanwhile saves a network's form loaded before
// another admin took a member out of the network and deleted that
// partner. The row, which still names it, was refused as a name typed
// wrong ("nessun partner della regione si chiama «CPIA Bergamo»"), and
// the form could not be saved until the user guessed to clear the row.
// Now the error says the partner was deleted, naming it, and the form
// comes back with that row emptied: saving it again drops the member.
func TestNetworkMemberDeletedMeanwhile(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	comune := f.partner("lombardia", "comune-bergamo", "Comune di Bergamo")
	name := f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia, comune)
	a := f.adminIn(t)
	_, page := a.do("GET", "/reti/rete-bergamo", nil)
	if !strings.Contains(page, `<input type="hidden" name="member.1.was" value="`+cpia+`">`) {
		t.Fatalf("the member rows do not carry the partner they show:\n%s", page)
	}
	form := url.Values{"csrf": {a.csrf("/reti/rete-bergamo")}, "etag": {formEtag(t, page)}, "display_name": {"Rete Bergamo Sud"},
		"member.0.partner": {"Ufficio di Piano di Bergamo"}, "member.0.role": {"MEMBER_ROLE_LEAD"}, "member.0.was": {udp},
		"member.1.partner": {"CPIA Bergamo"}, "member.1.role": {"MEMBER_ROLE_PARTNER"}, "member.1.was": {cpia},
		"member.2.partner": {"Comune di Bergamo"}, "member.2.role": {"MEMBER_ROLE_PARTNER"}, "member.2.was": {comune},
		"member.3.partner": {""}, "member.3.role": {""}}

	networks := famiv1.NewNetworkServiceClient(f.conn)
	if _, err := networks.UpdateNetwork(f.admin("lombardia"), &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: name, LeadPartner: udp,
		Members: []*famiv1.Member{{Partner: udp, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}, {Partner: comune, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"members"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := famiv1.NewPartnerServiceClient(f.conn).DeletePartner(f.admin("lombardia"), &famiv1.DeletePartnerRequest{Name: cpia}); err != nil {
		t.Fatal(err)
	}

	res, page := a.do("POST", "/reti/rete-bergamo", form)
	want := "Membro 2: il partner «CPIA Bergamo» non esiste più"
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, want) || !strings.Contains(page, `name="member.1.partner" value=""`) ||
		!strings.Contains(page, `name="member.2.partner" value="Comune di Bergamo"`) {
		t.Fatalf("save naming the deleted partner: status %d; want 422 saying %q, its row emptied and the others kept:\n%s", res.StatusCode, want, page)
	}
	if strings.Contains(page, `name="member.1.was"`) {
		t.Errorf("the emptied row still carries the deleted partner")
	}

	// The form as shown again, saved: the member is dropped. The etag is
	// the one the page was loaded with: the save is stale, and its
	// comparison, then a save of the compared form, is the stale edit's.
	form.Set("member.1.partner", "")
	form.Set("member.1.role", "")
	form.Del("member.1.was")
	res, page = a.do("POST", "/reti/rete-bergamo", form)
	if res.StatusCode == http.StatusUnprocessableEntity {
		form.Set("etag", formEtag(t, page))
		res, _ = a.do("POST", "/reti/rete-bergamo", form)
	}
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save without the deleted member: status %d", res.StatusCode)
	}
	n, err := networks.GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: name})
	if err != nil || n.GetDisplayName() != "Rete Bergamo Sud" || len(n.GetMembers()) != 2 || n.GetMembers()[1].GetPartner() != comune {
		t.Errorf("saved network %v (%v); want the new name, the UdP and the Comune", n, err)
	}
}

// TestNetworkMemberRenamedMeanwhile saves a network's form loaded before
// a member partner was renamed, and another partner took its old name.
// The row, still showing the old name, was refused as an unknown name, or
// taken as the other partner. It carries the partner it showed (its "was")
// and the name it showed, so it keeps its partner, which the form shown
// again names as it is now called; a row typed anew is resolved by name.
func TestNetworkMemberRenamedMeanwhile(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	name := f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	a := f.adminIn(t)
	_, page := a.do("GET", "/reti/rete-bergamo", nil)
	if !strings.Contains(page, `<input type="hidden" name="member.1.was" value="`+cpia+`"><input type="hidden" name="member.1.shown" value="CPIA Bergamo">`) {
		t.Fatalf("the member rows do not carry the partner and the name they show:\n%s", page)
	}
	form := url.Values{"csrf": {a.csrf("/reti/rete-bergamo")}, "etag": {formEtag(t, page)}, "display_name": {"Rete Bergamo Sud"},
		"member.0.partner": {"Ufficio di Piano di Bergamo"}, "member.0.role": {"MEMBER_ROLE_LEAD"}, "member.0.was": {udp}, "member.0.shown": {"Ufficio di Piano di Bergamo"},
		"member.1.partner": {"CPIA Bergamo"}, "member.1.role": {"MEMBER_ROLE_PARTNER"}, "member.1.was": {cpia}, "member.1.shown": {"CPIA Bergamo"},
		"member.2.partner": {"Nessuno"}, "member.2.role": {"MEMBER_ROLE_PARTNER"}}
	partners := famiv1.NewPartnerServiceClient(f.conn)
	if _, err := partners.UpdatePartner(f.admin("lombardia"), &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: cpia, DisplayName: "CPIA 1 Bergamo"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}}); err != nil {
		t.Fatal(err)
	}

	res, page := a.do("POST", "/reti/rete-bergamo", form)
	if want := "Membro 3: nessun partner della regione si chiama «Nessuno»"; res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, want) ||
		!strings.Contains(page, `name="member.1.partner" value="CPIA 1 Bergamo"`) || !strings.Contains(page, `name="member.1.shown" value="CPIA Bergamo"`) {
		t.Fatalf("save with a third row typed wrong: status %d; want 422 at the third row alone, the renamed member kept by its name now:\n%s", res.StatusCode, page)
	}

	other := f.partner("lombardia", "cpia-nuovo", "CPIA Bergamo")
	form.Del("member.2.partner")
	form.Del("member.2.role")
	if res, page := a.do("POST", "/reti/rete-bergamo", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save with the renamed member's row as loaded: status %d\n%s", res.StatusCode, page)
	}
	n, err := famiv1.NewNetworkServiceClient(f.conn).GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: name})
	if err != nil || n.GetDisplayName() != "Rete Bergamo Sud" || len(n.GetMembers()) != 2 || n.GetMembers()[1].GetPartner() != cpia {
		t.Fatalf("saved network %v (%v); want the new name, the UdP and the renamed CPIA", n, err)
	}

	// A row typed anew is what it names, even where the page showed the
	// renamed partner: the other partner now called "CPIA Bergamo".
	_, page = a.do("GET", "/reti/rete-bergamo", nil)
	form.Set("etag", formEtag(t, page))
	form.Set("member.1.shown", "CPIA 1 Bergamo")
	if res, page := a.do("POST", "/reti/rete-bergamo", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save with the row typed as the other partner's name: status %d\n%s", res.StatusCode, page)
	}
	if n, err = famiv1.NewNetworkServiceClient(f.conn).GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: name}); err != nil || n.GetMembers()[1].GetPartner() != other {
		t.Errorf("saved members %v (%v); want the partner now called CPIA Bergamo second", n.GetMembers(), err)
	}
}

// staffInNoNetwork signs in Sara Neri, staff of the Comune di Sondrio, a
// partner of Lombardia in no network.
func (f *famid) staffInNoNetwork(t *testing.T) *browserless {
	t.Helper()
	f.account("lombardia", "sara", "Sara Neri", famiv1.Role_ROLE_NETWORK_MEMBER, f.partner("lombardia", "comune-sondrio", "Comune di Sondrio"))
	sara := f.client(t)
	sara.signIn("sara@lombardia")
	return sara
}

// ministryIn signs the ministry in with a token (its accounts are not
// regional) and picks region.
func (f *famid) ministryIn(t *testing.T, region string) *browserless {
	t.Helper()
	m := f.client(t)
	if res, _ := m.do("POST", "/accedi/token", url.Values{"token": {f.token(principal.Ministry, "")}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("ministry sign-in: status %d", res.StatusCode)
	}
	if res, _ := m.do("POST", "/regione", url.Values{"csrf": {m.csrf("/")}, "regione": {region}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch region: status %d", res.StatusCode)
	}
	return m
}

// TestNetworkFormOnlyForItsEditors opens a network's page as each role.
// The region's admin and the lead partner's staff get the form; a
// consultant and the ministry (whom the rights table refuses), and the
// staff of a member that is not the lead (whom the registry refuses), get
// the network read-only, with no form: each was given the form, and its
// save answered 403, as it still does when posted.
func TestNetworkFormOnlyForItsEditors(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	anna, network, udp, cpia := f.annaInBergamo(t)
	n, err := famiv1.NewNetworkServiceClient(f.conn).GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: network})
	if err != nil {
		t.Fatal(err)
	}
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	f.account("lombardia", "mrossi", "Mario Rossi", famiv1.Role_ROLE_CONSULTANT, "")
	f.account("lombardia", "carlo", "Carlo Verdi", famiv1.Role_ROLE_NETWORK_MEMBER, cpia)
	signedIn := func(user string) *browserless {
		b := f.client(t)
		b.signIn(user)
		return b
	}
	const form = `<form method="post" action="/reti/rete-bergamo"`
	for _, c := range []struct {
		who      string
		b        *browserless
		mayWrite bool
	}{
		{"region admin", signedIn("admin@lombardia"), true},
		{"lead partner's staff", anna, true},
		{"consultant", signedIn("mrossi@lombardia"), false},
		{"a member's staff", signedIn("carlo@lombardia"), false},
		{"ministry", f.ministryIn(t, "lombardia"), false},
	} {
		res, page := c.b.do("GET", "/reti/rete-bergamo", nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", c.who, res.StatusCode)
			continue
		}
		if got := strings.Contains(page, form); got != c.mayWrite {
			t.Errorf("%s: the page has the form: %v, want %v", c.who, got, c.mayWrite)
		}
		if !c.mayWrite && (!strings.Contains(page, "CPIA Bergamo") || !strings.Contains(page, "Ufficio di Piano di Bergamo")) {
			t.Errorf("%s: the read-only page does not list the members:\n%s", c.who, page)
		}
		if c.mayWrite {
			continue
		}
		// The save the form used to offer is refused.
		res, _ = c.b.do("POST", "/reti/rete-bergamo", url.Values{"csrf": {c.b.csrf("/reti/rete-bergamo")}, "etag": {n.GetEtag()}, "display_name": {"Rete"},
			"member.0.partner": {udp}, "member.0.role": {"MEMBER_ROLE_LEAD"}, "member.1.partner": {cpia}, "member.1.role": {"MEMBER_ROLE_PARTNER"}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: the save answers %d, want 403", c.who, res.StatusCode)
		}
	}
}

// TestBrowserNetworkReadOnly opens, in Chromium, a network's page as a
// consultant, who may read it and not save it: the page, which passes
// axe-core, lists the members and has no form.
func TestBrowserNetworkReadOnly(t *testing.T) {
	t.Parallel()
	f, _, _ := inLombardia(t)
	b := newBrowser(t, f)
	b.signIn("mrossi@lombardia")
	b.open("/reti/rete-bergamo", "rete-sola-lettura")
	b.wantText("h1", "Rete Bergamo")
	b.wantText("dl.facts", "Ufficio di Piano di Bergamo")
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("main form[method=post]").length`)); err != nil || n != 0 {
		t.Errorf("the read-only page has %d forms (%v), want none", n, err)
	}
}

// TestProtocolFormsOnlyForItsEditors: a draft protocol of the UdP alone.
// Its party's staff get the edit link, the edit form and the button that
// opens it for signature. The staff of another member of the network (not
// a party, whom the protocols refuse) and the ministry (whom the rights
// table refuses) get neither: the protocol's page read-only, the edit
// address leading back to it. The ministry gets no new protocol page. Each
// was shown a form or a button whose submit answered 403, as it still
// does.
func TestProtocolFormsOnlyForItsEditors(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	anna, network, udp, cpia := f.annaInBergamo(t)
	res, _ := anna.do("POST", "/protocolli", url.Values{"csrf": {anna.csrf("/protocolli/nuovo")}, "network": {network}, "title": {"Protocollo UdP"},
		"body": {"Art. 1"}, "valid_from": {"01/01/2027"}, "party.0.partner": {udp}, "party.0.role": {"PARTY_ROLE_PROPONENT"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("draft: status %d", res.StatusCode)
	}
	path := strings.Split(res.Header.Get("Location"), "?")[0]
	f.account("lombardia", "marco", "Marco Verdi", famiv1.Role_ROLE_NETWORK_MEMBER, cpia)
	marco := f.client(t)
	marco.signIn("marco@lombardia")
	ministry := f.ministryIn(t, "lombardia")

	editLink, openButton := `href="`+path+`/modifica"`, `action="`+path+`/apri"`
	_, page := anna.do("GET", path, nil)
	if !strings.Contains(page, editLink) || !strings.Contains(page, openButton) {
		t.Errorf("the party's staff lack the edit link or the open button")
	}
	if res, page := anna.do("GET", path+"/modifica", nil); res.StatusCode != http.StatusOK || !strings.Contains(page, `action="`+path+`/modifica"`) {
		t.Errorf("the party's staff: edit page status %d, want the form", res.StatusCode)
	}
	for _, c := range []struct {
		who string
		b   *browserless
	}{{"another member's staff", marco}, {"ministry", ministry}} {
		_, page := c.b.do("GET", path, nil)
		if strings.Contains(page, editLink) || strings.Contains(page, openButton) {
			t.Errorf("%s: the page offers the edit link or the open button", c.who)
		}
		if res, _ := c.b.do("GET", path+"/modifica", nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != path {
			t.Errorf("%s: edit page status %d to %q; want 303 to the protocol's page", c.who, res.StatusCode, res.Header.Get("Location"))
		}
		if res, _ := c.b.do("POST", path+"/apri", url.Values{"csrf": {c.b.csrf(path)}, "conferma": {"1"}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: opening answers %d, want 403", c.who, res.StatusCode)
		}
	}
	if res, _ := ministry.do("GET", "/protocolli/nuovo", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("ministry: new protocol page status %d, want 403", res.StatusCode)
	}
	if res, _ := ministry.do("POST", "/protocolli", url.Values{"csrf": {ministry.csrf("/")}, "network": {network}, "title": {"X"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("ministry: a new protocol's save answers %d, want 403", res.StatusCode)
	}
}

// TestMeetingFormOnlyForWhoMayConvene opens the form that schedules a
// meeting. The staff of a partner in a network get it with their network.
// The ministry gets it without the region's networks, since it convenes
// only meetings of no network: it was offered them all, and choosing one
// answered 403. The staff of a partner in no network, who may schedule
// only meetings of their partner's networks, get 403 instead of a form
// whose every save answered 403.
func TestMeetingFormOnlyForWhoMayConvene(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	anna, network, _, _ := f.annaInBergamo(t)
	sara := f.staffInNoNetwork(t)
	ministry := f.ministryIn(t, "lombardia")
	networkOption := `<option value="` + network + `"`

	if res, page := anna.do("GET", "/incontri/nuovo", nil); res.StatusCode != http.StatusOK || !strings.Contains(page, networkOption) {
		t.Errorf("a network's staff: status %d; want the form offering their network", res.StatusCode)
	}
	res, page := ministry.do("GET", "/incontri/nuovo", nil)
	if res.StatusCode != http.StatusOK || strings.Contains(page, networkOption) || !strings.Contains(page, `action="/incontri"`) {
		t.Errorf("ministry: status %d; want the form offering no network", res.StatusCode)
	}
	day := f.Clock.Now().In(rome()).AddDate(0, 0, 10).Format("02/01/2006")
	meeting := func(b *browserless, networks string) url.Values {
		return url.Values{"csrf": {b.csrf("/")}, "networks": {networks}, "kind": {"MEETING_KIND_FOCUS_GROUP"}, "title": {"Focus group"},
			"day": {day}, "start_time": {"10:00"}, "end_time": {"12:00"}, "mode": {"MEETING_MODE_ONLINE"}, "link": {"https://example.org/x"}}
	}
	if res, _ := ministry.do("POST", "/incontri", meeting(ministry, network)); res.StatusCode != http.StatusForbidden {
		t.Errorf("ministry: a network's meeting answers %d, want 403", res.StatusCode)
	}

	if res, _ := sara.do("GET", "/incontri/nuovo", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("staff of a partner in no network: status %d, want 403", res.StatusCode)
	}
	if _, page := sara.do("GET", "/incontri", nil); strings.Contains(page, `href="/incontri/nuovo"`) {
		t.Errorf("staff of a partner in no network: the meetings page offers to schedule one")
	}
	if res, _ := sara.do("POST", "/incontri", meeting(sara, "")); res.StatusCode != http.StatusForbidden {
		t.Errorf("staff of a partner in no network: a meeting of no network answers %d, want 403", res.StatusCode)
	}
}

// TestMeetingFormsOnlyForWhoMayWrite opens a network's meeting, held ten
// days ago, as the staff of a partner in the network, who get the forms
// that record attendance and minutes, and as the ministry and the staff of
// a partner outside the network, who get the meeting read-only: both were
// given the forms, and their saves answered 403, as they still do.
func TestMeetingFormsOnlyForWhoMayWrite(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	anna, network, udp, _ := f.annaInBergamo(t)
	sara := f.staffInNoNetwork(t)
	ministry := f.ministryIn(t, "lombardia")

	day := f.Clock.Now().In(rome()).AddDate(0, 0, -10).Format("02/01/2006")
	res, _ := anna.do("POST", "/incontri", url.Values{"csrf": {anna.csrf("/incontri/nuovo")}, "networks": {network},
		"kind": {"MEETING_KIND_COORDINATION_TABLE"}, "title": {"Tavolo"}, "day": {day},
		"start_time": {"10:00"}, "end_time": {"12:00"}, "mode": {"MEETING_MODE_IN_PERSON"}, "place": {"Bergamo"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("schedule: status %d", res.StatusCode)
	}
	path := strings.Split(res.Header.Get("Location"), "?")[0]
	attendance, minutes := `action="`+path+`/presenze"`, `action="`+path+`/verbale"`
	if _, page := anna.do("GET", path, nil); !strings.Contains(page, attendance) || !strings.Contains(page, minutes) {
		t.Errorf("a network's staff: the meeting page lacks the attendance or minutes form")
	}
	for _, c := range []struct {
		who string
		b   *browserless
	}{{"ministry", ministry}, {"staff outside the network", sara}} {
		res, page := c.b.do("GET", path, nil)
		if res.StatusCode != http.StatusOK || strings.Contains(page, attendance) || strings.Contains(page, minutes) || !strings.Contains(page, "Tavolo") {
			t.Errorf("%s: status %d; want the meeting without its forms", c.who, res.StatusCode)
		}
		if res, _ := c.b.do("POST", path+"/presenze", url.Values{"csrf": {c.b.csrf("/")}, "att." + udp: {"3"}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: recording attendance answers %d, want 403", c.who, res.StatusCode)
		}
	}
}
