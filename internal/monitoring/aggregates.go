package monitoring

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// The aggregate cells.
//
// A report's figures (its indicator values, the quarter's committed and
// paid, its flags by kind and its state) are its contribution. Every write
// of a report replaces its contribution in two cells of indexCells, in the
// transaction that writes the report:
//
//	"p{project id}\x00{period}"  the project's quarter: the contribution itself
//	"r{period}"                  the region's quarter: the sum over its projects
//
// and records in indexSubmitted, under "{period}\x00{project id}", whether
// the report was ever submitted ("1") or not ("0"), for overdue reports.
// Cells are MonitoringSummary messages holding only the summed fields
// (indicators' achieved, quarter_committed_cents, quarter_paid_cents,
// flags, report_states), in deterministic protobuf. Periods sort as text,
// so the cells of the quarters up to one are a prefix scan that stops at
// it: a region's summary reads at most one cell per quarter, a project's
// likewise, never a report.
//
// One more cell, totalCell, holds the region's committed and paid over
// every quarter, kept by the same writes, so that a write can refuse to
// carry them past check.MaxRegionCents without reading every quarter.
const (
	indexCells     = "monitoring_cells"
	indexSubmitted = "monitoring_submitted"
	totalCell      = "total"
)

// contributionOf is what a report of project p adds to the aggregates.
// Its indicator values carry their unit in p's plan, so that cells add
// them up by code and unit, as summaries do (indicators.Progress). Cells
// written before units were kept hold values without one (see compare).
func contributionOf(p *famiv1.Project, r *famiv1.MonitoringReport) *famiv1.MonitoringSummary {
	c := &famiv1.MonitoringSummary{ReportStates: []*famiv1.ReportStateCount{{State: r.GetState(), Count: 1}}}
	units := make(map[string]string, len(p.GetIndicators()))
	for _, in := range p.GetIndicators() {
		units[in.GetCode()] = in.GetUnit()
	}
	for _, v := range r.GetIndicatorValues() {
		c.Indicators = append(c.Indicators, &famiv1.IndicatorProgress{Code: v.GetIndicator(), Unit: units[v.GetIndicator()], Achieved: v.GetValue()})
	}
	for _, e := range r.GetExpenditures() {
		c.QuarterCommittedCents += e.GetCommittedCents()
		c.QuarterPaidCents += e.GetPaidCents()
	}
	for _, f := range r.GetFlags() {
		c.Flags = append(c.Flags, &famiv1.FlagCount{Kind: f.GetKind(), Count: 1})
	}
	add(c, &famiv1.MonitoringSummary{}, 1) // merge repeated kinds and sort
	return c
}

// add adds src to dst (sign 1) or takes it away (sign -1), keeping the
// repeated fields sorted by key and without zero entries.
func add(dst, src *famiv1.MonitoringSummary, sign int64) {
	dst.QuarterCommittedCents += sign * src.GetQuarterCommittedCents()
	dst.QuarterPaidCents += sign * src.GetQuarterPaidCents()

	dst.Indicators = indicatorSums.add(dst.Indicators, src.GetIndicators(), sign)
	dst.Flags = flagCounts.add(dst.Flags, src.GetFlags(), sign)
	dst.ReportStates = stateCounts.add(dst.ReportStates, src.GetReportStates(), sign)
}

// summed is a repeated field of a summary whose entries E each hold a value
// N under a key K: how to read an entry and how to make one.
type summed[E any, K cmp.Ordered, N int64 | float64] struct {
	key   func(E) K
	value func(E) N
	entry func(K, N) E
}

// The summed repeated fields of a MonitoringSummary.
var (
	indicatorSums = summed[*famiv1.IndicatorProgress, string, float64]{
		key:   func(i *famiv1.IndicatorProgress) string { return store.Key(i.GetCode(), i.GetUnit()) },
		value: (*famiv1.IndicatorProgress).GetAchieved,
		entry: func(key string, a float64) *famiv1.IndicatorProgress {
			code, unit, _ := strings.Cut(key, store.Key("", ""))
			return &famiv1.IndicatorProgress{Code: code, Unit: unit, Achieved: a}
		},
	}
	flagCounts = summed[*famiv1.FlagCount, famiv1.MonitoringFlagKind, int64]{
		key: (*famiv1.FlagCount).GetKind, value: (*famiv1.FlagCount).GetCount,
		entry: func(k famiv1.MonitoringFlagKind, n int64) *famiv1.FlagCount {
			return &famiv1.FlagCount{Kind: k, Count: n}
		},
	}
	stateCounts = summed[*famiv1.ReportStateCount, famiv1.MonitoringReportState, int64]{
		key: (*famiv1.ReportStateCount).GetState, value: (*famiv1.ReportStateCount).GetCount,
		entry: func(st famiv1.MonitoringReportState, n int64) *famiv1.ReportStateCount {
			return &famiv1.ReportStateCount{State: st, Count: n}
		},
	}
)

// add adds the entries of src to those of dst (sign 1) or takes them away
// (sign -1), summing the value of each key: it returns dst's storage with
// one entry a key, sorted by key, and none whose sum returned to zero.
// Indicator values are whole or short decimals, so tiny float residue
// counts as zero; counts are whole, so the same bound is just "not zero".
func (f summed[E, K, N]) add(dst, src []E, sign int64) []E {
	total := map[K]N{}
	for _, e := range dst {
		total[f.key(e)] += f.value(e)
	}
	for _, e := range src {
		total[f.key(e)] += N(sign) * f.value(e)
	}
	dst = dst[:0]
	for _, k := range slices.Sorted(maps.Keys(total)) {
		if n := float64(total[k]); n > 1e-9 || n < -1e-9 {
			dst = append(dst, f.entry(k, total[k]))
		}
	}
	return dst
}

func projectCell(project, period string) string { return store.Key("p"+resource.ID(project), period) }
func regionCell(period string) string           { return "r" + period }

// submittedKey is a project's key in indexSubmitted.
func submittedKey(period, project string) string { return store.Key(period, resource.ID(project)) }

// readCell decodes the cell at key into c; a missing cell leaves c empty.
func readCell(tx store.ReadTx, key string, c *famiv1.MonitoringSummary) error {
	v, ok := tx.IndexGet(indexCells, key)
	if !ok {
		return nil
	}
	if err := proto.Unmarshal([]byte(v), c); err != nil {
		return fmt.Errorf("monitoring: corrupt aggregate cell %q: %w", key, err)
	}
	return nil
}

func writeCell(tx store.WriteTx, key string, c *famiv1.MonitoringSummary) error {
	if len(c.GetReportStates()) == 0 {
		return tx.IndexDelete(indexCells, key)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil {
		return err
	}
	return tx.IndexPut(indexCells, key, string(b))
}

// keepAggregates replaces the contribution of the report's previous state
// (none for a new report) with that of next, a report of p, in the
// aggregates. The previous contribution is the project's cell as it was
// written, not recomputed from the plan, which may have changed since (an
// indicator's unit), so that what is taken away is what was added.
func keepAggregates(tx store.WriteTx, p *famiv1.Project, period string, next *famiv1.MonitoringReport) error {
	project := p.GetName()
	mine, before := contributionOf(p, next), &famiv1.MonitoringSummary{}
	if err := readCell(tx, projectCell(project, period), before); err != nil {
		return err
	}
	if err := keepTotal(tx, project, before, mine); err != nil {
		return err
	}
	return keepCells(tx, project, period, before, mine, next)
}

// keepCells replaces a report's contribution before with mine in its
// quarter's cells, and records whether next was ever submitted.
func keepCells(tx store.WriteTx, project, period string, before, mine *famiv1.MonitoringSummary, next *famiv1.MonitoringReport) error {
	cell := &famiv1.MonitoringSummary{}
	if err := readCell(tx, regionCell(period), cell); err != nil {
		return err
	}
	add(cell, before, -1)
	add(cell, mine, 1)
	if err := writeCell(tx, regionCell(period), cell); err != nil {
		return err
	}
	if err := writeCell(tx, projectCell(project, period), mine); err != nil {
		return err
	}
	submitted := "0"
	if next.GetSubmitTime() != nil || next.GetRevision() > 1 {
		submitted = "1"
	}
	return tx.IndexPut(indexSubmitted, submittedKey(period, project), submitted)
}

// keepTotal replaces before with next in the region's totals (totalCell),
// refusing a change that would raise them past check.MaxRegionCents
// (check.RegionSum: a region past it may still lower its amounts, and
// submit, approve or return a report, which moves no money). A write that
// moves no money leaves the cell as it is, unread and unwritten. A region
// written before the cell existed has it built from its quarters' cells.
func keepTotal(tx store.WriteTx, project string, before, next *famiv1.MonitoringSummary) error {
	committed := next.GetQuarterCommittedCents() - before.GetQuarterCommittedCents()
	paid := next.GetQuarterPaidCents() - before.GetQuarterPaidCents()
	if committed == 0 && paid == 0 {
		return nil
	}
	total, exact, err := regionTotal(tx)
	if err != nil {
		return err
	}
	for _, t := range []struct {
		items  string
		total  *int64
		change int64
	}{
		{"committed_cents", &total.QuarterCommittedCents, committed},
		{"paid_cents", &total.QuarterPaidCents, paid},
	} {
		*t.total, _ = check.AddCents(*t.total, t.change)
		region, _, _ := strings.Cut(project, "/"+resource.Projects+"/")
		if err := (check.RegionSum{Region: region, Field: t.items, Total: *t.total, Change: t.change, Saturated: !exact,
			By: "this report", Sum: "the " + t.items + " of " + region + "'s reports",
			Lower: "this report's " + t.items + ", or those of the region's other reports"}).Ceiling(); err != nil {
			return err
		}
	}
	if !exact {
		// The region's sum does not fit an int64: no total is written
		// until lowered amounts let the next write sum it exactly.
		return nil
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(total)
	if err != nil {
		return err
	}
	return tx.IndexPut(indexCells, totalCell, string(b))
}

// regionTotal reads the region's totals (totalCell). A region written
// before the cell existed has them summed from its quarters' cells; exact
// is false when that sum passed an int64 (cells written before the
// ceiling), each total then held at the int64 bound.
func regionTotal(tx store.ReadTx) (total *famiv1.MonitoringSummary, exact bool, err error) {
	total = &famiv1.MonitoringSummary{}
	if _, ok := tx.IndexGet(indexCells, totalCell); ok {
		return total, true, readCell(tx, totalCell, total)
	}
	f := &figures{quarter: &famiv1.MonitoringSummary{}}
	if err := f.sum(tx, regionCell(""), "\xff"); err != nil {
		return nil, false, err
	}
	total.QuarterCommittedCents, total.QuarterPaidCents = f.committed, f.paid
	return total, !f.past, nil
}

// paidBefore is what a project paid in the quarters before period, from its
// cells, held at the int64 bound past it (figures.sum).
func paidBefore(tx store.ReadTx, project string, period quarter) (int64, error) {
	f := &figures{quarter: &famiv1.MonitoringSummary{}}
	err := f.sum(tx, projectCell(project, ""), period.previous().String())
	return f.paid, err
}
