package money_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/money"
)

func TestFormats(t *testing.T) {
	for _, c := range []struct {
		cents            int64
		decimal, italian string
	}{
		{0, "0.00", "0,00\u00a0€"},
		{1, "0.01", "0,01\u00a0€"},
		{5, "0.05", "0,05\u00a0€"},
		{99, "0.99", "0,99\u00a0€"},
		{100, "1.00", "1,00\u00a0€"},
		{123456, "1234.56", "1.234,56\u00a0€"},
		{99999, "999.99", "999,99\u00a0€"},
		{100000, "1000.00", "1.000,00\u00a0€"},
		{-1, "-0.01", "-0,01\u00a0€"},
		{-5, "-0.05", "-0,05\u00a0€"},
		{-99, "-0.99", "-0,99\u00a0€"},
		{-100, "-1.00", "-1,00\u00a0€"},
		{-101, "-1.01", "-1,01\u00a0€"},
		{-100000000, "-1000000.00", "-1.000.000,00\u00a0€"},
		{check.MaxCents - 1, "99999999999.99", "99.999.999.999,99\u00a0€"},
		{check.MaxCents, "100000000000.00", "100.000.000.000,00\u00a0€"},
		{-check.MaxCents, "-100000000000.00", "-100.000.000.000,00\u00a0€"},
		// Sums pass MaxCents; past 2^53 units a float64 would round.
		{1<<53*100 + 1, "9007199254740992.01", "9.007.199.254.740.992,01\u00a0€"},
		{math.MaxInt64, "92233720368547758.07", "92.233.720.368.547.758,07\u00a0€"},
		{math.MinInt64, "-92233720368547758.08", "-92.233.720.368.547.758,08\u00a0€"},
	} {
		if got := money.Decimal(c.cents); got != c.decimal {
			t.Errorf("Decimal(%d) = %q, want %q", c.cents, got, c.decimal)
		}
		if got := money.Italian(c.cents); got != c.italian {
			t.Errorf("Italian(%d) = %q, want %q", c.cents, got, c.italian)
		}
	}
}

// TestDecimalKeepsPublishedBytes checks that, for every valid amount tried,
// Decimal writes the bytes the open data and the monitoring flags wrote
// before it existed.
func TestDecimalKeepsPublishedBytes(t *testing.T) {
	for _, cents := range []int64{0, 1, 9, 10, 99, 100, 101, 999, 1000, 123456, 1e9 + 7, check.MaxCents - 101, check.MaxCents - 1, check.MaxCents} {
		if got, want := money.Decimal(cents), fmt.Sprintf("%d.%02d", cents/100, cents%100); got != want {
			t.Errorf("Decimal(%d) = %q, want %q", cents, got, want)
		}
	}
}
