package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/waittest"
)

// TestArchivedNetworkRefusedOnTheField: hours logged for, and a meeting
// scheduled in, an archived network (ADR 30) are refused, and the form
// says so in Italian beside the network it names, and above the form what
// archiving means; nothing is saved. Before, both were saved.
func TestArchivedNetworkRefusedOnTheField(t *testing.T) {
	t.Parallel()
	f, c, network := inLombardia(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	if _, err := famiv1.NewNetworkServiceClient(f.seed).UpdateNetwork(f.admin("lombardia"), &famiv1.UpdateNetworkRequest{
		Network:    &famiv1.Network{Name: network, State: famiv1.NetworkState_NETWORK_STATE_ARCHIVED},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}}}); err != nil {
		t.Fatal(err)
	}
	const (
		onTheField = `Questa rete è archiviata: non accetta nuovi incontri, ore di supporto o protocolli.`
		onTheForm  = `Una rete o un ente indicati sono archiviati`
	)

	c.signIn("mrossi@lombardia")
	res, page := c.do("POST", "/ore", entryForm(c.csrf("/ore"), network))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-network-err">`+onTheField) || !strings.Contains(page, onTheForm) {
		t.Errorf("hours for the archived network: status %d; want 422, the network's field saying %q and the form %q", res.StatusCode, onTheField, onTheForm)
	}
	if n := len(f.entries("lombardia")); n != 0 {
		t.Errorf("%d entries saved, want none", n)
	}

	admin := f.client(t)
	admin.signIn("admin@lombardia")
	day := f.Clock.Now().In(rome()).AddDate(0, 0, 10).Format("02/01/2006")
	res, page = admin.do("POST", "/incontri", url.Values{"csrf": {admin.csrf("/incontri/nuovo")}, "networks": {network},
		"kind": {"MEETING_KIND_COORDINATION_TABLE"}, "title": {"Tavolo"}, "day": {day},
		"start_time": {"10:00"}, "end_time": {"12:00"}, "mode": {"MEETING_MODE_IN_PERSON"}, "place": {"Bergamo"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-networks-err">`+onTheField) || !strings.Contains(page, onTheForm) {
		t.Errorf("a meeting of the archived network: status %d; want 422, the networks' field saying %q and the form %q", res.StatusCode, onTheField, onTheForm)
	}
}

// TestBrowserArchivesAndReactivates: the region's admin archives a partner
// and a network from their pages, in a real browser (ADR 30). Each asks
// first; answered no, nothing changes, answered yes, the API reads the
// partner archived and the network ARCHIVED, and the page, the lists and
// axe say so in words ("Archiviato", "Archiviata"), not by colour. Made
// active again from the same page, the API reads them active. Before, the
// web had no way to do either, nor showed the state.
func TestBrowserArchivesAndReactivates(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	network := f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	ctx := f.admin("lombardia")
	partners, networks := famiv1.NewPartnerServiceClient(f.conn), famiv1.NewNetworkServiceClient(f.conn)
	partnerArchived := func() bool {
		t.Helper()
		p, err := partners.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: cpia})
		if err != nil {
			t.Fatal(err)
		}
		return p.GetArchived()
	}
	networkState := func() famiv1.NetworkState {
		t.Helper()
		n, err := networks.GetNetwork(ctx, &famiv1.GetNetworkRequest{Name: network})
		if err != nil {
			t.Fatal(err)
		}
		return n.GetState()
	}
	b := newBrowser(t, f)
	b.signIn("admin@lombardia")

	b.open("/partner/cpia-bergamo", "partner-attivo")
	askedFirst(b, "archive the partner", chromedp.Click(chromedp.CSS(`form[action$="/archivia"] button`)),
		"Il partner resterà consultabile e si potrà riattivare", partnerArchived, false, "#partner-state", true)
	b.check("partner-archiviato")
	b.wantText("#partner-state", "Archiviato")
	b.open("/partner", "partner-elenco")
	if !strings.Contains(b.text("main table"), "CPIA Bergamo Archiviato") {
		t.Errorf("the partners' list does not mark the archived partner: %q", b.text("main table"))
	}

	// The same browser: the partner's answers ended with its askedFirst.
	// A listener left answering yes would answer the network's question
	// too, racing askedFirst's no.
	waittest.Until(t, "askedFirst's dialog listener to end", func() bool { return b.listening.Load() == 0 })
	b.open("/reti/rete-bergamo", "rete-attiva")
	askedFirst(b, "archive the network", chromedp.Click(chromedp.CSS(`form[action$="/archivia"] button`)),
		"La rete resterà consultabile e si potrà riattivare", networkState,
		famiv1.NetworkState_NETWORK_STATE_ACTIVE, "#network-state", famiv1.NetworkState_NETWORK_STATE_ARCHIVED)
	b.check("rete-archiviata")
	b.wantText("#network-state", "Archiviata")
	b.open("/reti", "reti-elenco")
	if !strings.Contains(b.text("main h2"), "Rete Bergamo Archiviata") {
		t.Errorf("the networks' list does not mark the archived network: %q", b.text("main h2"))
	}

	b.open("/reti/rete-bergamo", "rete-archiviata-di-nuovo")
	b.run("make the network active again", chromedp.Click(chromedp.CSS(`form[action$="/riattiva"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/archivia"]`)))
	if got := networkState(); got != famiv1.NetworkState_NETWORK_STATE_ACTIVE {
		t.Errorf("made active again, the network is %v", got)
	}
	b = newBrowser(t, f)
	b.signIn("admin@lombardia")
	b.open("/partner/cpia-bergamo", "partner-archiviato-di-nuovo")
	b.run("make the partner active again", chromedp.Click(chromedp.CSS(`form[action$="/riattiva"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/archivia"]`)))
	if partnerArchived() {
		t.Errorf("made active again, the partner is still archived")
	}
}

// TestArchivedNotOfferedAsAChoice: an archived network is no choice of the
// forms that would refuse it (a meeting's, a protocol's), while an active
// one is; a protocol drafted in it before it was archived still shows it
// in its form. Before, the forms offered it, and the save was refused.
func TestArchivedNotOfferedAsAChoice(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	closed := f.network("lombardia", "rete-chiusa", "Rete chiusa", udp, cpia)
	open := f.network("lombardia", "rete-aperta", "Rete aperta", udp, cpia)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	ctx := f.admin("lombardia")
	if _, err := famiv1.NewProtocolServiceClient(f.conn).CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", ProtocolId: "bozza",
		Protocol: &famiv1.Protocol{Network: closed, Title: "Protocollo UdP-CPIA", Body: "Art. 1 - Le parti collaborano.", ValidFrom: "2025-01-01",
			Parties: []*famiv1.Party{{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: cpia, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}}); err != nil {
		t.Fatalf("CreateProtocol: %v", err)
	}
	if _, err := famiv1.NewNetworkServiceClient(f.conn).UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{
		Network:    &famiv1.Network{Name: closed, State: famiv1.NetworkState_NETWORK_STATE_ARCHIVED},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}}}); err != nil {
		t.Fatal(err)
	}
	c := f.client(t)
	c.signIn("admin@lombardia")
	for _, form := range []string{"/incontri/nuovo", "/protocolli/nuovo"} {
		_, page := c.do("GET", form, nil)
		if strings.Contains(page, `value="`+closed+`"`) {
			t.Errorf("%s offers the archived network", form)
		}
		if !strings.Contains(page, `value="`+open+`"`) {
			t.Errorf("%s does not offer the active network", form)
		}
	}
	if _, page := c.do("GET", "/protocolli/bozza/modifica", nil); !strings.Contains(page, `value="`+closed+`"`) {
		t.Errorf("the form of a draft in the archived network does not show its network")
	}
}

// TestArchivedMemberNotOfferedAttendance: on a held meeting's page, a
// member partner archived since (ADR 30) has no attendance row and is no
// choice of a new action item's owner, both of which the service refuses
// it, while one archived after its attendance was recorded keeps its row
// (the save sends the attendance whole), and the form as the page fills
// it saves. Before, the archived member had its row and its choice.
func TestArchivedMemberNotOfferedAttendance(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	school := f.partner("lombardia", "scuola-bergamo", "Scuola di Bergamo")
	network := f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia, school)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	c := f.client(t)
	c.signIn("admin@lombardia")
	held, name := heldWithSchool(t, f, c, network, school, cpia, school)
	ctx := f.admin("lombardia")
	meetings := famiv1.NewMeetingServiceClient(f.conn)

	_, page := c.do("GET", held, nil)
	for _, tc := range []struct {
		what, text string
		want       bool
	}{
		{"the active member's row", `name="att.` + udp + `"`, true},
		{"the archived member's row", `name="att.` + cpia + `"`, false},
		{"the row of the archived member with attendance recorded", `name="att.` + school + `" value="2"`, true},
		{"the active member as an owner", `<option value="` + udp + `">`, true},
		{"the archived members as owners", `<option value="` + cpia + `">`, false},
		{"the archived school as an owner", `<option value="` + school + `">`, false},
	} {
		if strings.Contains(page, tc.text) != tc.want {
			t.Errorf("%s: shown %v, want %v", tc.what, !tc.want, tc.want)
		}
	}
	att := formValues(t, page, held+"/presenze")
	att.Set("att."+udp, "3")
	if res, page := c.do("POST", held+"/presenze", att); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save the attendance as the page fills it: status %d\n%s", res.StatusCode, page)
	}
	m, err := meetings.GetMeeting(ctx, &famiv1.GetMeetingRequest{Name: name})
	if err != nil || len(m.GetAttendance()) != 2 {
		t.Errorf("the attendance saved: %v, %v; want the UdP's and the school's", m.GetAttendance(), err)
	}
}

// TestArchivedAttendanceRowAfterANewRow: a held meeting's page saved with
// a new row of an active member that sorts before the row of a member
// archived after its attendance was recorded (the agency before the
// school): the archived member's line moves down the list the save
// sends, and is still saved, not refused ARCHIVED nor refused at the
// wrong row, as the service matches the stored line by its partner.
func TestArchivedAttendanceRowAfterANewRow(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	agency := f.partner("lombardia", "agenzia-bergamo", "Agenzia di Bergamo")
	school := f.partner("lombardia", "scuola-bergamo", "Scuola di Bergamo")
	network := f.network("lombardia", "rete-bergamo", "Rete Bergamo", agency, school)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	c := f.client(t)
	c.signIn("admin@lombardia")
	held, name := heldWithSchool(t, f, c, network, school, school)
	ctx := f.admin("lombardia")
	meetings := famiv1.NewMeetingServiceClient(f.conn)
	_, page := c.do("GET", held, nil)
	att := formValues(t, page, held+"/presenze")
	att.Set("att."+agency, "3")
	if res, page := c.do("POST", held+"/presenze", att); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save the agency's new row before the school's: status %d\n%s", res.StatusCode, page)
	}
	m, err := meetings.GetMeeting(ctx, &famiv1.GetMeetingRequest{Name: name})
	if err != nil || len(m.GetAttendance()) != 2 || m.GetAttendance()[1].GetPartner() != school || m.GetAttendance()[1].GetAttendees() != 2 {
		t.Errorf("the attendance saved: %v, %v; want the agency's and the school's", m.GetAttendance(), err)
	}
}

// heldWithSchool schedules on c, the region admin's client, a meeting of
// network held ten days ago, records through the API the attendance of
// school (2 attendees) and then archives the partners archived: the held
// meeting of the tests of archived members' rows. It returns the
// meeting's page and its resource name.
func heldWithSchool(t *testing.T, f *famid, c *browserless, network, school string, archived ...string) (held, name string) {
	t.Helper()
	day := f.Clock.Now().In(rome()).AddDate(0, 0, -10).Format("02/01/2006")
	res, _ := c.do("POST", "/incontri", url.Values{"csrf": {c.csrf("/incontri/nuovo")}, "networks": {network},
		"kind": {"MEETING_KIND_COORDINATION_TABLE"}, "title": {"Tavolo"}, "day": {day},
		"start_time": {"10:00"}, "end_time": {"12:00"}, "mode": {"MEETING_MODE_IN_PERSON"}, "place": {"Bergamo"}})
	held = strings.Split(res.Header.Get("Location"), "?")[0]
	if res.StatusCode != http.StatusSeeOther || held == "" {
		t.Fatalf("schedule the held meeting: status %d", res.StatusCode)
	}
	ctx := f.admin("lombardia")
	name = "regions/lombardia/meetings/" + lastID(held)
	if _, err := famiv1.NewMeetingServiceClient(f.conn).RecordAttendance(ctx, &famiv1.RecordAttendanceRequest{Name: name,
		Attendance: []*famiv1.PartnerAttendance{{Partner: school, Attendees: 2}}}); err != nil {
		t.Fatalf("record the school's attendance: %v", err)
	}
	for _, partner := range archived {
		if _, err := famiv1.NewPartnerServiceClient(f.conn).UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: partner, Archived: true},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"archived"}}}); err != nil {
			t.Fatalf("archive %s: %v", partner, err)
		}
	}
	return held, name
}
