package server_test

import (
	"fmt"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// | overlaps, national summaries | all regions (regions/-) | own | no | no | own | no |
//
// DESIGN.md gives consultants their own region; the README leaves them
// out of the dashboard, since their support figures are their own entries.
const rightDashboard right = "national summaries (dashboard)"

func init() {
	readmeRights[rightDashboard] = readmeRow(everywhere, own, never, never, own, never)
}

// nationalMatrixCases maps the DashboardService RPCs to how the matrix
// calls them (in a region; regions/- is TestNationalView's).
func nationalMatrixCases() map[string]matrixCase {
	return map[string]matrixCase{
		"/fami.v1.DashboardService/SummarizeRegions": {right: rightDashboard, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.roleSurfaces()[c.role].SummarizeRegions(c.ctx, &famiv1.SummarizeRegionsRequest{Name: c.parent}))
			},
			check: func(c *matrixCall, res proto.Message) {
				rows := res.(*famiv1.SummarizeRegionsResponse).GetRegions()
				if len(rows) != 1 || rows[0].GetRegion() != c.parent || rows[0].GetNetworks() < 2 {
					c.t.Errorf("SummarizeRegions(%s): got %v, want one row for it with its fixture networks", c.parent, rows)
				}
			}},
	}
}

// nationalRegions are the regions TestNationalView fills, and what it
// puts in each: projects, and whether it has a network, a protocol in
// force, a held meeting and approved support hours.
var nationalRegions = []struct {
	id       string
	projects int
	network  bool
}{
	{"lombardia", 3, true},
	{"toscana", 1, false},
	{"veneto", 2, true},
}

// TestNationalView runs the ministry's national view on every surface:
// the lists of regions/- page across regions in region id order, each row
// named under its region, the same whatever the page size; the national
// support summary and dashboard equal the sum of the regions'; and
// regions/- is the ministry's alone.
func TestNationalView(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		ministryToken := ts.mintToken(ministrySpec)
		ministry := newSurfaceAs(t, ts, kind, ministryToken)

		var wantProjects, wantNetworks []string
		for _, r := range nationalRegions {
			parent := "regions/" + r.id
			tok := ts.mintToken(auth.TokenSpec{Subject: "test:region_admin:" + r.id, Role: principal.RegionAdmin, Region: r.id})
			admin := newSurfaceAs(t, ts, kind, tok)
			udp := mustOK(admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: parent, PartnerId: "udp", Partner: &famiv1.Partner{
				DisplayName: "UdP", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}}))(t, "partner").GetName()
			cpia := mustOK(admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: parent, PartnerId: "cpia", Partner: &famiv1.Partner{
				DisplayName: "CPIA", Kind: famiv1.PartnerKind_PARTNER_KIND_ADULT_EDUCATION_CENTRE}}))(t, "partner").GetName()
			for i := range r.projects {
				p := mustOK(admin.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: parent, ProjectId: fmt.Sprintf("p%d", i), Project: &famiv1.Project{
					Code: fmt.Sprintf("PROG-%d", i), Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2024-01-01", EndDate: "2025-12-31"}}))(t, "project")
				wantProjects = append(wantProjects, p.GetName())
			}
			if !r.network {
				continue
			}
			network := mustOK(admin.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: parent, NetworkId: "rete", Network: &famiv1.Network{
				DisplayName: "Rete", LeadPartner: udp, Members: []*famiv1.Member{
					{Partner: udp, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}, {Partner: cpia, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}}}}))(t, "network").GetName()
			wantNetworks = append(wantNetworks, network)

			// A protocol in force: opened and signed by both parties.
			prot := newSurfaceAs(t, ts, kind, tok)
			p := mustOK(prot.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: parent, ProtocolId: "udp-cpia", Protocol: matrixProtocol(network, "udp-cpia", udp, cpia)}))(t, "protocol")
			p = mustOK(prot.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: p.GetName()}))(t, "open protocol")
			for _, party := range []string{udp, cpia} {
				staff := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:staff:" + party, Role: principal.NetworkMember, Region: r.id, Partner: party})
				p = mustOK(staff.SignProtocol(ctx, &famiv1.SignProtocolRequest{Name: p.GetName(), ContentHash: p.GetContentHash()}))(t, "sign protocol")
			}
			if p.GetState() != famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE {
				t.Fatalf("protocol state %s, want IN_FORCE", p.GetState())
			}
			// A held meeting.
			mtg := newSurfaceAs(t, ts, kind, tok)
			m := mustOK(mtg.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: "tavolo", Meeting: matrixMeeting(network, "tavolo")}))(t, "meeting")
			mustOK(mtg.RecordAttendance(ctx, &famiv1.RecordAttendanceRequest{Name: m.GetName(), Attendance: []*famiv1.PartnerAttendance{{Partner: udp, Attendees: 3}}}))(t, "attendance")
			// Support hours: one approved entry, one still submitted.
			consultant := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:consultant:" + r.id, Role: principal.Consultant, Region: r.id})
			approved := mustOK(consultant.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: parent, SupportEntry: matrixEntry(network, "2025-03-10", 90)}))(t, "entry")
			mustOK(consultant.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: parent, SupportEntry: matrixEntry(network, "2025-03-11", 45)}))(t, "entry")
			mustOK(newSurfaceAs(t, ts, kind, tok).BatchApproveSupportEntries(ctx, &famiv1.BatchApproveSupportEntriesRequest{Parent: parent, Names: []string{approved.GetName()}}))(t, "approve")
		}

		t.Run("lists_page_across_regions", func(t *testing.T) {
			for _, size := range []int32{1, 2, 4, 50} {
				var got []string
				token := ""
				for pages := 0; ; pages++ {
					if pages > 10 {
						t.Fatalf("page size %d: more than 10 pages", size)
					}
					res := mustOK(ministry.ListProjects(ctx, &famiv1.ListProjectsRequest{Parent: "regions/-", PageSize: size, PageToken: token}))(t, "list projects")
					if len(res.GetProjects()) > int(size) {
						t.Errorf("page size %d: got %d projects", size, len(res.GetProjects()))
					}
					got = append(got, names(res.GetProjects())...)
					if token = res.GetNextPageToken(); token == "" {
						break
					}
				}
				if !slices.Equal(got, wantProjects) {
					t.Errorf("page size %d: got %q, want %q", size, got, wantProjects)
				}
			}
			parts := mustOK(ministry.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: "regions/-", PageSize: 4}))(t, "list partners")
			if got, want := names(parts.GetPartners()), []string{"regions/lombardia/partners/cpia", "regions/lombardia/partners/udp",
				"regions/toscana/partners/cpia", "regions/toscana/partners/udp"}; !slices.Equal(got, want) || parts.GetNextPageToken() == "" {
				t.Errorf("partners: got %q (next page %q), want %q and a next page", got, parts.GetNextPageToken(), want)
			}
			nets := mustOK(ministry.ListNetworks(ctx, &famiv1.ListNetworksRequest{Parent: "regions/-"}))(t, "list networks")
			if got := names(nets.GetNetworks()); !slices.Equal(got, wantNetworks) {
				t.Errorf("networks: got %q, want %q", got, wantNetworks)
			}
			prots := mustOK(newSurfaceAs(t, ts, kind, ministryToken).ListProtocols(ctx, &famiv1.ListProtocolsRequest{Parent: "regions/-",
				State: famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE}))(t, "list protocols")
			if got, want := names(prots.GetProtocols()), []string{"regions/lombardia/protocols/udp-cpia", "regions/veneto/protocols/udp-cpia"}; !slices.Equal(got, want) {
				t.Errorf("protocols: got %q, want %q", got, want)
			}
			mtgs := mustOK(newSurfaceAs(t, ts, kind, ministryToken).ListMeetings(ctx, &famiv1.ListMeetingsRequest{Parent: "regions/-",
				Network: "regions/veneto/networks/rete"}))(t, "list meetings")
			if got, want := names(mtgs.GetMeetings()), []string{"regions/veneto/meetings/tavolo"}; !slices.Equal(got, want) {
				t.Errorf("meetings of a network, nationally: got %q, want %q", got, want)
			}
			_, err := ministry.ListProjects(ctx, &famiv1.ListProjectsRequest{Parent: "regions/-", PageToken: "bm9wZQ"})
			checkErr(t, "a forged page token", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"page_token"}})
		})

		t.Run("support_summary_sums_the_regions", func(t *testing.T) {
			sup := newSurfaceAs(t, ts, kind, ministryToken)
			req := &famiv1.SummarizeSupportEntriesRequest{Parent: "regions/-", StartDate: "2025-01-01", EndDate: "2025-12-31",
				GroupBy: famiv1.SupportGroupBy_SUPPORT_GROUP_BY_ACTIVITY}
			national := mustOK(sup.SummarizeSupportEntries(ctx, req))(t, "national summary")
			var minutes, entries int64
			for _, g := range national.GetGroups() {
				r := proto.CloneOf(req)
				r.Parent = g.GetRegion()
				regional := mustOK(sup.SummarizeSupportEntries(ctx, r))(t, "regional summary")
				if len(regional.GetGroups()) != 1 || regional.GetGroups()[0].GetTotalMinutes() != g.GetTotalMinutes() {
					t.Errorf("%s: national group %v, regional %v", g.GetRegion(), g, regional.GetGroups())
				}
				minutes += g.GetTotalMinutes()
				entries += g.GetEntries()
			}
			if got := national.GetTotals(); got.GetTotalMinutes() != minutes || got.GetEntries() != entries || minutes != 2*(90+45) || got.GetDistinctNetworks() != 2 {
				t.Errorf("national totals %v, want %d minutes and %d entries (the groups' sum, 270), 2 networks", got, minutes, entries)
			}
		})

		t.Run("dashboard_totals_are_the_sum_of_the_regions", func(t *testing.T) {
			dash := newSurfaceAs(t, ts, kind, ministryToken)
			national := mustOK(dash.SummarizeRegions(ctx, &famiv1.SummarizeRegionsRequest{Name: "regions/-", Period: "2025-q1"}))(t, "national dashboard")
			var regions []string
			sum := &famiv1.RegionSummary{MonitoringPeriod: "2025-q1"}
			kinds := map[famiv1.PartnerKind]int32{}
			for _, row := range national.GetRegions() {
				regions = append(regions, row.GetRegion())
				one := mustOK(dash.SummarizeRegions(ctx, &famiv1.SummarizeRegionsRequest{Name: row.GetRegion(), Period: "2025-q1"}))(t, "regional dashboard")
				if len(one.GetRegions()) != 1 || !proto.Equal(one.GetRegions()[0], row) {
					t.Errorf("%s: national row %v, regional %v", row.GetRegion(), row, one.GetRegions())
				}
				sum.Networks += row.GetNetworks()
				sum.Partners += row.GetPartners()
				sum.ProtocolsInForce += row.GetProtocolsInForce()
				sum.MeetingsHeld += row.GetMeetingsHeld()
				sum.ApprovedSupportMinutes += row.GetApprovedSupportMinutes()
				sum.ApprovedSupportEntries += row.GetApprovedSupportEntries()
				sum.MonitoredProjects += row.GetMonitoredProjects()
				for _, k := range row.GetPartnersByKind() {
					kinds[k.GetKind()] += k.GetCount()
				}
			}
			if want := []string{"regions/lombardia", "regions/toscana", "regions/veneto"}; !slices.Equal(regions, want) {
				t.Errorf("rows for %q, want one per region with data: %q", regions, want)
			}
			for _, k := range national.GetTotals().GetPartnersByKind() {
				if kinds[k.GetKind()] != k.GetCount() {
					t.Errorf("totals: %d partners of kind %s, the rows sum %d", k.GetCount(), k.GetKind(), kinds[k.GetKind()])
				}
			}
			got := proto.CloneOf(national.GetTotals())
			got.PartnersByKind = nil
			if !proto.Equal(got, sum) {
				t.Errorf("totals %v, want the rows' sum %v", got, sum)
			}
			want := &famiv1.RegionSummary{MonitoringPeriod: "2025-q1", Networks: 2, Partners: 6, ProtocolsInForce: 2, MeetingsHeld: 2,
				ApprovedSupportMinutes: 180, ApprovedSupportEntries: 2, MonitoredProjects: 6}
			if !proto.Equal(sum, want) {
				t.Errorf("the rows sum %v, want %v", sum, want)
			}
		})

		t.Run("regions_wildcard_is_the_ministrys", func(t *testing.T) {
			notNational := wantErr{code: codes.PermissionDenied, reason: "NATIONAL_VIEW_NOT_ALLOWED"}
			for _, spec := range []auth.TokenSpec{
				{Subject: "test:region_admin:lombardia", Role: principal.RegionAdmin, Region: "lombardia"},
				{Subject: "system:lombardia", Role: principal.RegionalSystem, Region: "lombardia"},
				{Subject: "test:consultant:lombardia", Role: principal.Consultant, Region: "lombardia"},
			} {
				tok := ts.mintToken(spec)
				res, err := newSurfaceAs(t, ts, kind, tok).ListProjects(ctx, &famiv1.ListProjectsRequest{Parent: "regions/-"})
				checkErr(t, string(spec.Role)+" lists projects of regions/-", err, notNational)
				if len(res.GetProjects()) > 0 {
					t.Errorf("the refusal carries %d projects", len(res.GetProjects()))
				}
				_, err = newSurfaceAs(t, ts, kind, tok).SummarizeRegions(ctx, &famiv1.SummarizeRegionsRequest{Name: "regions/-"})
				want := notNational
				if spec.Role == principal.Consultant {
					// Not a dashboard reader in any region.
					want.reason = "ROLE_NOT_ALLOWED"
				}
				checkErr(t, string(spec.Role)+" summarizes regions/-", err, want)
			}
		})
	})
}

// TestNationalMonitoringSummary checks on every surface that the
// ministry's monitoring summary of regions/- adds up the regions'
// summaries of the quarter, and is the ministry's alone.
func TestNationalMonitoringSummary(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		for _, region := range []string{"lombardia", "veneto"} {
			tok := ts.mintToken(regionAdminSpec(region))
			p := labImpact()
			name := mustOK(newSurfaceAs(t, ts, kind, tok).CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/" + region, ProjectId: "lab-impact", Project: p}))(t, "project").GetName()
			mon := newSurfaceAs(t, ts, kind, tok)
			r := mustOK(mon.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: name, MonitoringReportId: "2021-q1", MonitoringReport: labImpactQuarter(1)}))(t, "report")
			mustOK(mon.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: r.GetName()}))(t, "submit")
			mustOK(mon.ApproveMonitoringReport(ctx, &famiv1.ApproveMonitoringReportRequest{Name: r.GetName()}))(t, "approve")
		}
		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		national := mustOK(ministry.SummarizeMonitoring(ctx, &famiv1.SummarizeMonitoringRequest{Parent: "regions/-", Period: "2021-q1"}))(t, "national summary")
		want := &famiv1.MonitoringSummary{Parent: "regions/-", Period: "2021-q1"}
		achieved := map[string][2]float64{}
		for _, region := range []string{"lombardia", "veneto"} {
			s := mustOK(ministry.SummarizeMonitoring(ctx, &famiv1.SummarizeMonitoringRequest{Parent: "regions/" + region, Period: "2021-q1"}))(t, "regional summary")
			want.Projects += s.GetProjects()
			want.BudgetCents += s.GetBudgetCents()
			want.CommittedCents += s.GetCommittedCents()
			want.PaidCents += s.GetPaidCents()
			for _, in := range s.GetIndicators() {
				a := achieved[in.GetCode()]
				achieved[in.GetCode()] = [2]float64{a[0] + in.GetTarget(), a[1] + in.GetAchieved()}
			}
		}
		if national.GetProjects() != 2 || national.GetProjects() != want.GetProjects() || national.GetBudgetCents() != want.GetBudgetCents() ||
			national.GetCommittedCents() != want.GetCommittedCents() || national.GetPaidCents() != want.GetPaidCents() || national.GetCommittedCents() == 0 {
			t.Errorf("national summary %v, want the regions' sum %v", national, want)
		}
		for _, in := range national.GetIndicators() {
			if a := achieved[in.GetCode()]; in.GetTarget() != a[0] || in.GetAchieved() != a[1] || in.GetPercent() != a[1]/a[0]*100 {
				t.Errorf("indicator %s: %v, want target %v achieved %v", in.GetCode(), in, a[0], a[1])
			}
		}
		if len(national.GetIndicators()) != 4 {
			t.Errorf("national indicators %v, want the 4 codes", national.GetIndicators())
		}
		// The dashboard's indicator achievement is the same sum.
		dash := mustOK(newSurfaceFor(t, ts, kind, ministrySpec).
			SummarizeRegions(ctx, &famiv1.SummarizeRegionsRequest{Name: "regions/-", Period: "2021-q1"}))(t, "national dashboard")
		if got := dash.GetTotals(); got.GetMonitoredProjects() != 2 || len(got.GetIndicators()) != 4 ||
			!slices.EqualFunc(got.GetIndicators(), national.GetIndicators(), func(a, b *famiv1.IndicatorProgress) bool { return proto.Equal(a, b) }) {
			t.Errorf("dashboard totals %v, want the national monitoring's indicators %v", got, national.GetIndicators())
		}
		admin := newSurfaceFor(t, ts, kind, regionAdminSpec("lombardia"))
		_, err := admin.SummarizeMonitoring(ctx, &famiv1.SummarizeMonitoringRequest{Parent: "regions/-", Period: "2021-q1"})
		checkErr(t, "a region admin's regions/-", err, wantErr{code: codes.PermissionDenied, reason: "NATIONAL_VIEW_NOT_ALLOWED"})
	})
}
