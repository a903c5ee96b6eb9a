package server_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestNetworkProjectsAreTheRegions: which projects a network implements
// decides who drafts and submits their monitoring reports (the lead
// partner of an implementing network), so only the region changes them.
// The lead's staff could add any project of the region to their network,
// then report for it. They still edit the rest of their network, the
// actions it runs of its projects included.
func TestNetworkProjectsAreTheRegions(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		admin := newSurface(t, ts, kind)
		lead := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:anna", Role: principal.NetworkMember, Region: "lombardia", Partner: partnerName("udp")})
		mustOK(admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "udp",
			Partner: &famiv1.Partner{DisplayName: "UdP", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}}))(t, "partner")
		for _, id := range []string{"ours", "theirs"} {
			mustOK(admin.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: id, Project: &famiv1.Project{
				Code: "PROG-" + id, Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2025-01-01", EndDate: "2027-12-31",
				Actions: []*famiv1.ProjectAction{{Code: "01", Title: "Scuola"}, {Code: "02", Title: "Lavoro"}}}}))(t, "project")
		}
		n := mustOK(admin.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "rete", Network: &famiv1.Network{
			DisplayName: "Rete", LeadPartner: partnerName("udp"), Members: []*famiv1.Member{{Partner: partnerName("udp"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}},
			Projects: []*famiv1.NetworkProject{{Project: projectName("ours"), Actions: []string{"01"}}}}}))(t, "network")

		refused := wantErr{codes.PermissionDenied, "PROJECTS_CHANGE_NOT_ALLOWED", nil}
		for _, tc := range []struct {
			name     string
			projects []*famiv1.NetworkProject
		}{
			{"add another project", []*famiv1.NetworkProject{{Project: projectName("ours"), Actions: []string{"01"}}, {Project: projectName("theirs")}}},
			{"swap the project", []*famiv1.NetworkProject{{Project: projectName("theirs"), Actions: []string{"01"}}}},
			{"drop the project", nil},
		} {
			_, err := lead.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: n.GetName(), Projects: tc.projects},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"projects"}}})
			checkErr(t, "the lead's staff "+tc.name, err, refused)
		}
		if got := mustOK(admin.GetNetwork(ctx, &famiv1.GetNetworkRequest{Name: n.GetName()}))(t, "get network"); !proto.Equal(got, n) {
			t.Errorf("after the refused updates: got %s, want %s", brief(got), brief(n))
		}
		_, err := lead.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: projectName("theirs"), MonitoringReportId: "2025-q1",
			MonitoringReport: &famiv1.MonitoringReport{Notes: "not ours"}})
		checkErr(t, "the lead's staff report for another project", err, wantErr{codes.PermissionDenied, "NOT_PROJECT_NETWORK", nil})

		// The actions of its projects, and the rest, are the lead's.
		mustOK(lead.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: n.GetName(), DisplayName: "Rete nuova",
			Projects: []*famiv1.NetworkProject{{Project: projectName("ours"), Actions: []string{"01", "02"}}}},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name", "projects"}}}))(t, "the lead's staff edit their network")
		// The region adds the project.
		mustOK(admin.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: n.GetName(),
			Projects: []*famiv1.NetworkProject{{Project: projectName("ours")}, {Project: projectName("theirs")}}},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"projects"}}}))(t, "the region adds a project")
	})
}

// TestNetworkProjectActionsEachOnce: a network project lists each of its
// project's actions at most once, so it never lists more than the project
// has. An action listed twice is refused naming its index, on create and
// on update, and nothing is written.
func TestNetworkProjectActionsEachOnce(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		admin := newSurface(t, ts, kind)
		mustOK(admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "udp",
			Partner: &famiv1.Partner{DisplayName: "UdP", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}}))(t, "partner")
		mustOK(admin.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "prog", Project: &famiv1.Project{
			Code: "PROG-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2025-01-01", EndDate: "2027-12-31",
			Actions: []*famiv1.ProjectAction{{Code: "01", Title: "Scuola"}, {Code: "02", Title: "Lavoro"}}}}))(t, "project")
		network := func(actions ...string) *famiv1.Network {
			return &famiv1.Network{DisplayName: "Rete", LeadPartner: partnerName("udp"),
				Members:  []*famiv1.Member{{Partner: partnerName("udp"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}},
				Projects: []*famiv1.NetworkProject{{Project: projectName("prog"), Actions: actions}}}
		}
		// Listed twice, apart and side by side; a third time is a second
		// violation.
		_, err := admin.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "rete", Network: network("01", "02", "01", "01")})
		checkErr(t, "create with an action listed twice", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT",
			[]string{"network.projects[0].actions[2]", "network.projects[0].actions[3]"}})
		if _, err := admin.GetNetwork(ctx, &famiv1.GetNetworkRequest{Name: lombardia + "/networks/rete"}); err == nil {
			t.Errorf("the refused network was created")
		}

		n := mustOK(admin.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "rete", Network: network("01", "02")}))(t, "network")
		_, err = admin.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: n.GetName(), Projects: network("02", "02").GetProjects()},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"projects"}}})
		checkErr(t, "update with an action listed twice", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT",
			[]string{"network.projects[0].actions[1]"}})
		if got := mustOK(admin.GetNetwork(ctx, &famiv1.GetNetworkRequest{Name: n.GetName()}))(t, "get network"); !proto.Equal(got, n) {
			t.Errorf("after the refused update: got %s, want %s", brief(got), brief(n))
		}
	})
}
