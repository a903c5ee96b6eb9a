package monitoring_test

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/monitoring"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/registry/registrytest"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestAggregatesMatchScan checks the aggregate cells against a full scan
// after every kind of write: creates, edits, review steps, corrections,
// and plan changes that move projects in and out of a quarter.
func TestAggregatesMatchScan(t *testing.T) {
	const region, projects, quarters = "lombardia", 12, 8
	st := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{region}})
	ctx := principal.With(t.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: region})
	svc, reg := monitoring.New(st, monitoring.Options{}), registry.New(st, nil)

	check := func(step string) {
		t.Helper()
		for k := 0; k <= quarters; k++ {
			req := &famiv1.SummarizeMonitoringRequest{Parent: "regions/" + region, Period: fmt.Sprintf("%d-q%d", 2015+k/4, 1+k%4)}
			got, err := svc.SummarizeMonitoring(ctx, req)
			if err != nil {
				t.Fatalf("%s: summarize %s: %v", step, req.Period, err)
			}
			want, err := svc.ScanSummary(ctx, req)
			if err != nil {
				t.Fatalf("%s: scan %s: %v", step, req.Period, err)
			}
			if !proto.Equal(got, want) {
				t.Errorf("%s, %s:\naggregates %v\nfull scan  %v", step, req.Period, got, want)
			}
		}
	}

	var names []string
	for i := 0; i < projects; i++ {
		p, err := reg.Projects().CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/" + region, ProjectId: fmt.Sprintf("p%02d", i), Project: benchProject(region, i)})
		if err != nil {
			t.Fatalf("create project: %v", err)
		}
		names = append(names, p.GetName())
		for k := 0; k < quarters-i%3; k++ {
			r := benchReport(p.GetName(), i, k)
			r.State, r.SubmitTime = famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT, nil
			if _, err := svc.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: r.GetPeriod(), MonitoringReport: r}); err != nil {
				t.Fatalf("create report: %v", err)
			}
		}
	}
	check("created")

	q := func(k int) string { return fmt.Sprintf("%d-q%d", 2015+k/4, 1+k%4) }
	report := func(i, k int) string { return names[i] + "/monitoringReports/" + q(k) }
	for i := 0; i < projects; i += 2 {
		name := report(i, 1)
		steps := []func() error{
			func() error {
				_, err := svc.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: &famiv1.MonitoringReport{Name: name,
					Expenditures: []*famiv1.ActionExpenditure{{Action: "01", CommittedCents: 7, PaidCents: 5}}}})
				return err
			},
			func() error {
				_, err := svc.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: name})
				return err
			},
			func() error {
				_, err := svc.ApproveMonitoringReport(ctx, &famiv1.ApproveMonitoringReportRequest{Name: name})
				return err
			},
			func() error {
				_, err := svc.CorrectMonitoringReport(ctx, &famiv1.CorrectMonitoringReportRequest{Name: name, Reason: "fix"})
				return err
			},
		}
		for j, step := range steps[:1+i%len(steps)] {
			if err := step(); err != nil {
				t.Fatalf("report %s, step %d: %v", name, j, err)
			}
		}
	}
	check("reviewed")

	// A project ending earlier drops out of the later quarters.
	p := benchProject(region, 0)
	p.Name, p.EndDate = names[0], "2015-06-30"
	for _, ind := range p.Indicators {
		ind.TargetDate = "2015-06-30"
	}
	p.Timetable = nil
	if _, err := reg.Projects().UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: p}); err != nil {
		t.Fatalf("shorten a project: %v", err)
	}
	check("project shortened")
}

// TestDamagedSettings: a report written while the region's monitoring
// settings fail their checksum is refused with the store's DATA_LOSS; its
// flags are never found with the default threshold in their place.
func TestDamagedSettings(t *testing.T) {
	const region = "lombardia"
	dir := t.TempDir()
	st := bolttest.Open(t, dir, bolt.Options{Regions: []string{region}})
	ctx := principal.With(t.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: region})
	svc, reg := monitoring.New(st, monitoring.Options{}), registry.New(st, nil)
	p, err := reg.Projects().CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/" + region, ProjectId: "p01", Project: benchProject(region, 1)})
	if err != nil {
		t.Fatal(err)
	}
	name := "regions/" + region + "/settings/monitoring"
	if _, err := svc.UpdateMonitoringSettings(ctx, &famiv1.UpdateMonitoringSettingsRequest{MonitoringSettings: &famiv1.MonitoringSettings{Name: name, BehindThresholdPercent: 42}}); err != nil {
		t.Fatal(err)
	}
	// The settings hold no text of their own: the marker is the end of
	// their name followed by the threshold's field (2, varint 42), bytes
	// found in the record only, never in a key.
	bolttest.Damage(t, dir, region, name+"\x10\x2a")
	r := benchReport(p.GetName(), 1, 0)
	r.State, r.SubmitTime = famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT, nil
	_, err = svc.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: r.GetPeriod(), MonitoringReport: r})
	bolttest.WantRecordCorrupt(t, "a report under damaged settings", err)
}

// TestSummaryScopesAgreeOnReports: a network implementing every project of
// its region summarises the region's reported side (committed and paid to
// date and in the quarter, achieved, flags, report states), quarter by
// quarter, and the projects' summaries add up to it, also once a project's
// span was shortened below quarters it had reported: the reported side
// counts every report in scope (docs/monitoring.md). The network's and the
// project's summaries used to read only the projects covering the quarter,
// so a project ended in 2015 had paid nothing to date in the network's
// 2016 summary while the region counted it.
func TestSummaryScopesAgreeOnReports(t *testing.T) {
	const projects, quarters = 3, 8
	e := registrytest.New(t)
	admin := e.As(principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: registrytest.Region})
	svc := monitoring.New(e.Store, monitoring.Options{})
	if _, err := e.Reg.Partners().CreatePartner(admin, &famiv1.CreatePartnerRequest{Parent: registrytest.Parent, PartnerId: "udp",
		Partner: &famiv1.Partner{DisplayName: "Ufficio di Piano", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}}); err != nil {
		t.Fatal(err)
	}
	network := &famiv1.Network{DisplayName: "Rete", LeadPartner: registrytest.PartnerName("udp"),
		Members: []*famiv1.Member{{Partner: registrytest.PartnerName("udp"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}
	var names []string
	for i := range projects {
		p, err := e.Reg.Projects().CreateProject(admin, &famiv1.CreateProjectRequest{Parent: registrytest.Parent, ProjectId: fmt.Sprintf("p%02d", i), Project: benchProject(registrytest.Region, i)})
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, p.GetName())
		network.Projects = append(network.Projects, &famiv1.NetworkProject{Project: p.GetName()})
		for k := range quarters {
			r := benchReport(p.GetName(), i, k)
			r.State, r.SubmitTime = famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT, nil
			if _, err := svc.CreateMonitoringReport(admin, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: r.GetPeriod(), MonitoringReport: r}); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := e.Reg.Networks().CreateNetwork(admin, &famiv1.CreateNetworkRequest{Parent: registrytest.Parent, NetworkId: "rete", Network: network})
	if err != nil {
		t.Fatal(err)
	}
	// The first project ends in 2015's first half, below reports it sent.
	p := benchProject(registrytest.Region, 0)
	p.Name, p.EndDate, p.Timetable = names[0], "2015-06-30", nil
	for _, ind := range p.Indicators {
		ind.TargetDate = p.EndDate
	}
	if _, err := e.Reg.Projects().UpdateProject(admin, &famiv1.UpdateProjectRequest{Project: p}); err != nil {
		t.Fatal(err)
	}

	summary := func(parent, period string) *famiv1.MonitoringSummary {
		t.Helper()
		s, err := svc.SummarizeMonitoring(admin, &famiv1.SummarizeMonitoringRequest{Parent: parent, Period: period})
		if err != nil {
			t.Fatalf("summary of %s, %s: %v", parent, period, err)
		}
		return s
	}
	// reported is the reported side of a summary, achieved without targets.
	reported := func(s *famiv1.MonitoringSummary) *famiv1.MonitoringSummary {
		out := &famiv1.MonitoringSummary{CommittedCents: s.GetCommittedCents(), PaidCents: s.GetPaidCents(),
			QuarterCommittedCents: s.GetQuarterCommittedCents(), QuarterPaidCents: s.GetQuarterPaidCents(), Flags: s.GetFlags()}
		for _, st := range s.GetReportStates() {
			if st.GetState() != famiv1.MonitoringReportState_MONITORING_REPORT_STATE_UNSPECIFIED { // covering projects without a report: the plan's side
				out.ReportStates = append(out.ReportStates, st)
			}
		}
		for _, in := range s.GetIndicators() {
			if in.GetAchieved() != 0 {
				out.Indicators = append(out.Indicators, &famiv1.IndicatorProgress{Code: in.GetCode(), Achieved: in.GetAchieved()})
			}
		}
		return out
	}
	for k := range quarters + 2 {
		period := fmt.Sprintf("%d-q%d", 2015+k/4, 1+k%4)
		region := reported(summary(registrytest.Parent, period))
		if got := reported(summary(n.GetName(), period)); !proto.Equal(got, region) {
			t.Errorf("%s: the network of every project reports\n%v\nthe region\n%v", period, got, region)
		}
		var paid, committed int64
		for _, name := range names {
			s := summary(name, period)
			paid, committed = paid+s.GetPaidCents(), committed+s.GetCommittedCents()
		}
		if paid != region.GetPaidCents() || committed != region.GetCommittedCents() {
			t.Errorf("%s: the projects' summaries add up to %d paid and %d committed to date, the region's %d and %d",
				period, paid, committed, region.GetPaidCents(), region.GetCommittedCents())
		}
	}
}
