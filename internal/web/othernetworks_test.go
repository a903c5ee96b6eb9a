package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestProtocolOtherNetworksForm: a protocol across networks (the UdP of
// Bergamo's with the CPIA of Dalmine's) is drafted in the browser with
// its other network checked among the region's active networks, shown
// checked in the draft's form, kept by a save as shown, and removed by
// unchecking it. What the service refuses (the protocol's own network,
// one network twice, an archived one, one the region lacks) comes back on
// the field, in Italian, the draft unchanged; a ministry's forged create
// and the save of staff who are no party answer 403 with nothing stored.
// Before, the form had no such field and its saves left the networks as
// they were.
func TestProtocolOtherNetworksForm(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	anna, network, udp, cpia := f.annaInBergamo(t)
	school := f.partner("lombardia", "cpia-dalmine", "CPIA Dalmine")
	dalmine := f.network("lombardia", "rete-dalmine", "Rete di Dalmine", school)
	closed := f.network("lombardia", "rete-chiusa", "Rete chiusa", udp)
	ctx, protocols := f.admin("lombardia"), famiv1.NewProtocolServiceClient(f.conn)
	if _, err := famiv1.NewNetworkServiceClient(f.conn).UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{
		Network: &famiv1.Network{Name: closed, State: famiv1.NetworkState_NETWORK_STATE_ARCHIVED}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}}}); err != nil {
		t.Fatal(err)
	}
	box := func(name, value string) string {
		return `<input type="checkbox" name="` + name + `" value="` + value + `"`
	}

	_, page := anna.do("GET", "/protocolli/nuovo", nil)
	if !strings.Contains(page, box("additional_networks", dalmine)+">") || !strings.Contains(page, "Rete di Dalmine") {
		t.Errorf("the new protocol's form does not offer the network of Dalmine as another network")
	}
	if strings.Contains(page, box("additional_networks", closed)) {
		t.Errorf("the new protocol's form offers the archived network")
	}
	form := url.Values{"csrf": {anna.csrf("/protocolli/nuovo")}, "network": {network}, "additional_networks": {dalmine}, "title": {"Protocollo tra reti"},
		"body": {"Art. 1 - Le parti collaborano."}, "valid_from": {"01/01/2027"}, "party.0.partner": {udp}, "party.0.role": {"PARTY_ROLE_PROPONENT"},
		"party.1.partner": {school}, "party.1.role": {"PARTY_ROLE_SIGNATORY"}}
	ministry := f.ministryIn(t, "lombardia")
	before := f.regionRevision("lombardia")
	forged := url.Values{"csrf": {ministry.csrf("/")}}
	for k, v := range form {
		if k != "csrf" {
			forged[k] = v
		}
	}
	if res, _ := ministry.do("POST", "/protocolli", forged); res.StatusCode != http.StatusForbidden {
		t.Errorf("the ministry's forged protocol across networks: status %d, want 403", res.StatusCode)
	}
	if after := f.regionRevision("lombardia"); after != before {
		t.Errorf("the ministry's forged protocol moved the revision from %d to %d", before, after)
	}
	res, _ := anna.do("POST", "/protocolli", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the protocol across networks: status %d, want 303", res.StatusCode)
	}
	path := strings.Split(res.Header.Get("Location"), "?")[0]
	name := "regions/lombardia/protocols/" + lastID(path)
	stored := func() *famiv1.Protocol {
		t.Helper()
		p, err := protocols.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if got := stored().GetAdditionalNetworks(); !slices.Equal(got, []string{dalmine}) {
		t.Fatalf("the draft's other networks: %v, want the network of Dalmine", got)
	}

	edit := path + "/modifica"
	_, page = anna.do("GET", edit, nil)
	if !strings.Contains(page, box("additional_networks", dalmine)+" checked>") {
		t.Fatalf("the draft's form does not show its other network checked")
	}
	shown := formValues(t, page, edit)
	if res, _ := anna.do("POST", edit, shown); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the draft's form saved as shown: status %d, want 303", res.StatusCode)
	}
	if got := stored().GetAdditionalNetworks(); !slices.Equal(got, []string{dalmine}) {
		t.Fatalf("after a save as shown the other networks are %v, want the network of Dalmine", got)
	}
	_, page = anna.do("GET", edit, nil)
	shown = formValues(t, page, edit)
	etag := stored().GetEtag()

	f.account("lombardia", "marco", "Marco Verdi", famiv1.Role_ROLE_NETWORK_MEMBER, cpia)
	marco := f.client(t)
	marco.signIn("marco@lombardia")
	forged = url.Values{}
	for k, v := range shown {
		forged[k] = slices.Clone(v)
	}
	forged.Set("csrf", marco.csrf("/"))
	forged["additional_networks"] = []string{dalmine, closed}
	if res, _ := marco.do("POST", edit, forged); res.StatusCode != http.StatusForbidden {
		t.Errorf("staff of no party save the draft's networks: status %d, want 403", res.StatusCode)
	}
	if got := stored().GetEtag(); got != etag {
		t.Errorf("the forged save changed the draft")
	}

	refusedAs := "Scegli reti della regione, ciascuna una sola volta e diversa dalla rete territoriale del protocollo."
	for _, c := range []struct {
		what   string
		others []string
		want   string
	}{
		{"the protocol's own network", []string{network}, refusedAs},
		{"a network twice", []string{dalmine, dalmine}, refusedAs},
		{"an archived network", []string{dalmine, closed}, "Questa rete è archiviata: non accetta nuovi incontri, ore di supporto o protocolli."},
		{"a network the region lacks", []string{"regions/lombardia/networks/nessuna"}, refusedAs},
		{"another region's network", []string{"regions/veneto/networks/rete-padova"}, refusedAs},
		{"no network", []string{""}, refusedAs},
	} {
		v := url.Values{}
		for k, vs := range shown {
			v[k] = slices.Clone(vs)
		}
		v["additional_networks"] = c.others
		res, page := anna.do("POST", edit, v)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `<span class="error-text" id="f-additional_networks-err">`+c.want) {
			t.Errorf("%s: status %d, want 422 saying on the field %q; errors:\n%s", c.what, res.StatusCode, c.want, errorsOf(page))
		}
		if englishRefusal.MatchString(page) {
			t.Errorf("%s: the refusal is not said in Italian: %s", c.what, englishRefusal.FindString(page))
		}
		if got := stored().GetEtag(); got != etag {
			t.Errorf("%s: the refused save changed the draft", c.what)
		}
	}

	delete(shown, "additional_networks")
	if res, page := anna.do("POST", edit, shown); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the other network unchecked: status %d, want 303\n%s", res.StatusCode, errorsOf(page))
	}
	if got := stored().GetAdditionalNetworks(); len(got) != 0 {
		t.Errorf("after unchecking it the other networks are %v, want none", got)
	}
}

// TestAmendmentLeavesOutOtherNetworks: a protocol in force across three
// networks (Bergamo's, Dalmine's, Treviglio's) offers its amendment with
// a box for each other network, left out when checked. Leaving out
// Dalmine's, the only network of a party the amendment keeps, is refused
// on the box, in Italian (PARTY_NOT_A_MEMBER, ADR 40), as are names the
// protocol does not hold, with nothing written; staff of no party and the
// ministry get 403. Leaving out Treviglio's makes the draft without it,
// whose form adds it back. Before, the form left out only archived
// networks, and a network could be added nowhere.
func TestAmendmentLeavesOutOtherNetworks(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	anna, network, udp, cpia := f.annaInBergamo(t)
	school := f.partner("lombardia", "cpia-dalmine", "CPIA Dalmine")
	dalmine := f.network("lombardia", "rete-dalmine", "Rete di Dalmine", school)
	treviglio := f.network("lombardia", "rete-treviglio", "Rete di Treviglio", udp)
	f.account("lombardia", "sara", "Sara Neri", famiv1.Role_ROLE_NETWORK_MEMBER, school)
	f.account("lombardia", "marco", "Marco Verdi", famiv1.Role_ROLE_NETWORK_MEMBER, cpia)
	ctx, protocols := f.admin("lombardia"), famiv1.NewProtocolServiceClient(f.conn)
	p, err := protocols.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", ProtocolId: "vigente", Protocol: &famiv1.Protocol{
		Network: network, AdditionalNetworks: []string{dalmine, treviglio}, Title: "Protocollo tra reti", Body: "Art. 1 - Le parti collaborano.",
		ValidFrom: "2025-01-01", Parties: []*famiv1.Party{{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: school, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}})
	if err == nil {
		p, err = protocols.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: p.GetName()})
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"anna@lombardia", "sara@lombardia"} {
		if _, err := protocols.SignProtocol(f.asAccount(who), &famiv1.SignProtocolRequest{Name: p.GetName(), ContentHash: p.GetContentHash()}); err != nil {
			t.Fatalf("%s signs: %v", who, err)
		}
	}
	path := "/protocolli/" + lastID(p.GetName())
	box := func(value string) string {
		return `<input type="checkbox" name="remove_additional_networks" value="` + value + `"`
	}
	_, page := anna.do("GET", path, nil)
	for _, want := range []string{box(dalmine) + ">", box(treviglio) + ">", "Altre reti da non riportare", "Le reti da aggiungere si scelgono nella bozza"} {
		if !strings.Contains(page, want) {
			t.Errorf("the amendment's form lacks %s", want)
		}
	}

	before := f.regionRevision("lombardia")
	amend := func(b *browserless, leftOut ...string) (*http.Response, string) {
		t.Helper()
		return b.do("POST", path+"/emenda", url.Values{"csrf": {b.csrf(path)}, "remove_additional_networks": leftOut})
	}
	res, page := amend(anna, dalmine)
	if res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(page, `id="f-remove_additional_networks-err">Un ente che resta parte del protocollo fa parte delle sue reti solo tramite questa rete`) ||
		!strings.Contains(page, box(dalmine)+" checked>") {
		t.Errorf("leaving out the only network of a party kept: status %d, want 422 on the box, kept checked; errors:\n%s", res.StatusCode, errorsOf(page))
	}
	for _, hostile := range [][]string{{"x\x00"}, {network}, {treviglio, treviglio}, {strings.Repeat("é", 10_000)}, {"regions/veneto/networks/rete-padova"}} {
		res, page := amend(anna, hostile...)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-remove_additional_networks-err">`) || englishRefusal.MatchString(page) {
			t.Errorf("leaving out %.20q: status %d, want 422 on the field, in Italian; errors:\n%s", hostile, res.StatusCode, errorsOf(page))
		}
	}
	marco, ministry := f.client(t), f.ministryIn(t, "lombardia")
	marco.signIn("marco@lombardia")
	for who, b := range map[string]*browserless{"staff of no party": marco, "the ministry": ministry} {
		if res, _ := amend(b, treviglio); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s amend leaving out a network: status %d, want 403", who, res.StatusCode)
		}
	}
	if after := f.regionRevision("lombardia"); after != before {
		t.Fatalf("refused amendments moved the revision from %d to %d", before, after)
	}

	res, _ = amend(anna, treviglio)
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(strings.Split(res.Header.Get("Location"), "?")[0], "/modifica") {
		t.Fatalf("leaving out the network of Treviglio: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	edit := strings.Split(res.Header.Get("Location"), "?")[0]
	draft := "regions/lombardia/protocols/" + lastID(strings.TrimSuffix(edit, "/modifica"))
	others := func() []string {
		t.Helper()
		got, err := protocols.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: draft})
		if err != nil {
			t.Fatal(err)
		}
		return got.GetAdditionalNetworks()
	}
	if got := others(); !slices.Equal(got, []string{dalmine}) {
		t.Fatalf("the amendment's other networks: %v, want Dalmine's alone", got)
	}
	_, page = anna.do("GET", edit, nil)
	if !strings.Contains(page, `name="additional_networks" value="`+treviglio+`">`) {
		t.Fatalf("the amendment's form does not offer the network left out back")
	}
	v := formValues(t, page, edit)
	v.Add("additional_networks", treviglio)
	if res, page := anna.do("POST", edit, v); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the network added back in the amendment: status %d\n%s", res.StatusCode, errorsOf(page))
	}
	if got := others(); !slices.Equal(got, []string{dalmine, treviglio}) {
		t.Errorf("the amendment's other networks: %v, want Dalmine's and Treviglio's", got)
	}
}
