package monitoring

import (
	"cmp"
	"context"
	"maps"
	"slices"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
)

// summarizeNationally answers a summary of regions/-: every region's
// summary of the quarter, under the same rules as when asked region by
// region, added up. Indicators with the same code are added up, as within
// a region, and the percentages are those of the sums.
func (s *Service) summarizeNationally(ctx context.Context, req *famiv1.SummarizeMonitoringRequest) (*famiv1.MonitoringSummary, error) {
	out := &famiv1.MonitoringSummary{Parent: aip.AllRegions}
	indicators := map[string]*famiv1.IndicatorProgress{}
	flags := map[famiv1.MonitoringFlagKind]int64{}
	states := map[famiv1.MonitoringReportState]int64{}
	for _, region := range aip.RegionIDs() {
		r := proto.CloneOf(req)
		r.Parent = "regions/" + region
		sum, err := s.SummarizeMonitoring(ctx, r)
		if err != nil {
			return nil, err
		}
		out.Period = sum.GetPeriod()
		out.Projects += sum.GetProjects()
		out.BudgetCents += sum.GetBudgetCents()
		out.CommittedCents += sum.GetCommittedCents()
		out.PaidCents += sum.GetPaidCents()
		out.QuarterCommittedCents += sum.GetQuarterCommittedCents()
		out.QuarterPaidCents += sum.GetQuarterPaidCents()
		out.OverdueProjects = append(out.OverdueProjects, sum.GetOverdueProjects()...)
		for _, in := range sum.GetIndicators() {
			t, ok := indicators[in.GetCode()]
			if !ok {
				t = &famiv1.IndicatorProgress{Code: in.GetCode(), Name: in.GetName(), Unit: in.GetUnit()}
				indicators[in.GetCode()] = t
			}
			t.Target += in.GetTarget()
			t.Achieved += in.GetAchieved()
		}
		for _, f := range sum.GetFlags() {
			flags[f.GetKind()] += f.GetCount()
		}
		for _, st := range sum.GetReportStates() {
			states[st.GetState()] += st.GetCount()
		}
	}
	out.CommittedPercent = percent(float64(out.CommittedCents), float64(out.BudgetCents))
	out.PaidPercent = percent(float64(out.PaidCents), float64(out.BudgetCents))
	for _, code := range slices.Sorted(maps.Keys(indicators)) {
		t := indicators[code]
		t.Percent = percent(t.GetAchieved(), t.GetTarget())
		out.Indicators = append(out.Indicators, t)
	}
	for _, k := range slices.SortedFunc(maps.Keys(flags), cmp.Compare) {
		out.Flags = append(out.Flags, &famiv1.FlagCount{Kind: k, Count: flags[k]})
	}
	for _, st := range slices.SortedFunc(maps.Keys(states), cmp.Compare) {
		out.ReportStates = append(out.ReportStates, &famiv1.ReportStateCount{State: st, Count: states[st]})
	}
	return out, nil
}
