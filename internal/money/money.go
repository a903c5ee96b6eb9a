// Package money formats amounts of euro cents, the unit every amount of the
// API is kept in, in the two forms the platform writes: the machine form of
// CSV, JSON and open data ("1234.50") and the Italian form people read
// ("1.234,50 €").
//
// Both are exact over the whole int64 range, negative amounts included:
// stored amounts are at most check.MaxCents, but a region's or the nation's
// sums are not, and a float64 (as humanize.FormatInteger uses) loses units
// above 2^53.
package money

import (
	"strconv"
	"strings"
)

// Decimal formats cents as a decimal number of euro with two decimals and
// no grouping: "1234.50", "0.05", "-0.05". Open data and exports publish
// this form; for amounts of 0 or more it is fmt's "%d.%02d" of units and
// cents, byte for byte.
func Decimal(cents int64) string {
	sign, units, fraction := split(cents)
	return sign + units + "." + fraction
}

// Italian formats cents as an Italian amount: thousands grouped by '.',
// decimals after ',', and the euro sign after a no-break space:
// "1.234,50 €", "-0,05 €".
func Italian(cents int64) string {
	sign, units, fraction := split(cents)
	var b strings.Builder
	b.WriteString(sign)
	for i := range len(units) {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteByte(units[i])
	}
	b.WriteString("," + fraction + "\u00a0€")
	return b.String()
}

// split returns the sign ("" or "-"), the whole euro and the two digits of
// cents of an amount. The magnitude is taken as a uint64, so that the
// lowest int64 has one too.
func split(cents int64) (sign, units, fraction string) {
	m := uint64(cents)
	if cents < 0 {
		sign, m = "-", -m
	}
	frac := m % 100
	return sign, strconv.FormatUint(m/100, 10), string([]byte{'0' + byte(frac/10), '0' + byte(frac%10)})
}
