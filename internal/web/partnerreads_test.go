package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// networksListed records what ListNetworks answers a web application:
// how many networks, and how many of them with their members, the bulk
// of a network that a page weighing its lead or projects never shows.
type networksListed struct {
	mu                    sync.Mutex
	networks, withMembers int
}

func (c *networksListed) count(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	if res, ok := reply.(*famiv1.ListNetworksResponse); ok && path.Base(method) == "ListNetworks" && err == nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, n := range res.GetNetworks() {
			c.networks++
			if len(n.GetMembers()) > 0 {
				c.withMembers++
			}
		}
	}
	return err
}

func (c *networksListed) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.networks, c.withMembers = 0, 0
}

func (c *networksListed) counts() (networks, withMembers int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.networks, c.withMembers
}

// TestReportRightReadsOnlyTheProjectsNetworks: the lead partner's staff,
// whose partner is a member of 121 networks of which one implements the
// project, are offered the project's new report, the report's submit and
// its edit page; each page asks the service for the networks of their
// partner that implement the project (one), their lead and projects alone,
// in one call. They read the partner's 121 networks whole, three pages of
// 50, on each page.
func TestReportRightReadsOnlyTheProjectsNetworks(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupMonitoring(f)
	seedNetworks(t, f, 120, "regions/lombardia/partners/udp-milano")
	listed := &networksListed{}
	base, reads := countedApp(t, f, listed.count)
	staff := f.signedIn("staff@lombardia")

	for _, p := range []struct{ path, want string }{
		{"/progetti/lab-impact/monitoraggio?trimestre=2021-q2", "Nuovo rapporto trimestrale"},
		{labReport, "Invia il rapporto"},
		{labReport + "/modifica", `name="ind.0.value"`},
	} {
		reads.reset()
		listed.reset()
		if page := fetch(t, base+p.path, staff); !strings.Contains(page, p.want) {
			t.Errorf("%s does not offer the lead's staff %q", p.path, p.want)
		}
		if n := reads.of("ListNetworks"); n != 1 {
			t.Errorf("%s listed networks in %d calls, want one", p.path, n)
		}
		if networks, whole := listed.counts(); networks != 1 || whole != 0 {
			t.Errorf("%s was answered %d networks, %d with their members; want the one implementing the project, without them", p.path, networks, whole)
		}
	}
}

// TestMeetingPageReadsNoPartnerNetworks: network staff see a meeting of
// three networks, read by name in one call; whether they may record it is
// weighed on those three, whose members the page has just read: the staff
// of a partner in all three are offered the attendance and minutes forms,
// the staff of a partner in one of them are not. The page listed the
// partner's every network besides (60 of them for the first).
func TestMeetingPageReadsNoPartnerNetworks(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	partners := tableOfThreeNetworks(t, f)
	f.account("lombardia", "lead", "Lia Lead", famiv1.Role_ROLE_NETWORK_MEMBER, partners[0])
	f.account("lombardia", "ospite", "Olga Ospite", famiv1.Role_ROLE_NETWORK_MEMBER, partners[1])
	base, reads := countedApp(t, f)

	for _, c := range []struct {
		user   string
		record bool
	}{{"lead@lombardia", true}, {"ospite@lombardia", false}} {
		reads.reset()
		page := fetch(t, base+"/incontri/tavolo", f.signedIn(c.user))
		if got := strings.Contains(page, `action="/incontri/tavolo/presenze"`); got != c.record {
			t.Errorf("%s offered the attendance form: %v, want %v", c.user, got, c.record)
		}
		if !strings.Contains(page, "<dd>Rete C Rete A Rete B </dd>") {
			t.Errorf("the meeting's page does not name its networks to %s", c.user)
		}
		if n := reads.of("ListNetworks"); n != 0 {
			t.Errorf("the meeting's page listed networks for %s in %d calls, want none", c.user, n)
		}
		if n := reads.of("BatchGetNetworks"); n != 1 {
			t.Errorf("the meeting's page read its networks for %s in %d calls, want one", c.user, n)
		}
	}
}

// TestProtocolPageReadsItsNetworkByName: a protocol's page names its
// network, read by name in one call, never the region's 121 networks,
// which it listed for that one name.
func TestProtocolPageReadsItsNetworkByName(t *testing.T) {
	t.Parallel()
	f, base, reads, token := adminApp(t)
	parties := seedEntities(t, f, 2)
	seedNetworks(t, f, 120, parties[0])
	network := f.network("lombardia", "rete-protocollo", "Rete del protocollo", parties[0], parties[1])
	p, err := famiv1.NewProtocolServiceClient(f.conn).CreateProtocol(f.admin("lombardia"), &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", Protocol: &famiv1.Protocol{
		Network: network, Title: "Protocollo", Body: "Art. 1 - Le parti collaborano.", ValidFrom: "2025-01-01",
		Parties: []*famiv1.Party{{Partner: parties[0], Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: parties[1], Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}})
	if err != nil {
		t.Fatal(err)
	}

	reads.reset()
	if page := fetch(t, base+"/protocolli/"+lastID(p.GetName()), token); !strings.Contains(page, "<dd>Rete del protocollo</dd>") {
		t.Errorf("the protocol's page does not name its network")
	}
	if n := reads.of("ListNetworks"); n != 0 {
		t.Errorf("the protocol's page listed the region's networks in %d calls, want none", n)
	}
	if n := reads.of("BatchGetNetworks"); n != 1 {
		t.Errorf("the protocol's page read its network in %d calls, want one", n)
	}
}

// TestMeetingsListReadsItsRowsNetworks: the meetings page, for the
// region's admin (121 networks in the region) and for the staff of a
// partner in 121 networks or in one, names the networks of the meetings
// it shows, read by name in one call, and asks for one network's name to
// know the user has a network (the schedule button). It read every
// network of the region, or of the partner, on each visit.
func TestMeetingsListReadsItsRowsNetworks(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	partners := seedEntities(t, f, 2)
	seedNetworks(t, f, 120, partners[0])
	network := f.network("lombardia", "rete-tavolo", "Rete del tavolo", partners[0], partners[1])
	for i, start := range []time.Time{f.Clock.Now().Add(48 * time.Hour), f.Clock.Now().Add(-48 * time.Hour)} {
		if _, err := f.onlineMeeting(fmt.Sprintf("tavolo%d", i), network, "Tavolo", start.Truncate(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	f.account("lombardia", "lead", "Lia Lead", famiv1.Role_ROLE_NETWORK_MEMBER, partners[0])
	f.account("lombardia", "ospite", "Olga Ospite", famiv1.Role_ROLE_NETWORK_MEMBER, partners[1])
	listed := &networksListed{}
	base, reads := countedApp(t, f, listed.count)

	for _, user := range []string{"admin@lombardia", "lead@lombardia", "ospite@lombardia"} {
		reads.reset()
		listed.reset()
		page := fetch(t, base+"/incontri", f.signedIn(user))
		if n := strings.Count(page, `<td data-label="Rete territoriale">Rete del tavolo </td>`); n != 2 {
			t.Errorf("the meetings page names the network of %d of its 2 meetings to %s", n, user)
		}
		if !strings.Contains(page, `href="/incontri/nuovo"`) {
			t.Errorf("the meetings page does not offer %s to schedule a meeting", user)
		}
		if networks, _ := listed.counts(); networks > 1 {
			t.Errorf("the meetings page was answered %d networks by ListNetworks for %s, want at most one", networks, user)
		}
		if n := reads.of("BatchGetNetworks"); n != 1 {
			t.Errorf("the meetings page read its rows' networks for %s in %d calls, want one", user, n)
		}
	}
}

// TestMeetingFormNetworksAreAPage: the form that schedules a meeting
// offers the region's admin, and the staff of a partner in 121 networks,
// a page (50) of their networks read in one call, and a search beside it
// for the rest, where it offered all 121. The search is a field of the
// form: it narrows the choices, keeps what was typed, and saves nothing.
func TestMeetingFormNetworksAreAPage(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	partners := seedEntities(t, f, 1)
	seedNetworks(t, f, 121, partners[0])
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	f.account("lombardia", "lead", "Lia Lead", famiv1.Role_ROLE_NETWORK_MEMBER, partners[0])
	listed := &networksListed{}
	base, reads := countedApp(t, f, listed.count)
	options := func(page string) int {
		_, sel, _ := strings.Cut(page, `<select id="f-networks"`)
		sel, _, _ = strings.Cut(sel, "</select>")
		return strings.Count(sel, `<option value="regions/`)
	}

	for _, user := range []string{"admin@lombardia", "lead@lombardia"} {
		token := f.signedIn(user)
		reads.reset()
		listed.reset()
		page := fetch(t, base+"/incontri/nuovo", token)
		if n := options(page); n != 50 {
			t.Errorf("the meeting form offers %s %d networks, want a page of 50", user, n)
		}
		if !strings.Contains(page, `id="f-rete"`) {
			t.Errorf("the meeting form has no search for %s past its page", user)
		}
		if networks, _ := listed.counts(); networks > 51 {
			t.Errorf("the meeting form was answered %d networks for %s, want a page and one", networks, user)
		}

		typed := url.Values{"title": {"Tavolo tipizzato"}, "kind": {"MEETING_KIND_COORDINATION_TABLE"}, "mode": {"MEETING_MODE_ONLINE"},
			"rete": {"rete 117"}, "cerca": {"1"}}
		code, page := postCounted(t, base+"/incontri", token, page, typed)
		if code != http.StatusOK || options(page) != 1 || !strings.Contains(page, ">Rete 117</option>") {
			t.Errorf("the network search for %s: status %d, %d networks offered; want 200 and Rete 117 alone", user, code, options(page))
		}
		if !strings.Contains(page, `value="Tavolo tipizzato"`) {
			t.Errorf("the network search lost the title %s typed", user)
		}
		// A refused save keeps its network, past the page.
		refused := url.Values{"networks": {"regions/lombardia/networks/rete117"}, "title": {""}, "kind": {"MEETING_KIND_COORDINATION_TABLE"}}
		code, page = postCounted(t, base+"/incontri", token, page, refused)
		if want := `<option value="regions/lombardia/networks/rete117" selected>Rete 117</option>`; code != http.StatusUnprocessableEntity || !strings.Contains(page, want) {
			t.Errorf("a meeting without a title for %s: status %d, its network offered chosen: %v; want 422 and it chosen", user, code, strings.Contains(page, want))
		}
	}
	res, err := famiv1.NewMeetingServiceClient(f.conn).ListMeetings(f.admin("lombardia"), &famiv1.ListMeetingsRequest{Parent: "regions/lombardia"})
	if err != nil || len(res.GetMeetings()) != 0 {
		t.Errorf("the searches saved meetings: %d, %v", len(res.GetMeetings()), err)
	}
}
