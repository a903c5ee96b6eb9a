package monitoring

import (
	"context"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/indicators"
)

// summarizeNationally answers a summary of regions/-: every region's
// summary of the quarter, under the same rules as when asked region by
// region, added up. Indicators with the same code and unit are added up, as
// within a region, and the percentages are those of the sums. A region whose data
// cannot be read now is left out and named unreachable (aip.Skip): the sums
// are those of the regions read. The overdue projects named are the first
// maxOverdueShown in region order, as ListOverdueProjects lists them.
func (s *Service) summarizeNationally(ctx context.Context, req *famiv1.SummarizeMonitoringRequest) (*famiv1.MonitoringSummary, error) {
	out := &famiv1.MonitoringSummary{Parent: aip.AllRegions}
	progress := indicators.Progress{}
	unreachable, err := aip.AskEachRegion(ctx, aip.RegionIDs(), req, s.SummarizeMonitoring, func(_ string, sum *famiv1.MonitoringSummary) {
		out.Period = sum.GetPeriod()
		out.Projects += sum.GetProjects()
		out.BudgetCents += sum.GetBudgetCents()
		out.CommittedCents += sum.GetCommittedCents()
		out.PaidCents += sum.GetPaidCents()
		out.EndedCommittedCents += sum.GetEndedCommittedCents()
		out.EndedPaidCents += sum.GetEndedPaidCents()
		out.QuarterCommittedCents += sum.GetQuarterCommittedCents()
		out.QuarterPaidCents += sum.GetQuarterPaidCents()
		out.OverdueProjects = firstOverdue(append(out.OverdueProjects, sum.GetOverdueProjects()...))
		progress.Add(sum.GetIndicators())
		out.Flags = flagCounts.add(out.Flags, sum.GetFlags(), 1)
		out.ReportStates = stateCounts.add(out.ReportStates, sum.GetReportStates(), 1)
	})
	if err != nil {
		return nil, err
	}
	out.Unreachable = unreachable
	percents(out)
	out.Indicators = progress.Sorted()
	return out, nil
}
