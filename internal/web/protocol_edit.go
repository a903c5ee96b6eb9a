package web

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/resource"
)

// protocolEditPage drafts a protocol or edits a draft: the parties are
// rows of the form (the recorded ones and two empty ones). Its network,
// other network and party choices are a page each (protocolChoices),
// narrowed by their searches.
type protocolEditPage struct {
	frame
	Form                         *form
	Protocol                     *famiv1.Protocol
	Networks                     []option
	Partners                     []option
	NetworkSearch, PartnerSearch choiceSearch
	// OtherNetworks are the choices of the protocol's other networks
	// (additional_networks, a protocol across networks), checkboxes:
	// a page of the region's networks, not only the user's (a network
	// member's partner need be a member of one of the protocol's
	// networks, not of each), matching OtherSearch, and those the form
	// names.
	OtherNetworks []option
	OtherSearch   choiceSearch
	Roles         []option
	Rows          []int
	RequestID     string
}

// partyQuery is the protocol form's query parameter of the party search
// (its network search's is networkQuery).
const partyQuery = "parte"

// otherQuery is the protocol form's query parameter of the search of its
// other networks.
const otherQuery = "altre_reti"

// protocolFields are the fields the draft form edits, by proto name.
var protocolFields = []string{"network", "additional_networks", "title", "parties", "objectives", "body", "themes", "valid_from", "valid_until"}

func (a *App) protocolNew(w http.ResponseWriter, r *http.Request, s *session) {
	v := url.Values{}
	if s.who.Partner != "" {
		v.Set("party.0.partner", s.who.Partner)
		v.Set("party.0.role", famiv1.PartyRole_PARTY_ROLE_PROPONENT.String())
		v.Set("party.0.role_shown", famiv1.PartyRole_PARTY_ROLE_PROPONENT.String())
	}
	a.renderProtocolEdit(w, r, s, http.StatusOK, newForm(v), nil)
}

func (a *App) renderProtocolEdit(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form, p *famiv1.Protocol) {
	page := &protocolEditPage{frame: a.newFrame(r, s, formTitle("protocols", p != nil)), Form: fm, Protocol: p,
		RequestID: newRequestID(), Rows: formRows(fm, "party", 2),
		Roles: enumOptions(famiv1.PartyRole_name, func(n int32) string { return famiv1.PartyRole(n).String() })}
	l, err := a.protocolChoices(r, s, fm, page)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	fm.linked = l
	page.Networks, page.Partners, page.OtherNetworks = sortedOptions(l.myNetworks), sortedOptions(l.partners), sortedOptions(l.networks)
	a.render(w, code, "protocol_edit", page)
}

// protocolChoices loads the protocol form's choices as choices.go bounds
// a select, never the region's networks or partners whole: a page of the
// user's networks (myNetworks' rule), one of the region's networks for
// the other networks, and one of the region's partners, each matching
// its search (page's NetworkSearch, OtherSearch, PartnerSearch), with the
// networks and the parties the form names, as typed and as stored.
func (a *App) protocolChoices(r *http.Request, s *session, fm *form, page *protocolEditPage) (*lookups, error) {
	l := &lookups{}
	page.PartnerSearch = choiceSearch{Param: partyQuery, Label: msg("protocols.party_search"), MoreHint: msg("protocols.parties_more"),
		SearchedHint: "protocols.parties_searched"}
	page.OtherSearch = choiceSearch{Param: otherQuery, Label: msg("protocols.other_search"), MoreHint: msg("protocols.others_more"),
		SearchedHint: "protocols.others_searched"}
	var networks, others, parties []string
	for _, v := range []url.Values{fm.Values, fm.seen} {
		networks = append(networks, v.Get("network"))
		others = append(others, v["additional_networks"]...)
		for i := range rowCount(v, "party") {
			parties = append(parties, v.Get("party."+strconv.Itoa(i)+".partner"))
		}
	}
	var err error
	l.myNetworks, err = a.searchNetworks(r, s, &page.NetworkSearch, s.who.Partner, networks)
	if err == nil {
		l.networks, err = a.otherNetworks(r, s, page, l.myNetworks, others)
	}
	if err == nil {
		l.partners, err = searchChoices(&page.PartnerSearch, r.FormValue(partyQuery), "protocols.party_search_refused", func(q string) (map[string]string, bool, error) {
			return a.partnerChoicesPage(s, q)
		})
	}
	if err != nil {
		return nil, err
	}
	named, err := a.partnerLabels(s, parties)
	maps.Copy(l.partners, named)
	return l, err
}

// otherNetworks are the choices of the protocol form's other networks: a
// page of the region's networks matching page's OtherSearch
// (findNetworks), and those the form names (named). For a user with no
// partner, whose network choices (mine) are the region's too
// (myNetworks' rule), searched alike, it is the same page, not read
// twice.
func (a *App) otherNetworks(r *http.Request, s *session, page *protocolEditPage, mine map[string]string, named []string) (map[string]string, error) {
	search, same := &page.OtherSearch, page.NetworkSearch
	if s.who.Partner == "" && same.Error == "" && cutQuery(r.FormValue(search.Param)) == same.Query {
		search.Query, search.More = same.Query, same.More
		return a.networkLabels(s, maps.Clone(mine), named)
	}
	return a.findNetworks(r, s, search, "protocols.other_search_refused", "", named)
}

// protocolFromForm reads the draft form; party rows left empty are left
// out (that is how the form removes a party); one typed into without a
// partner is sent, for the service to refuse (partyRows). The other
// networks are the boxes checked, sent as they came, for the service to
// check.
func protocolFromForm(v url.Values) *famiv1.Protocol {
	p := &famiv1.Protocol{
		Network: v.Get("network"), AdditionalNetworks: slices.Clone(v["additional_networks"]), Title: v.Get("title"), Objectives: v.Get("objectives"), Body: v.Get("body"),
		ValidFrom: parseDate(v.Get("valid_from")), ValidUntil: parseDate(v.Get("valid_until")), Etag: v.Get("etag"),
	}
	for _, t := range strings.Split(v.Get("themes"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			p.Themes = append(p.Themes, t)
		}
	}
	for _, i := range partyRows(v) {
		k := "party." + strconv.Itoa(i) + "."
		p.Parties = append(p.Parties, &famiv1.Party{Partner: v.Get(k + "partner"), Role: famiv1.PartyRole(famiv1.PartyRole_value[v.Get(k+"role")]),
			RoleLabel: v.Get(k + "role_label"), Commitments: v.Get(k + "commitments")})
	}
	return p
}

// protocolForm shows a protocol in the draft form's fields.
func protocolForm(p *famiv1.Protocol) url.Values {
	v := url.Values{"network": {p.GetNetwork()}, "additional_networks": p.GetAdditionalNetworks(), "title": {p.GetTitle()}, "objectives": {p.GetObjectives()}, "body": {p.GetBody()},
		"themes": {strings.Join(p.GetThemes(), ", ")}, "valid_from": {formatDate(p.GetValidFrom())}, "valid_until": {formatDate(p.GetValidUntil())},
		"etag": {p.GetEtag()}}
	for i, pt := range p.GetParties() {
		k := "party." + strconv.Itoa(i) + "."
		v.Set(k+"partner", pt.GetPartner())
		v.Set(k+"role", pt.GetRole().String())
		v.Set(k+"role_shown", pt.GetRole().String())
		v.Set(k+"role_label", pt.GetRoleLabel())
		v.Set(k+"commitments", pt.GetCommitments())
	}
	return v
}

// protocolPages are the protocol draft's create and edit pages.
func (a *App) protocolPages() resourceForm[*famiv1.Protocol] {
	return resourceForm[*famiv1.Protocol]{app: a, get: a.getProtocol, fields: protocolForm, read: readForm(protocolFromForm), rows: partyFault, prefix: "protocol.", render: a.renderProtocolEdit,
		compared: map[string]string{"network": "field.network", "additional_networks": "protocols.other_networks", "title": "meetings.what", "objectives": "protocols.objectives", "body": "protocols.body",
			"themes": "protocols.themes", "valid_from": "protocols.valid_from", "valid_until": "protocols.valid_until",
			"party.%d.partner": "protocols.parties", "party.%d.role": "protocols.party_roles", "party.%d.role_label": "protocols.role_labels",
			"party.%d.commitments": "protocols.commitments"}}
}

// partyRows are the party rows of the draft form that it sends
// (sentRows): those with a partner, and those with a role label or
// commitments typed, or a role chosen, and no partner, which the service
// refuses for the partner it requires (partyFault). A role counts only
// when changed from the one the row showed (role_shown, typedIn): a
// recorded party is still removed by clearing its partner alone, its role
// left as it was; a spare row's role, shown unchosen, chosen alone was
// dropped silently.
func partyRows(v url.Values) []int {
	return sentRows(v, "party", "partner", "role", "role_label", "commitments")
}

// partyFault places the service's refusal of a party sent without its
// partner at its row's partner (keyMissing).
func partyFault(v url.Values) rowFault {
	return keyMissing(v, "parties", "party", "partner", partyRows(v), "protocols.party_unchosen")
}

func (a *App) protocolCreate(w http.ResponseWriter, r *http.Request, s *session) {
	p, err := a.protocols.CreateProtocol(s.ctx, &famiv1.CreateProtocolRequest{Parent: regionName(s.region), Protocol: protocolFromForm(r.PostForm),
		RequestId: r.PostFormValue("request_id")})
	a.protocolPages().created(w, r, s, err, noticed("/protocolli/"+resource.ID(p.GetName()), "protocol_created"))
}

func (a *App) getProtocol(r *http.Request, s *session) (*famiv1.Protocol, error) {
	return a.protocols.GetProtocol(s.ctx, &famiv1.GetProtocolRequest{Name: pathName(r, s, resource.Protocols, "protocol")})
}

// protocolEdit shows the draft's form to whom may save it
// (mayEditProtocol), and anyone else the protocol's page, read-only: the
// form was shown to every reader, and its save answered 403 (or 422 once
// the protocol was no longer a draft).
func (a *App) protocolEdit(w http.ResponseWriter, r *http.Request, s *session) {
	pr, err := a.getProtocol(r, s)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	networks, err := a.protocolNetworks(s, pr)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	if !a.mayEditProtocol(s, pr, networks) {
		http.Redirect(w, r, "/protocolli/"+resource.ID(pr.GetName()), http.StatusSeeOther)
		return
	}
	a.protocolPages().edit(w, r, s, http.StatusOK, nil)
}

func (a *App) protocolUpdate(w http.ResponseWriter, r *http.Request, s *session) {
	in := protocolFromForm(r.PostForm)
	in.Name = pathName(r, s, resource.Protocols, "protocol")
	_, err := a.protocols.UpdateProtocol(s.ctx, &famiv1.UpdateProtocolRequest{Protocol: in, UpdateMask: &fieldmaskpb.FieldMask{Paths: protocolFields},
		RequestId: r.PostFormValue("request_id")})
	a.protocolPages().updated(w, r, s, err, noticed(pageAt(resource.Protocols, r.PathValue("protocol")), "protocol_updated"))
}

// protocolAmend starts the next version: a draft copy the parties edit,
// open and sign again, less the archived parties and additional networks
// the page's form leaves out (protocols.LeftOut, ADR 36).
func (a *App) protocolAmend(w http.ResponseWriter, r *http.Request, s *session) {
	name := pathName(r, s, resource.Protocols, "protocol")
	next, err := a.protocols.AmendProtocol(s.ctx, &famiv1.AmendProtocolRequest{Name: name, Etag: r.PostFormValue("etag"), RequestId: r.PostFormValue("request_id"),
		RemoveParties: r.PostForm["remove_parties"], RemoveAdditionalNetworks: r.PostForm["remove_additional_networks"]})
	if err == nil {
		seeOther(w, r, noticed("/protocolli/"+resource.ID(next.GetName())+"/modifica", "protocol_amended"))
		return
	}
	a.afterProtocolAction(w, r, s, err, "")
}

func (a *App) protocolTerminate(w http.ResponseWriter, r *http.Request, s *session) {
	name := pathName(r, s, resource.Protocols, "protocol")
	_, err := a.protocols.TerminateProtocol(s.ctx, &famiv1.TerminateProtocolRequest{Name: name, Reason: r.PostFormValue("reason"),
		Etag: r.PostFormValue("etag"), RequestId: r.PostFormValue("request_id")})
	a.afterProtocolAction(w, r, s, err, "protocol_terminated")
}
