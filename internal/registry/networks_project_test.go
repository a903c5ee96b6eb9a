package registry_test

import (
	"fmt"
	"slices"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/registry/registrytest"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

// TestListNetworksByProjectReadsItsNetworks: ListNetworks filtered by a
// project (the web's mayReport asks it, with the user's partner) answers
// the networks that implement it, a page at a time, and reads as much in
// a region of 3 networks as in one of 43: the filter is served from the
// refs index, as the monitoring's right to report is. It read every
// network of the region.
func TestListNetworksByProjectReadsItsNetworks(t *testing.T) {
	few, fewListed := projectNetworkReads(t, 0)
	many, manyListed := projectNetworkReads(t, 40)
	want := []string{registrytest.NetworkName("rete-a"), registrytest.NetworkName("rete-c")}
	for _, listed := range [][]string{fewListed, manyListed} {
		if !slices.Equal(listed, want) {
			t.Errorf("the networks of the project, by pages of one: %v, want %v", listed, want)
		}
	}
	if few != many {
		t.Errorf("ListNetworks by project read %d records with 3 networks in the region, %d with 43; want them equal", few, many)
	}
}

// projectNetworkReads lists, by pages of one, the networks that implement
// a project in a region where two of three do (rete-a and rete-c, around
// rete-b) and others more implement nothing, with a partner filter that
// keeps the three: the networks listed, and the records the pages read.
func projectNetworkReads(t *testing.T, others int) (reads int64, listed []string) {
	t.Helper()
	e := registrytest.New(t)
	ctx := e.As(principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: registrytest.Region})
	lead := registrytest.PartnerName("udp")
	if _, err := e.Reg.Partners().CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: registrytest.Parent, PartnerId: "udp",
		Partner: &famiv1.Partner{DisplayName: "Ufficio di Piano", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}); err != nil {
		t.Fatal(err)
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
	st := &storetest.ReadCounter{Store: e.Store}
	networks := registry.New(st, nil).Networks()
	req := &famiv1.ListNetworksRequest{Parent: registrytest.Parent, Project: p.GetName(), Partner: lead, PageSize: 1}
	for range 10 {
		res, err := networks.ListNetworks(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, registrytest.Names(res.GetNetworks())...)
		if req.PageToken = res.GetNextPageToken(); req.PageToken == "" {
			return st.Since(), listed
		}
	}
	t.Fatal("more than 10 pages of the project's networks")
	return 0, nil
}
