package web

import (
	"math"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/resource"
)

// partnerList lists the region's partners, filtered by name (the
// service's query filter), the archived ones too, marked: they stay
// readable (ADR 30), and their page is where they are made active again.
func (a *App) partnerList(w http.ResponseWriter, r *http.Request, s *session) {
	showList(a, w, r, s, "partners", a.partners.ListPartners, &famiv1.ListPartnersRequest{Parent: regionName(s.region), Query: searchQuery(r), ShowArchived: true},
		(*famiv1.ListPartnersResponse).GetPartners,
		s.mayCreate(a, createPartner))
}

// partnerPage creates or edits a partner.
type partnerPage struct {
	frame
	Form      *form
	Kinds     []option
	Partner   *famiv1.Partner
	RequestID string
	// CanEdit is unset for readers: the page shows the partner, no form.
	CanEdit bool
}

func (a *App) partnerNew(w http.ResponseWriter, r *http.Request, s *session) {
	a.renderPartner(w, r, s, http.StatusOK, newForm(nil), nil)
}

func (a *App) renderPartner(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form, pt *famiv1.Partner) {
	p := &partnerPage{frame: a.newFrame(r, s, formTitle("partners", pt != nil)), Form: fm, Partner: pt, RequestID: newRequestID(),
		Kinds:   enumOptions(famiv1.PartnerKind_name, func(n int32) string { return famiv1.PartnerKind(n).String() }),
		CanEdit: s.mayCreate(a, createPartner)}
	switch {
	case pt != nil && !p.CanEdit:
		p.Title = pt.GetDisplayName()
	case pt != nil:
		olderName(fm, pt.GetDisplayName())
	}
	a.render(w, code, "partner", p)
}

// olderName marks the display_name field of a partner's or a network's
// form while it shows name, the stored one, and name breaks today's rule
// for names (check.Name: accents alone, an invisible character), which it
// was stored before. The service saves the form's other fields with it
// as it is (resource.Validate) and refuses it only once it changes to
// another such name, so the note says that the name itself must change,
// not that the form cannot be saved.
func olderName(fm *form, name string) {
	if fm.Errors["display_name"] != "" || fm.Get("display_name") != name {
		return
	}
	var v errs.Violations
	check.Name(&v, "display_name", name, false, math.MaxInt) // its length is not at stake
	if v.Len() > 0 {
		fm.Errors["display_name"] = msg("violation.older_name")
	}
}

var partnerFields = []string{"display_name", "kind", "fiscal_code", "description"}

func partnerFromForm(v url.Values) *famiv1.Partner {
	return &famiv1.Partner{
		DisplayName: v.Get("display_name"), Kind: famiv1.PartnerKind(famiv1.PartnerKind_value[v.Get("kind")]),
		FiscalCode: strings.TrimSpace(v.Get("fiscal_code")), Description: v.Get("description"), Etag: v.Get("etag"),
	}
}

// partnerPages are the partner's create and edit pages.
func (a *App) partnerPages() resourceForm[*famiv1.Partner] {
	return resourceForm[*famiv1.Partner]{app: a, get: a.getPartner, fields: partnerForm, read: readForm(partnerFromForm), prefix: "partner.", render: a.renderPartner,
		compared: map[string]string{"display_name": "field.display_name", "kind": "field.kind", "fiscal_code": "field.fiscal_code", "description": "field.description"}}
}

func (a *App) partnerCreate(w http.ResponseWriter, r *http.Request, s *session) {
	pt, err := a.partners.CreatePartner(s.ctx, &famiv1.CreatePartnerRequest{
		Parent: regionName(s.region), Partner: partnerFromForm(r.PostForm), PartnerId: r.PostFormValue("partner_id"), RequestId: r.PostFormValue("request_id"),
	})
	a.partnerPages().created(w, r, s, err, noticed("/partner/"+resource.ID(pt.GetName()), "partner_created"))
}

func (a *App) getPartner(r *http.Request, s *session) (*famiv1.Partner, error) {
	return a.partners.GetPartner(s.ctx, &famiv1.GetPartnerRequest{Name: pathName(r, s, resource.Partners, "partner")})
}

func (a *App) partnerEdit(w http.ResponseWriter, r *http.Request, s *session) {
	a.partnerPages().edit(w, r, s, http.StatusOK, nil)
}

func partnerForm(pt *famiv1.Partner) url.Values {
	return url.Values{"display_name": {pt.GetDisplayName()}, "kind": {pt.GetKind().String()}, "fiscal_code": {pt.GetFiscalCode()},
		"description": {pt.GetDescription()}, "etag": {pt.GetEtag()}}
}

func (a *App) partnerUpdate(w http.ResponseWriter, r *http.Request, s *session) {
	in := partnerFromForm(r.PostForm)
	in.Name = pathName(r, s, resource.Partners, "partner")
	_, err := a.partners.UpdatePartner(s.ctx, &famiv1.UpdatePartnerRequest{Partner: in, UpdateMask: &fieldmaskpb.FieldMask{Paths: partnerFields}, RequestId: r.PostFormValue("request_id")})
	a.partnerPages().updated(w, r, s, err, noticed(pageAt(resource.Partners, r.PathValue("partner")), "partner_updated"))
}

// partnerArchive archives the partner (archived) or makes it active again
// (ADR 30): archived, it stays readable and listed, and takes nothing
// new. The page's etag keeps it from a partner changed since.
func (a *App) partnerArchive(archived bool, ok string) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		_, err := a.partners.UpdatePartner(s.ctx, &famiv1.UpdatePartnerRequest{
			Partner:    &famiv1.Partner{Name: pathName(r, s, resource.Partners, "partner"), Archived: archived, Etag: r.PostFormValue("etag")},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"archived"}}, RequestId: r.PostFormValue("request_id")})
		a.partnerPages().acted(w, r, s, err, noticed(pageAt(resource.Partners, r.PathValue("partner")), ok))
	}
}

// networksPage lists the region's networks; network staff see the ones
// their partner belongs to first.
type networksPage struct {
	listPage[*famiv1.Network]
	Partners map[string]string
	// CanRead links each network to its page: for every role that may
	// read it, since the page is read-only for who may not edit it (it was
	// linked for editors only).
	CanRead bool
}

func (a *App) networkList(w http.ResponseWriter, r *http.Request, s *session) {
	canCreate := s.mayCreate(a, createNetwork)
	list, err := readListPage(a, r, s, "networks", a.networks.ListNetworks,
		&famiv1.ListNetworksRequest{Parent: regionName(s.region), Partner: s.who.Partner, Query: searchQuery(r)},
		(*famiv1.ListNetworksResponse).GetNetworks, canCreate)
	var partners map[string]string
	if err == nil {
		partners, err = a.partnerLabels(s, networkPartners(list.Items))
	}
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.render(w, list.status(), "networks", &networksPage{listPage: list, Partners: partners,
		CanRead: s.can(a, famiv1.NetworkService_GetNetwork_FullMethodName, &famiv1.GetNetworkRequest{Name: aip.Name(s.region, resource.Networks, "-")})})
}

// networkPartners names the partners networks show: their leads and
// members, which the list labels with the partners read by name
// (partnerLabels), never the region's whole.
func networkPartners(networks []*famiv1.Network) []string {
	var names []string
	for _, n := range networks {
		names = append(names, n.GetLeadPartner())
		for _, m := range n.GetMembers() {
			names = append(names, m.GetPartner())
		}
	}
	return names
}
