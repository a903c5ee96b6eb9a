package web

import (
	"html"
	"regexp"
	"slices"
	"testing"
)

// TestOptionsReadBack: the options written in Go (options) read back, as
// a browser would, as the very values and labels given, hostile ones too,
// with only the chosen one selected; nothing typed escapes its attribute
// or its element.
func TestOptionsReadBack(t *testing.T) {
	t.Parallel()
	choices := []option{
		{"regions/lombardia/partners/p1", "Comune di Bergamo"},
		{`x" onmouseover="alert(1)`, "<script>alert('x')</script>"},
		{"a&b", `"Tom & Jerry's" <b>`},
		{"", "nessuno"},
	}
	optionRE := regexp.MustCompile(`<option value="([^"<>]*)"( selected)?>([^<>"]*)</option>`)
	for _, selected := range []string{"a&b", "not there", ""} {
		got := string(options(choices, selected))
		all := optionRE.FindAllStringSubmatch(got, -1)
		if len(all) != len(choices) || len(optionRE.ReplaceAllString(got, "")) != 0 {
			t.Fatalf("options(%q) = %s: not %d options and nothing else", selected, got, len(choices))
		}
		for i, m := range all {
			value, label := html.UnescapeString(m[1]), html.UnescapeString(m[3])
			if value != choices[i].Value || label != choices[i].Label {
				t.Errorf("option %d reads back as %q %q, want %q %q", i, value, label, choices[i].Value, choices[i].Label)
			}
			if want := choices[i].Value == selected; (m[2] != "") != want {
				t.Errorf("options(%q): option %d selected %v, want %v", selected, i, m[2] != "", want)
			}
		}
	}
}

// TestSortedOptionsAsNamesCompare: a select's options are in the order of
// their labels' keys (namekey.Of), so an accented name sits beside its
// plain spelling, and labels of one key are ordered by value, never by the
// map's order.
func TestSortedOptionsAsNamesCompare(t *testing.T) {
	t.Parallel()
	m := map[string]string{"z": "Zeta", "a": "Città", "b": "Citta B", "c": "cpia", "d": "CPIA", "e": "Ærø"}
	for range 20 {
		var got []string
		for _, o := range sortedOptions(m) {
			got = append(got, o.Value)
		}
		if want := []string{"e", "a", "b", "c", "d", "z"}; !slices.Equal(got, want) {
			t.Fatalf("options by label: got %q, want %q", got, want)
		}
	}
}
