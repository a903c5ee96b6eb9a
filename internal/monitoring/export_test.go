package monitoring

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/indicators"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// Hooks for the external tests and benchmarks of this package.

// Load writes reports into region in one transaction, through the same
// bookkeeping as the RPCs (plan checks, flags, aggregates). Each report's
// name, period, state and revision must be set; a SUBMITTED or APPROVED
// one needs its submit_time.
func (s *Service) Load(ctx context.Context, region string, reports []*famiv1.MonitoringReport) error {
	_, err := s.store.Update(ctx, region, store.Mutation{Principal: "test:loader"}, func(tx store.WriteTx) (proto.Message, error) {
		for _, r := range reports {
			n, err := parseReportName("name", r.GetName(), false)
			if err != nil {
				return nil, err
			}
			p, err := getProject(tx, n.project)
			if err != nil {
				return nil, err
			}
			if _, err := s.write(tx, n, p, proto.CloneOf(r)); err != nil {
				return nil, err
			}
		}
		return &emptypb.Empty{}, nil
	})
	return err
}

// ScanSummary computes what SummarizeMonitoring returns for a region by
// reading every project and every report: the reference the aggregates
// are checked and benchmarked against. It shares no code with the
// aggregates but the flag counts the reports carry.
func (s *Service) ScanSummary(ctx context.Context, req *famiv1.SummarizeMonitoringRequest) (*famiv1.MonitoringSummary, error) {
	region := strings.TrimPrefix(req.GetParent(), "regions/")
	q, _ := parsePeriod(req.GetPeriod())
	period := q.String()
	out := &famiv1.MonitoringSummary{Parent: req.GetParent(), Period: period}
	err := s.store.View(ctx, region, func(tx store.ReadTx) error {
		out.Revision = tx.Revision()
		type indicator struct{ code, unit string }
		targets := map[indicator]*famiv1.IndicatorProgress{}
		flags := map[famiv1.MonitoringFlagKind]int64{}
		states := map[famiv1.MonitoringReportState]int64{}
		return tx.List(resource.Projects, "", func(id string, raw []byte) (bool, error) {
			p := &famiv1.Project{}
			if err := proto.Unmarshal(raw, p); err != nil {
				return false, err
			}
			start, _ := date(p.GetStartDate())
			end, _ := date(p.GetEndDate())
			active := !q.end().Before(start) && !q.start().After(end)
			if active {
				out.Projects++
				out.BudgetCents += p.GetBudgetCents()
				for _, ind := range p.GetIndicators() {
					k := indicator{ind.GetCode(), ind.GetUnit()}
					t := targets[k]
					if t == nil {
						t = &famiv1.IndicatorProgress{Code: k.code, Unit: k.unit}
						targets[k] = t
					}
					if t.Name == "" { // the first plan naming it, as SummarizeMonitoring
						t.Name = ind.GetName()
					}
					t.Target += ind.GetTarget()
				}
			}
			var mine *famiv1.MonitoringReport
			err := tx.List(resource.Projects+"/"+id+"/"+resource.MonitoringReports, "", func(rid string, raw []byte) (bool, error) {
				if strings.Contains(rid, "@") || rid > period {
					return rid <= period, nil
				}
				r := &famiv1.MonitoringReport{}
				if err := proto.Unmarshal(raw, r); err != nil {
					return false, err
				}
				for _, e := range r.GetExpenditures() {
					out.CommittedCents += e.GetCommittedCents()
					out.PaidCents += e.GetPaidCents()
					if !active { // its budget is not the summary's (ADR 32)
						out.EndedCommittedCents += e.GetCommittedCents()
						out.EndedPaidCents += e.GetPaidCents()
					}
					if rid == period {
						out.QuarterCommittedCents += e.GetCommittedCents()
						out.QuarterPaidCents += e.GetPaidCents()
					}
				}
				if rid == period {
					mine = r
				}
				return true, nil
			})
			if err != nil {
				return false, err
			}
			if mine == nil && active {
				states[0]++
			}
			if mine != nil {
				states[mine.GetState()]++
				for _, f := range mine.GetFlags() {
					flags[f.GetKind()]++
				}
				units := map[string]string{} // a value's unit is its plan's
				for _, ind := range p.GetIndicators() {
					units[ind.GetCode()] = ind.GetUnit()
				}
				for _, v := range mine.GetIndicatorValues() {
					k := indicator{v.GetIndicator(), units[v.GetIndicator()]}
					t := targets[k]
					if t == nil {
						t = &famiv1.IndicatorProgress{Code: k.code, Unit: k.unit}
						targets[k] = t
					}
					t.Achieved += v.GetValue()
				}
			}
			if active && overdue(q, s.today()) && (mine == nil || (mine.GetSubmitTime() == nil && mine.GetRevision() == 1)) {
				out.OverdueProjects = append(out.OverdueProjects, p.GetName())
				flags[famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_REPORT_OVERDUE]++
			}
			out.Indicators, out.Flags, out.ReportStates = out.Indicators[:0], out.Flags[:0], out.ReportStates[:0]
			for _, t := range targets {
				t.Percent = indicators.Percent(t.GetAchieved(), t.GetTarget())
				out.Indicators = append(out.Indicators, t)
			}
			slices.SortFunc(out.Indicators, func(a, b *famiv1.IndicatorProgress) int {
				return cmp.Or(cmp.Compare(a.GetCode(), b.GetCode()), cmp.Compare(a.GetUnit(), b.GetUnit()))
			})
			for k, n := range flags {
				out.Flags = append(out.Flags, &famiv1.FlagCount{Kind: k, Count: n})
			}
			slices.SortFunc(out.Flags, func(a, b *famiv1.FlagCount) int { return cmp.Compare(a.GetKind(), b.GetKind()) })
			for k, n := range states {
				out.ReportStates = append(out.ReportStates, &famiv1.ReportStateCount{State: k, Count: n})
			}
			slices.SortFunc(out.ReportStates, func(a, b *famiv1.ReportStateCount) int { return cmp.Compare(a.GetState(), b.GetState()) })
			out.CommittedPercent = indicators.Percent(float64(out.CommittedCents-out.EndedCommittedCents), float64(out.BudgetCents))
			out.PaidPercent = indicators.Percent(float64(out.PaidCents-out.EndedPaidCents), float64(out.BudgetCents))
			return true, nil
		})
	})
	return out, err
}
