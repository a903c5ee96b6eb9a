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
