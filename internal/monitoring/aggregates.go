package monitoring

import (
	"cmp"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
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
const (
	indexCells     = "monitoring_cells"
	indexSubmitted = "monitoring_submitted"
)

// contributionOf is what a report adds to the aggregates.
func contributionOf(r *famiv1.MonitoringReport) *famiv1.MonitoringSummary {
	c := &famiv1.MonitoringSummary{ReportStates: []*famiv1.ReportStateCount{{State: r.GetState(), Count: 1}}}
	for _, v := range r.GetIndicatorValues() {
		c.Indicators = append(c.Indicators, &famiv1.IndicatorProgress{Code: v.GetIndicator(), Achieved: v.GetValue()})
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

	achieved := map[string]float64{}
	for _, i := range dst.GetIndicators() {
		achieved[i.GetCode()] += i.GetAchieved()
	}
	for _, i := range src.GetIndicators() {
		achieved[i.GetCode()] += float64(sign) * i.GetAchieved()
	}
	dst.Indicators = dst.Indicators[:0]
	for code, a := range achieved {
		// Indicator values are whole or short decimals; a sum that
		// returns to zero is dropped, tiny float residue included.
		if a > 1e-9 || a < -1e-9 {
			dst.Indicators = append(dst.Indicators, &famiv1.IndicatorProgress{Code: code, Achieved: a})
		}
	}
	slices.SortFunc(dst.Indicators, func(a, b *famiv1.IndicatorProgress) int { return cmp.Compare(a.GetCode(), b.GetCode()) })

	flags := map[famiv1.MonitoringFlagKind]int64{}
	for _, f := range dst.GetFlags() {
		flags[f.GetKind()] += f.GetCount()
	}
	for _, f := range src.GetFlags() {
		flags[f.GetKind()] += sign * f.GetCount()
	}
	dst.Flags = dst.Flags[:0]
	for k, n := range flags {
		if n != 0 {
			dst.Flags = append(dst.Flags, &famiv1.FlagCount{Kind: k, Count: n})
		}
	}
	slices.SortFunc(dst.Flags, func(a, b *famiv1.FlagCount) int { return cmp.Compare(a.GetKind(), b.GetKind()) })

	states := map[famiv1.MonitoringReportState]int64{}
	for _, s := range dst.GetReportStates() {
		states[s.GetState()] += s.GetCount()
	}
	for _, s := range src.GetReportStates() {
		states[s.GetState()] += sign * s.GetCount()
	}
	dst.ReportStates = dst.ReportStates[:0]
	for st, n := range states {
		if n != 0 {
			dst.ReportStates = append(dst.ReportStates, &famiv1.ReportStateCount{State: st, Count: n})
		}
	}
	slices.SortFunc(dst.ReportStates, func(a, b *famiv1.ReportStateCount) int { return cmp.Compare(a.GetState(), b.GetState()) })
}

func projectCell(project, period string) string { return "p" + resource.ID(project) + "\x00" + period }
func regionCell(period string) string           { return "r" + period }

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

// keepAggregates replaces the contribution of old (nil for a new report)
// with that of next in the aggregates.
func keepAggregates(tx store.WriteTx, project, period string, old, next *famiv1.MonitoringReport) error {
	cell := &famiv1.MonitoringSummary{}
	if err := readCell(tx, regionCell(period), cell); err != nil {
		return err
	}
	if old != nil {
		add(cell, contributionOf(old), -1)
	}
	mine := contributionOf(next)
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
	return tx.IndexPut(indexSubmitted, period+"\x00"+resource.ID(project), submitted)
}

// paidBefore is what a project paid in the quarters before period, from its
// cells.
func paidBefore(tx store.ReadTx, project, period string) (int64, error) {
	var paid int64
	var err error
	prefix := "p" + resource.ID(project) + "\x00"
	tx.IndexScan(indexCells, prefix, func(k, v string) bool {
		if k[len(prefix):] >= period {
			return false
		}
		c := &famiv1.MonitoringSummary{}
		if err = proto.Unmarshal([]byte(v), c); err != nil {
			return false
		}
		paid += c.GetQuarterPaidCents()
		return true
	})
	return paid, err
}
