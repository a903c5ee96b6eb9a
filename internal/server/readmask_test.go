package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestReadMask reads networks, partners and projects with a read_mask
// (AIP-157) on every surface: Get, BatchGet and List answer each resource
// with the fields named and nothing else (a network's members left out),
// a project's overlap count, computed when read, when the mask names it,
// the national view (regions/-) as well, an unset mask answers them whole,
// and a path that names no field is refused naming read_mask. On REST the mask is the readMask parameter, in JSON
// names as the README shows.
func TestReadMask(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		s := newSurface(t, ts, kind)
		ctx := t.Context()
		seedPartner(t, ctx, s)
		whole := seedNetwork(t, ctx, s)
		names := &fieldmaskpb.FieldMask{Paths: []string{"name", "display_name"}}
		wantNetwork := &famiv1.Network{Name: whole.GetName(), DisplayName: whole.GetDisplayName()}
		wantPartner := &famiv1.Partner{Name: partnerName("udp-milano"), DisplayName: "Ufficio di Piano di Milano"}
		same := func(what string, got, want proto.Message) {
			t.Helper()
			if !proto.Equal(got, want) {
				t.Errorf("%s: got %v, want %v", what, got, want)
			}
		}

		nets := mustOK(s.ListNetworks(ctx, &famiv1.ListNetworksRequest{Parent: lombardia, ReadMask: names}))(t, "ListNetworks")
		if len(nets.GetNetworks()) != 1 || nets.GetRevision() == 0 {
			t.Fatalf("ListNetworks with a mask: %v", nets)
		}
		same("ListNetworks", nets.GetNetworks()[0], wantNetwork)
		same("GetNetwork", mustOK(s.GetNetwork(ctx, &famiv1.GetNetworkRequest{Name: whole.GetName(), ReadMask: names}))(t, "GetNetwork"), wantNetwork)
		same("GetNetwork, no mask", mustOK(s.GetNetwork(ctx, &famiv1.GetNetworkRequest{Name: whole.GetName()}))(t, "GetNetwork"), whole)
		partners := mustOK(s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, ReadMask: names}))(t, "ListPartners")
		if len(partners.GetPartners()) != 1 {
			t.Fatalf("ListPartners with a mask: %v", partners)
		}
		same("ListPartners", partners.GetPartners()[0], wantPartner)
		same("GetPartner", mustOK(s.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: wantPartner.GetName(), ReadMask: names}))(t, "GetPartner"), wantPartner)
		batch := mustOK(s.BatchGetPartners(ctx, &famiv1.BatchGetPartnersRequest{Parent: lombardia, Names: []string{wantPartner.GetName()}, ReadMask: names}))(t, "BatchGetPartners")
		same("BatchGetPartners", batch, &famiv1.BatchGetPartnersResponse{Partners: []*famiv1.Partner{wantPartner}})
		nbatch := mustOK(s.BatchGetNetworks(ctx, &famiv1.BatchGetNetworksRequest{Parent: lombardia, Names: []string{whole.GetName()}, ReadMask: names}))(t, "BatchGetNetworks")
		same("BatchGetNetworks", nbatch, &famiv1.BatchGetNetworksResponse{Networks: []*famiv1.Network{wantNetwork}})

		// Two projects in Milano for the same years: each overlaps the
		// other.
		var wantProjects, projectNames []*famiv1.Project
		for _, id := range []string{"p1", "p2"} {
			p := mustOK(s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: id, Project: &famiv1.Project{
				Code: "PROG-" + id, Title: "Progetto " + id, Fund: famiv1.Fund_FUND_FAMI_2021_2027,
				StartDate: "2024-01-01", EndDate: "2025-12-31", Municipalities: []string{"015146"}}}))(t, "CreateProject "+id)
			wantProjects = append(wantProjects, &famiv1.Project{Name: p.GetName(), Title: p.GetTitle(), OverlapCount: 1})
			projectNames = append(projectNames, &famiv1.Project{Name: p.GetName()})
		}
		titles := &fieldmaskpb.FieldMask{Paths: []string{"name", "title", "overlapCount"}}
		nameOnly := &fieldmaskpb.FieldMask{Paths: []string{"name"}}
		same("GetProject", mustOK(s.GetProject(ctx, &famiv1.GetProjectRequest{Name: wantProjects[0].GetName(), ReadMask: titles}))(t, "GetProject"), wantProjects[0])
		same("GetProject, its name", mustOK(s.GetProject(ctx, &famiv1.GetProjectRequest{Name: wantProjects[0].GetName(), ReadMask: nameOnly}))(t, "GetProject"), projectNames[0])
		pbatch := mustOK(s.BatchGetProjects(ctx, &famiv1.BatchGetProjectsRequest{Parent: lombardia,
			Names: []string{wantProjects[1].GetName(), wantProjects[0].GetName()}, ReadMask: titles}))(t, "BatchGetProjects")
		same("BatchGetProjects", pbatch, &famiv1.BatchGetProjectsResponse{Projects: []*famiv1.Project{wantProjects[1], wantProjects[0]}})
		plist := mustOK(s.ListProjects(ctx, &famiv1.ListProjectsRequest{Parent: lombardia, ReadMask: titles}))(t, "ListProjects")
		same("ListProjects", &famiv1.ListProjectsResponse{Projects: plist.GetProjects()}, &famiv1.ListProjectsResponse{Projects: wantProjects})
		plist = mustOK(s.ListProjects(ctx, &famiv1.ListProjectsRequest{Parent: lombardia, ReadMask: nameOnly}))(t, "ListProjects")
		same("ListProjects, names", &famiv1.ListProjectsResponse{Projects: plist.GetProjects()}, &famiv1.ListProjectsResponse{Projects: projectNames})

		// The national view (regions/-) reads region by region with the
		// same mask.
		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		national := mustOK(ministry.ListNetworks(ctx, &famiv1.ListNetworksRequest{Parent: "regions/-", ReadMask: names}))(t, "ListNetworks of regions/-")
		if len(national.GetNetworks()) != 1 {
			t.Fatalf("ListNetworks of regions/- with a mask: %v", national)
		}
		same("ListNetworks of regions/-", national.GetNetworks()[0], wantNetwork)
		nationalProjects := mustOK(ministry.ListProjects(ctx, &famiv1.ListProjectsRequest{Parent: "regions/-", ReadMask: titles}))(t, "ListProjects of regions/-")
		same("ListProjects of regions/-", &famiv1.ListProjectsResponse{Projects: nationalProjects.GetProjects()}, &famiv1.ListProjectsResponse{Projects: wantProjects})

		bad := &fieldmaskpb.FieldMask{Paths: []string{"name", "nope"}}
		refused := wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"read_mask"}}
		_, err := s.ListNetworks(ctx, &famiv1.ListNetworksRequest{Parent: lombardia, ReadMask: bad})
		checkErr(t, "ListNetworks, a path naming no field", err, refused)
		_, err = s.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: wantPartner.GetName(), ReadMask: &fieldmaskpb.FieldMask{Paths: []string{"members"}}})
		checkErr(t, "GetPartner, a network's field", err, refused)
		_, err = s.BatchGetProjects(ctx, &famiv1.BatchGetProjectsRequest{Parent: lombardia, Names: []string{wantProjects[0].GetName()}, ReadMask: names})
		checkErr(t, "BatchGetProjects, a partner's field", err, refused)

		if kind != "rest" {
			return
		}
		res, err := s.c.rest.send(ctx, http.MethodGet, "/v1/"+lombardia+"/networks", url.Values{"readMask": {"name,displayName"}}, nil)
		if err != nil || res.Status != http.StatusOK {
			t.Fatalf("GET networks?readMask=name,displayName: %v, %v", res, err)
		}
		var got famiv1.ListNetworksResponse
		if err := protojson.Unmarshal(res.Body, &got); err != nil {
			t.Fatal(err)
		}
		same("REST readMask in JSON names", got.GetNetworks()[0], wantNetwork)
		if strings.Contains(string(res.Body), "members") {
			t.Errorf("REST answer with readMask names members: %s", res.Body)
		}
	})
}
