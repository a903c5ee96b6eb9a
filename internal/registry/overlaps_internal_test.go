package registry

import (
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestSameActionComparesTitlesAsNames: two projects run the same action
// when their actions' titles are one name as names compare (namekey.Of),
// whatever their case, accents, dashes or spacing; two titles that read
// differently are two actions.
func TestSameActionComparesTitlesAsNames(t *testing.T) {
	project := func(titles ...string) *famiv1.Project {
		p := &famiv1.Project{}
		for _, title := range titles {
			p.Actions = append(p.Actions, &famiv1.ProjectAction{Code: "01", Title: title})
		}
		return p
	}
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"Accesso ai servizi", "accesso ai servizi", true},
		{"Accesso  ai servizi – fase 1", " accesso ai servizi - FASE 1", true},
		{"Attività di rete", "Attivita di rete", true},
		{"Accesso ai servizi", "Accesso ai servizi sanitari", false},
	} {
		if got := sameAction(project("Scuola", c.a), project(c.b)); got != c.want {
			t.Errorf("sameAction(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
