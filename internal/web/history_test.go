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
