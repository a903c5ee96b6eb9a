package monitoring

import (
	"context"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
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
	// The quarter is read here, not taken from a region's answer: with
	// every region unreachable there is none, and the answer still names
	// the quarter it sums.
	q, err := periodOf(req.GetPeriod())
	if err != nil {
		return nil, err
	}
	out := &famiv1.MonitoringSummary{Parent: aip.AllRegions, Period: q.String()}
	progress := indicators.Progress{}
	unreachable, err := aip.AskEachRegion(ctx, aip.RegionIDs(), req, s.SummarizeMonitoring, func(_ string, sum *famiv1.MonitoringSummary) {
		out.Projects += sum.GetProjects()
		// A region's figures fit MaxRegionCents, unless written before
		// it, when they may be held at the int64 bound: added up, they
		// stay there (check.AddCents) rather than wrap.
		out.BudgetCents, _ = check.AddCents(out.BudgetCents, sum.GetBudgetCents())
		out.CommittedCents, _ = check.AddCents(out.CommittedCents, sum.GetCommittedCents())
		out.PaidCents, _ = check.AddCents(out.PaidCents, sum.GetPaidCents())
		out.EndedCommittedCents, _ = check.AddCents(out.EndedCommittedCents, sum.GetEndedCommittedCents())
		out.EndedPaidCents, _ = check.AddCents(out.EndedPaidCents, sum.GetEndedPaidCents())
		out.QuarterCommittedCents, _ = check.AddCents(out.QuarterCommittedCents, sum.GetQuarterCommittedCents())
		out.QuarterPaidCents, _ = check.AddCents(out.QuarterPaidCents, sum.GetQuarterPaidCents())
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
