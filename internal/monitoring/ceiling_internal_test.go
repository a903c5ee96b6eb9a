package monitoring

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/money"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestRegionPastTheCeilingCanLowerIt: a region whose reports add up past
// MaxRegionCents, written before the ceiling existed (their cells, no
// total), may still correct a report downwards and submit one, though its
// totals stay past the ceiling; a write that raises them is refused with
// LIMIT_REACHED, saying by how much to lower the amounts, and leaves them
// as they were. Every write of the region's
// reports was refused, the corrections that bring it back under too.
func TestRegionPastTheCeilingCanLowerIt(t *testing.T) {
	const region, reports = "molise", 101 // one maximal report past the ceiling
	st, ctx, svc := openAsAdmin(t, region, bolt.Options{Regions: []string{region}})
	pr := &famiv1.Project{Code: "PROG-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2021-01-01", EndDate: "2046-06-30"}
	var full []*famiv1.ActionExpenditure
	for i := range 100 {
		code := fmt.Sprintf("A%02d", i)
		pr.Actions = append(pr.Actions, &famiv1.ProjectAction{Code: code, Title: "Azione"})
		full = append(full, &famiv1.ActionExpenditure{Action: code, CommittedCents: check.MaxCents, PaidCents: check.MaxCents})
	}
	p := createProject(t, ctx, st, region, "grande", pr)
	period := func(q int) string { return fmt.Sprintf("%d-q%d", 2021+q/4, q%4+1) }
	name := func(q int) string { return p.GetName() + "/monitoringReports/" + period(q) }

	var old []*famiv1.MonitoringReport
	for q := range reports {
		old = append(old, &famiv1.MonitoringReport{Name: name(q), Period: period(q), State: famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT, Revision: 1, Expenditures: full})
	}
	storeAsBeforeTheCeiling(t, st, region, p, 0, old...)
	past := int64(reports) * 100 * check.MaxCents
	paid := func(want int64) {
		t.Helper()
		sum, err := svc.SummarizeMonitoring(ctx, &famiv1.SummarizeMonitoringRequest{Parent: "regions/" + region, Period: period(reports)})
		if err != nil {
			t.Fatal(err)
		}
		if sum.GetPaidCents() != want || sum.GetCommittedCents() != want {
			t.Errorf("paid %d, committed %d; want %d each", sum.GetPaidCents(), sum.GetCommittedCents(), want)
		}
	}
	paid(past)

	lower := &famiv1.MonitoringReport{Name: name(0), Expenditures: append([]*famiv1.ActionExpenditure{{Action: "A00"}}, full[1:]...)}
	if _, err := svc.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: lower}); err != nil {
		t.Fatalf("a correction lowering the region's totals, still past the ceiling: %v", err)
	}
	if _, err := svc.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: name(0)}); err != nil {
		t.Fatalf("submitting a report, which moves no money: %v", err)
	}
	paid(past - check.MaxCents)

	if _, err := svc.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: &famiv1.MonitoringReport{Name: name(1), Expenditures: full[1:]}}); err != nil {
		t.Fatalf("a second correction lowering them: %v", err)
	}
	_, err := svc.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: &famiv1.MonitoringReport{Name: name(1), Expenditures: full}})
	if e := errs.As(err); e == nil || e.Reason != "LIMIT_REACHED" || e.Metadata["items"] != "committed_cents" {
		t.Fatalf("a correction raising them back past the ceiling: %v, want LIMIT_REACHED on committed_cents", err)
	}
	// The refusal says what passes: amounts lower by the excess.
	excess := money.Decimal(past - check.MaxCents - check.MaxRegionCents)
	if want := "lower this report's committed_cents, or those of the region's other reports, by EUR " + excess + " or more"; !strings.Contains(errs.As(err).Message, want) {
		t.Errorf("the refusal says %q, want it to say %q", errs.As(err).Message, want)
	}
	paid(past - 2*check.MaxCents)
}

// TestWriteMovingNoMoneyLeavesTheTotal: in a region whose report was
// written before the total cell existed (its cells alone), a submit and an
// approval, which move no money, leave the region without a total cell:
// they neither sum the quarters nor write it. The first write that moves
// money sums them and writes it. Before, every submit and approval rewrote
// the cell.
func TestWriteMovingNoMoneyLeavesTheTotal(t *testing.T) {
	const region, period = "molise", "2021-q1"
	st, ctx, svc := openAsAdmin(t, region, bolt.Options{Regions: []string{region}})
	p := createProject(t, ctx, st, region, "p", oneAction("PROG-1", 0))
	r := &famiv1.MonitoringReport{Name: p.GetName() + "/monitoringReports/" + period, Period: period, State: famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT, Revision: 1,
		Expenditures: []*famiv1.ActionExpenditure{{Action: "01", CommittedCents: 700, PaidCents: 500}}}
	storeAsBeforeTheCeiling(t, st, region, p, 0, r)
	total := func() (*famiv1.MonitoringSummary, bool) {
		t.Helper()
		c := &famiv1.MonitoringSummary{}
		var ok bool
		if err := st.View(ctx, region, func(tx store.ReadTx) error {
			_, ok = tx.IndexGet(indexCells, totalCell)
			return readCell(tx, totalCell, c)
		}); err != nil {
			t.Fatal(err)
		}
		return c, ok
	}
	if _, err := svc.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: r.GetName()}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ApproveMonitoringReport(ctx, &famiv1.ApproveMonitoringReportRequest{Name: r.GetName()}); err != nil {
		t.Fatal(err)
	}
	if c, ok := total(); ok {
		t.Errorf("a submit and an approval wrote the total cell: %v", c)
	}
	if _, err := svc.CorrectMonitoringReport(ctx, &famiv1.CorrectMonitoringReportRequest{Name: r.GetName(), Reason: "Un pagamento mancante"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: &famiv1.MonitoringReport{Name: r.GetName(),
		Expenditures: []*famiv1.ActionExpenditure{{Action: "01", CommittedCents: 700, PaidCents: 600}}}}); err != nil {
		t.Fatal(err)
	}
	if c, ok := total(); !ok || c.GetQuarterCommittedCents() != 700 || c.GetQuarterPaidCents() != 600 {
		t.Errorf("after a write moving money, the total cell %v (written %v), want 700 committed and 600 paid", c, ok)
	}
}

// TestRegionTotalPastAnInt64: a region whose quarter cells, written before
// the ceiling and the total cell existed, add up past an int64 (two cells
// of EUR 5*10^16 each) has its total summed, at its first write that moves
// money, to the int64 bound, never wrapped: a raise of one cent is refused
// with LIMIT_REACHED saying the amounts already pass the ceiling, a lowering
// passes and writes no total until the region's sum fits an int64 again;
// then the total is exact, kept, and refuses or passes as usual. Before,
// the sum wrapped to a negative total, which took any raise. A write that
// moves no money (a submit, a report without amounts) never reads or
// writes the total cell.
func TestRegionTotalPastAnInt64(t *testing.T) {
	const region, huge = "molise", int64(5e18)
	st, ctx, svc := openAsAdmin(t, region, bolt.Options{Regions: []string{region}})
	p := createProject(t, ctx, st, region, "p", oneAction("PROG-1", 0))
	name := func(period string) string { return p.GetName() + "/monitoringReports/" + period }
	// Of more money than any report since may hold.
	storeAsBeforeTheCeiling(t, st, region, p, huge, oldDraft(p, "2021-q1"), oldDraft(p, "2021-q2"))
	kept := func(want bool) {
		t.Helper()
		if err := st.View(ctx, region, func(tx store.ReadTx) error {
			if _, ok := tx.IndexGet(indexCells, totalCell); ok != want {
				t.Errorf("the total cell written: %v, want %v", ok, want)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	cent := []*famiv1.ActionExpenditure{{Action: "01", CommittedCents: 1, PaidCents: 1}}

	if _, err := svc.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2021-q3", MonitoringReport: &famiv1.MonitoringReport{}}); err != nil {
		t.Fatalf("a report without amounts: %v", err)
	}
	if _, err := svc.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: name("2021-q3")}); err != nil {
		t.Fatalf("a submit: %v", err)
	}
	kept(false)

	_, err := svc.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2021-q4", MonitoringReport: &famiv1.MonitoringReport{Expenditures: cent}})
	if e := errs.As(err); e == nil || e.Reason != "LIMIT_REACHED" || e.Metadata["items"] != "committed_cents" ||
		!strings.Contains(e.Message, "already add up to more than EUR "+money.Decimal(math.MaxInt64)) {
		t.Fatalf("a cent more in a region past an int64: %v, want LIMIT_REACHED on committed_cents saying the amounts already pass", err)
	}
	kept(false)

	if _, err := svc.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: &famiv1.MonitoringReport{Name: name("2021-q1")}}); err != nil {
		t.Fatalf("lowering 2021-q1 to nothing: %v", err)
	}
	kept(false) // still past the ceiling, by an exact sum now: written at the next write
	_, err = svc.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: &famiv1.MonitoringReport{Name: name("2021-q1"), Expenditures: cent}})
	if e := errs.As(err); e == nil || e.Reason != "LIMIT_REACHED" || !strings.Contains(e.Message, "by EUR "+money.Decimal(huge+1-check.MaxRegionCents)+" or more") {
		t.Fatalf("a cent more in a region past the ceiling: %v, want LIMIT_REACHED by the exact excess", err)
	}
	if _, err := svc.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: &famiv1.MonitoringReport{Name: name("2021-q2")}}); err != nil {
		t.Fatalf("lowering 2021-q2 to nothing: %v", err)
	}
	kept(true)
	if _, err := svc.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: &famiv1.MonitoringReport{Name: name("2021-q1"), Expenditures: cent}}); err != nil {
		t.Fatalf("a cent in a region back under the ceiling: %v", err)
	}
	if err := st.View(ctx, region, func(tx store.ReadTx) error {
		total, exact, err := regionTotal(tx)
		if err != nil || !exact || total.GetQuarterCommittedCents() != 1 || total.GetQuarterPaidCents() != 1 {
			t.Errorf("the region's total: %v (exact %v, %v), want one cent of each", total, exact, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestWrappedQuarterCellsHeldAtTheBound: quarter cells written before the
// ceiling may themselves have passed an int64 and wrapped (amounts are
// never negative, so a negative cell is one that wrapped). Projects a and
// b each paid EUR 5*10^16 in 2021-q1 and a again in 2021-q2: the region's
// 2021-q1 cell wrapped negative, and a's quarters add up past an int64.
// The summaries hold those figures at the int64 bound; a report of a in
// 2021-q3 moving no money is flagged OVER_BUDGET (what a paid before it is
// past its budget); a cent more in the region is refused with
// LIMIT_REACHED saying the amounts already pass the ceiling. Before, the
// region's and a's figures were negative, the report was flagged
// SPENDING_BEHIND, and the cent was taken. The nation's summary, which
// adds another region's cent to molise's figures, holds them at the bound
// too, where it wrapped to the lowest int64.
func TestWrappedQuarterCellsHeldAtTheBound(t *testing.T) {
	const region, huge = "molise", int64(5e18)
	st, ctx, svc := openAsAdmin(t, region, bolt.Options{Regions: aip.RegionIDs()})
	projects := map[string]*famiv1.Project{}
	for _, id := range []string{"a", "b"} {
		projects[id] = createProject(t, ctx, st, region, id, oneAction("PROG-"+id, 100000))
	}
	a, b := projects["a"], projects["b"]
	lazio := principal.With(t.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lazio"})
	c := createProject(t, lazio, st, "lazio", "c", oneAction("PROG-c", 100000))
	if _, err := svc.CreateMonitoringReport(lazio, &famiv1.CreateMonitoringReportRequest{Parent: c.GetName(), MonitoringReportId: "2021-q1",
		MonitoringReport: &famiv1.MonitoringReport{Expenditures: []*famiv1.ActionExpenditure{{Action: "01", CommittedCents: 1, PaidCents: 1}}}}); err != nil {
		t.Fatal(err)
	}
	storeAsBeforeTheCeiling(t, st, region, a, huge, oldDraft(a, "2021-q1"), oldDraft(a, "2021-q2"))
	storeAsBeforeTheCeiling(t, st, region, b, huge, oldDraft(b, "2021-q1"))

	for _, c := range []struct {
		parent, period    string
		paid, quarterPaid int64
	}{
		{"regions/" + region, "2021-q1", math.MaxInt64, math.MaxInt64},
		{"regions/" + region, "2021-q2", math.MaxInt64, huge},
		{a.GetName(), "2021-q2", math.MaxInt64, huge},
		{"regions/-", "2021-q1", math.MaxInt64, math.MaxInt64},
	} {
		sum, err := svc.SummarizeMonitoring(ctx, &famiv1.SummarizeMonitoringRequest{Parent: c.parent, Period: c.period})
		if err != nil {
			t.Fatal(err)
		}
		if sum.GetPaidCents() != c.paid || sum.GetCommittedCents() != c.paid || sum.GetQuarterPaidCents() != c.quarterPaid || sum.GetPaidPercent() < 0 {
			t.Errorf("%s in %s: paid %d (%.0f%%), committed %d, the quarter's paid %d; want %d, %d, %d", c.parent, c.period,
				sum.GetPaidCents(), sum.GetPaidPercent(), sum.GetCommittedCents(), sum.GetQuarterPaidCents(), c.paid, c.paid, c.quarterPaid)
		}
	}

	r, err := svc.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: a.GetName(), MonitoringReportId: "2021-q3", MonitoringReport: &famiv1.MonitoringReport{}})
	if err != nil {
		t.Fatalf("a report moving no money: %v", err)
	}
	if got := r.GetFlags(); len(got) != 1 || got[0].GetKind() != famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_OVER_BUDGET {
		t.Errorf("a's 2021-q3 flags %v, want OVER_BUDGET alone: what a paid before passes its budget", got)
	}

	_, err = svc.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: b.GetName(), MonitoringReportId: "2021-q2",
		MonitoringReport: &famiv1.MonitoringReport{Expenditures: []*famiv1.ActionExpenditure{{Action: "01", CommittedCents: 1, PaidCents: 1}}}})
	if e := errs.As(err); e == nil || e.Reason != "LIMIT_REACHED" || !strings.Contains(e.Message, "already add up to more than EUR "+money.Decimal(math.MaxInt64)) {
		t.Fatalf("a cent more in a region whose quarter wrapped: %v, want LIMIT_REACHED saying the amounts already pass", err)
	}
}

// oldDraft is p's report of period as a draft of its first revision.
func oldDraft(p *famiv1.Project, period string) *famiv1.MonitoringReport {
	return &famiv1.MonitoringReport{Name: p.GetName() + "/monitoringReports/" + period, Period: period, State: famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT, Revision: 1}
}

// storeAsBeforeTheCeiling stores reports of p as famid wrote them before
// the money ceiling: each report and its quarter's cells, nothing else.
// When cents is not 0, each cell holds it as its committed and paid, more
// than any report since may hold.
func storeAsBeforeTheCeiling(t *testing.T, st store.Store, region string, p *famiv1.Project, cents int64, reports ...*famiv1.MonitoringReport) {
	t.Helper()
	_, err := st.Update(t.Context(), region, store.Mutation{Principal: "test:old-code"}, func(tx store.WriteTx) (proto.Message, error) {
		for _, r := range reports {
			c := contributionOf(p, r)
			if cents != 0 {
				c.QuarterCommittedCents, c.QuarterPaidCents = cents, cents
			}
			if err := keepCells(tx, p.GetName(), r.GetPeriod(), &famiv1.MonitoringSummary{}, c, r); err != nil {
				return nil, err
			}
			if err := tx.Put(r); err != nil {
				return nil, err
			}
		}
		return &emptypb.Empty{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// openAsAdmin opens a store as opts says and the service over it, and
// returns them with the context of region's admin.
func openAsAdmin(t *testing.T, region string, opts bolt.Options) (store.Store, context.Context, *Service) {
	t.Helper()
	st := bolttest.Open(t, t.TempDir(), opts)
	ctx := principal.With(t.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: region})
	return st, ctx, New(st, Options{})
}

// oneAction is a project of 2021 with one action, "01", and budget cents.
func oneAction(code string, budget int64) *famiv1.Project {
	return &famiv1.Project{Code: code, Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2021-01-01", EndDate: "2021-12-31", BudgetCents: budget,
		Actions: []*famiv1.ProjectAction{{Code: "01", Title: "Azione"}}}
}

// createProject creates project id of region through the registry, as
// ctx's caller.
func createProject(t *testing.T, ctx context.Context, st store.Store, region, id string, p *famiv1.Project) *famiv1.Project {
	t.Helper()
	p, err := registry.New(st, nil).Projects().CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/" + region, ProjectId: id, Project: p})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
