package web

import (
	"net/http"
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
	t.Parallel()
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

// TestEveryWordRouteGoesThroughRecordOr: every route of the application
// whose last word stands beside an id's wildcard goes through recordOr (so
// a record stored with that word as its id still has a page) and its word
// is reserved. The routes are the mux's own (routeMux), so a new page
// added beside an id's is checked without being listed here: the test
// above checks only the addresses it names.
func TestEveryWordRouteGoesThroughRecordOr(t *testing.T) {
	t.Parallel()
	a, err := New(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	words := 0
	for _, fault := range wordRouteFaults(a.mux, func(string) { words++ }) {
		t.Error(fault)
	}
	if words < 6 { // nuovo for partners, projects, protocols, meetings; nuova; calendario
		t.Errorf("found %d word routes beside an id's, want at least the 6 the application has", words)
	}
}

// TestWordRouteFaultsCatchesARouteSkippingRecordOr: the check above finds
// a word route beside an id's that skips recordOr, and one whose word the
// API does not reserve, and nothing in a route that has neither fault.
func TestWordRouteFaultsCatchesARouteSkippingRecordOr(t *testing.T) {
	t.Parallel()
	page := http.NotFoundHandler()
	for _, c := range []struct {
		word   string
		h      http.Handler
		faults int
	}{
		{"nuovo", recordOr("partner", page, page), 0},
		{"nuovo", page, 1},
		{"elenco", recordOr("partner", page, page), 1},
		{"elenco", page, 2},
		{"nuovo", recordOr("network", page, page), 1}, // sets the wrong wildcard
	} {
		m := &routeMux{ServeMux: http.NewServeMux()}
		m.Handle("GET /partner/{partner}", page)
		m.Handle("GET /partner/"+c.word, c.h)
		if faults := wordRouteFaults(m, func(string) {}); len(faults) != c.faults {
			t.Errorf("/partner/%s: found %d faults %q, want %d", c.word, len(faults), faults, c.faults)
		}
	}
}

// wordRouteFaults checks every route of m whose last word stands where a
// sibling route of the same method has a wildcard (GET /partner/nuovo
// beside GET /partner/{partner}), calling found with each, and says what
// is wrong with each: not routed through recordOr with that wildcard, or
// a word the API does not reserve (aip.ReservedID).
func wordRouteFaults(m *routeMux, found func(pattern string)) []string {
	wildcards := map[string]string{} // method and directory: the wildcard's name
	for _, p := range m.patterns {
		method, address := splitPattern(p)
		if last := path.Base(address); strings.HasPrefix(last, "{") && last != "{$}" {
			wildcards[method+" "+path.Dir(address)] = strings.TrimSuffix(strings.Trim(last, "{}"), "...")
		}
	}
	var faults []string
	for _, p := range m.patterns {
		method, address := splitPattern(p)
		word := path.Base(address)
		wildcard, beside := wildcards[method+" "+path.Dir(address)]
		if strings.Contains(word, "{") || !beside {
			continue
		}
		found(p)
		h, _ := m.Handler(httptest.NewRequest(method, address, nil))
		if w, ok := h.(*wordOrRecord); !ok || w.wildcard != wildcard {
			faults = append(faults, p+": not routed through recordOr with the wildcard "+wildcard+": a record stored with the id "+word+" would have no page")
		}
		if !aip.ReservedID(word) {
			faults = append(faults, p+": the API does not reserve "+word+": a new record could take it as its id and have no page")
		}
	}
	return faults
}

// splitPattern is a mux pattern's method ("" for any) and path.
func splitPattern(p string) (method, address string) {
	if method, address, ok := strings.Cut(p, " "); ok {
		return method, address
	}
	return "", p
}
