package web_test

import (
	"strings"
	"testing"
)

// TestDurationColumnsSayHowTheyCount: the hours tables show a duration as
// "1 h 30 min", so their column is "Durata", not "Durata (minuti)", which
// belongs to the form's field, where minutes are typed.
func TestDurationColumnsSayHowTheyCount(t *testing.T) {
	f, c, _ := withLoggedHours(t)
	a := f.client(t)
	a.signIn("admin@lombardia")
	for _, page := range []struct {
		who  *browserless
		path string
	}{{c, "/ore"}, {a, "/approvazioni"}} {
		_, body := page.who.do("GET", page.path, nil)
		if !strings.Contains(body, "<td class=\"num\">1 h 30 min</td>") {
			t.Errorf("%s does not show the 90 minutes as 1 h 30 min", page.path)
		}
		if want := `<th scope="col" class="num">Durata</th>`; !strings.Contains(body, want) {
			t.Errorf("%s: the duration column is not headed %q", page.path, want)
		}
	}
}

// TestCountsAgreeInItalian: one entry is "1 registrazione", not "1
// registrazioni", in the summary's total.
func TestCountsAgreeInItalian(t *testing.T) {
	_, c, _ := withLoggedHours(t)
	_, page := c.do("GET", "/riepilogo?start_date=01/11/2026&end_date=30/11/2026", nil)
	if want := "Totale: 1 h 30 min in 1 registrazione<"; !strings.Contains(page, want) {
		t.Errorf("the summary of one entry lacks %q", want)
	}
}

// TestSummaryNamesMonths: the summary's months read as people say them,
// "novembre 2026", not "11/2026".
func TestSummaryNamesMonths(t *testing.T) {
	_, c, _ := withLoggedHours(t)
	_, page := c.do("GET", "/riepilogo?start_date=01/11/2026&end_date=30/11/2026", nil)
	if !strings.Contains(page, ">novembre 2026<") || strings.Contains(page, "11/2026<") {
		t.Errorf("the summary by month does not name November 2026 novembre 2026")
	}
}
