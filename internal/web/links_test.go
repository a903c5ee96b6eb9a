package web_test

import (
	"net/http"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

const historyRefused = "Il tuo ruolo non consente di consultare la storia delle modifiche"

// TestHistoryLinksOnlyWhereTheyLead: a network's history is linked for
// who may read it (the ministry, a region's admin) and answered; not for
// a consultant, whose history page, like the ministry's of a support
// entry (a type the feed does not give it), is a 403 that says why. The
// ministry's history of a support entry was the generic "Accesso negato".
func TestHistoryLinksOnlyWhereTheyLead(t *testing.T) {
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	network := f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	f.account("lombardia", "mrossi", "Mario Rossi", famiv1.Role_ROLE_CONSULTANT, "")
	history := "/storia?nome=" + network
	link := `<a href="/storia?nome=` + strings.ReplaceAll(network, "/", "%2f") + `">` // as html/template escapes it

	m := f.ministryIn(t, "lombardia")
	for _, path := range []string{"/reti", "/reti/rete-bergamo"} {
		m.wantPage(path, http.StatusOK, link)
	}
	m.wantPage(history, http.StatusOK, "creazione")
	m.wantPage("/storia?nome=regions/lombardia/supportEntries/e1", http.StatusForbidden, historyRefused)

	c := f.client(t)
	c.signIn("mrossi@lombardia")
	for _, path := range []string{"/reti", "/reti/rete-bergamo"} {
		if page := c.wantPage(path, http.StatusOK); strings.Contains(page, "/storia?") {
			t.Errorf("GET %s links a consultant to a history", path)
		}
	}
	c.wantPage(history, http.StatusForbidden, historyRefused)
}

// TestNetworksLinkedForEveryReader: the networks' list links each network
// to its page for every role that may read it, editors or not (the
// consultant and the ministry were shown its name alone), and the page
// answers them read-only.
func TestNetworksLinkedForEveryReader(t *testing.T) {
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	f.account("lombardia", "mrossi", "Mario Rossi", famiv1.Role_ROLE_CONSULTANT, "")
	f.account("lombardia", "carla", "Carla Verdi", famiv1.Role_ROLE_NETWORK_MEMBER, cpia)
	c := f.client(t)
	c.signIn("mrossi@lombardia")
	n := f.client(t)
	n.signIn("carla@lombardia")
	for who, b := range map[string]*browserless{"consultant": c, "ministry": f.ministryIn(t, "lombardia"), "member": n} {
		if page := b.wantPage("/reti", http.StatusOK); !strings.Contains(page, `<a href="/reti/rete-bergamo">Rete Bergamo</a>`) {
			t.Errorf("the %s's list does not link the network", who)
		}
		if page := b.wantPage("/reti/rete-bergamo", http.StatusOK, "Rete Bergamo"); strings.Contains(page, `action="/reti/rete-bergamo"`) {
			t.Errorf("the %s is offered the network's form", who)
		}
	}
}
