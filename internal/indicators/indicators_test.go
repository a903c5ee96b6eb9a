package indicators

import (
	"testing"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestProgress adds two summaries' indicators: sums by code and unit, the
// name first met, code then unit order, and each percentage that of the
// sums (an indicator without a target at 0%, not NaN). Code "b" in "corsi"
// and in "other" are two indicators: they used to be summed as one, in
// the unit first met (20 "corsi", 5 achieved).
func TestProgress(t *testing.T) {
	p := Progress{}
	p.Add([]*famiv1.IndicatorProgress{
		{Code: "b", Name: "Corsi", Unit: "corsi", Target: 10, Achieved: 2},
		{Code: "a", Name: "Ore", Unit: "ore", Target: 100, Achieved: 50},
	})
	p.Add([]*famiv1.IndicatorProgress{
		{Code: "b", Name: "renamed", Unit: "other", Target: 10, Achieved: 3},
		{Code: "c", Name: "Senza obiettivo", Unit: "incontri", Achieved: 4},
		{Code: "b", Name: "Corsi bis", Unit: "corsi", Target: 10, Achieved: 1},
	})
	want := []*famiv1.IndicatorProgress{
		{Code: "a", Name: "Ore", Unit: "ore", Target: 100, Achieved: 50, Percent: 50},
		{Code: "b", Name: "Corsi", Unit: "corsi", Target: 20, Achieved: 3, Percent: 15},
		{Code: "b", Name: "renamed", Unit: "other", Target: 10, Achieved: 3, Percent: 30},
		{Code: "c", Name: "Senza obiettivo", Unit: "incontri", Achieved: 4, Percent: 0},
	}
	got := p.Sorted()
	if len(got) != len(want) {
		t.Fatalf("Sorted: %d indicators, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("indicator %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

// TestProgressNamedByTheFirstPlanNamingIt: a code first met without a name
// (an indicator since removed from one region's plans, whose value a
// national summary adds first, abruzzo before lombardia) takes the name
// and unit of the first plan that names it, as within a region; it kept
// no name, so the national summary showed an indicator the regions name.
func TestProgressNamedByTheFirstPlanNamingIt(t *testing.T) {
	p := Progress{}
	p.Add([]*famiv1.IndicatorProgress{{Code: "IND-01", Unit: "persone", Achieved: 4}})
	p.Add([]*famiv1.IndicatorProgress{{Code: "IND-01", Name: "Persone formate", Unit: "persone", Target: 10, Achieved: 1}})
	p.Add([]*famiv1.IndicatorProgress{{Code: "IND-01", Name: "renamed", Unit: "persone", Target: 10}})
	want := &famiv1.IndicatorProgress{Code: "IND-01", Name: "Persone formate", Unit: "persone", Target: 20, Achieved: 5, Percent: 25}
	if got := p.Sorted(); len(got) != 1 || !proto.Equal(got[0], want) {
		t.Errorf("Sorted: %v, want %v", got, want)
	}
}

// TestProgressWithoutAUnit: a value without a unit, from an aggregate
// written before aggregates kept units, is added to its code's only unit;
// where its code has two units it stays a row of its own, added to
// neither.
func TestProgressWithoutAUnit(t *testing.T) {
	p := Progress{}
	p.Add([]*famiv1.IndicatorProgress{
		{Code: "a", Achieved: 4},
		{Code: "a", Name: "Persone", Unit: "persone", Target: 10, Achieved: 1},
		{Code: "b", Achieved: 7},
		{Code: "b", Name: "Persone", Unit: "persone", Target: 10},
		{Code: "b", Name: "Ore", Unit: "ore", Target: 100},
	})
	want := []*famiv1.IndicatorProgress{
		{Code: "a", Name: "Persone", Unit: "persone", Target: 10, Achieved: 5, Percent: 50},
		{Code: "b", Achieved: 7},
		{Code: "b", Name: "Ore", Unit: "ore", Target: 100},
		{Code: "b", Name: "Persone", Unit: "persone", Target: 10},
	}
	got := p.Sorted()
	if len(got) != len(want) {
		t.Fatalf("Sorted: %v, want %v", got, want)
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("indicator %d: got %v, want %v", i, got[i], want[i])
		}
	}
}
