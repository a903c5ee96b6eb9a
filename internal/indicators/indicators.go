// Package indicators adds up the progress of a plan's indicators (targets
// and achieved values by indicator code), as the monitoring summaries of
// projects and regions and the national dashboard do. It depends on the
// generated messages only, so that a reader of summaries, such as the
// dashboard, need not import the service that makes them.
package indicators

import (
	"cmp"
	"maps"
	"slices"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// Progress adds up the progress of indicators by code and unit: a code's
// target and achieved are sums, its name that of the first that names it.
// Indicator codes are the project's own ("unique within the project"), so
// two plans may give one code two units; "persons" and "hours" never add
// up, so an indicator is the pair, and a code of two units has a row for
// each. Summaries of several projects, regions or the whole country are
// made of them.
type Progress map[Key]*famiv1.IndicatorProgress

// Key is what indicators are added up by.
type Key struct{ Code, Unit string }

// Of is the progress of the indicator code in unit, with the name of the
// first plan that names it. A code may be met first without a name: the
// value of an indicator since removed from its plan, in the first region
// of a national summary, while a later region's plan still names it.
func (ix Progress) Of(code, name, unit string) *famiv1.IndicatorProgress {
	k := Key{code, unit}
	t, ok := ix[k]
	if !ok {
		t = &famiv1.IndicatorProgress{Code: code, Unit: unit}
		ix[k] = t
	}
	if t.Name == "" {
		t.Name = name
	}
	return t
}

// Add adds the targets and achieved values of in, by code and unit.
func (ix Progress) Add(in []*famiv1.IndicatorProgress) {
	for _, i := range in {
		t := ix.Of(i.GetCode(), i.GetName(), i.GetUnit())
		t.Target += i.GetTarget()
		t.Achieved += i.GetAchieved()
	}
}

// Sorted is the progress of every indicator, in code then unit order,
// each with the percentage of its sums. A value without a unit (from an
// aggregate written before aggregates kept units) is added to its code's
// only unit when there is one; where the code has several it keeps a row
// of its own, rather than add to a unit it may not be in.
func (ix Progress) Sorted() []*famiv1.IndicatorProgress {
	units := map[string][]string{}
	for k := range ix {
		if k.Unit != "" {
			units[k.Code] = append(units[k.Code], k.Unit)
		}
	}
	for k, t := range ix {
		if in := units[k.Code]; k.Unit == "" && len(in) == 1 {
			into := ix.Of(k.Code, t.GetName(), in[0])
			into.Target += t.GetTarget()
			into.Achieved += t.GetAchieved()
			delete(ix, k)
		}
	}
	var out []*famiv1.IndicatorProgress
	for _, k := range slices.SortedFunc(maps.Keys(ix), func(a, b Key) int {
		return cmp.Or(cmp.Compare(a.Code, b.Code), cmp.Compare(a.Unit, b.Unit))
	}) {
		t := ix[k]
		t.Percent = Percent(t.GetAchieved(), t.GetTarget())
		out = append(out, t)
	}
	return out
}

// Percent is part as a percentage of whole, 0 when whole is 0 (an
// indicator without a target, a project without a budget).
func Percent(part, whole float64) float64 {
	if whole == 0 {
		return 0
	}
	return part / whole * 100
}
