package web_test

import (
	"net/http"
	"net/url"
	"testing"
)

// TestRegionalUserSwitchingRegion: a regional user reads the account's
// region whatever the region cookie says, so their POST /regione (a stale
// page's or a forged one) goes home with no "region changed" notice, which
// it said though nothing had changed, and sets no cookie. The ministry's
// switch still says it.
func TestRegionalUserSwitchingRegion(t *testing.T) {
	t.Parallel()
	f, c, _ := inLombardia(t)
	c.signIn("mrossi@lombardia")
	res, _ := c.do("POST", "/regione", url.Values{"csrf": {c.csrf("/")}, "regione": {"veneto"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Errorf("a regional user's switch: status %d to %q; want 303 to / with no notice", res.StatusCode, res.Header.Get("Location"))
	}
	for _, ck := range res.Cookies() {
		if ck.Name == "raccordo_regione" {
			t.Errorf("a regional user's switch set the region cookie to %q", ck.Value)
		}
	}
	m := f.ministryIn(t, "lombardia")
	res, _ = m.do("POST", "/regione", url.Values{"csrf": {m.csrf("/")}, "regione": {"veneto"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Errorf("the ministry's switch: status %d to %q; want 303 to /", res.StatusCode, res.Header.Get("Location"))
	}
}
