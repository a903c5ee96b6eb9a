package check_test

import (
	"slices"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
)

// TestEnums checks a repeated enum field as a list's states filter is
// checked: every bad element named by its index, the good ones kept once
// each in the order first listed.
func TestEnums(t *testing.T) {
	const (
		submitted = famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_SUBMITTED
		approved  = famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_APPROVED
	)
	var v errs.Violations
	got := check.Enums(&v, "states", []famiv1.SupportEntryState{approved, 0, submitted, 99, approved})
	if want := []famiv1.SupportEntryState{approved, submitted}; !slices.Equal(got, want) {
		t.Errorf("kept %v, want %v", got, want)
	}
	var fields []string
	for _, x := range v.List() {
		fields = append(fields, x.Field)
	}
	if want := []string{"states[1]", "states[3]"}; !slices.Equal(fields, want) {
		t.Errorf("violations on %v, want %v: %v", fields, want, v.List())
	}

	var none errs.Violations
	if got := check.Enums[famiv1.SupportEntryState](&none, "states", nil); len(got) != 0 || none.Len() != 0 {
		t.Errorf("no states asked: kept %v with %v, want none and no violation", got, none.List())
	}
}
