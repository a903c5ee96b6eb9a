package check_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
)

// FuzzValidators feeds any string to the field validators: none panics,
// each reports at most one violation for its field, and what they accept
// has the promised shape.
func FuzzValidators(f *testing.F) {
	for _, s := range []string{"", "2024-02-29", "2023-02-29", "0000-01-01", "9999-12-31", "01199250158", "01199250159",
		"E89F18000510007", "a@b.it", "Comune\u202Eexe", "x\x00y", "\xff", strings.Repeat("à", 300), "015146"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v errs.Violations
		check.Text(&v, "name", s, true, 200, false)
		if v.Len() == 0 && (!utf8.ValidString(s) || strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > 200) {
			t.Errorf("Text accepted %q", s)
		}
		var d errs.Violations
		if tm, ok := check.Date(&d, "date", s, false); ok {
			if tm.Format(time.DateOnly) != s || s < check.MinDate || s > check.MaxDate {
				t.Errorf("Date accepted %q as %v", s, tm)
			}
			if _, err := time.Parse(time.DateOnly, s); err != nil {
				t.Errorf("Date accepted %q, which does not parse: %v", s, err)
			}
		}
		for _, fn := range []func(*errs.Violations, string, string){check.FiscalCode, check.CUP, check.Email} {
			var x errs.Violations
			fn(&x, "field", s)
			if x.Len() > 1 {
				t.Errorf("%d violations for one field", x.Len())
			}
		}
		var b errs.Violations
		check.ISTATCode(&b, "istat", s)
	})
}
