// Package check holds the pure validators of the platform's field formats.
// Each records what is wrong in an errs.Violations under the caller's field
// path, so a request's problems are reported together, field by field.
package check

import (
	"math"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/namekey"
)

// MinDate and MaxDate bound every calendar date: a year 0000 or 9999 is a
// typing error, and far dates break the month-by-month indexes and sums.
const (
	MinDate = "1900-01-01"
	MaxDate = "2199-12-31"
)

// Text checks a free-text field: at most max characters, and no control
// characters other than newlines and tabs (multiline is false for names).
// It reports whether s keeps these rules, also when its fault was not
// recorded because v left it out (errs.Violations.Except: a stored value
// kept as it is), so that a check made only on valid text is not made on
// it either.
func Text(v *errs.Violations, field, s string, required bool, max int, multiline bool) bool {
	if strings.TrimSpace(s) == "" {
		if required {
			v.Add(field, "is required")
		}
		return !required
	}
	if n := utf8.RuneCountInString(s); n > max {
		v.AddReason(field, errs.TextTooLong, "is %d characters long; at most %d are allowed", n, max)
		return false
	}
	for _, r := range s {
		if r == utf8.RuneError || (unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))) {
			v.AddReason(field, errs.TextInvalidCharacter, "contains a control or invalid character")
			return false
		}
		if !multiline && invisible(r) {
			v.AddReason(field, errs.TextInvisibleCharacter, "contains an invisible or direction-changing character (U+%04X)", r)
			return false
		}
	}
	return true
}

// MaxReason is the most characters of a reason a person gives for a
// decision: a rejection, a return, a correction, a reopened or closed
// period, a cancellation, a termination, an extension, and the short notes
// beside them. One limit for all of them, so that a reason written for one
// decision fits every other.
const MaxReason = 2000

// Reason checks a reason as Text checks multi-line text of at most
// MaxReason characters, and reports whether it keeps these rules.
func Reason(v *errs.Violations, field, s string, required bool) bool {
	return Text(v, field, s, required, MaxReason, true)
}

// Name checks a name, or text compared as names are (namekey), as Text
// checks one line, and refuses one that is more than white space yet has
// nothing a name's key keeps: accents and other combining marks alone
// ("\u0301", "´"). Its key is empty, so no search or filter could find it
// as a name, and a filter by it would match every item as no filter does.
func Name(v *errs.Violations, field, s string, required bool, max int) {
	if Text(v, field, s, required, max, false) && strings.TrimSpace(s) != "" && namekey.Of(s) == "" {
		v.AddReason(field, errs.NameWithoutLetters, "has no letter, digit or sign: accents and other combining marks alone are ignored in names")
	}
}

// invisible reports the characters a name must not hide: bidirectional
// controls (an override can make "exe.txt" read "txt.exe") and zero-width
// characters (two names that look alike but differ).
func invisible(r rune) bool {
	switch r {
	case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD', '\u180E':
		return true
	}
	return unicode.Is(unicode.Bidi_Control, r)
}

// Date parses an optional YYYY-MM-DD date; ok is false when it is empty or
// invalid (and then a violation is recorded if it was invalid or required).
func Date(v *errs.Violations, field, s string, required bool) (t time.Time, ok bool) {
	if s == "" {
		if required {
			v.Add(field, "is required (YYYY-MM-DD)")
		}
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		v.Add(field, "%q is not a valid date: want YYYY-MM-DD", errs.Clip(s, maxEcho))
		return time.Time{}, false
	}
	if s < MinDate || s > MaxDate {
		v.Add(field, "%s is out of range: %s to %s", s, MinDate, MaxDate)
		return time.Time{}, false
	}
	return t, true
}

// FiscalCode checks the codice fiscale of a body (the same number as its
// partita IVA): 11 digits, the last a check digit computed Luhn-style over
// the first ten.
func FiscalCode(v *errs.Violations, field, s string) {
	if s == "" {
		return
	}
	if len(s) != 11 || !allDigits(s) {
		v.Add(field, "%q is not a body's fiscal code: want 11 digits", errs.Clip(s, maxEcho))
		return
	}
	if want := fiscalCheckDigit(s[:10]); s[10] != want {
		v.Add(field, "%q has a wrong check digit (want %c)", s, want)
	}
}

func fiscalCheckDigit(ten string) byte {
	sum := 0
	for i := 0; i < 10; i++ {
		d := int(ten[i] - '0')
		if i%2 == 1 { // the 2nd, 4th, ... digits are doubled
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// ISTATCode checks the format of a municipality's ISTAT code: six digits.
func ISTATCode(v *errs.Violations, field, s string) bool {
	if len(s) != 6 || !allDigits(s) {
		v.Add(field, "%q is not an ISTAT municipality code: want six digits", errs.Clip(s, maxEcho))
		return false
	}
	return true
}

// CUP checks a Codice Unico di Progetto: 15 upper-case letters and digits.
func CUP(v *errs.Violations, field, s string) {
	if s == "" {
		return
	}
	if len(s) != 15 {
		v.Add(field, "%q is not a CUP: want 15 characters, got %d", errs.Clip(s, maxEcho), len(s))
		return
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			v.Add(field, "%q is not a CUP: use upper-case letters and digits only", s)
			return
		}
	}
}

// MaxQuantity bounds the measured quantities (indicator values, counts
// kept as numbers) the API accepts, far above any real figure and well
// inside the range where float64 sums stay exact for whole numbers.
const MaxQuantity = 1e12

// Quantity checks a measured value: a finite number from 0 to MaxQuantity.
func Quantity(v *errs.Violations, field string, x float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 || x > MaxQuantity {
		v.Add(field, "%v is not a quantity: want a finite number from 0 to %g", x, MaxQuantity)
	}
}

// MaxCents bounds every amount of money, in euro cents: EUR 100 billion,
// past any budget of the programmes, and far enough below the int64 limit
// that a region's sums and the nation's cannot overflow (two budgets of
// 2^63-1 cents summed to -2 in the ministry's monitoring summary).
const MaxCents = 1e13

// MaxRegionCents bounds what a region's amounts of one kind may add up to:
// its projects' budgets, and its monitoring reports' committed and paid
// each, over every quarter: 10^17 cents, EUR 10^15 (a million billion), ten
// thousand times a single amount's bound and far beyond any programme's
// whole budget. A write that would raise its region's total past it is
// refused (LIMIT_REACHED) and nothing is written, so no sum the API answers
// can overflow an int64 (9.22e18):
//
//   - the largest write adds 1e15: a report of 100 lines (a project's
//     actions, each listed once) of MaxCents, or a project's budget of
//     MaxCents; so a region's new total, computed before it is refused,
//     is at most 1e17 + 1e15;
//   - a project's or a network's figures are part of its region's: 1e17;
//   - the nation's are the 21 regions': 2.1e18.
//
// TestMoneyBoundsCannotOverflow checks this arithmetic against the
// constants.
const MaxRegionCents = 10_000 * MaxCents

// AddCents adds two sums of euro cents. It reports false, with the sum held
// at the int64 bound it passed, when the true sum does not fit an int64:
// sums stored before MaxRegionCents bounded them (a region's quarter cells,
// its plan digests) may add up past it, and a wrapped sum would turn a
// region past every ceiling into one with a negative total.
func AddCents(a, b int64) (int64, bool) {
	s := a + b
	switch {
	case a > 0 && b > 0 && s < 0:
		return math.MaxInt64, false
	case a < 0 && b < 0 && s >= 0:
		return math.MinInt64, false
	}
	return s, true
}

// Cents checks an amount of money in euro cents: 0 to MaxCents, and more
// than zero when positive. It reports whether the amount is valid.
func Cents(v *errs.Violations, field string, cents int64, positive bool) bool {
	switch {
	case cents < 0 || cents > MaxCents:
		v.Add(field, "%d is not an amount: want 0 to %d euro cents", cents, int64(MaxCents))
	case positive && cents == 0:
		v.Add(field, "must be more than zero")
	default:
		return true
	}
	return false
}

// AtMost checks that the list at field, of n things ("partners"), holds
// at most max of them, and reports whether it does.
func AtMost(v *errs.Violations, field string, n, max int, things string) bool {
	if n > max {
		v.Add(field, "lists %d %s; at most %d are allowed", n, things, max)
		return false
	}
	return true
}

// Listed checks that the list at field, of n things ("questions"), holds
// at least one and at most max of them, and reports whether it does. An
// empty list is refused as required, followed by none when given ("at
// least one entry"), so that every list of one to max things says both
// bounds in the same words.
func Listed(v *errs.Violations, field string, n, max int, things, none string) bool {
	if n == 0 {
		if none == "" {
			v.Add(field, "is required")
		} else {
			v.Add(field, "is required: %s", none)
		}
		return false
	}
	return AtMost(v, field, n, max, things)
}

// Code checks a short code (of an action, an indicator, an activity): 1 to
// max letters, digits, '.', '-' or '_'.
func Code(v *errs.Violations, field, s string, max int) bool {
	if s == "" {
		v.Add(field, "is required")
		return false
	}
	if len(s) > max {
		v.Add(field, "%q is longer than %d characters", errs.Clip(s, maxEcho), max)
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			v.Add(field, "%q is not a code: use letters, digits, '.', '-' and '_'", errs.Clip(s, maxEcho))
			return false
		}
	}
	return true
}

// Email checks a bare e-mail address (no display name). It is first one
// line of text (Text): mail.ParseAddress takes any UTF-8 (RFC 6532), so a
// direction override or a zero-width character passed in an address,
// which a page then showed reordered or with an invisible difference.
func Email(v *errs.Violations, field, s string) {
	if s == "" || !Text(v, field, s, false, 254, false) {
		return
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		v.Add(field, "%q is not an e-mail address", errs.Clip(s, maxEcho))
	}
}

// Enum checks that an enum value is set (unless optional) and is one the
// API defines, since gRPC clients can send any number. It reports whether
// it is, as Text does: also when v left its fault out.
func Enum(v *errs.Violations, field string, e protoreflect.Enum, required bool) bool {
	n := e.Number()
	if n == 0 {
		if required {
			v.Add(field, "is required")
		}
		return !required
	}
	if e.Descriptor().Values().ByNumber(n) == nil {
		v.Add(field, "%d is not a value of %s", n, e.Descriptor().Name())
		return false
	}
	return true
}

// Enums checks a repeated enum field, such as a list's states filter: each
// element as Enum checks a required one, naming field[i]. It returns the
// elements that pass, each once, in the order first listed: the set a
// filter keeps, empty when none is asked.
func Enums[E interface {
	comparable
	protoreflect.Enum
}](v *errs.Violations, field string, values []E) []E {
	var set []E
	for i, e := range values {
		if Enum(v, errs.Indexed(field, i), e, true) && !slices.Contains(set, e) {
			set = append(set, e)
		}
	}
	return set
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// maxEcho is how many bytes of a bad value check's messages echo: its
// fields are short (dates, codes, fiscal codes, addresses), and a request
// may list many of them, so it echoes half of errs.MaxEcho.
const maxEcho = 40
