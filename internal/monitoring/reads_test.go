package monitoring_test

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/monitoring"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/registry/registrytest"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

// TestReportWritesReadOnlyTheProjectsNetworks: a network member's report
// writes (create, update, submit) read as much in a region of 2 networks
// as in one of 42: the right to report (mayReport) reads the networks that
// implement the project, not every network of the region. It read them all
// on each write before.
func TestReportWritesReadOnlyTheProjectsNetworks(t *testing.T) {
	few, many := reportWriteReads(t, 0), reportWriteReads(t, 40)
	if few != many {
		t.Errorf("reads of create, update and submit: %v with 2 networks, %v with 42; want them equal", few, many)
	}
}

// reportRegion is a fresh region where one network of the lead partner
// "udp" and one of another partner implement the project it returns, and
// the lead leads as many more (others) that implement nothing.
func reportRegion(t *testing.T, others int) (*registrytest.Env, *famiv1.Project) {
	t.Helper()
	e := registrytest.New(t)
	admin := e.As(principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: registrytest.Region})
	for _, id := range []string{"udp", "altro"} {
		if _, err := e.Reg.Partners().CreatePartner(admin, &famiv1.CreatePartnerRequest{Parent: registrytest.Parent, PartnerId: id,
			Partner: &famiv1.Partner{DisplayName: "Partner " + id, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.Reg.Projects().CreateProject(admin, &famiv1.CreateProjectRequest{Parent: registrytest.Parent, ProjectId: "p01", Project: benchProject(registrytest.Region, 1)})
	if err != nil {
		t.Fatal(err)
	}
	network := func(id, lead string, projects ...string) {
		t.Helper()
		n := &famiv1.Network{DisplayName: "Rete " + id, LeadPartner: registrytest.PartnerName(lead),
			Members: []*famiv1.Member{{Partner: registrytest.PartnerName(lead), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}
		for _, pr := range projects {
			n.Projects = append(n.Projects, &famiv1.NetworkProject{Project: pr})
		}
		if _, err := e.Reg.Networks().CreateNetwork(admin, &famiv1.CreateNetworkRequest{Parent: registrytest.Parent, NetworkId: id, Network: n}); err != nil {
			t.Fatal(err)
		}
	}
	network("rete-udp", "udp", p.GetName())
	network("rete-altro", "altro", p.GetName())
	for i := range others {
		network(fmt.Sprintf("rete-%02d", i), "udp")
	}
	return e, p
}

// draftReport is a draft of p's first quarter.
func draftReport(p *famiv1.Project) *famiv1.MonitoringReport {
	r := benchReport(p.GetName(), 1, 0)
	r.State, r.SubmitTime = famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT, nil
	return r
}

// reportWriteReads counts the reads of the three writes of a report by
// the lead's staff in a reportRegion.
func reportWriteReads(t *testing.T, others int) (reads [3]int64) {
	e, p := reportRegion(t, others)
	st := &storetest.ReadCounter{Store: e.Store}
	svc, ctx := monitoring.New(st, monitoring.Options{}), e.Member("udp")
	r := draftReport(p)
	if _, err := svc.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: r.GetPeriod(), MonitoringReport: r}); err != nil {
		t.Fatal(err)
	}
	reads[0] = st.Since()
	if _, err := svc.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: &famiv1.MonitoringReport{Name: r.GetName(), Notes: "Corsi avviati"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"notes"}}}); err != nil {
		t.Fatal(err)
	}
	reads[1] = st.Since()
	if _, err := svc.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: r.GetName()}); err != nil {
		t.Fatal(err)
	}
	reads[2] = st.Since()
	return reads
}

// TestReportRightFollowsTheNetworksProjects: the right to report follows
// the networks as they change, since it reads them through the index of
// references that each network write keeps: the lead's staff lose it when
// the region takes the project from their network, and another lead's
// staff when their network is deleted.
func TestReportRightFollowsTheNetworksProjects(t *testing.T) {
	e, p := reportRegion(t, 0)
	admin := e.As(principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: registrytest.Region})
	svc := monitoring.New(e.Store, monitoring.Options{})
	r := draftReport(p)
	if _, err := svc.CreateMonitoringReport(e.Member("udp"), &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: r.GetPeriod(), MonitoringReport: r}); err != nil {
		t.Fatal(err)
	}
	edit := func(partner string) error {
		_, err := svc.UpdateMonitoringReport(e.Member(partner), &famiv1.UpdateMonitoringReportRequest{MonitoringReport: &famiv1.MonitoringReport{Name: r.GetName(), Notes: "di " + partner},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"notes"}}})
		return err
	}
	wantRefused := func(partner, after string) {
		t.Helper()
		if err := edit(partner); errs.As(err) == nil || errs.As(err).Reason != errs.NotProjectNetwork {
			t.Errorf("%s's edit after %s: %v, want NOT_PROJECT_NETWORK", partner, after, err)
		}
	}

	if _, err := e.Reg.Networks().UpdateNetwork(admin, &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: registrytest.NetworkName("rete-udp")},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"projects"}}}); err != nil {
		t.Fatal(err)
	}
	wantRefused("udp", "the project was taken from its network")
	if err := edit("altro"); err != nil {
		t.Errorf("altro's edit, whose network implements the project: %v", err)
	}
	if _, err := e.Reg.Networks().DeleteNetwork(admin, &famiv1.DeleteNetworkRequest{Name: registrytest.NetworkName("rete-altro")}); err != nil {
		t.Fatal(err)
	}
	wantRefused("altro", "its network was deleted")
}
