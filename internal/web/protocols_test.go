package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/web"
)

func TestProtocolDraftEditOpenAmend(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	network := f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	f.account("lombardia", "anna", "Anna Bianchi", famiv1.Role_ROLE_NETWORK_MEMBER, udp)
	f.account("lombardia", "marco", "Marco Verdi", famiv1.Role_ROLE_NETWORK_MEMBER, cpia)
	b := f.client(t)
	b.signIn("anna@lombardia")

	form := url.Values{"csrf": {b.csrf("/protocolli/nuovo")}, "network": {network}, "title": {"Protocollo UdP-CPIA"},
		"body": {"Art. 1 - Le parti collaborano."}, "valid_from": {"01/01/2025"}, "themes": {"italiano L2, orientamento"},
		"party.0.partner": {udp}, "party.0.role": {"PARTY_ROLE_PROPONENT"}, "party.1.partner": {""}}
	res, _ := b.do("POST", "/protocolli", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a one-party draft: status %d, want 303 (two parties are needed only to open it)", res.StatusCode)
	}
	path := strings.Split(res.Header.Get("Location"), "?")[0]
	id := path[strings.LastIndexByte(path, '/')+1:]

	_, page := b.do("POST", path+"/apri", url.Values{"csrf": {b.csrf(path)}, "conferma": {"1"}})
	if !strings.Contains(page, `role="alert"`) {
		t.Errorf("opening a one-party draft shows no error")
	}
	_, page = b.do("GET", path+"/modifica", nil)
	if !strings.Contains(page, "italiano L2, orientamento") || !strings.Contains(page, `value="01/01/2025"`) {
		t.Fatalf("the edit form does not show the draft")
	}
	etag := page[strings.Index(page, `name="etag" value="`)+len(`name="etag" value="`):]
	etag = etag[:strings.IndexByte(etag, '"')]
	form.Set("csrf", b.csrf(path+"/modifica"))
	form.Set("etag", etag)
	form.Set("party.1.partner", cpia)
	form.Set("party.1.role", "PARTY_ROLE_SIGNATORY")
	form.Set("party.2.partner", "")
	if res, _ = b.do("POST", path+"/modifica", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: status %d", res.StatusCode)
	}
	if res, _ = b.do("POST", path+"/apri", url.Values{"csrf": {b.csrf(path)}, "conferma": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("open: status %d", res.StatusCode)
	}
	for _, who := range []string{"anna", "marco"} {
		c := f.client(t)
		c.signIn(who + "@lombardia")
		_, page = c.do("GET", path, nil)
		hash := page[strings.Index(page, `name="content_hash" value="`)+len(`name="content_hash" value="`):]
		hash = hash[:strings.IndexByte(hash, '"')]
		if res, _ = c.do("POST", path+"/firma", url.Values{"csrf": {c.csrf(path)}, "content_hash": {hash}, "conferma": {"1"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s signs: status %d", who, res.StatusCode)
		}
	}
	_, page = b.do("GET", path, nil)
	if !strings.Contains(page, "In vigore") || !strings.Contains(page, "Prepara un emendamento") {
		t.Fatalf("the signed protocol is not shown in force with the amendment action")
	}
	res, _ = b.do("POST", path+"/emenda", url.Values{"csrf": {b.csrf(path)}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(strings.Split(res.Header.Get("Location"), "?")[0], "/modifica") {
		t.Fatalf("amend: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	next := strings.TrimSuffix(strings.Split(res.Header.Get("Location"), "?")[0], "/modifica")
	_, page = b.do("GET", next, nil)
	if !strings.Contains(page, "Versione 2") || !strings.Contains(page, `href="/protocolli/`+id+`"`) {
		t.Errorf("the amendment does not show its version and the one it replaces")
	}
}

// TestAmendmentLimitOnThePage: a protocol's 65th amendment is refused as
// the state of its chain of versions (LIMIT_REACHED). The protocol's page
// comes back saying the limit and what to do instead (a new protocol),
// not only that the most allowed was reached.
func TestAmendmentLimitOnThePage(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	b, network, udp, cpia := f.annaInBergamo(t)
	protocols := famiv1.NewProtocolServiceClient(f.conn)
	ctx := f.admin("lombardia")
	p, err := protocols.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", ProtocolId: "v0", Protocol: &famiv1.Protocol{
		Network: network, Title: "Protocollo UdP-CPIA", Body: "Art. 1", ValidFrom: "2025-01-01",
		Parties: []*famiv1.Party{{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: cpia, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}})
	for i := 1; err == nil && i <= 65; i++ {
		if p, err = protocols.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: p.GetName()}); err == nil && i <= 64 {
			p, err = protocols.AmendProtocol(ctx, &famiv1.AmendProtocolRequest{Name: p.GetName(), ProtocolId: fmt.Sprintf("v%d", i)})
		}
	}
	if err != nil {
		t.Fatalf("the chain of 64 amendments: %v", err)
	}
	path := "/protocolli/" + lastID(p.GetName())
	res, page := b.do("POST", path+"/emenda", url.Values{"csrf": {b.csrf(path)}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("the 65th amendment: status %d, want 422 with the protocol's page again", res.StatusCode)
	}
	for _, want := range []string{"Questo protocollo ha già 64 emendamenti", "redigi un nuovo protocollo", "Versione 65"} {
		if !strings.Contains(page, want) {
			t.Errorf("the refused amendment's page lacks %q", want)
		}
	}
}

// TestBrowserOpeningAProtocolAsksFirst: "Apri alla firma" freezes the text
// for good, so the browser asks first, saying so; answered no, the
// protocol stays a draft. It used to open at the first click.
func TestBrowserOpeningAProtocolAsksFirst(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	network := f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	f.account("lombardia", "anna", "Anna Bianchi", famiv1.Role_ROLE_NETWORK_MEMBER, udp)
	protocols := famiv1.NewProtocolServiceClient(f.conn)
	p, err := protocols.CreateProtocol(f.admin("lombardia"), &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", Protocol: &famiv1.Protocol{
		Network: network, Title: "Protocollo UdP-CPIA", Body: "Art. 1 - Le parti collaborano.", ValidFrom: "2025-01-01",
		Parties: []*famiv1.Party{{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: cpia, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}})
	if err != nil {
		t.Fatalf("CreateProtocol: %v", err)
	}
	state := func() famiv1.ProtocolState {
		t.Helper()
		got, err := protocols.GetProtocol(f.admin("lombardia"), &famiv1.GetProtocolRequest{Name: p.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		return got.GetState()
	}
	b := newBrowser(t, f)
	b.signIn("anna@lombardia")
	b.open("/protocolli/"+lastID(p.GetName()), "protocollo-bozza")
	askedFirst(b, "open", chromedp.Click(chromedp.CSS(`form[action$="/apri"] button`)),
		"Aprire il protocollo alla firma? Il testo non si potrà più modificare", state,
		famiv1.ProtocolState_PROTOCOL_STATE_DRAFT, "#protocol-hash", famiv1.ProtocolState_PROTOCOL_STATE_OPEN_FOR_SIGNATURE)
}

// TestProtocolDraftStoredUnderOlderRules: a draft whose themes, one listed
// twice, were stored before themes were checked for that (straight to the
// region's file) saves its form with the themes as they are, a change of
// its text with them; opened for signature, its text must keep every rule
// of today, and the refusal brings back the draft's form with the themes
// marked and, in Italian, what to do: fix them, save, then open it.
// Before, the protocol's page came back asking to check fields it does
// not show.
func TestProtocolDraftStoredUnderOlderRules(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	_, network, udp, cpia := f.annaInBergamo(t)
	p, err := famiv1.NewProtocolServiceClient(f.conn).CreateProtocol(f.admin("lombardia"), &famiv1.CreateProtocolRequest{
		Parent: "regions/lombardia", ProtocolId: "udp-cpia", Protocol: &famiv1.Protocol{
			Network: network, Title: "Protocollo UdP-CPIA", Body: "Art. 1", ValidFrom: "2025-01-01", Themes: []string{"italiano L2"},
			Parties: []*famiv1.Party{{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: cpia, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}})
	if err != nil {
		t.Fatal(err)
	}
	f = f.storedDirectly(func(tx store.WriteTx) error {
		stored := &famiv1.Protocol{}
		if err := tx.Get(p.GetName(), stored); err != nil {
			return err
		}
		stored.Themes = []string{"italiano L2", "italiano L2"}
		return tx.Put(stored)
	})
	b := f.client(t)
	b.signIn("anna@lombardia")
	path := "/protocolli/" + lastID(p.GetName())

	_, page := b.do("GET", path+"/modifica", nil)
	form := url.Values{"csrf": {b.csrf(path + "/modifica")}, "etag": {formEtag(t, page)}, "network": {network}, "title": {"Protocollo UdP-CPIA"},
		"body": {"Art. 1 - Le parti collaborano."}, "valid_from": {"01/01/2025"}, "themes": {"italiano L2, italiano L2"},
		"party.0.partner": {udp}, "party.0.role": {"PARTY_ROLE_PROPONENT"}, "party.1.partner": {cpia}, "party.1.role": {"PARTY_ROLE_SIGNATORY"}}
	if res, _ := b.do("POST", path+"/modifica", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the draft's form with its themes as stored: status %d, want 303", res.StatusCode)
	}
	got, err := famiv1.NewProtocolServiceClient(f.conn).GetProtocol(f.admin("lombardia"), &famiv1.GetProtocolRequest{Name: p.GetName()})
	if err != nil || got.GetBody() != "Art. 1 - Le parti collaborano." {
		t.Fatalf("the draft after its form: %v, %v; want its text saved", got, err)
	}

	res, page := b.do("POST", path+"/apri", url.Values{"csrf": {b.csrf(path)}, "etag": {got.GetEtag()}, "conferma": {"1"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("opening a draft whose themes break a rule: status %d, want 422", res.StatusCode)
	}
	for _, want := range []string{`action="` + path + `/modifica"`, `id="f-themes-err"`, "correggi i campi evidenziati, salva la bozza"} {
		if !strings.Contains(page, want) {
			t.Errorf("the refused opening's page lacks %q", want)
		}
	}
	if got, err := famiv1.NewProtocolServiceClient(f.conn).GetProtocol(f.admin("lombardia"), &famiv1.GetProtocolRequest{Name: p.GetName()}); err != nil ||
		got.GetState() != famiv1.ProtocolState_PROTOCOL_STATE_DRAFT {
		t.Errorf("after the refused opening: %v, %v; want a draft", got.GetState(), err)
	}
}

// TestRemovedMemberSeesNoProtocolButtons: a protocol's page offers a
// network member's staff only what the service would accept of them
// (protocols.MayChange, ADR 31). While the CPIA is a member of the
// network, Marco, its staff, sees the draft's edit link and open button,
// and the opened protocol's termination; once the CPIA is removed from the
// network he sees none of them, and the edit address leads him to the
// page. The web asked by party alone, and he got the refusal on pressing.
func TestRemovedMemberSeesNoProtocolButtons(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	network := f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	f.account("lombardia", "marco", "Marco Verdi", famiv1.Role_ROLE_NETWORK_MEMBER, cpia)
	ctx, protocols := f.admin("lombardia"), famiv1.NewProtocolServiceClient(f.conn)
	create := func(id string) string {
		t.Helper()
		p, err := protocols.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", ProtocolId: id, Protocol: &famiv1.Protocol{
			Network: network, Title: "Protocollo UdP-CPIA", Body: "Art. 1 - Le parti collaborano.", ValidFrom: "2025-01-01",
			Parties: []*famiv1.Party{{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: cpia, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}})
		if err != nil {
			t.Fatalf("CreateProtocol: %v", err)
		}
		return "/protocolli/" + lastID(p.GetName())
	}
	draft, opened := create("bozza"), create("aperto")
	if _, err := protocols.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: "regions/lombardia/protocols/aperto"}); err != nil {
		t.Fatalf("OpenProtocolForSignature: %v", err)
	}
	marco := f.client(t)
	marco.signIn("marco@lombardia")
	buttons := map[string][]string{
		draft:  {`href="` + draft + `/modifica"`, `action="` + draft + `/apri"`},
		opened: {`action="` + opened + `/risolvi"`},
	}
	look := func(member bool) {
		t.Helper()
		for page, marks := range buttons {
			_, body := marco.do("GET", page, nil)
			for _, mark := range marks {
				if strings.Contains(body, mark) != member {
					t.Errorf("member of the network %v: %s shows %s: %v, want %v", member, page, mark, !member, member)
				}
			}
		}
		res, _ := marco.do("GET", draft+"/modifica", nil)
		if edits := res.StatusCode == http.StatusOK; edits != member {
			t.Errorf("member of the network %v: the draft's edit form answers %d", member, res.StatusCode)
		}
	}
	look(true)

	if _, err := famiv1.NewNetworkServiceClient(f.conn).UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: network,
		Members: []*famiv1.Member{{Partner: udp, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"members"}}}); err != nil {
		t.Fatalf("UpdateNetwork: %v", err)
	}
	look(false)
}

// TestArchivedSeesNoProtocolActions: a protocol's page offers no
// signature, opening or amendment that the service refuses ARCHIVED
// (protocols.TakesNew, ADR 30). While the CPIA and the network are active,
// Marco, the CPIA's staff, sees the draft's open button, the opened
// protocol's signature form and the protocol in force's amendment; with
// the CPIA archived, or the network, he sees none of them. The web
// showed them, and the service answered ARCHIVED on pressing.
func TestArchivedSeesNoProtocolActions(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	_, network, udp, cpia := f.annaInBergamo(t)
	f.account("lombardia", "marco", "Marco Verdi", famiv1.Role_ROLE_NETWORK_MEMBER, cpia)
	ctx, protocols := f.admin("lombardia"), famiv1.NewProtocolServiceClient(f.conn)
	create := func(id string, open bool) *famiv1.Protocol {
		t.Helper()
		p, err := protocols.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", ProtocolId: id, Protocol: &famiv1.Protocol{
			Network: network, Title: "Protocollo UdP-CPIA", Body: "Art. 1 - Le parti collaborano.", ValidFrom: "2025-01-01",
			Parties: []*famiv1.Party{{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: cpia, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}})
		if err == nil && open {
			p, err = protocols.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: p.GetName()})
		}
		if err != nil {
			t.Fatalf("protocol %s: %v", id, err)
		}
		return p
	}
	draft, opened, inForce := create("bozza", false), create("aperto", true), create("vigente", true)
	for _, who := range []string{"anna@lombardia", "marco@lombardia"} {
		if _, err := protocols.SignProtocol(f.asAccount(who), &famiv1.SignProtocolRequest{Name: inForce.GetName(), ContentHash: inForce.GetContentHash()}); err != nil {
			t.Fatalf("%s signs: %v", who, err)
		}
	}
	path := func(p *famiv1.Protocol) string { return "/protocolli/" + lastID(p.GetName()) }
	buttons := map[string]string{
		path(draft):   `action="` + path(draft) + `/apri"`,
		path(opened):  `action="` + path(opened) + `/firma"`,
		path(inForce): `action="` + path(inForce) + `/emenda"`,
	}
	marco := f.client(t)
	marco.signIn("marco@lombardia")
	look := func(what string, offered bool) {
		t.Helper()
		for page, mark := range buttons {
			if _, body := marco.do("GET", page, nil); strings.Contains(body, mark) != offered {
				t.Errorf("%s: %s shows %s: %v, want %v", what, page, mark, !offered, offered)
			}
		}
	}
	// What the page leaves out is what the service refuses Marco: the
	// page follows its rule, neither more nor less.
	asMarco := f.asAccount("marco@lombardia")
	refused := func(what string) {
		t.Helper()
		_, openErr := protocols.OpenProtocolForSignature(asMarco, &famiv1.OpenProtocolForSignatureRequest{Name: draft.GetName()})
		_, signErr := protocols.SignProtocol(asMarco, &famiv1.SignProtocolRequest{Name: opened.GetName(), ContentHash: opened.GetContentHash()})
		_, amendErr := protocols.AmendProtocol(asMarco, &famiv1.AmendProtocolRequest{Name: inForce.GetName(), ProtocolId: "emendamento"})
		for act, err := range map[string]error{"open": openErr, "sign": signErr, "amend": amendErr} {
			if info := web.ErrorInfo(err); status.Code(err) != codes.FailedPrecondition || info.GetReason() != string(errs.Archived) {
				t.Errorf("%s: Marco's %s: %v, want FAILED_PRECONDITION, ARCHIVED", what, act, err)
			}
		}
	}
	partners, networks := famiv1.NewPartnerServiceClient(f.conn), famiv1.NewNetworkServiceClient(f.conn)
	archivePartner := func(archived bool) {
		t.Helper()
		if _, err := partners.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: cpia, Archived: archived},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"archived"}}}); err != nil {
			t.Fatalf("UpdatePartner: %v", err)
		}
	}
	look("all active", true)
	archivePartner(true)
	look("the CPIA archived", false)
	refused("the CPIA archived")
	archivePartner(false)
	look("the CPIA active again", true)
	if _, err := networks.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: network, State: famiv1.NetworkState_NETWORK_STATE_ARCHIVED},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}}}); err != nil {
		t.Fatalf("UpdateNetwork: %v", err)
	}
	look("the network archived", false)
	refused("the network archived")
}

// TestProtocolPageShowsItsNetworksAndThemes: a protocol across networks
// (an Ufficio di Piano's network with a CPIA's) shows its additional
// network on its page, and its themes, as the staff of the CPIA's
// network read it before signing. Before, the page named its first
// network alone, and the themes typed in its form were shown nowhere but
// that form.
func TestProtocolPageShowsItsNetworksAndThemes(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	anna, network, udp, _ := f.annaInBergamo(t)
	school := f.partner("lombardia", "cpia-dalmine", "CPIA Dalmine")
	other := f.network("lombardia", "rete-dalmine", "Rete di Dalmine", school)
	p, err := famiv1.NewProtocolServiceClient(f.conn).CreateProtocol(f.admin("lombardia"), &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", Protocol: &famiv1.Protocol{
		Network: network, AdditionalNetworks: []string{other}, Title: "Protocollo tra reti", Body: "Art. 1 - Le parti collaborano.",
		Themes: []string{"italiano L2", "orientamento al lavoro"}, ValidFrom: "2027-01-01",
		Parties: []*famiv1.Party{{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: school, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}})
	if err != nil {
		t.Fatalf("CreateProtocol: %v", err)
	}
	_, page := anna.do("GET", "/protocolli/"+lastID(p.GetName()), nil)
	for _, want := range []string{
		"<dt>Rete territoriale</dt><dd>Rete Bergamo</dd>",
		"<dt>Altre reti</dt><dd>Rete di Dalmine</dd>",
		"<dt>Temi</dt><dd>italiano L2, orientamento al lavoro</dd>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the protocol's page does not show %q", want)
		}
	}
}

// TestAmendmentLeavesOutTheArchivedParty: with the CPIA archived (a body
// that closed), Anna, the UdP's staff, is offered the amendment of the
// protocol in force, and the page says the CPIA is left out; her form
// sends it in remove_parties, and the draft made is the UdP's alone (ADR
// 36, revised). Before, the page offered no amendment, and the service
// refused any. The same form without the removal, as a page read before
// the archiving sends it, is refused with the page again, nothing made.
func TestAmendmentLeavesOutTheArchivedParty(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	anna, network, udp, cpia := f.annaInBergamo(t)
	f.account("lombardia", "marco", "Marco Verdi", famiv1.Role_ROLE_NETWORK_MEMBER, cpia)
	ctx, protocols := f.admin("lombardia"), famiv1.NewProtocolServiceClient(f.conn)
	p, err := protocols.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", ProtocolId: "vigente", Protocol: &famiv1.Protocol{
		Network: network, Title: "Protocollo UdP-CPIA", Body: "Art. 1 - Le parti collaborano.", ValidFrom: "2025-01-01",
		Parties: []*famiv1.Party{{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: cpia, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}})
	if err == nil {
		p, err = protocols.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: p.GetName()})
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"anna@lombardia", "marco@lombardia"} {
		if _, err := protocols.SignProtocol(f.asAccount(who), &famiv1.SignProtocolRequest{Name: p.GetName(), ContentHash: p.GetContentHash()}); err != nil {
			t.Fatalf("%s signs: %v", who, err)
		}
	}
	if _, err := famiv1.NewPartnerServiceClient(f.conn).UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: cpia, Archived: true},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"archived"}}}); err != nil {
		t.Fatal(err)
	}
	path := "/protocolli/" + lastID(p.GetName())
	_, page := anna.do("GET", path, nil)
	for _, want := range []string{`action="` + path + `/emenda"`, `name="remove_parties" value="` + cpia + `"`, "L&#39;emendamento non riporterà quanto è archiviato: "} {
		if !strings.Contains(page, want) {
			t.Errorf("the page of the protocol with the CPIA archived lacks %s", want)
		}
	}
	res, _ := anna.do("POST", path+"/emenda", url.Values{"csrf": {anna.csrf(path)}})
	if res.StatusCode == http.StatusSeeOther {
		t.Errorf("the amendment keeping the archived CPIA was made (%s)", res.Header.Get("Location"))
	}
	// What the form sends is the service's to check: a name the
	// protocol does not hold is refused, with the page again.
	for _, hostile := range []string{"x\x00", network, strings.Repeat("é", 10_000)} {
		if res, body := anna.do("POST", path+"/emenda", url.Values{"csrf": {anna.csrf(path)}, "remove_parties": {cpia, hostile}}); res.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(body, "Prepara un emendamento") {
			t.Errorf("the amendment leaving out %.20q: status %d, want 422 with the protocol's page: %s", hostile, res.StatusCode, body)
		}
	}
	res, _ = anna.do("POST", path+"/emenda", url.Values{"csrf": {anna.csrf(path)}, "remove_parties": {cpia}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(strings.Split(res.Header.Get("Location"), "?")[0], "/modifica") {
		t.Fatalf("the amendment leaving out the CPIA: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	next := strings.TrimSuffix(strings.Split(res.Header.Get("Location"), "?")[0], "/modifica")
	draft, err := protocols.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: "regions/lombardia/protocols/" + lastID(next)})
	if err != nil {
		t.Fatal(err)
	}
	if got := draft.GetParties(); len(got) != 1 || got[0].GetPartner() != udp || draft.GetSupersedes() != p.GetName() {
		t.Errorf("the amendment: parties %v, supersedes %s; want the UdP alone, superseding %s", got, draft.GetSupersedes(), p.GetName())
	}
}
