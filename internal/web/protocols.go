package web

import (
	"net/http"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/protocols"
	"github.com/raccordo/raccordo/internal/resource"
)

// protocolsPage lists protocols, a page at a time: for network staff,
// those where their partner is a party.
type protocolsPage struct {
	frame
	Protocols []*famiv1.Protocol
	Pager     *pager
	CanCreate bool
}

func (a *App) protocolList(w http.ResponseWriter, r *http.Request, s *session) {
	req := &famiv1.ListProtocolsRequest{Parent: regionName(s.region), Partner: s.who.Partner}
	if n := r.URL.Query().Get("rete"); validID(n) {
		req.Network = aip.Name(s.region, resource.Networks, n)
	}
	// The page keeps of each protocol what its row shows, never the text.
	rows, pg, err := readPage(s, r, "", msg("protocols.title"), a.protocols.ListProtocols, req, (*famiv1.ListProtocolsResponse).GetProtocols,
		func(p *famiv1.Protocol) (*famiv1.Protocol, bool) {
			return &famiv1.Protocol{Name: p.GetName(), Title: p.GetTitle(), Version: p.GetVersion(), State: p.GetState(),
				ValidFrom: p.GetValidFrom(), ValidUntil: p.GetValidUntil()}, true
		})
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.render(w, http.StatusOK, "protocols", &protocolsPage{frame: a.newFrame(r, s, "protocols.title"), Protocols: rows, Pager: pg,
		CanCreate: s.mayCreate(a, createProtocol)})
}

// protocolPage shows a protocol: its frozen text and content hash, its
// parties and signatures, and the signature form when the user's partner
// may sign now.
type protocolPage struct {
	frame
	Protocol     *famiv1.Protocol
	Partners     map[string]string
	Signed       map[string]bool
	CanSign      bool
	CanOpen      bool
	CanEdit      bool
	CanAmend     bool
	CanTerminate bool
	Form         *form
	RequestID    string
	NetworkName  string
	// OtherNetworks are the display names of its additional networks
	// (a protocol across networks), in its order, joined.
	OtherNetworks   string
	StateName       string
	MyPartnerSigned bool
	// RemoveParties and RemoveNetworks are what the amendment leaves
	// out (protocols.LeftOut): the archived parties and additional
	// networks, which LeftOutLabels names for the user.
	RemoveParties  []string
	RemoveNetworks []string
	LeftOutLabels  string
	// KeptNetworks are the other networks, active, that the amendment
	// copies unless the user leaves them out (remove_additional_networks,
	// the amendment form's checkboxes). Networks are added in the draft
	// it makes, whose form the amendment leads to: AmendProtocol has no
	// field that adds one.
	KeptNetworks []option
}

func (a *App) protocolView(w http.ResponseWriter, r *http.Request, s *session) {
	a.renderProtocol(w, r, s, http.StatusOK, newForm(nil))
}

func (a *App) renderProtocol(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form) {
	pr, err := a.getProtocol(r, s)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	// The page names the protocol's network and partners, each read by
	// name: it read the region's every network for the one. The partners
	// are read with whether each is archived, which protocols.TakesNew
	// asks, in the same call.
	parties, partners, err := readLabelled(s, nil, protocolPartners(pr), resource.Partners,
		a.batchPartners(labelStateMask()), displayNameOf, a.partnerNames)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	networks, err := a.protocolNetworks(s, pr)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	p := &protocolPage{frame: a.newFrame(r, s, "protocols.title"), Protocol: pr, Partners: partners, Signed: map[string]bool{},
		Form: fm, RequestID: newRequestID(), NetworkName: displayNameIn(networks, pr.GetNetwork()), StateName: strings.TrimPrefix(pr.GetState().String(), "PROTOCOL_STATE_")}
	p.Title = pr.GetTitle()
	var others []string
	for _, n := range pr.GetAdditionalNetworks() {
		if name := displayNameIn(networks, n); name != "" {
			others = append(others, name)
		}
	}
	p.OtherNetworks = strings.Join(others, ", ")
	for _, sg := range pr.GetSignatures() {
		p.Signed[sg.GetParty()] = true
	}
	party := false
	for _, pt := range pr.GetParties() {
		party = party || pt.GetPartner() == s.who.Partner
	}
	p.MyPartnerSigned = p.Signed[s.who.Partner]
	p.offer(a, s, party, networks, parties)
	a.render(w, code, "protocol", p)
}

// offer sets the actions p's page offers the session's user: those the
// service would accept of them on p.Protocol, as stored, given its
// networks and the partners of its parties as they are now, and whether
// their partner is a party.
func (p *protocolPage) offer(a *App, s *session, party bool, networks []*famiv1.Network, parties []*famiv1.Partner) {
	pr := p.Protocol
	// An archived network or partner takes no signature, opening or
	// amendment (protocols.TakesNew, the service's own rule, ADR 30): the
	// buttons were shown, and answered ARCHIVED.
	takes := func(act protocols.Act) bool { return protocols.TakesNew(s.who, pr, act, networks, parties) }
	p.CanSign = party && !p.MyPartnerSigned && pr.GetState() == famiv1.ProtocolState_PROTOCOL_STATE_OPEN_FOR_SIGNATURE && takes(protocols.Sign) &&
		s.can(a, famiv1.ProtocolService_SignProtocol_FullMethodName, &famiv1.SignProtocolRequest{Name: pr.GetName()})
	state := pr.GetState()
	draft := state == famiv1.ProtocolState_PROTOCOL_STATE_DRAFT
	// A network member's staff change only the protocols their partner
	// is a party to, while a member of its networks (protocols.MayChange,
	// the service's own rule): the buttons were shown to all, and
	// answered 403.
	mine := protocols.MayChange(s.who, pr, networks)
	p.CanOpen = draft && mine && takes(protocols.Open) && s.can(a, famiv1.ProtocolService_OpenProtocolForSignature_FullMethodName, &famiv1.OpenProtocolForSignatureRequest{Name: pr.GetName()})
	p.CanEdit = a.mayEditProtocol(s, pr, networks)
	inForce := state == famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE || state == famiv1.ProtocolState_PROTOCOL_STATE_SIGNED
	p.CanAmend = inForce && mine && pr.GetSupersededBy() == "" && takes(protocols.Amend) &&
		s.can(a, famiv1.ProtocolService_AmendProtocol_FullMethodName, &famiv1.AmendProtocolRequest{Name: pr.GetName()})
	if p.CanAmend {
		p.amendment(networks, parties)
	}
	p.CanTerminate = (inForce || state == famiv1.ProtocolState_PROTOCOL_STATE_OPEN_FOR_SIGNATURE) && mine &&
		s.can(a, famiv1.ProtocolService_TerminateProtocol_FullMethodName, &famiv1.TerminateProtocolRequest{Name: pr.GetName()})
}

// amendment sets what p's amendment form leaves out, given p.Protocol's
// networks and the partners of its parties as they are now: the archived
// ones, which it must (protocols.LeftOut), named for the user, and the
// other networks, active, that the user may leave out (KeptNetworks).
func (p *protocolPage) amendment(networks []*famiv1.Network, parties []*famiv1.Partner) {
	pr := p.Protocol
	p.RemoveParties, p.RemoveNetworks = protocols.LeftOut(pr, networks, parties)
	var labels []string
	for _, n := range p.RemoveParties {
		labels = append(labels, p.Partners[n])
	}
	for _, n := range p.RemoveNetworks {
		labels = append(labels, displayNameIn(networks, n))
	}
	p.LeftOutLabels = strings.Join(labels, ", ")
	for _, n := range pr.GetAdditionalNetworks() {
		if !slices.Contains(p.RemoveNetworks, n) {
			p.KeptNetworks = append(p.KeptNetworks, option{n, displayNameIn(networks, n)})
		}
	}
}

// protocolPartners names the partners a protocol's page shows: its
// parties and who signed, read by name (partnerLabels), never the
// region's whole.
func protocolPartners(pr *famiv1.Protocol) []string {
	var names []string
	for _, pt := range pr.GetParties() {
		names = append(names, pt.GetPartner())
	}
	for _, sg := range pr.GetSignatures() {
		names = append(names, sg.GetParty())
	}
	return names
}

// mayEditProtocol reports whether the session's user may save pr's draft
// form: a draft, the rights table, and the protocol's own rule on who
// asks (protocols.MayChange, given pr's networks: protocolNetworks).
func (a *App) mayEditProtocol(s *session, pr *famiv1.Protocol, networks []*famiv1.Network) bool {
	return pr.GetState() == famiv1.ProtocolState_PROTOCOL_STATE_DRAFT && protocols.MayChange(s.who, pr, networks) &&
		s.can(a, famiv1.ProtocolService_UpdateProtocol_FullMethodName, &famiv1.UpdateProtocolRequest{Protocol: pr})
}

// displayNameIn is the display name of the network of networks named
// name, "" if none is.
func displayNameIn(networks []*famiv1.Network, name string) string {
	for _, n := range networks {
		if n.GetName() == name {
			return n.GetDisplayName()
		}
	}
	return ""
}

// protocolNetworks reads pr's network and additional networks by name,
// with their members, which protocols.MayChange asks of a network
// member's, their states, which protocols.TakesNew asks, and their names,
// which the page shows. One the region no longer has is left out.
func (a *App) protocolNetworks(s *session, pr *famiv1.Protocol) ([]*famiv1.Network, error) {
	names := append([]string{pr.GetNetwork()}, pr.GetAdditionalNetworks()...)
	networks, _, err := readNamed(s, names, resource.Networks, len(names),
		a.batchNetworks(&fieldmaskpb.FieldMask{Paths: []string{"name", "display_name", "members", "state"}}))
	return networks, err
}

// protocolSign signs with the content hash the page showed: if the text
// changed since, the service refuses (CONTENT_HASH_MISMATCH) and the page
// shows the new text.
func (a *App) protocolSign(w http.ResponseWriter, r *http.Request, s *session) {
	name := pathName(r, s, resource.Protocols, "protocol")
	_, err := a.protocols.SignProtocol(s.ctx, &famiv1.SignProtocolRequest{Name: name, ContentHash: r.PostFormValue("content_hash"), RequestId: r.PostFormValue("request_id")})
	a.afterProtocolAction(w, r, s, err, "protocol_signed")
}

func (a *App) protocolOpen(w http.ResponseWriter, r *http.Request, s *session) {
	name := pathName(r, s, resource.Protocols, "protocol")
	_, err := a.protocols.OpenProtocolForSignature(s.ctx, &famiv1.OpenProtocolForSignatureRequest{Name: name, Etag: r.PostFormValue("etag"), RequestId: r.PostFormValue("request_id")})
	if a.protocolPages().advised(w, r, s, err, "protocols.open_advice") {
		return
	}
	a.afterProtocolAction(w, r, s, err, "protocol_opened")
}

// afterProtocolAction answers a button of the protocol's page (sign, open,
// amend, terminate): refused, the page again as stored now, keeping what
// the action's form sent (a termination's reason).
func (a *App) afterProtocolAction(w http.ResponseWriter, r *http.Request, s *session, err error, ok string) {
	fm := actionForm(r.PostForm)
	a.submitted(w, r, s, fm, err, "", func(code int) { a.renderProtocol(w, r, s, code, fm) },
		noticed(pageAt(resource.Protocols, r.PathValue("protocol")), ok))
}
