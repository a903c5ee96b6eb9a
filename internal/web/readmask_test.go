package web_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// labelFields are the fields a label shows, by the message labelled: a
// network's and a partner's name and display name, a project's name, code
// and title.
var labelFields = map[protoreflect.FullName][]protoreflect.Name{
	"fami.v1.Network": {"name", "display_name"},
	"fami.v1.Partner": {"name", "display_name"},
	"fami.v1.Project": {"name", "code", "title"},
}

// wholeLabels counts the networks, partners and projects in an answer m
// that carry more than their labelFields: what a page that only labels
// them reads for nothing (a network's members, a partner's
// municipalities, a project's plan and overlap count), when it does not
// ask for those alone (read_mask).
func wholeLabels(m protoreflect.Message) (n int) {
	if shown, ok := labelFields[m.Descriptor().FullName()]; ok {
		m.Range(func(f protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
			if !slices.Contains(shown, f.Name()) {
				n = 1
			}
			return n == 0
		})
		return n
	}
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case f.Message() == nil || f.IsMap():
		case f.IsList():
			for i := range v.List().Len() {
				n += wholeLabels(v.List().Get(i).Message())
			}
		default:
			n += wholeLabels(v.Message())
		}
		return true
	})
	return n
}

// TestPagesReadLabelsOnly: the pages that name networks and partners
// (the approvals queue, the hours page's network select and table, the
// protocol form's networks and parties) ask the services for their names
// and display names alone (read_mask), never a network's members or a
// partner's other fields; and the approvals queue reads the networks its
// entries name, one by one, where it read the region's 121 networks whole.
func TestPagesReadLabelsOnly(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupLombardia(f)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	udp := f.partner("lombardia", "udp-milano", "Ufficio di Piano di Milano")
	cpia := f.partner("lombardia", "cpia-milano", "CPIA Milano")
	f.milanoNetworks(t, 120, udp, cpia)
	consultant := f.asAccount("mrossi@lombardia")
	for _, network := range []string{"rete007", "rete113", "rete007"} {
		if _, err := famiv1.NewSupportServiceClient(f.conn).CreateSupportEntry(consultant, &famiv1.CreateSupportEntryRequest{Parent: "regions/lombardia",
			SupportEntry: &famiv1.SupportEntry{Network: "regions/lombardia/networks/" + network, Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP,
				Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE, Date: f.Clock.Now().In(rome()).Format(time.DateOnly), DurationMinutes: 60}}); err != nil {
			t.Fatal(err)
		}
	}
	base, reads := countedApp(t, f)
	admin, mrossi := f.signedIn("admin@lombardia"), f.signedIn("mrossi@lombardia")

	for _, p := range []struct{ what, token, path string }{
		{"the approvals queue", admin, "/approvazioni"},
		{"the hours page", mrossi, "/ore"},
		{"the new protocol's form", admin, "/protocolli/nuovo"},
	} {
		reads.reset()
		page := fetch(t, base+p.path, p.token)
		if len(reads.whole) > 0 {
			t.Errorf("%s read networks or partners whole, by method: %v", p.what, maps.Clone(reads.whole))
		}
		if p.path != "/approvazioni" {
			continue
		}
		for _, want := range []string{"Rete Milano 007", "Rete Milano 113"} {
			if !strings.Contains(page, `<td data-label="Rete territoriale">`+want+`</td>`) {
				t.Errorf("the approvals queue does not name the network %s", want)
			}
		}
		if n := reads.of("ListNetworks"); n > 0 {
			t.Errorf("the approvals queue listed the region's networks (%d calls), want only the two its entries name", n)
		}
		if n := reads.of("GetNetwork"); n > 2 {
			t.Errorf("the approvals queue read %d networks by name, want the two its entries name", n)
		}
	}
}

// withoutReadMask sends each request without its read_mask, as the web
// application asked before it named the fields it shows: the services
// then answer whole resources.
func withoutReadMask(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if m, ok := req.(proto.Message); ok {
		if f := m.ProtoReflect().Descriptor().Fields().ByName("read_mask"); f != nil && m.ProtoReflect().Has(f) {
			c := proto.Clone(m)
			c.ProtoReflect().Clear(f)
			req = c
		}
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// BenchmarkHoursReadMask asks for the hours page of seedRegion's region
// (33 networks of 21 members each, the select's page) through two
// applications over the same famid: one whose requests lose their read
// masks on the way (mask=none, as before) and one as it is (mask=labels).
// api-B/op is what the services answered, B/op and allocs/op the whole
// process's (famid runs in it), so their ratios are the read mask's
// saving, measured in the same run (docs/benchmarks.md).
//
//	go test -run '^$' -bench HoursReadMask -benchtime 200x -count 6 ./internal/web/
func BenchmarkHoursReadMask(b *testing.B) {
	f, r := seedRegion(b)
	before, beforeReads := countedApp(b, f, withoutReadMask)
	after, afterReads := countedApp(b, f)
	b.Run("mask=none", func(b *testing.B) {
		b.ReportAllocs()
		beforeReads.pageBench(before+"/ore?vista=mese", r.consultant)(b)
	})
	b.Run("mask=labels", func(b *testing.B) {
		b.ReportAllocs()
		afterReads.pageBench(after+"/ore?vista=mese", r.consultant)(b)
	})
}

// TestProtocolFormChoicesAreAPage: in a region of 120 partners and 60
// networks, the protocol form offers a page (50) of each, read in one
// call each, and a search beside each for the rest, where it offered all
// of them; a draft's own network and parties, past the page, are offered
// chosen, so that saving keeps them.
func TestProtocolFormChoicesAreAPage(t *testing.T) {
	t.Parallel()
	f, base, reads, token := adminApp(t)
	partners := seedEntities(t, f, 120)
	networks, ctx := famiv1.NewNetworkServiceClient(f.seed), f.admin("lombardia")
	bulk(t, 60, func(i int) error {
		_, err := networks.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: "regions/lombardia",
			NetworkId: fmt.Sprintf("rete%03d", i), Network: &famiv1.Network{DisplayName: fmt.Sprintf("Rete %03d", i), LeadPartner: partners[110],
				Members: []*famiv1.Member{{Partner: partners[110], Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}, {Partner: partners[111], Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}}}})
		return err
	})
	selectOf := func(page, id string) string {
		_, sel, _ := strings.Cut(page, `<select id="`+id+`"`)
		sel, _, _ = strings.Cut(sel, "</select>")
		return sel
	}
	options := func(id string) func(page string) int {
		return func(page string) int { return strings.Count(selectOf(page, id), `<option value="regions/`) }
	}

	page := reads.onePage(t, base+"/protocolli/nuovo", token, "ListPartners", options("p0-partner"), 50, "the new protocol's parties")
	if n := reads.of("ListNetworks"); n != 1 {
		t.Errorf("the new protocol's form listed networks %d times, want once", n)
	}
	if n := options("f-network")(page); n != 50 {
		t.Errorf("the new protocol's network select offers %d networks, want 50", n)
	}
	for _, id := range []string{`id="f-rete"`, `id="f-parte"`} {
		if !strings.Contains(page, id) {
			t.Errorf("the new protocol's form has no search %s for the choices past its page", id)
		}
	}
	page = reads.onePage(t, base+"/protocolli/nuovo?parte=ente+107", token, "ListPartners", options("p0-partner"), 1, "the party search")
	if !strings.Contains(selectOf(page, "p0-partner"), `>Ente 107</option>`) {
		t.Error("the party search does not offer Ente 107")
	}
	page = fetch(t, base+"/protocolli/nuovo?rete=rete+057", token)
	if n := options("f-network")(page); n != 1 || !strings.Contains(page, ">Rete 057</option>") {
		t.Errorf("the network search offers %d networks, want Rete 057 alone", n)
	}

	p, err := famiv1.NewProtocolServiceClient(f.conn).CreateProtocol(f.admin("lombardia"), &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", Protocol: &famiv1.Protocol{
		Network: "regions/lombardia/networks/rete059", Title: "Protocollo", Body: "Art. 1 - Le parti collaborano.", ValidFrom: "2025-01-01",
		Parties: []*famiv1.Party{{Partner: partners[110], Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: partners[111], Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}})
	if err != nil {
		t.Fatal(err)
	}
	page = fetch(t, base+"/protocolli/"+lastID(p.GetName())+"/modifica", token)
	for id, want := range map[string]string{
		"f-network":  `<option value="regions/lombardia/networks/rete059" selected>Rete 059</option>`,
		"p0-partner": `<option value="` + partners[110] + `" selected>Ente 110</option>`,
		"p1-partner": `<option value="` + partners[111] + `" selected>Ente 111</option>`,
	} {
		if !strings.Contains(selectOf(page, id), want) {
			t.Errorf("the draft's form does not offer its own choice in %s, %s", id, want)
		}
	}

	// A refused save keeps its parties, past the page, and its searches
	// are fields of the form (searchable): a search shows it again as
	// typed, its choices narrowed, and saves nothing.
	form := url.Values{"network": {"regions/lombardia/networks/rete059"}, "title": {""}, "body": {"Art. 1"}, "valid_from": {"01/01/2025"},
		"party.0.partner": {partners[112]}, "party.0.role": {"PARTY_ROLE_PROPONENT"}}
	code, page := postCounted(t, base+"/protocolli", token, fetch(t, base+"/protocolli/nuovo", token), form)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("a protocol without a title: status %d, want 422", code)
	}
	if !strings.Contains(selectOf(page, "p0-partner"), `<option value="`+partners[112]+`" selected>Ente 112</option>`) {
		t.Error("the refused form does not offer its party Ente 112 chosen")
	}
	form.Set("title", "Protocollo <b>scritto</b>")
	form.Set("cerca", "1")
	form.Set("parte", "ente 107")
	code, page = postCounted(t, base+"/protocolli", token, page, form)
	if code != http.StatusOK {
		t.Fatalf("the form's party search: status %d, want 200", code)
	}
	if !strings.Contains(page, `value="Protocollo &lt;b&gt;scritto&lt;/b&gt;"`) {
		t.Error("the party search lost the title typed before it")
	}
	if sel := selectOf(page, "p0-partner"); !strings.Contains(sel, `<option value="`+partners[112]+`" selected>Ente 112</option>`) || !strings.Contains(sel, ">Ente 107</option>") {
		t.Errorf("the party search does not keep Ente 112 chosen and offer Ente 107: %s", sel)
	}
	res, err := famiv1.NewProtocolServiceClient(f.conn).ListProtocols(f.admin("lombardia"), &famiv1.ListProtocolsRequest{Parent: "regions/lombardia"})
	if err != nil || len(res.GetProtocols()) != 1 {
		t.Errorf("after the form's search the region has %d protocols (%v), want the one created above", len(res.GetProtocols()), err)
	}

	for _, hostile := range []string{"\x01", "<script>"} {
		page = fetch(t, base+"/protocolli/nuovo?"+url.Values{"parte": {hostile}}.Encode(), token)
		if strings.Contains(page, "<script>") {
			t.Errorf("the party search %q is shown unescaped", hostile)
		}
		if hostile == "\x01" && (!strings.Contains(page, `id="f-parte-err"`) || options("p0-partner")(page) != 50) {
			t.Errorf("the party search %q is not refused at its field with the first page offered", hostile)
		}
	}
}
