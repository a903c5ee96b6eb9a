package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/internal/principal"
)

// firstAdmin signs in Lombardia's first admin as the README has them do,
// with famictl's token, before the region has any account.
func firstAdmin(t *testing.T) *browserless {
	t.Helper()
	f := startFamid(t)
	a := f.client(t)
	if res, _ := a.do("POST", "/accedi/token", url.Values{"token": {f.token(principal.RegionAdmin, "lombardia")}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in with a token: status %d, want 303", res.StatusCode)
	}
	return a
}

// TestNoAccountsSaysSo: the accounts page of a region without accounts
// says so, as its service tokens' list does. Before, it showed the
// table's headings over no row, in a scrollable region a keyboard user
// tabbed into to find nothing.
func TestNoAccountsSaysSo(t *testing.T) {
	t.Parallel()
	a := firstAdmin(t)
	res, page := a.do("GET", "/account", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the accounts page: status %d", res.StatusCode)
	}
	if !strings.Contains(page, "<p>Nessun account.</p>") {
		t.Errorf("the accounts page of a region without accounts does not say %q", "Nessun account.")
	}
	if before, _, _ := strings.Cut(page, `id="new-account"`); strings.Contains(before, "<table") {
		t.Errorf("the accounts page shows an empty table before the new account's form")
	}
}

// TestHomeNamesTheRegion: the home page names the user's region as
// people write it, "Lombardia", not by the id of its addresses
// ("lombardia"), which it showed before.
func TestHomeNamesTheRegion(t *testing.T) {
	t.Parallel()
	a := firstAdmin(t)
	_, page := a.do("GET", "/", nil)
	if want := "<p>Regione: Lombardia</p>"; !strings.Contains(page, want) {
		t.Errorf("the home page does not say %q", want)
	}
}

// TestDashboardSaysWhenNoIndicators: a region's row of the dashboard
// without indicators says so. Before, the cell was empty: on a phone, where
// a row is a card of labelled values, "Indicatori" stood over nothing, as
// if the page had failed to load it.
func TestDashboardSaysWhenNoIndicators(t *testing.T) {
	t.Parallel()
	a := firstAdmin(t)
	_, page := a.do("GET", "/cruscotto", nil)
	if want := `<td data-label="Indicatori">Nessun indicatore</td>`; !strings.Contains(page, want) {
		t.Errorf("the dashboard of a region without indicators does not show %s", want)
	}
}
