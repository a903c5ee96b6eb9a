package web

import "testing"

// TestHistoryOfAName: a history reads the changes of its resource's type,
// named as a change names it (every type's for a collection it does not
// know), and its way back goes to the page of the resource (none for a
// kind the web shows on no page of its own).
func TestHistoryOfAName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, page, typ string }{
		{"regions/lombardia/networks/rete-bergamo", "/reti/rete-bergamo", "fami.v1.Network"},
		{"regions/lombardia/partners/udp", "/partner/udp", "fami.v1.Partner"},
		{"regions/lombardia/supportEntries/e1", "/ore/e1", "fami.v1.SupportEntry"},
		{"regions/lombardia/projects/lab-impact/monitoringReports/2021-q2", "/progetti/lab-impact/monitoraggio/2021-q2", "fami.v1.MonitoringReport"},
		{"regions/lombardia/closedPeriods/p1", "", ""},
		{"regions/lombardia/partners", "", ""},
		{"regions/lombardia/projects/lab-impact/contacts/c1", "", ""},
		{"regions/lombardia/networks/a%2F..", "/reti/a%252F..", "fami.v1.Network"},
	} {
		if got := pageOf(c.name); got != c.page {
			t.Errorf("pageOf(%q) = %q, want %q", c.name, got, c.page)
		}
		if got := typeOf(c.name); got != c.typ {
			t.Errorf("typeOf(%q) = %q, want %q", c.name, got, c.typ)
		}
	}
}

// TestPerson: who did something reads as their name, or for a record kept
// without one, as a label made from the subject, never the subject itself.
func TestPerson(t *testing.T) {
	t.Parallel()
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
