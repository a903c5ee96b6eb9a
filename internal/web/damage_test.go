package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestHomeWithADamagedPartner: the home page of a network member whose
// partner's record fails its checksum is the internal error page, not a
// home page that silently leaves the partner out, as it did when any
// error of the lookup was read as "no partner".
func TestHomeWithADamagedPartner(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp := f.partner("lombardia", "udp-bergamo", "MARKER-partner")
	f.account("lombardia", "anna", "Anna Bianchi", famiv1.Role_ROLE_NETWORK_MEMBER, udp)
	b := f.client(t)
	b.signIn("anna@lombardia")
	if res, page := b.do("GET", "/", nil); res.StatusCode != http.StatusOK || !strings.Contains(page, "Ente: MARKER-partner") {
		t.Fatalf("home before the damage: status %d, want 200 naming the partner", res.StatusCode)
	}

	bolttest.Damage(t, f.DataDir, "lombardia", "MARKER-partner")
	res, page := b.do("GET", "/", nil)
	if res.StatusCode != http.StatusInternalServerError || !strings.Contains(page, "Errore interno") || strings.Contains(page, "Ente:") {
		t.Errorf("home with a damaged partner: status %d, want 500, the internal error page and no partner line", res.StatusCode)
	}
}

// TestSignInWithADamagedAccount: the sign-in of an account whose record
// fails its checksum gets the answer of an unknown username, status,
// redirect and page alike, so an anonymous visitor cannot learn the
// username exists. It used to get the internal error page.
func TestSignInWithADamagedAccount(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	f.account("lombardia", "anna", "MARKER-account", famiv1.Role_ROLE_CONSULTANT, "")
	bolttest.DamageSystem(t, f.DataDir, "MARKER-account")
	signIn := func(username string) string {
		res, page := f.client(t).do("POST", "/accedi", url.Values{"username": {username}, "password": {password}})
		// A page that shows the username typed again may; nothing else may differ.
		return fmt.Sprintf("%d %s\n%s", res.StatusCode, res.Header.Get("Location"), strings.ReplaceAll(page, username, "USERNAME"))
	}
	if damaged, unknown := signIn("anna@lombardia"), signIn("nessuno@lombardia"); damaged != unknown {
		t.Errorf("sign-in with a damaged account:\n%s\nwant the unknown username's:\n%s", damaged, unknown)
	}
}

// TestDashboardWithoutADamagedRegion: the ministry's national dashboard
// with one region's record damaged shows the other regions and their
// totals, and warns, naming the region left out; before, the whole page
// was the internal error page.
func TestDashboardWithoutADamagedRegion(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	f.partner("lombardia", "udp-bergamo", "MARKER-partner")
	f.partner("veneto", "udp-venezia", "Ufficio di Piano di Venezia")
	m := f.client(t)
	if res, _ := m.do("POST", "/accedi/token", url.Values{"token": {f.token(principal.Ministry, "")}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("ministry sign-in: status %d", res.StatusCode)
	}
	page := m.wantPage("/cruscotto", http.StatusOK, `<th scope="row">Lombardia</th>`, `<th scope="row">Veneto</th>`)
	if strings.Contains(page, `id="unreachable"`) {
		t.Errorf("the dashboard warns of unreachable regions before any damage")
	}

	bolttest.Damage(t, f.DataDir, "lombardia", "MARKER-partner")
	page = m.wantPage("/cruscotto", http.StatusOK, `<div class="alert warning" role="status" id="unreachable">Dati non disponibili per: Lombardia (archivio danneggiato o in ripristino).`,
		`<th scope="row">Veneto</th><td data-label="Reti territoriali" class="num">0</td><td data-label="Partner" class="num">1</td>`, `<th scope="row">Totale nazionale</th><td data-label="Reti territoriali" class="num">0</td><td data-label="Partner" class="num">1</td>`)
	if strings.Contains(page, `<th scope="row">Lombardia</th>`) {
		t.Errorf("the dashboard shows a row for the damaged region")
	}
}
