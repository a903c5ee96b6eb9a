package monitoring

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
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
	st := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{region}})
	ctx := principal.With(t.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: region})
	svc := New(st, Options{})
	pr := &famiv1.Project{Code: "PROG-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2021-01-01", EndDate: "2046-06-30"}
	var full []*famiv1.ActionExpenditure
	for i := range 100 {
		code := fmt.Sprintf("A%02d", i)
		pr.Actions = append(pr.Actions, &famiv1.ProjectAction{Code: code, Title: "Azione"})
		full = append(full, &famiv1.ActionExpenditure{Action: code, CommittedCents: check.MaxCents, PaidCents: check.MaxCents})
	}
	p, err := registry.New(st, nil).Projects().CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/" + region, ProjectId: "grande", Project: pr})
	if err != nil {
		t.Fatal(err)
	}
	period := func(q int) string { return fmt.Sprintf("%d-q%d", 2021+q/4, q%4+1) }
	name := func(q int) string { return p.GetName() + "/monitoringReports/" + period(q) }

	// The reports as famid wrote them before the ceiling: the report and
	// its quarter's cells, nothing else.
	_, err = st.Update(ctx, region, store.Mutation{Principal: "test:loader"}, func(tx store.WriteTx) (proto.Message, error) {
		for q := range reports {
			r := &famiv1.MonitoringReport{Name: name(q), Period: period(q), State: famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT, Revision: 1, Expenditures: full}
			if err := keepCells(tx, p.GetName(), period(q), &famiv1.MonitoringSummary{}, contributionOf(p, r), r); err != nil {
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
	_, err = svc.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: &famiv1.MonitoringReport{Name: name(1), Expenditures: full}})
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
