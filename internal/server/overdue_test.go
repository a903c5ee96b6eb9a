package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestOverdueProjectsEverySurface: ListOverdueProjects on each surface,
// for 2015-q1, which no project reported: Lombardia's three projects in
// pages of two, in name order and as the read mask answers them; a
// network's and a project's own; the ministry's regions/-, Lombardia's
// then Veneto's, in pages of two; a bad period and a bad page token
// refused naming the field; Veneto's admin refused Lombardia's list.
func TestOverdueProjectsEverySurface(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		veneto := newSurfaceFor(t, ts, kind, regionAdminSpec("veneto"))
		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		name := func(region, id string) string { return "regions/" + region + "/projects/" + id }
		for i, id := range []string{"rit-c", "rit-a", "rit-b"} {
			mustOK(s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: id, Project: matrixPlanProject(fmt.Sprintf("RIT-%d", i))}))(t, "create "+id)
		}
		mustOK(veneto.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/veneto", ProjectId: "rit-v", Project: matrixPlanProject("RIT-V")}))(t, "create rit-v")
		seedPartners(t, ctx, s, famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR, "udp-milano", "cpia-milano")
		mustOK(s.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "rete-rit", Network: &famiv1.Network{
			DisplayName: "Rete", LeadPartner: partnerName("udp-milano"),
			Members:  []*famiv1.Member{{Partner: partnerName("udp-milano"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}, {Partner: partnerName("cpia-milano"), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}},
			Projects: []*famiv1.NetworkProject{{Project: name("lombardia", "rit-c"), Actions: []string{"01"}}, {Project: name("lombardia", "rit-a"), Actions: []string{"01"}}},
		}}))(t, "create rete-rit")

		// pages lists parent's overdue projects of 2015-q1 as c reads them,
		// in pages of two, each page its names joined by a space.
		pages := func(c surface, parent string) []string {
			t.Helper()
			req := &famiv1.ListOverdueProjectsRequest{Parent: parent, Period: "2015-q1", PageSize: 2, ReadMask: &fieldmaskpb.FieldMask{Paths: []string{"name", "code"}}}
			var out []string
			for len(out) < 10 {
				res := mustOK(c.ListOverdueProjects(ctx, req))(t, "overdue projects of "+parent)
				var page []string
				for _, p := range res.GetProjects() {
					if p.GetCode() == "" || p.GetTitle() != "" {
						t.Errorf("%s as read_mask name,code answers it: code %q, title %q", p.GetName(), p.GetCode(), p.GetTitle())
					}
					page = append(page, p.GetName())
				}
				out = append(out, strings.Join(page, " "))
				if req.PageToken = res.GetNextPageToken(); req.PageToken == "" {
					break
				}
			}
			return out
		}
		for _, c := range []struct {
			who    surface
			parent string
			want   []string
		}{
			{s, lombardia, []string{name("lombardia", "rit-a") + " " + name("lombardia", "rit-b"), name("lombardia", "rit-c")}},
			{s, lombardia + "/networks/rete-rit", []string{name("lombardia", "rit-a") + " " + name("lombardia", "rit-c")}},
			{s, name("lombardia", "rit-b"), []string{name("lombardia", "rit-b")}},
			{ministry, "regions/-", []string{name("lombardia", "rit-a") + " " + name("lombardia", "rit-b"), name("lombardia", "rit-c") + " " + name("veneto", "rit-v")}},
		} {
			if got := pages(c.who, c.parent); !slices.Equal(got, c.want) {
				t.Errorf("overdue projects of %s, pages of 2: got %q, want %q", c.parent, got, c.want)
			}
		}

		_, err := s.ListOverdueProjects(ctx, &famiv1.ListOverdueProjectsRequest{Parent: lombardia, Period: "2015-Q1"})
		checkErr(t, "a period that is no quarter", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"period"}})
		_, err = s.ListOverdueProjects(ctx, &famiv1.ListOverdueProjectsRequest{Parent: lombardia, Period: "2015-q1", PageToken: "nonsense"})
		checkErr(t, "a bad page token", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"page_token"}})
		_, err = veneto.ListOverdueProjects(ctx, &famiv1.ListOverdueProjectsRequest{Parent: lombardia, Period: "2015-q1"})
		checkErr(t, "Veneto lists Lombardia's", err, wantErr{codes.PermissionDenied, "OUTSIDE_REGION", nil})
	})
}
