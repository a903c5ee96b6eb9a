package monitoring

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/indicators"
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
	return scope{}, errs.InvalidField("parent", "%q is not a region, project or network name", errs.Clip(parent, errs.MaxEcho))
}

// quarterOf reads what a request about a scope's quarter asks (a summary,
// the overdue projects): its parent, a region, project or network, and its
// period.
func quarterOf(req interface {
	GetParent() string
	GetPeriod() string
}) (scope, quarter, error) {
	sc, err := parseScope(req.GetParent())
	if err != nil {
		return scope{}, quarter{}, err
	}
	q, err := periodOf(req.GetPeriod())
	return sc, q, err
}

// SummarizeMonitoring implements fami.v1.MonitoringService. It reads the
// plans of the projects in scope (targets, budgets, spans) and the
// aggregate cells of the quarters up to the one asked for, never a report.
func (s *Service) SummarizeMonitoring(ctx context.Context, req *famiv1.SummarizeMonitoringRequest) (*famiv1.MonitoringSummary, error) {
	if aip.IsAllRegions(req.GetParent()) {
		return s.summarizeNationally(ctx, req)
	}
	sc, q, err := quarterOf(req)
	if err != nil {
		return nil, err
	}
	out := &famiv1.MonitoringSummary{Parent: req.GetParent(), Period: q.String()}
	err = s.store.View(ctx, sc.region, func(tx store.ReadTx) error {
		out.Revision = tx.Revision()
		projects, err := projectsOf(tx, sc)
		if err != nil {
			return err
		}
		p := plansOf(projects, q)
		f, err := figuresOf(tx, sc, projects, q)
		if err != nil {
			return err
		}
		p.compare(out, f)
		missing, unsent := unsubmitted(tx, p.active, out.Period)
		markMissing(out, missing, unsent, overdue(q, s.today()))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// plans is what the plans of the projects in scope promise for a quarter:
// the projects whose span covers it, their budget and indicator targets.
type plans struct {
	active  []*famiv1.Project
	budget  int64
	targets indicators.Progress
}

func plansOf(projects []*famiv1.Project, q quarter) plans {
	p := plans{targets: indicators.Progress{}}
	for _, pr := range projects {
		if !covers(pr, q) {
			continue
		}
		p.active = append(p.active, pr)
		p.budget += pr.GetBudgetCents()
		for _, ind := range pr.GetIndicators() {
			p.targets.Of(ind.GetCode(), ind.GetName(), ind.GetUnit()).Target += ind.GetTarget()
		}
	}
	return p
}

// covers reports whether a project's span covers the quarter: whether it
// is planned in it, its budget part of the summary's.
func covers(pr *famiv1.Project, q quarter) bool {
	start, _ := date(pr.GetStartDate())
	end, _ := date(pr.GetEndDate())
	return !q.end().Before(start) && !q.start().After(end)
}

// figures is what the aggregate cells of a scope hold up to a quarter:
// the sums of all the quarters until then, the part of them of the
// projects whose span does not cover the quarter (ended), and the
// quarter's own cells.
type figures struct {
	committed, paid           int64
	endedCommitted, endedPaid int64
	quarter                   *famiv1.MonitoringSummary
	// past is set when committed or paid passed an int64, which only
	// cells written before check.MaxRegionCents can do; they are then
	// held at the bound (check.AddCents), never wrapped.
	past bool
}

// figuresOf sums the cells of the region (when the scope is the whole
// region) or of the scope's projects, up to q. It sums every project in
// scope, not only those whose span covers the quarter, as the region's
// cells do: a project ended (or shortened) before the quarter still paid
// what its reports say, and a network's or a project's summary must count
// it as the region's does. What the projects not covering q paid is kept
// apart too, since their budgets are not the summary's (ADR 32). For the
// region, that part is the whole less the covering projects' cells, so
// that a summary reads the cells of the projects running in the quarter,
// not of every project the region ever ended.
func figuresOf(tx store.ReadTx, sc scope, projects []*famiv1.Project, q quarter) (*figures, error) {
	f := &figures{quarter: &famiv1.MonitoringSummary{}}
	period := q.String()
	whole := sc.project == "" && sc.network == ""
	if whole {
		if err := f.sum(tx, regionCell(""), period); err != nil {
			return nil, err
		}
		f.endedCommitted, f.endedPaid = f.committed, f.paid
	}
	for _, p := range projects {
		running := covers(p, q)
		if whole && !running {
			continue
		}
		own := &figures{quarter: &famiv1.MonitoringSummary{}}
		if err := own.sum(tx, projectCell(p.GetName(), ""), period); err != nil {
			return nil, err
		}
		switch {
		case whole:
			// Past an int64 (f.past), the whole is only a lower bound,
			// and what ended projects paid is not known: it stays 0 at
			// least, not the negative rest of a lower bound.
			f.endedCommitted = max(0, f.endedCommitted-own.committed)
			f.endedPaid = max(0, f.endedPaid-own.paid)
		case running:
			f.add(own)
		default:
			f.add(own)
			f.endedCommitted, _ = check.AddCents(f.endedCommitted, own.committed)
			f.endedPaid, _ = check.AddCents(f.endedPaid, own.paid)
		}
	}
	return f, nil
}

// add adds a project's figures to f's.
func (f *figures) add(own *figures) {
	f.addCents(own.committed, own.paid)
	f.past = f.past || own.past
	committed, paid := f.quarter.GetQuarterCommittedCents(), f.quarter.GetQuarterPaidCents()
	add(f.quarter, own.quarter, 1)
	f.quarter.QuarterCommittedCents, _ = check.AddCents(committed, own.quarter.GetQuarterCommittedCents())
	f.quarter.QuarterPaidCents, _ = check.AddCents(paid, own.quarter.GetQuarterPaidCents())
}

// addCents adds committed and paid to f's sums to date.
func (f *figures) addCents(committed, paid int64) {
	var fits [2]bool
	f.committed, fits[0] = check.AddCents(f.committed, committed)
	f.paid, fits[1] = check.AddCents(f.paid, paid)
	f.past = f.past || !fits[0] || !fits[1]
}

// sum adds the cells under prefix up to period. Of the quarters before
// period it reads the amounts alone (cellCents), not the indicators and
// counts only period's own cell is read for.
func (f *figures) sum(tx store.ReadTx, prefix, period string) error {
	var err error
	tx.IndexScan(indexCells, prefix, func(k, v string) bool {
		p := k[len(prefix):]
		if p > period {
			return false
		}
		c := &famiv1.MonitoringSummary{}
		if p == period {
			err = proto.Unmarshal([]byte(v), c)
		} else {
			err = cellCents(v, c)
		}
		if err != nil {
			return false
		}
		f.past = held(c) || f.past
		f.addCents(c.GetQuarterCommittedCents(), c.GetQuarterPaidCents())
		if p == period {
			add(f.quarter, c, 1)
		}
		return true
	})
	return err
}

// The field numbers cellCents reads, from the generated descriptor.
var (
	committedField = (&famiv1.MonitoringSummary{}).ProtoReflect().Descriptor().Fields().ByName("quarter_committed_cents").Number()
	paidField      = (&famiv1.MonitoringSummary{}).ProtoReflect().Descriptor().Fields().ByName("quarter_paid_cents").Number()
)

// cellCents reads a cell's committed and paid into c, and nothing else.
func cellCents(v string, c *famiv1.MonitoringSummary) error {
	var committed, paid uint64
	if err := resource.ReadVarints([]byte(v), resource.Varint{Num: committedField, Value: &committed}, resource.Varint{Num: paidField, Value: &paid}); err != nil {
		return fmt.Errorf("monitoring: corrupt aggregate cell: %w", err)
	}
	c.QuarterCommittedCents, c.QuarterPaidCents = int64(committed), int64(paid)
	return nil
}

// held holds at the int64 bound a cell's committed or paid that wrapped
// past it, and reports whether one did. Amounts are never negative, so a
// negative sum is one that wrapped: a cell written before
// check.MaxRegionCents bounded a region's amounts may hold one. Cells are
// kept by adding and taking away contributions (keepCells), which is exact
// modulo 2^64, so the stored cell is left as it is: lowering the amounts
// brings it back to its true sum.
func held(c *famiv1.MonitoringSummary) bool {
	wrapped := false
	for _, cents := range []*int64{&c.QuarterCommittedCents, &c.QuarterPaidCents} {
		if *cents < 0 {
			*cents, wrapped = math.MaxInt64, true
		}
	}
	return wrapped
}

// compare fills out with the plans and the figures set against them:
// budget spent, indicators achieved against their targets (in code
// order), the quarter's flags and report states.
func (p plans) compare(out *famiv1.MonitoringSummary, f *figures) {
	out.Projects = int64(len(p.active))
	out.BudgetCents = p.budget
	out.CommittedCents, out.PaidCents = f.committed, f.paid
	out.QuarterCommittedCents, out.QuarterPaidCents = f.quarter.GetQuarterCommittedCents(), f.quarter.GetQuarterPaidCents()
	out.EndedCommittedCents, out.EndedPaidCents = f.endedCommitted, f.endedPaid
	percents(out)
	for _, a := range f.quarter.GetIndicators() {
		// An indicator since removed from the plan has no name here; a
		// value from a cell written before cells kept units has no unit
		// either (Sorted finds it one).
		p.targets.Of(a.GetCode(), "", a.GetUnit()).Achieved += a.GetAchieved()
	}
	out.Indicators = p.targets.Sorted()
	out.Flags, out.ReportStates = f.quarter.GetFlags(), f.quarter.GetReportStates()
}

// percents sets a summary's percentages: what the projects summarized
// committed and paid (the figures to date less those of the projects
// ended before the quarter) over their budget, so that each project's
// money is set against its own budget only (ADR 32).
func percents(out *famiv1.MonitoringSummary) {
	budget := float64(out.GetBudgetCents())
	out.CommittedPercent = indicators.Percent(float64(out.GetCommittedCents())-float64(out.GetEndedCommittedCents()), budget)
	out.PaidPercent = indicators.Percent(float64(out.GetPaidCents())-float64(out.GetEndedPaidCents()), budget)
}

// maxOverdueShown is how many overdue projects a summary names
// (overdue_projects): a late quarter of a large region has hundreds, which
// ListOverdueProjects pages through.
const maxOverdueShown = 100

// unsubmitted reads, in the index of submitted reports, period's report
// of each of active: how many have none (missing), and the names, in name
// order, of those whose report was never submitted (none, or a draft
// never sent), which are overdue once the quarter is late.
func unsubmitted(tx store.ReadTx, active []*famiv1.Project, period string) (missing int64, names []string) {
	for _, p := range active {
		v, ok := tx.IndexGet(indexSubmitted, submittedKey(period, p.GetName()))
		if !ok {
			missing++
		}
		if v != "1" {
			names = append(names, p.GetName())
		}
	}
	slices.Sort(names)
	return missing, names
}

// markMissing gives out the count of the projects without a report (a
// report state of their own), and, when the quarter is late (ended more
// than 30 days ago), flags those whose report was never submitted (unsent)
// and names the first maxOverdueShown of them.
func markMissing(out *famiv1.MonitoringSummary, missing int64, unsent []string, late bool) {
	if missing > 0 {
		out.ReportStates = append([]*famiv1.ReportStateCount{{Count: missing}}, out.ReportStates...)
	}
	if late && len(unsent) > 0 {
		// In kind order, as every other summed field: OVER_BUDGET comes after it.
		out.Flags = flagCounts.add(out.Flags, []*famiv1.FlagCount{{Kind: famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_REPORT_OVERDUE, Count: int64(len(unsent))}}, 1)
		out.OverdueProjects = firstOverdue(unsent)
	}
}

// firstOverdue is the first maxOverdueShown of names.
func firstOverdue(names []string) []string { return names[:min(len(names), maxOverdueShown)] }

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
