package registry_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/registry/registrytest"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

// TestListNetworksByProjectReadsItsNetworks: ListNetworks filtered by a
// project (the web's mayReport asks it, with the user's partner) answers
// the networks that implement it, a page at a time, and reads as much in
// a region of 3 networks as in one of 43: the filter is served from the
// refs index, as the monitoring's right to report is. It read every
// network of the region.
func TestListNetworksByProjectReadsItsNetworks(t *testing.T) {
	// The partner filter keeps the three (udp leads them all).
	req := func(project string) *famiv1.ListNetworksRequest {
		return &famiv1.ListNetworksRequest{Parent: registrytest.Parent, Project: project, Partner: registrytest.PartnerName("udp")}
	}
	wantBoundedReads(t, "project", req)
}

// TestListNetworksByPartnerReadsItsNetworks: ListNetworks filtered by a
// partner alone answers the networks it is a member of, a page at a time,
// and reads as much in a region of 3 networks as in one of 43, as the
// project filter does: both are served from the refs index. It read every
// network of the region. MemberNetworks, the networks a partner's
// meetings, action items and support figures are filtered by, reads the
// index alone.
func TestListNetworksByPartnerReadsItsNetworks(t *testing.T) {
	req := func(string) *famiv1.ListNetworksRequest {
		return &famiv1.ListNetworksRequest{Parent: registrytest.Parent, Partner: registrytest.PartnerName("cpia")}
	}
	wantBoundedReads(t, "partner", req)

	e := registrytest.New(t)
	seedNetworks(t, e, 40)
	st := &storetest.ReadCounter{Store: e.Store}
	var members map[string]bool
	if err := st.View(t.Context(), registrytest.Region, func(tx store.ReadTx) error {
		members = registry.MemberNetworks(tx, registrytest.PartnerName("cpia"))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"rete-a": true, "rete-c": true}; !maps.Equal(members, want) {
		t.Errorf("MemberNetworks of cpia: %v, want %v", members, want)
	}
	if reads := st.Since(); reads != 2 {
		t.Errorf("MemberNetworks of a partner in 2 networks of 43 read %d records, want 2 (its index entries)", reads)
	}
}

// wantBoundedReads checks that req, ListNetworks filtered by filter (given
// the project's name), lists rete-a and rete-c of a region seeded by
// seedNetworks, by pages of one, and reads as much with 3 networks in the
// region as with 43.
func wantBoundedReads(t *testing.T, filter string, req func(project string) *famiv1.ListNetworksRequest) {
	t.Helper()
	few, fewListed := networkReads(t, 0, req)
	many, manyListed := networkReads(t, 40, req)
	want := []string{registrytest.NetworkName("rete-a"), registrytest.NetworkName("rete-c")}
	for _, listed := range [][]string{fewListed, manyListed} {
		if !slices.Equal(listed, want) {
			t.Errorf("the networks of the %s, by pages of one: %v, want %v", filter, listed, want)
		}
	}
	if few != many {
		t.Errorf("ListNetworks by %s read %d records with 3 networks in the region, %d with 43; want them equal", filter, few, many)
	}
}

// networkReads lists, by pages of one, the networks req (given the
// project's name) asks for in a region seeded by seedNetworks with others
// more networks: the networks listed, and the records the pages read.
func networkReads(t *testing.T, others int, req func(project string) *famiv1.ListNetworksRequest) (reads int64, listed []string) {
	t.Helper()
	e := registrytest.New(t)
	project := seedNetworks(t, e, others)
	ctx := admin(t.Context())
	st := &storetest.ReadCounter{Store: e.Store}
	networks := registry.New(st, nil).Networks()
	r := req(project)
	r.PageSize = 1
	for range 10 {
		res, err := networks.ListNetworks(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, registrytest.Names(res.GetNetworks())...)
		if r.PageToken = res.GetNextPageToken(); r.PageToken == "" {
			return st.Since(), listed
		}
	}
	t.Fatal("more than 10 pages of networks")
	return 0, nil
}

// seedNetworks seeds a region where two networks of three (rete-a and
// rete-c, around rete-b) implement a project and have cpia as a member,
// and others more implement nothing; udp leads them all. It returns the
// project's name.
func seedNetworks(t *testing.T, e *registrytest.Env, others int) string {
	t.Helper()
	ctx := admin(t.Context())
	lead, member := registrytest.PartnerName("udp"), registrytest.PartnerName("cpia")
	for id, name := range map[string]string{"udp": "Ufficio di Piano", "cpia": "CPIA"} {
		if _, err := e.Reg.Partners().CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: registrytest.Parent, PartnerId: id,
			Partner: &famiv1.Partner{DisplayName: name, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.Reg.Projects().CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: registrytest.Parent, ProjectId: "p1", Project: &famiv1.Project{
		Code: "PROG-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2023-01-01", EndDate: "2025-12-31", Beneficiary: lead}})
	if err != nil {
		t.Fatal(err)
	}
	network := func(id string, implements bool) {
		t.Helper()
		n := &famiv1.Network{DisplayName: "Rete " + id, LeadPartner: lead, Members: []*famiv1.Member{{Partner: lead, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}
		if implements {
			n.Projects = []*famiv1.NetworkProject{{Project: p.GetName()}}
			n.Members = append(n.Members, &famiv1.Member{Partner: member, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER})
		}
		if _, err := e.Reg.Networks().CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: registrytest.Parent, NetworkId: id, Network: n}); err != nil {
			t.Fatal(err)
		}
	}
	network("rete-a", true)
	network("rete-b", false)
	network("rete-c", true)
	for i := range others {
		network(fmt.Sprintf("rete-%02d", i), false)
	}
	return p.GetName()
}
