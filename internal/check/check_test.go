package check_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
)

func TestFiscalCode(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"", true},
		// Comune di Milano, Regione Lombardia and Comune di Bergamo.
		{"01199250158", true},
		{"80050050154", true},
		{"80034840167", true},
		{"01199250159", false}, // wrong check digit
		{"0119925015", false},  // ten digits
		{"0119925015X", false},
		{"011992501580", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			var v errs.Violations
			check.FiscalCode(&v, "fiscal_code", tc.in)
			if got := v.Len() == 0; got != tc.ok {
				t.Errorf("valid = %v, want %v (violations %v)", got, tc.ok, v)
			}
			if !tc.ok && v.List()[0].Field != "fiscal_code" {
				t.Errorf("field = %q, want fiscal_code", v.List()[0].Field)
			}
		})
	}
}

func TestDate(t *testing.T) {
	for _, tc := range []struct {
		in       string
		required bool
		wantOK   bool
		wantViol bool
	}{
		{"2023-06-30", true, true, false},
		{"", false, false, false},
		{"", true, false, true},
		{"2023-02-30", false, false, true},
		{"30/06/2023", false, false, true},
	} {
		var v errs.Violations
		_, ok := check.Date(&v, "d", tc.in, tc.required)
		if ok != tc.wantOK || (v.Len() > 0) != tc.wantViol {
			t.Errorf("Date(%q, %v) = ok %v, violations %v; want ok %v, violation %v", tc.in, tc.required, ok, v, tc.wantOK, tc.wantViol)
		}
	}
}

func TestCUPAndText(t *testing.T) {
	var v errs.Violations
	check.CUP(&v, "cup", "E89F18000510007")
	check.Text(&v, "name", "Lab'Impact", true, 10, false)
	if v.Len() != 0 {
		t.Fatalf("valid input refused: %v", v)
	}
	check.CUP(&v, "cup", "e89f18000510007")
	check.CUP(&v, "cup", "E89F1800051000")
	check.Text(&v, "name", "", true, 10, false)
	check.Text(&v, "name", "eleven chars", true, 10, false)
	check.Text(&v, "name", "bell\a", true, 10, false)
	check.Email(&v, "pec", "Protocollo <a@b.it>")
	if got, want := v.Len(), 6; got != want {
		t.Fatalf("got %d violations, want %d: %v", got, want, v)
	}
}

func TestQuantityAndCode(t *testing.T) {
	for _, tc := range []struct {
		x  float64
		ok bool
	}{{0, true}, {33, true}, {72.5, true}, {check.MaxQuantity, true}, {-1, false}, {check.MaxQuantity * 2, false}, {math.NaN(), false}, {math.Inf(1), false}} {
		var v errs.Violations
		check.Quantity(&v, "q", tc.x)
		if got := v.Len() == 0; got != tc.ok {
			t.Errorf("Quantity(%v): valid = %v, want %v", tc.x, got, tc.ok)
		}
	}
	for _, tc := range []struct {
		s  string
		ok bool
	}{{"OUT-01", true}, {"02.1", true}, {"a_b", true}, {"", false}, {"OUT 01", false}, {"x\n", false}, {"ABCDEFGHIJKLMNOPQRSTU", false}} {
		var v errs.Violations
		if got := check.Code(&v, "c", tc.s, 20); got != tc.ok || (v.Len() == 0) != tc.ok {
			t.Errorf("Code(%q) = %v (violations %v), want %v", tc.s, got, v, tc.ok)
		}
	}
}

func TestAtMost(t *testing.T) {
	var v errs.Violations
	if !check.AtMost(&v, "parties", 3, 3, "parties") || v.Len() != 0 {
		t.Errorf("3 of at most 3: refused (%v)", v.List())
	}
	if check.AtMost(&v, "parties", 4, 3, "parties") {
		t.Errorf("4 of at most 3: accepted")
	}
	if l := v.List(); len(l) != 1 || l[0].Field != "parties" || l[0].Description != "lists 4 parties; at most 3 are allowed" {
		t.Errorf("4 of at most 3: got %v", l)
	}
}

func TestListed(t *testing.T) {
	for _, c := range []struct {
		n          int
		none, want string
	}{
		{n: 1},
		{n: 3},
		{n: 0, want: "is required"},
		{n: 0, none: "at least one entry", want: "is required: at least one entry"},
		{n: 0, none: "100% of them", want: "is required: 100% of them"},
		{n: 4, none: "at least one entry", want: "lists 4 entries; at most 3 are allowed"},
	} {
		var v errs.Violations
		ok := check.Listed(&v, "names", c.n, 3, "entries", c.none)
		l := v.List()
		if c.want == "" {
			if !ok || len(l) != 0 {
				t.Errorf("%d of 1 to 3: refused (%v)", c.n, l)
			}
			continue
		}
		if ok || len(l) != 1 || l[0].Field != "names" || l[0].Description != c.want {
			t.Errorf("%d of 1 to 3 (none %q): %v, %v; want names %q", c.n, c.none, ok, l, c.want)
		}
	}
}

func TestNamesRefuseInvisibleCharacters(t *testing.T) {
	for _, name := range []string{
		"Comune di Milano\u202Etxt.exe", // right-to-left override
		"CPIA\u200B5",                   // zero-width space
		"Caritas\u2066",                 // left-to-right isolate
		"\uFEFFRete Nord",               // byte-order mark
	} {
		var v errs.Violations
		check.Text(&v, "display_name", name, true, 200, false)
		if v.Len() != 1 {
			t.Errorf("name %q accepted", name)
		}
	}
	var v errs.Violations
	check.Text(&v, "display_name", "Città di Sant'Angelo Lodigiano", true, 200, false)
	if v.Len() != 0 {
		t.Errorf("an ordinary Italian name refused: %v", v.List())
	}
}

func TestDatesInASaneRange(t *testing.T) {
	for date, ok := range map[string]bool{
		"0000-01-01": false, "1899-12-31": false, "1900-01-01": true,
		"2021-03-31": true, "2199-12-31": true, "2200-01-01": false, "9999-12-31": false,
	} {
		var v errs.Violations
		_, got := check.Date(&v, "start_date", date, true)
		if got != ok || (v.Len() == 0) != ok {
			t.Errorf("Date(%s): ok %v with %d violations, want ok %v", date, got, v.Len(), ok)
		}
	}
}

// TestBadValuesEchoClipped checks that a message echoes at most 40 bytes of
// the bad value, as it always has.
func TestBadValuesEchoClipped(t *testing.T) {
	long := strings.Repeat("x", 50) + "@"
	var v errs.Violations
	check.Email(&v, "email", long)
	if got, want := v.List()[0].Description, `"`+long[:40]+`..." is not an e-mail address`; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

// TestTextFaultsSayTheirReason: a text's faults carry the reason a client
// tells them apart by (Violation.Reason); "is required" is the field's own
// rule, and carries none. A violation only counted, past MaxViolations,
// carries nothing.
func TestTextFaultsSayTheirReason(t *testing.T) {
	for value, want := range map[string]string{
		"":                     "",
		strings.Repeat("a", 9): errs.TextTooLong,
		"a\x00b":               errs.TextInvalidCharacter,
		"a\xffb":               errs.TextInvalidCharacter,
		"a\u202eb":             errs.TextInvisibleCharacter,
	} {
		var v errs.Violations
		check.Text(&v, "display_name", value, true, 8, false)
		if l := v.List(); len(l) != 1 || l[0].Reason != want {
			t.Errorf("%q: violations %v, want one with reason %q", value, l, want)
		}
	}
	var v errs.Violations
	for range errs.MaxViolations + 1 {
		check.Text(&v, "display_name", "a\x00b", true, 8, false)
	}
	if l := v.List(); len(l) != errs.MaxViolations || l[len(l)-1].Reason != errs.TextInvalidCharacter || v.Len() != errs.MaxViolations+1 {
		t.Errorf("%d listed of %d; want %d, each with its reason", len(l), v.Len(), errs.MaxViolations)
	}
}

// TestEmailIsOneLineOfText: an address that mail.ParseAddress takes (it
// reads any UTF-8) is refused when Text refuses it as one line, with
// Text's reason: a direction override or a zero-width character in it
// was taken, on every surface.
func TestEmailIsOneLineOfText(t *testing.T) {
	for value, want := range map[string]string{
		"a@b\u202ec.it": errs.TextInvisibleCharacter,
		"a\u200b@b.it":  errs.TextInvisibleCharacter,
		"a@b\u2066.it":  errs.TextInvisibleCharacter,
		"pec@comune.it": "",
	} {
		var v errs.Violations
		check.Email(&v, "email", value)
		if l := v.List(); want == "" && len(l) != 0 || want != "" && (len(l) != 1 || l[0].Reason != want) {
			t.Errorf("%q: violations %v, want reason %q", value, l, want)
		}
	}
}

// TestName: a name is checked as one line of text, and one of accents or
// other combining marks alone, which has no key to be found by, is refused
// naming its field, with reason NAME_WITHOUT_LETTERS; white space alone is
// no name (required or not).
func TestName(t *testing.T) {
	for _, c := range []struct {
		name     string
		required bool
		want     int
	}{
		{"CPIA 2", true, 0}, {"Città", true, 0}, {"´", false, 1}, {"\u0301 \u0308", true, 1},
		{"  ", false, 0}, {"  ", true, 1}, {"a\u200Bb", true, 1}, {strings.Repeat("a", 201), true, 1},
	} {
		var v errs.Violations
		check.Name(&v, "partner.display_name", c.name, c.required, 200)
		if v.Len() != c.want {
			t.Errorf("Name(%+q, required %v): %d violations, want %d", c.name, c.required, v.Len(), c.want)
		}
	}
	// Accents alone have a reason of their own, which a form words.
	var v errs.Violations
	check.Name(&v, "partner.display_name", "´", true, 200)
	if l := v.List(); len(l) != 1 || l[0].Reason != errs.NameWithoutLetters {
		t.Errorf("Name(´): %+v, want one violation with reason %s", l, errs.NameWithoutLetters)
	}
}

// TestNameBreakingTwoRulesKeptAsItIs: a name too long and of accents
// alone breaks one rule as Name records it, the first; left out as a
// stored value kept as it is (errs.Violations.Except, resource.Validate),
// it is not refused for the other, which Name checks only when the text
// keeps the rules, whatever was left out.
func TestNameBreakingTwoRulesKeptAsItIs(t *testing.T) {
	name := strings.Repeat("´", 201)
	var stored errs.Violations
	check.Name(&stored, "partner.display_name", name, true, 200)
	if l := stored.List(); len(l) != 1 || l[0].Reason != errs.TextTooLong {
		t.Fatalf("Name(´ × 201): %+v, want one violation with reason %s", l, errs.TextTooLong)
	}
	var v errs.Violations
	v.Except(stored.List())
	check.Name(&v, "partner.display_name", name, true, 200)
	if v.Len() != 0 {
		t.Errorf("the name kept as it is: %+v, want nothing recorded", v.List())
	}
}

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
