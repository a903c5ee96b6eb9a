package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/namekey"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/resource"
)

// networkPage creates or edits a network: its lead partner (capofila),
// members, the projects it implements and its territory.
type networkPage struct {
	frame
	Form    *form
	Network *famiv1.Network
	// Partners are the member rows' shared list (partnerSuggestions): a
	// bounded page of the region's partners, once on the page, not once a
	// row (1 MB for 700 partners), nor the region's (55 KiB).
	Partners []option
	// Labels are the display names of the partners the rows name
	// (memberLabels).
	Labels map[string]string
	// Projects are the project checkboxes: a page of the region's
	// projects matching ProjectSearch, and the network's (networkProjects).
	Projects      []option
	ProjectSearch choiceSearch
	Roles         []option
	Rows          []int
	RequestID     string
	// CanEdit is whether the user may save the network (mayEditNetwork):
	// anyone else sees it read-only, with no form to be refused.
	CanEdit bool
}

var networkFields = []string{"display_name", "lead_partner", "members", "municipalities", "ats", "social_district", "projects", "description"}

func (a *App) networkNew(w http.ResponseWriter, r *http.Request, s *session) {
	a.networkPages().fresh(w, r, s, http.StatusOK, newForm(nil))
}

func (a *App) renderNetwork(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form, n *famiv1.Network) {
	canEdit := n == nil || a.mayEditNetwork(s, n)
	l, ok := a.networkProjects(w, r, s, fm, n, canEdit)
	if !ok {
		return
	}
	p := &networkPage{frame: a.newFrame(r, s, formTitle("networks", n != nil)), Form: fm, Network: n, RequestID: newRequestID(),
		CanEdit:  canEdit,
		Projects: sortedOptions(l.projects), ProjectSearch: l.search, Rows: formRows(fm, "member", 2),
		Roles: enumOptions(famiv1.MemberRole_name, func(n int32) string { return famiv1.MemberRole(n).String() })}
	var err error
	if l.partners, err = a.memberLabels(s, fm, n); err == nil && p.CanEdit {
		p.Partners, err = a.partnerSuggestions(s, "")
	}
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	fm.linked, p.Labels = l, l.partners
	switch {
	case !p.CanEdit:
		p.Title = n.GetDisplayName()
	case n != nil:
		olderName(fm, n.GetDisplayName())
	}
	a.render(w, code, "network", p)
}

// networkProjects loads the labels of the projects the network page
// shows: the form's and the stored network's, and, for a form (edit),
// its choices, a page of the region's projects matching the form's
// project search (projectQuery), never every project of the region.
func (a *App) networkProjects(w http.ResponseWriter, r *http.Request, s *session, fm *form, n *famiv1.Network, edit bool) (*lookups, bool) {
	l := &lookups{}
	var err error
	if edit {
		l.search = choiceSearch{Param: projectQuery, Label: msg("networks.project_search"), MoreHint: msg("networks.projects_more"),
			SearchedHint: "networks.projects_searched"}
		l.projects, err = searchChoices(&l.search, r.FormValue(projectQuery), "networks.project_search_refused", func(q string) (map[string]string, bool, error) {
			return a.projectChoices(s, q)
		})
	}
	if err == nil {
		names := slices.Clone(fm.Values["projects"])
		for _, p := range n.GetProjects() {
			names = append(names, p.GetProject())
		}
		l.projects, err = a.projectLabels(s, l.projects, names)
	}
	if err != nil {
		a.fail(w, r, s, err)
		return nil, false
	}
	return l, true
}

// projectQuery is the network form's field of the project search.
const projectQuery = "progetti"

// memberLabels maps the partners the network form names (its rows, what
// they showed, the stored network's members) to their display names
// (partnerLabels: one call for up to resource.MaxBatchGet of them).
func (a *App) memberLabels(s *session, fm *form, n *famiv1.Network) (map[string]string, error) {
	var names []string
	for i := range rowCount(fm.Values, "member") {
		names = append(names, fm.Get(fmt.Sprintf("member.%d.partner", i)), fm.Get(fmt.Sprintf("member.%d.was", i)))
	}
	for _, m := range n.GetMembers() {
		names = append(names, m.GetPartner())
	}
	return a.partnerLabels(s, names)
}

// mayEditNetwork asks whether the session's user may update n: the rights
// table, then the one rule of the registry that depends on the stored
// network (only staff of its lead partner, among network members). The
// form was shown to every reader, and its save refused with 403. The
// create page has its own guard (forCreators).
func (a *App) mayEditNetwork(s *session, n *famiv1.Network) bool {
	return s.can(a, famiv1.NetworkService_UpdateNetwork_FullMethodName, &famiv1.UpdateNetworkRequest{Network: n}) &&
		registry.MayEditNetwork(s.who, n) == nil
}

// Typed is what a member row's input shows for the form's value v: the
// display name of the partner v names, else v as typed. A name two
// partners share is resolved by the row's "was" (resolveMembers).
func (p *networkPage) Typed(v string) string {
	if label, ok := p.Labels[v]; ok {
		return label
	}
	return v
}

// Was is the partner a member row showed when its page was first loaded
// (a resource name), carried by the row's hidden "was" field through the
// form's refusals: what resolveMembers knows a deleted partner by.
func (p *networkPage) Was(row int) string {
	k := fmt.Sprintf("member.%d.", row)
	if p.Form.Values.Has(k + "was") {
		return p.Form.Get(k + "was")
	}
	return p.Form.Get(k + "partner")
}

// Shown is the name a member row showed when its page was first loaded
// (the display name of Was), carried by the row's hidden "shown" field
// through the form's refusals: a row whose text is still that name was
// left alone, and keeps its partner if it was renamed meanwhile
// (memberNamed).
func (p *networkPage) Shown(row int) string {
	if k := fmt.Sprintf("member.%d.shown", row); p.Form.Values.Has(k) {
		return p.Form.Get(k)
	}
	return p.Typed(p.Was(row))
}

// ProjectLabel is how the read-only page names a project of the network:
// its label among the region's projects, else its resource name.
func (p *networkPage) ProjectLabel(name string) string {
	if i := slices.IndexFunc(p.Projects, func(o option) bool { return o.Value == name }); i >= 0 {
		return p.Projects[i].Label
	}
	return name
}

// partnerChoices are the network form's choices of partners, sorted, each
// a partner's resource name (Value) and the text that picks it (Label):
// its display name, or "display name (id)" where several partners share
// that name, so that every choice names one partner.
func partnerChoices(partners map[string]string) []option {
	shared := map[string]int{}
	for _, label := range partners {
		shared[choiceKey(label)]++
	}
	out := sortedOptions(partners)
	for i, o := range out {
		if shared[choiceKey(o.Label)] > 1 {
			out[i].Label = o.Label + " (" + resource.ID(o.Value) + ")"
		}
	}
	return out
}

// choiceKey is how typed text is matched to a choice: case, accents and
// spaces do not matter, as for the service's display_name filter
// (namekey.Of, the one rule).
func choiceKey(s string) string { return namekey.Of(s) }

// resolveMembers replaces, in v, each member row's partner as typed by the
// partner's resource name (memberNamed). It returns the Italian error of
// the first row that names no partner or several (and marks that row in
// marks), "" when every row names one.
//
// A row whose partner was deleted after the page was loaded (its "was",
// the partner the page showed, is a partner of the region no more) names
// none either: such a row is emptied in v, for the form shown again, and
// its error says so, naming the partner as the page showed it, so that one
// more save drops the member. It used to be refused as a name typed
// wrong, which the user could not mend but by guessing to clear the row.
func (a *App) resolveMembers(s *session, v url.Values, marks map[string]string) (string, error) {
	rows := rowCount(v, "member")
	was := make([]string, rows)
	for i := range rows {
		was[i] = v.Get(fmt.Sprintf("member.%d.was", i))
	}
	labels, err := a.partnerLabels(s, was)
	if err != nil {
		return "", err
	}
	first := ""
	for i := range rows {
		key := fmt.Sprintf("member.%d.partner", i)
		typed := strings.TrimSpace(v.Get(key))
		if typed == "" {
			continue
		}
		res, deleted, err := a.memberNamed(s, typed, was[i], v.Get(fmt.Sprintf("member.%d.shown", i)), labels)
		if err != nil {
			return "", err
		}
		var e string
		switch {
		case res.fault == resolved:
			v.Set(key, res.name)
			continue
		case res.fault == sharedName:
			e = msgf("networks.member_ambiguous", i+1, typed, res.namesakesText())
		case deleted:
			if typed == was[i] {
				typed = resource.ID(typed)
			}
			for _, field := range []string{"partner", "role", "was", "shown"} {
				v.Set(fmt.Sprintf("member.%d.%s", i, field), "")
			}
			if first == "" {
				first = msgf("networks.member_deleted", i+1, typed)
			}
			continue
		default:
			e = msgf("networks.member_unknown", i+1, typed)
		}
		marks[key] = e
		return e, nil
	}
	return first, nil
}

// memberNamed resolves a member row's text, typed, the row having shown
// the partner was by the name shown, and labels holding was's display name
// while it exists (partnerLabels): was itself while typed is its name (or
// its choice with the id, or its resource name), or still the name the
// page showed (stillShown: the partner was renamed since); else what
// resolvePartner makes of typed. deleted reports whether was is a partner
// of the region that exists no more.
func (a *App) memberNamed(s *session, typed, was, shown string, labels map[string]string) (res resolution, deleted bool, err error) {
	if id, ok := s.owns(was, resource.Partners); ok {
		label, exists := labels[was]
		switch {
		case !exists:
			deleted = true
		case typed == was || choiceKey(typed) == choiceKey(label) || choiceKey(typed) == choiceKey(label+" ("+id+")"):
			return resolution{name: was}, false, nil
		case stillShown(typed, was, shown):
			return resolution{name: was}, false, nil
		}
	}
	res, err = a.resolvePartner(s, typed)
	return res, deleted, err
}

// membersResolved resolves the member rows of the posted network form
// (resolveMembers). A row naming no partner, or several, shows the form
// again by again, the error at the members, and reports false: nothing is
// sent to the service.
func (a *App) membersResolved(w http.ResponseWriter, r *http.Request, s *session, again func(code int, fm *form)) bool {
	fm := newForm(r.PostForm)
	e, err := a.resolveMembers(s, r.PostForm, fm.Errors)
	if err != nil {
		a.fail(w, r, s, err)
		return false
	}
	if e != "" {
		fm.Errors["members"] = e
		fm.Message = msg("error.check_fields")
		again(http.StatusUnprocessableEntity, fm)
		return false
	}
	return true
}

// networkFromForm reads the network form. The lead partner is the member
// row whose role is LEAD, as the service requires. A row whose partner is
// cleared is no member: that is how the form removes one.
func networkFromForm(v url.Values) *famiv1.Network {
	n := &famiv1.Network{DisplayName: v.Get("display_name"), Ats: v.Get("ats"), SocialDistrict: v.Get("social_district"),
		Description: v.Get("description"), Etag: v.Get("etag")}
	for i := range rowCount(v, "member") {
		p := v.Get(fmt.Sprintf("member.%d.partner", i))
		if p == "" {
			continue
		}
		role := famiv1.MemberRole(famiv1.MemberRole_value[v.Get(fmt.Sprintf("member.%d.role", i))])
		if role == famiv1.MemberRole_MEMBER_ROLE_LEAD {
			n.LeadPartner = p
		}
		n.Members = append(n.Members, &famiv1.Member{Partner: p, Role: role})
	}
	for _, p := range v["projects"] {
		n.Projects = append(n.Projects, &famiv1.NetworkProject{Project: p})
	}
	n.Municipalities = strings.FieldsFunc(v.Get("municipalities"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
	return n
}

func networkForm(n *famiv1.Network) url.Values {
	v := url.Values{"display_name": {n.GetDisplayName()}, "ats": {n.GetAts()}, "social_district": {n.GetSocialDistrict()},
		"description": {n.GetDescription()}, "etag": {n.GetEtag()}, "municipalities": {strings.Join(n.GetMunicipalities(), ", ")}}
	for i, m := range n.GetMembers() {
		v.Set(fmt.Sprintf("member.%d.partner", i), m.GetPartner())
		v.Set(fmt.Sprintf("member.%d.role", i), m.GetRole().String())
	}
	for _, p := range n.GetProjects() {
		v.Add("projects", p.GetProject())
	}
	return v
}

// networkPages are the network's create and edit pages.
func (a *App) networkPages() resourceForm[*famiv1.Network] {
	return resourceForm[*famiv1.Network]{app: a, get: a.getNetwork, fields: networkForm, read: readForm(networkFromForm), prefix: "network.", render: a.renderNetwork,
		compared: map[string]string{"display_name": "field.display_name", "member.%d.partner": "networks.members", "member.%d.role": "networks.roles",
			"projects": "networks.projects", "ats": "networks.ats", "social_district": "networks.district",
			"municipalities": "networks.municipalities", "description": "field.description"}}
}

func (a *App) networkCreate(w http.ResponseWriter, r *http.Request, s *session) {
	if !a.membersResolved(w, r, s, func(code int, fm *form) { a.networkPages().fresh(w, r, s, code, fm) }) {
		return
	}
	n, err := a.networks.CreateNetwork(s.ctx, &famiv1.CreateNetworkRequest{Parent: regionName(s.region), Network: networkFromForm(r.PostForm),
		NetworkId: r.PostFormValue("network_id"), RequestId: r.PostFormValue("request_id")})
	a.networkPages().created(w, r, s, err, noticed("/reti/"+resource.ID(n.GetName()), "network_saved"))
}

func (a *App) getNetwork(r *http.Request, s *session) (*famiv1.Network, error) {
	return a.networks.GetNetwork(s.ctx, &famiv1.GetNetworkRequest{Name: pathName(r, s, resource.Networks, "network")})
}

func (a *App) networkEdit(w http.ResponseWriter, r *http.Request, s *session) {
	a.networkPages().edit(w, r, s, http.StatusOK, nil)
}

func (a *App) networkUpdate(w http.ResponseWriter, r *http.Request, s *session) {
	if !a.membersResolved(w, r, s, func(code int, fm *form) { a.networkPages().edit(w, r, s, code, fm) }) {
		return
	}
	in := networkFromForm(r.PostForm)
	in.Name = pathName(r, s, resource.Networks, "network")
	// The form picks the projects, not the actions the network runs of
	// each: a project kept keeps its actions, which every save used to
	// wipe. The form's etag keeps them from a newer network than the page.
	if cur, err := a.getNetwork(r, s); err == nil {
		keepActions(in, cur)
	}
	_, err := a.networks.UpdateNetwork(s.ctx, &famiv1.UpdateNetworkRequest{Network: in, UpdateMask: &fieldmaskpb.FieldMask{Paths: networkFields},
		RequestId: r.PostFormValue("request_id")})
	a.networkPages().updated(w, r, s, err, noticed(pageAt(resource.Networks, r.PathValue("network")), "network_saved"))
}

// networkArchive archives the network (state ARCHIVED) or makes it active
// again (ACTIVE), ADR 30: archived, it stays readable and listed, and
// takes nothing new. The page's etag keeps it from a network changed
// since.
func (a *App) networkArchive(state famiv1.NetworkState, ok string) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		_, err := a.networks.UpdateNetwork(s.ctx, &famiv1.UpdateNetworkRequest{
			Network:    &famiv1.Network{Name: pathName(r, s, resource.Networks, "network"), State: state, Etag: r.PostFormValue("etag")},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}}, RequestId: r.PostFormValue("request_id")})
		a.networkPages().acted(w, r, s, err, noticed(pageAt(resource.Networks, r.PathValue("network")), ok))
	}
}

// Archived reports whether the page's network is archived.
func (p *networkPage) Archived() bool {
	return p.Network.GetState() == famiv1.NetworkState_NETWORK_STATE_ARCHIVED
}

// keepActions gives each project of n that cur implements too the actions
// cur runs of it.
func keepActions(n, cur *famiv1.Network) {
	actions := map[string][]string{}
	for _, p := range cur.GetProjects() {
		actions[p.GetProject()] = p.GetActions()
	}
	for _, p := range n.GetProjects() {
		p.Actions = actions[p.GetProject()]
	}
}
