package web

import (
	"net/http/httptest"
	"path"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/internal/aip"
)

// TestPageWordsAreReservedIDs: every address whose last word stands where
// a resource's id would (/partner/nuovo beside /partner/{partner}) is
// routed to its own page, so a resource with that word as its id could
// have no page: the API refuses it as a new resource's id
// (aip.ReservedID). A page added beside an id's needs its word reserved.
func TestPageWordsAreReservedIDs(t *testing.T) {
	a, err := New(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, address := range []string{
		"/partner/nuovo", "/progetti/nuovo", "/reti/nuova", "/protocolli/nuovo",
		"/incontri/nuovo", calendarPath,
	} {
		_, page := a.mux.Handler(httptest.NewRequest("GET", address, nil))
		_, idPage := a.mux.Handler(httptest.NewRequest("GET", path.Dir(address)+"/an-id", nil))
		if page == idPage || !strings.Contains(idPage, "{") {
			t.Errorf("GET %s is routed as %q, an id's page as %q: want a page of its own beside an id's", address, page, idPage)
		}
		if word := path.Base(address); !aip.ReservedID(word) {
			t.Errorf("%s: a resource with id %q would have no page, and the API does not reserve it", address, word)
		}
	}
}
