package monitoring

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
)

// TestCellsWithoutUnits: a report whose cells were written before cells
// kept indicators' units (its values under their code alone, as the code
// before wrote them) is summarised in its code's only unit, and rewriting
// it takes away exactly what its cell added: the region's cell then holds
// the new value in its unit and nothing else. Recomputing the old state's
// contribution from today's plan, as the aggregates did, would take away a
// value in "persone" that was never added, leaving -4 persons beside 4
// without a unit.
func TestCellsWithoutUnits(t *testing.T) {
	const region, period = "lombardia", "2021-q1"
	st, ctx, svc := openAsAdmin(t, region, bolt.Options{Regions: []string{region}, LockTimeout: 100 * time.Millisecond})
	p := createProject(t, ctx, st, region, "p", &famiv1.Project{
		Code: "PROG-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2021-01-01", EndDate: "2021-12-31",
		Indicators: []*famiv1.Indicator{{Code: "OUT-01", Name: "Persone", Unit: "persone", Kind: famiv1.IndicatorKind_INDICATOR_KIND_OUTPUT, Target: 10, TargetDate: "2021-12-31"}}})
	r, err := svc.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: period,
		MonitoringReport: &famiv1.MonitoringReport{IndicatorValues: []*famiv1.IndicatorValue{{Indicator: "OUT-01", Value: 4}}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Update(ctx, region, store.Mutation{Principal: "test:old-code"}, func(tx store.WriteTx) (proto.Message, error) {
		for _, key := range []string{projectCell(p.GetName(), period), regionCell(period)} {
			c := &famiv1.MonitoringSummary{}
			if err := readCell(tx, key, c); err != nil {
				return nil, err
			}
			for _, in := range c.GetIndicators() {
				in.Unit = ""
			}
			if err := writeCell(tx, key, c); err != nil {
				return nil, err
			}
		}
		return &emptypb.Empty{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	indicators := func(what string, want float64) {
		t.Helper()
		sum, err := svc.SummarizeMonitoring(ctx, &famiv1.SummarizeMonitoringRequest{Parent: "regions/" + region, Period: period})
		if err != nil {
			t.Fatal(err)
		}
		w := &famiv1.IndicatorProgress{Code: "OUT-01", Name: "Persone", Unit: "persone", Target: 10, Achieved: want, Percent: want * 10}
		if got := sum.GetIndicators(); len(got) != 1 || !proto.Equal(got[0], w) {
			t.Errorf("%s: %v, want %v", what, got, w)
		}
	}
	indicators("a value kept without its unit", 4)

	r.IndicatorValues[0].Value = 6
	if _, err := svc.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: r,
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"indicator_values"}}}); err != nil {
		t.Fatal(err)
	}
	indicators("the report rewritten", 6)
	if err := st.View(ctx, region, func(tx store.ReadTx) error {
		c := &famiv1.MonitoringSummary{}
		if err := readCell(tx, regionCell(period), c); err != nil {
			return err
		}
		w := []*famiv1.IndicatorProgress{{Code: "OUT-01", Unit: "persone", Achieved: 6}}
		if got := c.GetIndicators(); len(got) != 1 || !proto.Equal(got[0], w[0]) {
			t.Errorf("the region's cell after the rewrite: %v, want %v", got, w)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
