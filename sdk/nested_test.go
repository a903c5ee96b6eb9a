package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/sdk"
	"github.com/raccordo/raccordo/sdk/sdktest"
)

// TestMirrorListsNestedAcrossParents: a fresh mirror lists every
// project's monitoring reports, their earlier approved revisions with
// them, and every network's capacity assessments with one List call each
// (the parent regions/{r}/projects/-), and holds exactly what a mirror
// listing parent by parent holds, as an SDK against an older server does.
// It made one List call per project and per network, and one Get per
// earlier approved revision.
func TestMirrorListsNestedAcrossParents(t *testing.T) {
	const region = "veneto"
	admin := adminOf(t, region)
	// "p1-a" sorts between "p1" and "p10", while "p1-a/…" would sort
	// before "p1/…": the list's order and tokens must not mix them up.
	if err := seedNested(t.Context(), admin, region, []string{"p1", "p1-a", "p10"}, []string{"n1", "n1-a"}); err != nil {
		t.Fatal(err)
	}
	system := signed(t, auth.TokenSpec{Subject: "system:" + region, Role: principal.RegionalSystem, Region: region})

	across, acrossCalls := mirrorOnce(t, system, region, func(n []sdk.NestedLister) []sdk.NestedLister { return n })
	perParent, perParentCalls := mirrorOnce(t, system, region, func(n []sdk.NestedLister) []sdk.NestedLister {
		for i := range n {
			n[i].All = nil
		}
		return n
	})

	if len(across) != len(perParent) {
		t.Errorf("the mirror holds %d resources, want %d as listed parent by parent", len(across), len(perParent))
	}
	for name, want := range perParent {
		if got, ok := across[name]; !ok || !proto.Equal(got, want) {
			t.Errorf("%s: the mirror holds %v, want %v", name, got, want)
		}
	}
	for _, name := range []string{
		"regions/veneto/projects/p1-a/monitoringReports/2025-q1@2",
		"regions/veneto/projects/p10/monitoringReports/2025-q2",
		"regions/veneto/networks/n1-a/capacityAssessments/b",
	} {
		if _, ok := across[name]; !ok {
			t.Errorf("%s is not mirrored", name)
		}
	}
	nested := func(calls map[string]int) string {
		return fmt.Sprintf("ListMonitoringReports %d, GetMonitoringReport %d, ListCapacityAssessments %d",
			calls["ListMonitoringReports"], calls["GetMonitoringReport"], calls["ListCapacityAssessments"])
	}
	if got, want := nested(acrossCalls), "ListMonitoringReports 1, GetMonitoringReport 0, ListCapacityAssessments 1"; got != want {
		t.Errorf("a fresh list made %s, want %s", got, want)
	}
	if got, want := nested(perParentCalls), "ListMonitoringReports 3, GetMonitoringReport 6, ListCapacityAssessments 2"; got != want {
		t.Errorf("parent by parent, a fresh list made %s, want %s", got, want)
	}
}

// TestMirrorListsPerParentWhenTheServerRefusesTheWildcard: against a
// server that answers the parent "-" NOT_FOUND (one older than the SDK,
// which looks for a project called "-"), the mirror lists each parent's
// instead, and holds the same as listing parent by parent.
func TestMirrorListsPerParentWhenTheServerRefusesTheWildcard(t *testing.T) {
	const region = "liguria"
	if err := seedNested(t.Context(), adminOf(t, region), region, []string{"q1", "q2"}, nil); err != nil {
		t.Fatal(err)
	}
	system := signed(t, auth.TokenSpec{Subject: "system:" + region, Role: principal.RegionalSystem, Region: region})
	refused := 0
	older, calls := mirrorOnce(t, system, region, func(n []sdk.NestedLister) []sdk.NestedLister {
		for i := range n {
			n[i].All = func(context.Context, string, string) ([]sdk.Resource, string, int64, error) {
				refused++
				return nil, "", 0, connect.NewError(connect.CodeNotFound, errors.New("regions/liguria/projects/- not found"))
			}
		}
		return n
	})
	perParent, _ := mirrorOnce(t, system, region, func(n []sdk.NestedLister) []sdk.NestedLister {
		for i := range n {
			n[i].All = nil
		}
		return n
	})
	if refused != 2 || calls["GetMonitoringReport"] == 0 {
		t.Errorf("the wildcard was tried %d times and %d revisions read, want 2 tries and the revisions read by name", refused, calls["GetMonitoringReport"])
	}
	if len(older) != len(perParent) || older["regions/liguria/projects/q2/monitoringReports/2025-q1@2"] == nil {
		t.Errorf("the mirror holds %d resources, want %d with the revisions", len(older), len(perParent))
	}
	for name, want := range perParent {
		if got := older[name]; !proto.Equal(got, want) {
			t.Errorf("%s: the mirror holds %v, want %v", name, got, want)
		}
	}
}

// TestListAcrossParentsPages: the parent regions/{r}/projects/- pages
// through every project's reports in order of project, then period, the
// approved revisions with show_approved_revisions only; the parent
// regions/{r}/networks/- every network's assessments.
func TestListAcrossParentsPages(t *testing.T) {
	const region = "friuli-venezia-giulia"
	c := adminOf(t, region)
	if err := seedNested(t.Context(), c, region, []string{"p1", "p1-a", "p10"}, []string{"n1", "n1-a"}); err != nil {
		t.Fatal(err)
	}
	ids := func(items []sdk.Resource) []string {
		var out []string
		for _, it := range items {
			out = append(out, strings.TrimPrefix(it.GetName(), "regions/"+region+"/"))
		}
		return out
	}
	reports := func(revisions bool) []string {
		var items []sdk.Resource
		tok := ""
		for {
			res, err := c.Monitoring.ListMonitoringReports(t.Context(), &famiv1.ListMonitoringReportsRequest{
				Parent: "regions/" + region + "/projects/-", PageSize: 2, PageToken: tok, ShowApprovedRevisions: revisions})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.GetMonitoringReports() {
				items = append(items, r)
			}
			if tok = res.GetNextPageToken(); tok == "" {
				return ids(items)
			}
		}
	}
	current := []string{
		"projects/p1/monitoringReports/2025-q1", "projects/p1/monitoringReports/2025-q2",
		"projects/p1-a/monitoringReports/2025-q1", "projects/p1-a/monitoringReports/2025-q2",
		"projects/p10/monitoringReports/2025-q1", "projects/p10/monitoringReports/2025-q2",
	}
	if got := reports(false); !slices.Equal(got, current) {
		t.Errorf("every project's reports, by pages of 2:\n got %q\nwant %q", got, current)
	}
	var all []string
	for _, id := range current {
		all = append(all, id)
		if strings.HasSuffix(id, "q1") {
			all = append(all, id+"@1", id+"@2")
		}
	}
	if got := reports(true); !slices.Equal(got, all) {
		t.Errorf("with show_approved_revisions:\n got %q\nwant %q", got, all)
	}
	res, err := c.Evaluation.ListCapacityAssessments(t.Context(), &famiv1.ListCapacityAssessmentsRequest{Parent: "regions/" + region + "/networks/-"})
	if err != nil {
		t.Fatal(err)
	}
	var got []sdk.Resource
	for _, a := range res.GetCapacityAssessments() {
		got = append(got, a)
	}
	want := []string{"networks/n1/capacityAssessments/a", "networks/n1/capacityAssessments/b",
		"networks/n1-a/capacityAssessments/a", "networks/n1-a/capacityAssessments/b"}
	if !slices.Equal(ids(got), want) {
		t.Errorf("every network's assessments: got %q, want %q", ids(got), want)
	}
}

// BenchmarkMirrorList measures a fresh mirror's list of a region of 100
// projects with four reports each (one corrected twice) and 20 networks
// with two assessments each: across parents (the parent "-") against
// parent by parent with a Get per earlier approved revision, the
// baseline, in the same run. calls/op counts the HTTP calls.
func BenchmarkMirrorList(b *testing.B) {
	const region = "piemonte"
	var projects, networks []string
	for i := range 100 {
		projects = append(projects, fmt.Sprintf("p%d", i))
	}
	for i := range 20 {
		networks = append(networks, fmt.Sprintf("n%d", i))
	}
	if err := seedNested(b.Context(), adminOf(b, region), region, projects, networks, "2024-q1", "2024-q2", "2024-q3"); err != nil {
		b.Fatal(err)
	}
	system := signed(b, auth.TokenSpec{Subject: "system:" + region, Role: principal.RegionalSystem, Region: region})
	for _, bc := range []struct {
		name string
		all  bool
	}{{"perParent", false}, {"acrossParents", true}} {
		b.Run(bc.name, func(b *testing.B) {
			calls := 0
			for b.Loop() {
				_, n := mirrorOnce(b, system, region, func(n []sdk.NestedLister) []sdk.NestedLister {
					for i := range n {
						if !bc.all {
							n[i].All = nil
						}
					}
					return n
				})
				for _, c := range n {
					calls += c
				}
			}
			b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
		})
	}
}

// seedNested writes in region a partner, the projects named, each with a
// report of each quarter (2025-q1 and 2025-q2, or those given), the first
// corrected twice (its approved revisions 1 and 2 kept), and the networks
// named, each with the capacity assessments "a" and "b".
func seedNested(ctx context.Context, c *sdk.Client, region string, projects, networks []string, quarters ...string) error {
	parent := "regions/" + region
	if len(quarters) == 0 {
		quarters = []string{"2025-q1", "2025-q2"}
	}
	for _, p := range projects {
		if _, err := c.Projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: parent, ProjectId: p, Project: &famiv1.Project{
			Code: "MON-" + p, Title: "Progetto " + p, Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2024-01-01", EndDate: "2027-12-31",
			Actions: []*famiv1.ProjectAction{{Code: "01", Title: "Scuola"}}}}); err != nil {
			return err
		}
		for i, q := range quarters {
			r, err := c.Monitoring.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: parent + "/projects/" + p, MonitoringReportId: q,
				MonitoringReport: &famiv1.MonitoringReport{Expenditures: []*famiv1.ActionExpenditure{{Action: "01", CommittedCents: 5000, PaidCents: 4000}}}})
			if err != nil {
				return err
			}
			if i > 0 {
				continue // the first quarter alone is corrected
			}
			for range 2 {
				if err := correct(ctx, c, r.GetName()); err != nil {
					return err
				}
			}
		}
	}
	lead := parent + "/partners/capofila"
	if _, err := c.Partners.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: parent, PartnerId: "capofila",
		Partner: &famiv1.Partner{DisplayName: "Capofila", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}); err != nil {
		return err
	}
	for _, n := range networks {
		if _, err := c.Networks.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: parent, NetworkId: n, Network: &famiv1.Network{
			DisplayName: "Rete " + n, LeadPartner: lead, Members: []*famiv1.Member{{Partner: lead, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}}); err != nil {
			return err
		}
		for _, id := range []string{"a", "b"} {
			if _, err := c.Evaluation.CreateCapacityAssessment(ctx, &famiv1.CreateCapacityAssessmentRequest{Parent: parent + "/networks/" + n, CapacityAssessmentId: id,
				CapacityAssessment: &famiv1.CapacityAssessment{DisplayName: "Misura " + id, T0: 1, T0Date: "2025-02-10"}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// correct submits, approves and opens a correction of the report name:
// its approved revision is kept as "{name}@{revision}".
func correct(ctx context.Context, c *sdk.Client, name string) error {
	if _, err := c.Monitoring.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: name}); err != nil {
		return err
	}
	if _, err := c.Monitoring.ApproveMonitoringReport(ctx, &famiv1.ApproveMonitoringReportRequest{Name: name}); err != nil {
		return err
	}
	_, err := c.Monitoring.CorrectMonitoringReport(ctx, &famiv1.CorrectMonitoringReportRequest{Name: name, Reason: "Pagamenti di marzo"})
	return err
}

// mirrorOnce lists region afresh with a mirror whose NestedListers are
// nested's choice of the default ones, and returns what it holds and the
// calls it made, by procedure.
func mirrorOnce(tb testing.TB, token, region string, nested func([]sdk.NestedLister) []sdk.NestedLister) (map[string]sdk.Resource, map[string]int) {
	tb.Helper()
	ctx, stop := context.WithCancel(tb.Context())
	defer stop()
	calls := &callCounter{calls: map[string]int{}}
	c := sdk.NewClient(&http.Client{Transport: calls}, serverURL, token)
	mem := &sdktest.Memory{}
	m := &sdk.Mirror{Client: c, Region: region, Nested: nested(sdk.DefaultNested(c)),
		Handler: onSynced{mem, func(int64) { stop() }}, Logger: slog.New(slog.DiscardHandler)}
	if err := m.Run(ctx); err != nil {
		tb.Fatal(err)
	}
	items, _, _ := mem.State()
	calls.mu.Lock()
	defer calls.mu.Unlock()
	return items, calls.calls
}

// callCounter counts the HTTP calls it carries by procedure.
type callCounter struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *callCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.calls[path.Base(r.URL.Path)]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// adminOf is a client of region's admin.
func adminOf(tb testing.TB, region string) *sdk.Client {
	return sdk.NewClient(nil, serverURL, signed(tb, auth.TokenSpec{Subject: "test:admin", Role: principal.RegionAdmin, Region: region}))
}

func signed(tb testing.TB, spec auth.TokenSpec) string {
	tb.Helper()
	tok, err := sign(spec)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}
