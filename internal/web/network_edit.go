package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/resource"
)

// networkPage creates or edits a network: its lead partner (capofila),
// members, the projects it implements and its territory.
type networkPage struct {
	frame
	Form      *form
	Network   *famiv1.Network
	Partners  []option
	Projects  []option
	Roles     []option
	Rows      []int
	RequestID string
}

var networkFields = []string{"display_name", "lead_partner", "members", "municipalities", "ats", "social_district", "projects", "description"}

func (a *App) networkNew(w http.ResponseWriter, r *http.Request, s *session) {
	a.renderNetwork(w, r, s, http.StatusOK, newForm(nil), nil)
}

func (a *App) renderNetwork(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form, n *famiv1.Network) {
	l, ok := a.pageLookups(w, r, s, needPartners|needProjects)
	if !ok {
		return
	}
	fm.linked = l
	a.render(w, code, "network", &networkPage{frame: a.newFrame(r, s, formTitle("networks", n != nil)), Form: fm, Network: n, RequestID: newRequestID(),
		Partners: sortedOptions(l.partners), Projects: sortedOptions(l.projects), Rows: formRows(fm, "member.%d.partner", 2),
		Roles: enumOptions(famiv1.MemberRole_name, func(n int32) string { return famiv1.MemberRole(n).String() })})
}

// networkFromForm reads the network form. The lead partner is the member
// row whose role is LEAD, as the service requires.
func networkFromForm(v url.Values) *famiv1.Network {
	n := &famiv1.Network{DisplayName: v.Get("display_name"), Ats: v.Get("ats"), SocialDistrict: v.Get("social_district"),
		Description: v.Get("description"), Etag: v.Get("etag")}
	for i := 0; v.Has(fmt.Sprintf("member.%d.partner", i)); i++ {
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
	n, err := a.networks.CreateNetwork(s.ctx, &famiv1.CreateNetworkRequest{Parent: regionName(s.region), Network: networkFromForm(r.PostForm),
		NetworkId: r.PostFormValue("network_id"), RequestId: r.PostFormValue("request_id")})
	a.networkPages().created(w, r, s, err, "/reti/"+resource.ID(n.GetName())+"?ok=network_saved")
}

func (a *App) getNetwork(r *http.Request, s *session) (*famiv1.Network, error) {
	return a.networks.GetNetwork(s.ctx, &famiv1.GetNetworkRequest{Name: pathName(r, s, resource.Networks, "network")})
}

func (a *App) networkEdit(w http.ResponseWriter, r *http.Request, s *session) {
	a.networkPages().edit(w, r, s, http.StatusOK, nil)
}

func (a *App) networkUpdate(w http.ResponseWriter, r *http.Request, s *session) {
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
	a.networkPages().updated(w, r, s, err, "/reti/"+r.PathValue("network")+"?ok=network_saved")
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
