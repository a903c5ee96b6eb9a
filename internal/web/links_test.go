package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
)

const historyRefused = "Il tuo ruolo non consente di consultare la storia delle modifiche"

// TestHistoryLinksOnlyWhereTheyLead: a network's history is linked for
// who may read it (the ministry, a region's admin) and answered; not for
// a consultant, whose history page, like the ministry's of a support
// entry (a type the feed does not give it), is a 403 that says why. The
// ministry's history of a support entry was the generic "Accesso negato".
func TestHistoryLinksOnlyWhereTheyLead(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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

// TestHistoryPageAsTheFeedDecides: for each role and each kind of
// resource whose history the web shows, the history page answers (200)
// exactly when the change feed gives that role the resource's type, and
// is otherwise the explained 403, never the feed's refusal: the page and
// its links decide as the server's feed does (auth.Readable with the
// server's owned types).
func TestHistoryPageAsTheFeedDecides(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp := f.partner("lombardia", "udp-bergamo", "Ufficio di Piano di Bergamo")
	types := map[string]string{
		"networks/x": "fami.v1.Network", "partners/x": "fami.v1.Partner", "projects/x": "fami.v1.Project", "protocols/x": "fami.v1.Protocol",
		"meetings/x": "fami.v1.Meeting", "supportEntries/x": "fami.v1.SupportEntry", "projects/x/monitoringReports/2021-q2": "fami.v1.MonitoringReport",
	}
	for _, spec := range []auth.TokenSpec{
		{Role: principal.Ministry}, {Role: principal.RegionAdmin, Region: "lombardia"}, {Role: principal.RegionalSystem, Region: "lombardia"},
		{Role: principal.Consultant, Region: "lombardia"}, {Role: principal.NetworkMember, Region: "lombardia", Partner: udp},
	} {
		spec.Subject = "test:" + string(spec.Role)
		token := f.Token(t, spec)
		b := f.client(t)
		if res, _ := b.do("POST", "/accedi/token", url.Values{"token": {token}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s sign-in: status %d", spec.Role, res.StatusCode)
		}
		if spec.Role == principal.Ministry {
			b.do("POST", "/regione", url.Values{"csrf": {b.csrf("/")}, "regione": {"lombardia"}})
		}
		ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+token)
		for path, typ := range types {
			_, err := famiv1.NewSyncServiceClient(f.conn).ListChanges(ctx, &famiv1.ListChangesRequest{Parent: "regions/lombardia", ResourceTypes: []string{typ}})
			if err != nil && status.Code(err) != codes.PermissionDenied {
				t.Fatalf("%s: ListChanges of %s: %v", spec.Role, typ, err)
			}
			res, page := b.do("GET", "/storia?nome=regions/lombardia/"+path, nil)
			switch {
			case err == nil && res.StatusCode != http.StatusOK:
				t.Errorf("%s, history of %s: status %d, want 200 as the feed gives it", spec.Role, typ, res.StatusCode)
			case err != nil && (res.StatusCode != http.StatusForbidden || !strings.Contains(page, historyRefused)):
				t.Errorf("%s, history of %s: status %d, want the explained 403 as the feed refuses it", spec.Role, typ, res.StatusCode)
			}
		}
	}
}
