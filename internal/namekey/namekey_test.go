package namekey_test

import (
	"testing"

	"github.com/raccordo/raccordo/internal/namekey"
)

func TestOf(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"", ""},
		{"cpia 2", "cpia 2"},
		{"CPIA  2", "cpia 2"},
		{" \t Comune  di\nBERGAMO \u00a0", "comune di bergamo"},
		{"Società Cooperativa", "societa cooperativa"},
		{"Socie\u0300ta\u0300", "societa"}, // decomposed accents
		{"Cantù", "cantu"},
		{"ＣＰＩＡ　２", "cpia 2"}, // full-width letters, ideographic space
		{"Comune di Berg\u200Bamo", "comune di bergamo"},
		{"Comune\u00ad di \u202EBergamo\u202C", "comune di bergamo"},
		{"Sant’Orsola", "sant'orsola"},
		{"Bergamo–Est", "bergamo-est"},
		{"Straße Œuvre Ærø", "strasse oeuvre aero"},
		{"ﬁnestra", "finestra"},
		{"Ǖ ²", "u 2"}, // a letter of two marks, a superscript
	} {
		if got := namekey.Of(c.name); got != c.want {
			t.Errorf("Of(%q) = %q, want %q", c.name, got, c.want)
		}
		if again := namekey.Of(namekey.Of(c.name)); again != c.want {
			t.Errorf("Of(Of(%q)) = %q, want the key unchanged, %q", c.name, again, c.want)
		}
	}
	for _, c := range [][2]string{{"cpia 2", "cpia2"}, {"Bergamo", "Brescia"}, {"a-b", "a b"}} {
		if namekey.Of(c[0]) == namekey.Of(c[1]) {
			t.Errorf("Of(%q) = Of(%q) = %q, want two names", c[0], c[1], namekey.Of(c[0]))
		}
	}
}

func TestMatcher(t *testing.T) {
	for _, c := range []struct {
		query  string
		fields []string
		want   bool
	}{
		{"", []string{"x"}, true},
		{"  ", []string{"x"}, true},
		{"cpia 2", []string{"CPIA  2"}, true},
		{"CPIA  2", []string{"cpia 2 Bergamo"}, true},
		{"societa", []string{"Rete", "Società Cooperativa"}, true},
		{"bergamo", []string{"Comune di Berg\u200Bamo"}, true},
		{"ber gamo", []string{"Bergamo"}, false},
		{"milano", []string{"Bergamo", "Brescia"}, false},
		{"x", nil, false},
	} {
		if got := namekey.Matcher(c.query)(c.fields...); got != c.want {
			t.Errorf("Matcher(%q)(%q) = %v, want %v", c.query, c.fields, got, c.want)
		}
	}
}

// BenchmarkOf is the cost of a key for a name already in key form (most
// stored names once lower-cased: none is), a plain ASCII name, and one
// with accents.
func BenchmarkOf(b *testing.B) {
	for _, name := range []string{"cpia bergamo", "Comune di Bergamo", "Società Cooperativa Sociale Città"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				namekey.Of(name)
			}
		})
	}
}
