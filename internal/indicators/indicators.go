// Package indicators adds up the progress of a plan's indicators (targets
// and achieved values by indicator code), as the monitoring summaries of
// projects and regions and the national dashboard do. It depends on the
// generated messages only, so that a reader of summaries, such as the
// dashboard, need not import the service that makes them.
package indicators

import (
	"maps"
	"slices"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// Progress adds up the progress of indicators by code: a code's target
// and achieved are sums, its name and unit those of the first that names
// it. Summaries of
// several projects, regions or the whole country are made of them.
type Progress map[string]*famiv1.IndicatorProgress

// Of is the progress of the indicator code, with the name and unit of the
// first plan that names it. A code may be met first without a name: the
// value of an indicator since removed from its plan, in the first region
// of a national summary, while a later region's plan still names it.
func (ix Progress) Of(code, name, unit string) *famiv1.IndicatorProgress {
	t, ok := ix[code]
	if !ok {
		t = &famiv1.IndicatorProgress{Code: code}
		ix[code] = t
	}
	if t.Name == "" && name != "" {
		t.Name, t.Unit = name, unit
	}
	return t
}

// Add adds the targets and achieved values of in, by code.
func (ix Progress) Add(in []*famiv1.IndicatorProgress) {
	for _, i := range in {
		t := ix.Of(i.GetCode(), i.GetName(), i.GetUnit())
		t.Target += i.GetTarget()
		t.Achieved += i.GetAchieved()
	}
}

// Sorted is the progress of every code, in code order, each with the
// percentage of its sums.
func (ix Progress) Sorted() []*famiv1.IndicatorProgress {
	var out []*famiv1.IndicatorProgress
	for _, code := range slices.Sorted(maps.Keys(ix)) {
		t := ix[code]
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
