package registry

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/namekey"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// Networks implements fami.v1.NetworkService.
type Networks struct {
	famiv1.UnimplementedNetworkServiceServer
	r *Registry
}

// Networks returns the NetworkService.
func (r *Registry) Networks() *Networks { return &Networks{r: r} }

// networkMutable lists the fields UpdateNetwork may change.
var networkMutable = []string{"display_name", "lead_partner", "members", "municipalities", "ats", "social_district", "projects", "state", "description"}

const maxMembers = 500

// validate checks a network's fields and that every partner and project it
// names exists in its region, with the lead among the members as LEAD,
// recording their violations in v.
func (s *Networks) validate(tx store.ReadTx, v *errs.Violations, n *famiv1.Network, region string) {
	check.Name(v, "network.display_name", n.GetDisplayName(), true, 200)
	check.Text(v, "network.ats", n.GetAts(), false, 200, false)
	check.Text(v, "network.social_district", n.GetSocialDistrict(), false, 200, false)
	check.Text(v, "network.description", n.GetDescription(), false, 8000, true)
	check.Enum(v, "network.state", n.GetState(), false)
	s.r.municipalities(v, "network.municipalities", n.GetMunicipalities(), region)

	check.Listed(v, "network.members", len(n.GetMembers()), maxMembers, "members", "at least the lead partner")
	members := resource.NewRefList[*famiv1.Partner](tx, v, region, resource.Partners)
	var leads []string
	for i, m := range n.GetMembers() {
		f := errs.Indexed("network.members", i)
		members.Check(f+".partner", m.GetPartner())
		check.Enum(v, f+".role", m.GetRole(), true)
		check.Date(v, f+".since", m.GetSince(), false)
		if m.GetRole() == famiv1.MemberRole_MEMBER_ROLE_LEAD {
			leads = append(leads, m.GetPartner())
		}
	}
	switch {
	case n.GetLeadPartner() == "":
		v.Add("network.lead_partner", "is required")
	case !slices.Contains(leads, n.GetLeadPartner()):
		v.Add("network.lead_partner", "%q must be a member with role LEAD", errs.Clip(n.GetLeadPartner(), errs.MaxEcho))
	}
	if len(leads) > 1 {
		v.Add("network.members", "has %d members with role LEAD; a network has exactly one", len(leads))
	}

	if !check.AtMost(v, "network.projects", len(n.GetProjects()), 100, "projects") {
		return
	}
	projects := check.Set[string]{}
	for i, np := range n.GetProjects() {
		f := errs.Indexed("network.projects", i)
		p := &famiv1.Project{}
		if r, _, err := aip.ParseName(f+".project", np.GetProject(), resource.Projects); err != nil || r != region {
			v.Add(f+".project", "%q is not a project of region %q", errs.Clip(np.GetProject(), errs.MaxEcho), region)
			continue
		}
		if projects.Again(np.GetProject()) {
			v.Add(f+".project", "%s is listed twice", np.GetProject())
			continue
		}
		if !resource.RefRead(tx, v, f+".project", np.GetProject(), resource.Projects, p) {
			continue
		}
		// Each action at most once, so a network project lists no more
		// actions than its project has.
		actions := check.Set[string]{}
		for j, a := range np.GetActions() {
			switch fa := errs.Indexed(f+".actions", j); {
			case !slices.ContainsFunc(p.GetActions(), func(pa *famiv1.ProjectAction) bool { return pa.GetCode() == a }):
				v.Add(fa, "%q is not an action of %s", errs.Clip(a, errs.MaxEcho), np.GetProject())
			case actions.Again(a):
				v.Add(fa, "%q is listed twice", a)
			}
		}
	}
}

// leadOnly enforces the network members' right of DESIGN.md section 6:
// staff of the lead partner may edit their network, but the lead itself
// and which projects it implements change only by the region's hand (the
// actions it runs of each are the lead's to say). The projects decide who
// drafts and submits a project's monitoring reports (the lead partner of
// an implementing network): a lead that could add any project of the
// region to its network could report for it.
func leadOnly(p principal.Principal, cur, next *famiv1.Network) error {
	if p.Role != principal.NetworkMember {
		return nil
	}
	if err := MayEditNetwork(p, cur); err != nil {
		return err
	}
	if next.GetLeadPartner() != cur.GetLeadPartner() {
		return errs.LeadChangeNotAllowed.New("the lead partner of %s is changed by the region", cur.GetName())
	}
	if !slices.Equal(projectNames(next), projectNames(cur)) {
		return errs.ProjectsChangeNotAllowed.New("the projects %s implements are changed by the region", cur.GetName())
	}
	return nil
}

// closedToMembers refuses, with FAILED_PRECONDITION (ARCHIVED) naming
// each member's field, the partners an archived network would gain: it
// takes no new members (ADR 30), as an archived partner joins no network
// (resource.RefRead). Its members stay as they are, and removing one, or
// editing the network otherwise, is a correction of the record. An update
// that makes it ACTIVE again (state) may add members in the same call.
func closedToMembers(cur, next *famiv1.Network) error {
	if next.GetState() != famiv1.NetworkState_NETWORK_STATE_ARCHIVED {
		return nil
	}
	had := make(check.Set[string], len(cur.GetMembers()))
	for _, m := range cur.GetMembers() {
		had[m.GetPartner()] = true
	}
	var v errs.Violations
	for i, m := range next.GetMembers() {
		if !had[m.GetPartner()] {
			v.AddReason(errs.Indexed("network.members", i)+".partner", string(errs.Archived),
				"%s is archived: it takes no new members; make it ACTIVE again (state) first, or in the same update", cur.GetName())
		}
	}
	return v.Err()
}

// MayEditNetwork is the part of leadOnly that depends on who asks and on
// the network as stored, not on the change: the rights table lets network
// members update networks, and only staff of its lead partner may update
// one. The web asks it, beside the rights table, to show a network's form
// only to whom may save it.
func MayEditNetwork(p principal.Principal, n *famiv1.Network) error {
	if p.Role == principal.NetworkMember && n.GetLeadPartner() != p.Partner {
		return errs.NotNetworkLead.New("only staff of the lead partner may edit %s", n.GetName())
	}
	return nil
}

// projectNames are the projects a network implements, sorted.
func projectNames(n *famiv1.Network) []string {
	var names []string
	for _, p := range n.GetProjects() {
		names = append(names, p.GetProject())
	}
	slices.Sort(names)
	return names
}

// networkRefs lists the resources a network references.
func networkRefs(n *famiv1.Network) []string {
	var refs []string
	for _, m := range n.GetMembers() {
		refs = append(refs, m.GetPartner())
	}
	for _, p := range n.GetProjects() {
		refs = append(refs, p.GetProject())
	}
	return refs
}

// CreateNetwork implements fami.v1.NetworkService.
func (s *Networks) CreateNetwork(ctx context.Context, req *famiv1.CreateNetworkRequest) (*famiv1.Network, error) {
	return resource.Create(ctx, s.r.store, req, "network", req.GetNetwork(), req.GetNetworkId(), func(tx store.WriteTx, id string) (*famiv1.Network, error) {
		region := tx.Region()
		n := &famiv1.Network{}
		aip.ApplyMask(n, req.GetNetwork(), nil, networkMutable)
		n.Name = aip.Name(region, resource.Networks, id)
		if n.State == famiv1.NetworkState_NETWORK_STATE_UNSPECIFIED {
			n.State = famiv1.NetworkState_NETWORK_STATE_ACTIVE
		}
		err := resource.Validate("network", nil, n, func(v *errs.Violations, n *famiv1.Network) { s.validate(tx, v, n, region) })
		if err != nil {
			return nil, err
		}
		if err := resource.Absent(tx, n, "network_id"); err != nil {
			return nil, err
		}
		if err := setRefs(tx, n.Name, nil, networkRefs(n)); err != nil {
			return nil, err
		}
		return n, tx.Put(n)
	})
}

// GetNetwork implements fami.v1.NetworkService.
func (s *Networks) GetNetwork(ctx context.Context, req *famiv1.GetNetworkRequest) (*famiv1.Network, error) {
	return resource.GetAnswer[*famiv1.Network](ctx, s.r.store, resource.Networks, req)
}

// BatchGetNetworks implements fami.v1.NetworkService.
func (s *Networks) BatchGetNetworks(ctx context.Context, req *famiv1.BatchGetNetworksRequest) (*famiv1.BatchGetNetworksResponse, error) {
	return resource.BatchGetAnswer[*famiv1.BatchGetNetworksResponse, *famiv1.Network](ctx, s.r.store, resource.Networks, req)
}

// ListNetworks implements fami.v1.NetworkService.
func (s *Networks) ListNetworks(ctx context.Context, req *famiv1.ListNetworksRequest) (*famiv1.ListNetworksResponse, error) {
	if res, ok, err := aip.ForAllRegions(ctx, req, s.ListNetworks); ok {
		return res, err
	}
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	check.Enum(&v, "state", req.GetState(), false)
	resource.CheckName(&v, "partner", req.GetPartner(), resource.Partners)
	resource.CheckName(&v, "project", req.GetProject(), resource.Projects)
	aip.CheckQuery(&v, req.GetQuery())
	if err := v.Err(); err != nil {
		return nil, err
	}
	matches := namekey.Matcher(req.GetQuery())
	keep := func(tx store.ReadTx) func(*famiv1.Network) (bool, error) {
		return func(n *famiv1.Network) (bool, error) {
			if !networkFilters(req, n) {
				return false, nil
			}
			return matchesNetwork(tx, matches, n)
		}
	}
	// The networks that implement a project, or have a partner among
	// their members, are those the refs index names (referencing): a
	// page reads them alone, as the monitoring's right to report does,
	// not every network. With both filters the project's are read, and
	// keep leaves out those the partner is not a member of.
	if target := cmp.Or(req.GetProject(), req.GetPartner()); target != "" {
		return resource.ListAmong[*famiv1.ListNetworksResponse](ctx, s.r.store, region, req, func(tx store.ReadTx) ([]string, func(*famiv1.Network) (bool, error), error) {
			return referencing(tx, target), keep(tx), nil
		})
	}
	return resource.ListWithin[*famiv1.ListNetworksResponse](ctx, s.r.store, region, req, func(tx store.ReadTx) (string, func(*famiv1.Network) (bool, error), error) {
		return resource.Networks, keep(tx), nil
	})
}

// networkFilters reports whether n passes req's filters other than its
// query.
func networkFilters(req *famiv1.ListNetworksRequest, n *famiv1.Network) bool {
	if req.GetState() != 0 && n.GetState() != req.GetState() {
		return false
	}
	if p := req.GetPartner(); p != "" && !slices.ContainsFunc(n.GetMembers(), func(m *famiv1.Member) bool { return m.GetPartner() == p }) {
		return false
	}
	if p := req.GetProject(); p != "" && !slices.ContainsFunc(n.GetProjects(), func(np *famiv1.NetworkProject) bool { return np.GetProject() == p }) {
		return false
	}
	return true
}

// matchesNetwork reports whether n matches a query (matches, namekey.Matcher)
// on its names or its lead partner's, read in tx only when its own names
// do not match; a lead partner since deleted matches nothing.
func matchesNetwork(tx store.ReadTx, matches func(...string) bool, n *famiv1.Network) (bool, error) {
	if matches(n.GetDisplayName(), n.GetAts(), n.GetSocialDistrict()) {
		return true, nil
	}
	lead := &famiv1.Partner{}
	switch err := tx.Get(n.GetLeadPartner(), lead); {
	case errs.CodeOf(err) == errs.NotFound:
		return false, nil
	case err != nil:
		return false, err
	}
	return matches(lead.GetDisplayName()), nil
}

// UpdateNetwork implements fami.v1.NetworkService.
func (s *Networks) UpdateNetwork(ctx context.Context, req *famiv1.UpdateNetworkRequest) (*famiv1.Network, error) {
	in := req.GetNetwork()
	return resource.Update(ctx, s.r.store, req, "network", in, resource.Networks, func(tx store.WriteTx, cur *famiv1.Network) (*famiv1.Network, error) {
		next := proto.CloneOf(cur)
		if _, err := resource.ApplyMask(tx, next, in, req.GetUpdateMask(), networkMutable); err != nil {
			return nil, err
		}
		if err := leadOnly(principal.From(ctx), cur, next); err != nil {
			return nil, err
		}
		if next.State == famiv1.NetworkState_NETWORK_STATE_UNSPECIFIED {
			next.State = famiv1.NetworkState_NETWORK_STATE_ACTIVE
		}
		err := resource.Validate("network", cur, next, func(v *errs.Violations, n *famiv1.Network) { s.validate(tx, v, n, tx.Region()) })
		if err != nil {
			return nil, err
		}
		if err := closedToMembers(cur, next); err != nil {
			return nil, err
		}
		if err := setRefs(tx, next.Name, networkRefs(cur), networkRefs(next)); err != nil {
			return nil, err
		}
		return next, tx.Put(next)
	})
}

// DeleteNetwork implements fami.v1.NetworkService.
func (s *Networks) DeleteNetwork(ctx context.Context, req *famiv1.DeleteNetworkRequest) (*emptypb.Empty, error) {
	return resource.Change(ctx, s.r.store, resource.Networks, req, func(tx store.WriteTx, cur *famiv1.Network) (*emptypb.Empty, error) {
		if err := inUse(tx, cur.GetName(), errs.NetworkInUse); err != nil {
			return nil, err
		}
		if err := childless(tx, cur.GetName(), resource.CapacityAssessments, errs.NetworkInUse); err != nil {
			return nil, err
		}
		if err := setRefs(tx, cur.Name, networkRefs(cur), nil); err != nil {
			return nil, err
		}
		return &emptypb.Empty{}, tx.Delete(cur.GetName())
	})
}

// ImplementingNetworks returns the networks of tx's region that implement
// project. It finds them through the refs index (referencing), so it reads
// those networks alone, however many the region has.
func ImplementingNetworks(tx store.ReadTx, project string) ([]*famiv1.Network, error) {
	names := referencing(tx, project)
	networks := make([]*famiv1.Network, 0, len(names))
	for _, name := range names {
		n := &famiv1.Network{}
		if err := tx.Get(name, n); err != nil {
			return nil, err
		}
		networks = append(networks, n)
	}
	return networks, nil
}

// MemberNetworks returns the ids of the networks of tx's region that
// partner is a member of, from the refs index (referencing) alone: it
// reads no network, however many the region has.
func MemberNetworks(tx store.ReadTx, partner string) map[string]bool {
	out := map[string]bool{}
	if partner == "" {
		return out
	}
	for _, name := range referencing(tx, partner) {
		out[resource.ID(name)] = true
	}
	return out
}

// referencing is the names of the networks of tx's region that reference
// target, a partner among their members or a project they implement
// (networkRefs), in id order, as the refs index ("{target}\x00{network}")
// holds them. Every network write keeps the index in its own transaction,
// and the index is no newer than the networks: every famid version has
// kept it, members and projects alike, since the first, so neither data
// written before this version nor an older famid writing to a shared etcd
// cluster leaves a network out, and region copies carry it
// (bolt.ReadRegionFile, the etcd store's ExportRegion).
func referencing(tx store.ReadTx, target string) []string {
	prefix := target + "\x00" + aip.Name(tx.Region(), resource.Networks, "")
	var names []string
	tx.IndexScan(indexRefs, prefix, func(key, _ string) bool {
		// A network's children (its capacity assessments) are sources
		// of their own; only the networks themselves are members or
		// implement.
		if id := key[len(prefix):]; !strings.Contains(id, "/") {
			names = append(names, key[len(target)+1:])
		}
		return true
	})
	return names
}
