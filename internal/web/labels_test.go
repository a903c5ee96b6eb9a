package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// The pages below show partners by name beside what names them: a
// network's members, the leads and members of a page of networks. They
// read those partners by name, a hundred in one call (BatchGetPartners),
// where the network form read each by itself and the networks list read
// the region's partners whole.

// seedEntities creates n partners of Lombardia, "e000" to "e{n-1}" named
// "Ente 000"..., and returns their names.
func seedEntities(t *testing.T, f *famid, n int) []string {
	t.Helper()
	names := make([]string, n)
	partners, ctx := famiv1.NewPartnerServiceClient(f.seed), f.admin("lombardia")
	bulk(t, n, func(i int) error {
		_, err := partners.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: "regions/lombardia",
			PartnerId: fmt.Sprintf("e%03d", i), Partner: &famiv1.Partner{DisplayName: fmt.Sprintf("Ente %03d", i), Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}})
		names[i] = fmt.Sprintf("regions/lombardia/partners/e%03d", i)
		return err
	})
	return names
}

// TestNetworkFormReadsItsMembersInOneCall: the form of a network of 25
// members, in a region of 80 partners, shows each member by name, read in
// one call; it made one GetPartner per member.
func TestNetworkFormReadsItsMembersInOneCall(t *testing.T) {
	t.Parallel()
	f, base, reads, token := adminApp(t)
	partners := seedEntities(t, f, 80)
	// The members are past the datalist's first 50 partners, so that a
	// member's name on the page is its row's, not a suggestion's.
	members := partners[50:75]
	f.network("lombardia", "rete-grande", "Rete grande", members[0], members[1:]...)

	reads.reset()
	page := fetch(t, base+"/reti/rete-grande", token)
	for i := range members {
		if want := fmt.Sprintf(`name="member.%d.partner" value="Ente %03d"`, i, 50+i); !strings.Contains(page, want) {
			t.Errorf("the network's form does not show member %d by name (%s)", i, want)
		}
	}
	if n := reads.of("GetPartner"); n != 0 {
		t.Errorf("the network's form read %d partners one by one, want none", n)
	}
	if n := reads.of("BatchGetPartners"); n != 1 {
		t.Errorf("the network's form read its members' names in %d calls, want one", n)
	}
	if n := reads.of("ListPartners"); n > 1 {
		t.Errorf("the network's form listed partners %d times, want at most once (its datalist)", n)
	}
}

// TestNetworkListReadsItsPartnersByName: a page of networks names their
// leads and members, read by name in one call, never the region's 120
// partners.
func TestNetworkListReadsItsPartnersByName(t *testing.T) {
	t.Parallel()
	f, base, reads, token := adminApp(t)
	partners := seedEntities(t, f, 120)
	for i := range 3 {
		f.network("lombardia", fmt.Sprintf("rete-%d", i), fmt.Sprintf("Rete %d", i), partners[100+i], partners[110+i], partners[117])
	}

	reads.namesByBatch(t, base+"/reti", token, "the networks' page", "Ente 100", "Ente 101", "Ente 102", "Ente 110", "Ente 111", "Ente 112", "Ente 117")
}

// TestMemberLabelsOfMissingPartnersAreBounded: a network form posted
// with rows that showed 40 partners that do not exist (a hostile form, or
// partners deleted meanwhile) costs a bounded number of batch reads: each
// missing partner fails its batch (all or none) and is dropped, a few
// times, and then the region's partners are read whole.
func TestMemberLabelsOfMissingPartnersAreBounded(t *testing.T) {
	t.Parallel()
	f, base, reads, token := adminApp(t)
	partners := seedEntities(t, f, 3)
	f.network("lombardia", "rete", "Rete", partners[0], partners[1])
	page := fetch(t, base+"/reti/rete", token)
	form := url.Values{"etag": {formEtag(t, page)}, "display_name": {"Rete"}}
	for i := range 40 {
		form.Set(fmt.Sprintf("member.%d.was", i), fmt.Sprintf("regions/lombardia/partners/nessuno-%02d", i))
	}
	reads.reset()
	if status, _ := postCounted(t, base+"/reti/rete", token, page, form); status != http.StatusUnprocessableEntity {
		t.Errorf("a form of 40 missing partners and no member: status %d, want 422", status)
	}
	if n := reads.of("BatchGetPartners"); n == 0 || n > 8 {
		t.Errorf("a form of 40 missing partners made %d batch reads, want 1 to 8 (at most 4 for each of its two label reads)", n)
	}
	if n := reads.of("GetPartner"); n != 0 {
		t.Errorf("a form of 40 missing partners read %d partners one by one, want none", n)
	}
}

// namesByBatch fetches the page at u and checks that it shows every one
// of wants, the partners' names it holds read in one BatchGetPartners
// call, the region's partners never listed.
func (c *apiReads) namesByBatch(t *testing.T, u, token, what string, wants ...string) {
	t.Helper()
	c.reset()
	page := fetch(t, u, token)
	for _, want := range wants {
		if !strings.Contains(page, want) {
			t.Errorf("%s does not show %q", what, want)
		}
	}
	if n := c.of("ListPartners"); n != 0 {
		t.Errorf("%s listed the region's partners %d times, want none", what, n)
	}
	if n := c.of("BatchGetPartners"); n != 1 {
		t.Errorf("%s read its partners' names in %d calls, want one", what, n)
	}
}

// TestProtocolPageReadsItsPartiesByName: a protocol's page names its
// three parties, read by name in one call, never the region's 120
// partners.
func TestProtocolPageReadsItsPartiesByName(t *testing.T) {
	t.Parallel()
	f, base, reads, token := adminApp(t)
	partners := seedEntities(t, f, 120)
	parties := partners[100:103]
	network := f.network("lombardia", "rete", "Rete", parties[0], parties[1:]...)
	p, err := famiv1.NewProtocolServiceClient(f.conn).CreateProtocol(f.admin("lombardia"), &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", Protocol: &famiv1.Protocol{
		Network: network, Title: "Protocollo", Body: "Art. 1 - Le parti collaborano.", ValidFrom: "2025-01-01",
		Parties: []*famiv1.Party{{Partner: parties[0], Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT},
			{Partner: parties[1], Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}, {Partner: parties[2], Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}})
	if err != nil {
		t.Fatal(err)
	}

	reads.namesByBatch(t, base+"/protocolli/"+lastID(p.GetName()), token, "the protocol's page", "<strong>Ente 100</strong>", "<strong>Ente 101</strong>", "<strong>Ente 102</strong>")
}

// TestMeetingPageReadsItsPartnersByName: a held meeting's page names its
// network's members (the attendance form), who attended and the owner of
// its action item, read by name in one call, never the region's 120
// partners.
func TestMeetingPageReadsItsPartnersByName(t *testing.T) {
	t.Parallel()
	f, base, reads, token := adminApp(t)
	partners := seedEntities(t, f, 120)
	network := f.network("lombardia", "rete", "Rete", partners[100], partners[101], partners[102])
	start := f.Clock.Now().Add(-48 * time.Hour).Truncate(time.Hour)
	m, err := f.onlineMeeting("tavolo", network, "Tavolo", start)
	if err != nil {
		t.Fatal(err)
	}
	meetings := famiv1.NewMeetingServiceClient(f.conn)
	if _, err := meetings.RecordAttendance(f.admin("lombardia"), &famiv1.RecordAttendanceRequest{Name: m.GetName(),
		Attendance: []*famiv1.PartnerAttendance{{Partner: partners[101], Attendees: 2}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := meetings.RecordMinutes(f.admin("lombardia"), &famiv1.RecordMinutesRequest{Name: m.GetName(), Minutes: "Verbale",
		ActionItems: []*famiv1.ActionItem{{Description: "Azione", Owner: partners[102], DueDate: start.AddDate(0, 0, 7).Format(time.DateOnly)}}}); err != nil {
		t.Fatal(err)
	}

	reads.namesByBatch(t, base+"/incontri/tavolo", token, "the meeting's page", "<legend>Ente 100</legend>", "<li>Ente 101: 2", " · Ente 102 · ")
}

// The pages below show networks by name beside what names them: the hours
// table its entries' networks past the select's page, a meeting's page its
// networks with their members. They read those networks by name in one
// call (BatchGetNetworks), where the hours table read each by itself (up
// to a page of entries, 50) and the meeting page read one by itself for
// each network besides the region's networks whole.

// seedNetworks creates n networks of Lombardia led by lead, "rete000" to
// "rete{n-1}" named "Rete 000"..., and returns their names.
func seedNetworks(t *testing.T, f *famid, n int, lead string) []string {
	t.Helper()
	names := make([]string, n)
	networks, ctx := famiv1.NewNetworkServiceClient(f.seed), f.admin("lombardia")
	bulk(t, n, func(i int) error {
		_, err := networks.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: "regions/lombardia",
			NetworkId: fmt.Sprintf("rete%03d", i), Network: &famiv1.Network{DisplayName: fmt.Sprintf("Rete %03d", i), LeadPartner: lead,
				Members: []*famiv1.Member{{Partner: lead, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}})
		names[i] = fmt.Sprintf("regions/lombardia/networks/rete%03d", i)
		return err
	})
	return names
}

// TestHoursTableReadsItsNetworksInOneCall: an hours table whose five
// entries name five networks past the select's page of 50 (in a region of
// 120) names each, read by name in one call, where it made one GetNetwork
// each. A network deleted (with its entry) after the table's entries were
// read is shown by its id, and costs one more batch read, not a failed
// page.
func TestHoursTableReadsItsNetworksInOneCall(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupLombardia(f)
	udp := f.partner("lombardia", "udp-milano", "Ufficio di Piano di Milano")
	networks := seedNetworks(t, f, 120, udp)
	base, reads := countedApp(t, f)
	consultant := f.asAccount("mrossi@lombardia")
	support := famiv1.NewSupportServiceClient(f.conn)
	var entries []string
	for _, n := range networks[110:115] {
		e, err := support.CreateSupportEntry(consultant, &famiv1.CreateSupportEntryRequest{Parent: "regions/lombardia",
			SupportEntry: &famiv1.SupportEntry{Network: n, Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP,
				Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE, Date: f.Clock.Now().In(rome()).Format(time.DateOnly), DurationMinutes: 60}})
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e.GetName())
	}
	token := f.signedIn("mrossi@lombardia")
	cell := func(label string) string { return `<td data-label="Rete territoriale">` + label + `</td>` }

	reads.reset()
	page := fetch(t, base+"/ore", token)
	for i := 110; i < 115; i++ {
		if want := cell(fmt.Sprintf("Rete %03d", i)); !strings.Contains(page, want) {
			t.Errorf("the hours table does not name an entry's network: %s", want)
		}
	}
	if n := reads.of("GetNetwork"); n != 0 {
		t.Errorf("the hours table read %d networks one by one, want none", n)
	}
	if n := reads.of("BatchGetNetworks"); n != 1 {
		t.Errorf("the hours table read its networks' names in %d calls, want one", n)
	}

	// Rete 112 and its entry go once the table's entries are read.
	reads.after(func(method string) {
		if method != "ListSupportEntries" {
			return
		}
		reads.after(nil)
		if _, err := support.DeleteSupportEntry(consultant, &famiv1.DeleteSupportEntryRequest{Name: entries[2]}); err != nil {
			t.Error(err)
		}
		if _, err := famiv1.NewNetworkServiceClient(f.conn).DeleteNetwork(f.admin("lombardia"), &famiv1.DeleteNetworkRequest{Name: networks[112]}); err != nil {
			t.Error(err)
		}
	})
	reads.reset()
	page = fetch(t, base+"/ore", token)
	for _, want := range []string{cell("Rete 111"), cell("rete112"), cell("Rete 113")} {
		if !strings.Contains(page, want) {
			t.Errorf("with a network deleted meanwhile, the hours table does not show %s", want)
		}
	}
	if n := reads.of("BatchGetNetworks"); n != 2 {
		t.Errorf("with a network deleted meanwhile, the hours table read its networks' names in %d calls, want two", n)
	}
}

// tableOfThreeNetworks seeds f's Lombardia with three partners and 60
// networks led by the first, and a past online coordination table,
// "tavolo", of three of them, in this order: "Rete C" with the second
// partner, "Rete A" with the third, "Rete B" alone. It returns the partners.
func tableOfThreeNetworks(t *testing.T, f *famid) (partners []string) {
	t.Helper()
	partners = seedEntities(t, f, 3)
	seedNetworks(t, f, 57, partners[0])
	ofMeeting := []string{f.network("lombardia", "rete-c", "Rete C", partners[0], partners[1]),
		f.network("lombardia", "rete-a", "Rete A", partners[0], partners[2]), f.network("lombardia", "rete-b", "Rete B", partners[0])}
	start := f.Clock.Now().Add(-48 * time.Hour).Truncate(time.Hour)
	_, err := famiv1.NewMeetingServiceClient(f.conn).CreateMeeting(f.admin("lombardia"), &famiv1.CreateMeetingRequest{Parent: "regions/lombardia", MeetingId: "tavolo", Meeting: &famiv1.Meeting{
		Networks: ofMeeting, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: "Tavolo",
		StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_ONLINE, Link: "https://meet.example.org/t"}})
	if err != nil {
		t.Fatal(err)
	}
	return partners
}

// TestMeetingPageReadsItsNetworksInOneCall: a meeting of three networks,
// in a region of 60, names them, in the meeting's order, and their
// members, the networks read by name in one call and the region's never
// listed, where the page listed the region's networks and read each of
// the meeting's by itself.
func TestMeetingPageReadsItsNetworksInOneCall(t *testing.T) {
	t.Parallel()
	f, base, reads, token := adminApp(t)
	tableOfThreeNetworks(t, f)

	reads.reset()
	page := fetch(t, base+"/incontri/tavolo", token)
	for _, want := range []string{"<dd>Rete C Rete A Rete B </dd>", "<legend>Ente 000</legend>", "<legend>Ente 001</legend>", "<legend>Ente 002</legend>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the meeting's page does not show %q", want)
		}
	}
	if n := reads.of("GetNetwork"); n != 0 {
		t.Errorf("the meeting's page read %d networks one by one, want none", n)
	}
	if n := reads.of("ListNetworks"); n != 0 {
		t.Errorf("the meeting's page listed the region's networks %d times, want none", n)
	}
	if n := reads.of("BatchGetNetworks"); n != 1 {
		t.Errorf("the meeting's page read its networks in %d calls, want one", n)
	}
}

// TestMemberLabelsPastTheAnswerBytes: the form of a network of 100
// members, each as large as a partner gets (a plan office of 2,000
// municipalities, a description of 4,000 four-byte characters), shows each
// member by name in one batch, which asks for their names alone
// (read_mask). Asked whole, as before the mask (withoutReadMask), the
// batch's answer would pass the API's bytes (BATCH_TOO_LARGE), so it is
// asked again up to the member that does not fit, then for the rest,
// where the page failed.
func TestMemberLabelsPastTheAnswerBytes(t *testing.T) {
	t.Parallel()
	f, base, reads, token := adminApp(t)
	wholeBase, wholeReads := countedApp(t, f, withoutReadMask)
	// The test server knows no municipalities list: it checks the codes'
	// form only.
	codes := make([]string, 2000)
	for i := range codes {
		codes[i] = fmt.Sprintf("015%03d", i%1000)
		if i >= 1000 {
			codes[i] = fmt.Sprintf("016%03d", i%1000)
		}
	}
	members := make([]string, 100)
	partners, ctx := famiv1.NewPartnerServiceClient(f.seed), f.admin("lombardia")
	bulk(t, len(members), func(i int) error {
		p, err := partners.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: "regions/lombardia",
			PartnerId: fmt.Sprintf("udp%03d", i), Partner: &famiv1.Partner{DisplayName: fmt.Sprintf("Ufficio %03d", i), Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE,
				Municipalities: codes, Description: strings.Repeat("🙂", 4000)}})
		members[i] = p.GetName()
		return err
	})
	if size := len(members) * (len(codes)*8 + 4*4000); size < 2<<20 {
		t.Fatalf("100 partners of %d municipalities weigh about %d bytes, not past a page's 2 MB", len(codes), size)
	}
	f.network("lombardia", "rete-grande", "Rete grande", members[0], members[1:]...)

	for _, c := range []struct {
		what  string
		base  string
		reads *apiReads
		calls int
	}{
		{"names alone", base, reads, 1},
		{"whole, one refused as too large, then two", wholeBase, wholeReads, 3},
	} {
		c.reads.reset()
		page := fetch(t, c.base+"/reti/rete-grande", token)
		for i := range members {
			if want := fmt.Sprintf(`name="member.%d.partner" value="Ufficio %03d"`, i, i); !strings.Contains(page, want) {
				t.Errorf("%s: the network's form does not show member %d by name (%s)", c.what, i, want)
			}
		}
		if n := c.reads.of("BatchGetPartners"); n != c.calls {
			t.Errorf("the network's form read its members' names in %d calls, want %d (%s)", n, c.calls, c.what)
		}
		if n := c.reads.of("GetPartner"); n != 0 {
			t.Errorf("%s: the network's form read %d partners one by one, want none", c.what, n)
		}
	}
}
