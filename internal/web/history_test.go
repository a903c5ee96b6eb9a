package web

import "testing"

// TestPageOf: the history's way back goes to the page of the resource, and
// to none for a kind the web shows on no page of its own.
func TestPageOf(t *testing.T) {
	for name, want := range map[string]string{
		"regions/lombardia/networks/rete-bergamo":                         "/reti/rete-bergamo",
		"regions/lombardia/supportEntries/e1":                             "/ore/e1",
		"regions/lombardia/projects/lab-impact/monitoringReports/2021-q2": "/progetti/lab-impact/monitoraggio/2021-q2",
		"regions/lombardia/closedPeriods/p1":                              "",
		"regions/lombardia/projects/lab-impact/contacts/c1":               "",
		"regions/lombardia/networks/a%2F..":                               "/reti/a%252F..",
	} {
		if got := pageOf(name); got != want {
			t.Errorf("pageOf(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestPerson: who did something reads as their name, or for a record kept
// without one, as a label made from the subject, never the subject itself.
func TestPerson(t *testing.T) {
	for _, c := range []struct{ subject, name, want string }{
		{"account:mrossi@lombardia", "Mario Rossi", "Mario Rossi"},
		{"account:mrossi@lombardia", "", "mrossi@lombardia"},
		{"system:protocollo", "", "sistema protocollo"},
		{"anonymous", "", "anonimo"},
		{"cli:region_admin:lombardia", "", "utenza tecnica"},
		{"system:opendata", "Open data", "Open data"},
		{"", "", "piattaforma"},
	} {
		if got := person(c.subject, c.name); got != c.want {
			t.Errorf("person(%q, %q) = %q, want %q", c.subject, c.name, got, c.want)
		}
	}
}

// TestTypeOf: a history reads the changes of its resource's type, named
// as a change names it, and every type's for a collection it does not
// know.
func TestTypeOf(t *testing.T) {
	for name, want := range map[string]string{
		"regions/lombardia/partners/udp":                                  "fami.v1.Partner",
		"regions/lombardia/supportEntries/e1":                             "fami.v1.SupportEntry",
		"regions/lombardia/projects/lab-impact/monitoringReports/2021-q2": "fami.v1.MonitoringReport",
		"regions/lombardia/closedPeriods/p1":                              "",
		"regions/lombardia/partners":                                      "",
		"regions/lombardia/projects/lab-impact/contacts/c1":               "",
	} {
		if got := typeOf(name); got != want {
			t.Errorf("typeOf(%q) = %q, want %q", name, got, want)
		}
	}
}
