package web

import (
	"math"
	"strings"
	"testing"
	"time"
)

// FuzzFormValues feeds any string, as a hostile user may type or post it,
// to the form readers that turn Italian amounts and dates into the API's
// values. An amount is cents in range or -1 (which the service refuses
// naming the field), read only from digits, '.' and ',', and what the form
// shows of an amount reads back as it; a date is the API's YYYY-MM-DD of
// the very day typed, or the input passed on unchanged for the service to
// refuse. A quantity (parseNumber) is NaN (refused the same way) or a
// finite number read only from digits, '.' and ',', and what the form shows
// of it reads back as it; a count (atoi) is -1
// or read from digits only.
func FuzzFormValues(f *testing.F) {
	for _, s := range []string{"", "0", "1.234,56", "1234,5", "1234", " 12,30 €", "-0,50", "+5", "1,+5", "1,-5", "10000000000000",
		"99999999999999", "9.223.372.036.854.775.807", "1,234", ",5", "09/03/2026", "2026-03-09", "31/02/2026", "9/3/2026", "00/00/0000", " 01/01/0001 ",
		"16,5", "1.234,5", "1.234", "12.34", "0x1p4", "0X10", "Inf", "-Inf", "NaN", "1e308", "1e3", "1_000", "0,1e2", "٣", "1.234.567,891", "3.50", "1234,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cents := parseEuro(s)
		typed := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "€"))
		switch {
		case cents == -1:
		case cents < 0 || cents > 1e15+99:
			t.Fatalf("parseEuro(%q) = %d, out of range", s, cents)
		case strings.Trim(typed, "0123456789.,") != "":
			t.Fatalf("parseEuro(%q) = %d, read from more than digits, '.' and ','", s, cents)
		case parseEuro(euroInput(cents)) != cents:
			t.Fatalf("parseEuro(%q) = %d, shown as %q, which reads back as %d", s, cents, euroInput(cents), parseEuro(euroInput(cents)))
		}
		x := parseNumber(s)
		switch {
		case math.IsNaN(x):
		case math.IsInf(x, 0) || x < 0:
			t.Fatalf("parseNumber(%q) = %v", s, x)
		case strings.Trim(strings.TrimSpace(s), "0123456789.,") != "":
			t.Fatalf("parseNumber(%q) = %v, read from more than digits, '.' and ','", s, x)
		case parseNumber(numberInput(x)) != x:
			t.Fatalf("parseNumber(%q) = %v, shown as %q, which reads back as %v", s, x, numberInput(x), parseNumber(numberInput(x)))
		}
		if n := atoi(s); n != -1 && (n < 0 || strings.Trim(s, "0123456789") != "") {
			t.Fatalf("atoi(%q) = %d, read from more than digits", s, n)
		}
		date := parseDate(s)
		if date == strings.TrimSpace(s) {
			return
		}
		d, err := time.Parse(time.DateOnly, date)
		as := func(layout string) bool { return d.Format(layout) == strings.TrimSpace(s) }
		if err != nil || !(as("02/01/2006") || as("2/01/2006") || as("02/1/2006") || as("2/1/2006")) {
			t.Fatalf("parseDate(%q) = %q, not the day typed (%v)", s, date, err)
		}
	})
}
