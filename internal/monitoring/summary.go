package monitoring

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// scope is what a summary covers.
type scope struct {
	region string
	// project or network is the parent's name when the summary is of one;
	// both empty for the region's.
	project, network string
}

func parseScope(parent string) (scope, error) {
	parts := strings.Split(parent, "/")
	if len(parts) == 2 {
		region, err := aip.ParseRegion("parent", parent)
		return scope{region: region}, err
	}
	if len(parts) == 4 && parts[0] == "regions" && parts[1] != "" && parts[3] != "" {
		switch parts[2] {
		case resource.Projects:
			return scope{region: parts[1], project: parent}, nil
		case resource.Networks:
			return scope{region: parts[1], network: parent}, nil
		}
	}
	return scope{}, errs.InvalidField("parent", "%q is not a region, project or network name", resource.Clip(parent))
}

// SummarizeMonitoring implements fami.v1.MonitoringService. It reads the
// plans of the projects in scope (targets, budgets, spans) and the
// aggregate cells of the quarters up to the one asked for, never a report.
func (s *Service) SummarizeMonitoring(ctx context.Context, req *famiv1.SummarizeMonitoringRequest) (*famiv1.MonitoringSummary, error) {
	if aip.IsAllRegions(req.GetParent()) {
		return s.summarizeNationally(ctx, req)
	}
	sc, err := parseScope(req.GetParent())
	if err != nil {
		return nil, err
	}
	q, ok := parsePeriod(req.GetPeriod())
	if !ok {
		return nil, errs.InvalidField("period", "%q is not a quarter: want YYYY-qN, e.g. 2021-q1", resource.Clip(req.GetPeriod()))
	}
	period := q.String()
	out := &famiv1.MonitoringSummary{Parent: req.GetParent(), Period: period}
	err = s.store.View(ctx, sc.region, func(tx store.ReadTx) error {
		out.Revision = tx.Revision()
		projects, err := projectsOf(tx, sc)
		if err != nil {
			return err
		}
		// The plans: projects whose span covers the quarter, their budgets
		// and indicator targets.
		var active []*famiv1.Project
		targets := map[string]*famiv1.IndicatorProgress{}
		for _, p := range projects {
			start, _ := date(p.GetStartDate())
			end, _ := date(p.GetEndDate())
			if q.end().Before(start) || q.start().After(end) {
				continue
			}
			active = append(active, p)
			out.BudgetCents += p.GetBudgetCents()
			for _, ind := range p.GetIndicators() {
				t, ok := targets[ind.GetCode()]
				if !ok {
					t = &famiv1.IndicatorProgress{Code: ind.GetCode(), Name: ind.GetName(), Unit: ind.GetUnit()}
					targets[ind.GetCode()] = t
				}
				t.Target += ind.GetTarget()
			}
		}
		out.Projects = int64(len(active))

		// The figures: the quarter's cells and the quarters before it.
		figures := &famiv1.MonitoringSummary{}
		var committed, paid int64
		sum := func(prefix string) error {
			var err error
			tx.IndexScan(indexCells, prefix, func(k, v string) bool {
				p := k[len(prefix):]
				if p > period {
					return false
				}
				c := &famiv1.MonitoringSummary{}
				if err = proto.Unmarshal([]byte(v), c); err != nil {
					return false
				}
				committed += c.GetQuarterCommittedCents()
				paid += c.GetQuarterPaidCents()
				if p == period {
					add(figures, c, 1)
				}
				return true
			})
			return err
		}
		if sc.project == "" && sc.network == "" {
			err = sum("r")
		} else {
			for _, p := range active {
				if err = sum("p" + resource.ID(p.GetName()) + "\x00"); err != nil {
					break
				}
			}
		}
		if err != nil {
			return err
		}
		out.CommittedCents, out.PaidCents = committed, paid
		out.QuarterCommittedCents, out.QuarterPaidCents = figures.GetQuarterCommittedCents(), figures.GetQuarterPaidCents()
		out.CommittedPercent, out.PaidPercent = percent(float64(committed), float64(out.BudgetCents)), percent(float64(paid), float64(out.BudgetCents))
		for _, a := range figures.GetIndicators() {
			t, ok := targets[a.GetCode()]
			if !ok { // a value of an indicator since removed from the plan
				t = &famiv1.IndicatorProgress{Code: a.GetCode()}
				targets[a.GetCode()] = t
			}
			t.Achieved = a.GetAchieved()
		}
		for _, t := range targets {
			t.Percent = percent(t.GetAchieved(), t.GetTarget())
			out.Indicators = append(out.Indicators, t)
		}
		slices.SortFunc(out.Indicators, func(a, b *famiv1.IndicatorProgress) int { return cmp.Compare(a.GetCode(), b.GetCode()) })
		out.Flags, out.ReportStates = figures.GetFlags(), figures.GetReportStates()

		// Active projects without a report, and reports overdue: the
		// quarter ended more than 30 days ago and an active project never
		// submitted its report.
		late := overdue(q, s.today())
		var missing int64
		for _, p := range active {
			v, ok := tx.IndexGet(indexSubmitted, period+"\x00"+resource.ID(p.GetName()))
			if !ok {
				missing++
			}
			if late && v != "1" {
				out.OverdueProjects = append(out.OverdueProjects, p.GetName())
			}
		}
		if missing > 0 {
			out.ReportStates = append([]*famiv1.ReportStateCount{{Count: missing}}, out.ReportStates...)
		}
		if n := int64(len(out.OverdueProjects)); n > 0 {
			out.Flags = append(out.Flags, &famiv1.FlagCount{Kind: famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_REPORT_OVERDUE, Count: n})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// projectsOf reads the projects of a scope: one, those a network
// implements, or all the region's (as plan digests).
func projectsOf(tx store.ReadTx, sc scope) ([]*famiv1.Project, error) {
	switch {
	case sc.project != "":
		p, err := getProject(tx, sc.project)
		if err != nil {
			return nil, err
		}
		return []*famiv1.Project{p}, nil
	case sc.network != "":
		n := &famiv1.Network{}
		if err := tx.Get(sc.network, n); err != nil {
			return nil, err
		}
		var out []*famiv1.Project
		for _, np := range n.GetProjects() {
			p, err := getProject(tx, np.GetProject())
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		return out, nil
	}
	// A region's: the registry's plan digests, which hold all a summary
	// reads of a project, cost a fraction of whole projects to decode.
	var out []*famiv1.Project
	err := registry.ProjectPlans(tx, func(p *famiv1.Project) bool {
		out = append(out, p)
		return true
	})
	return out, err
}

func percent(part, whole float64) float64 {
	if whole == 0 {
		return 0
	}
	return part / whole * 100
}
