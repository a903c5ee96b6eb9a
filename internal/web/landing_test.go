package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestDeleteFromAnEditPageGoesToTheEntrysMonth: an entry of October
// deleted from its edit page opened with no query (a bookmark, the
// history's link) leads to October's hours, where it was; it led to the
// hours of today's month (November), as the page's link back did not.
func TestDeleteFromAnEditPageGoesToTheEntrysMonth(t *testing.T) {
	f, c, network := inLombardia(t)
	c.signIn("mrossi@lombardia")
	form := entryForm(c.csrf("/ore"), network)
	form.Set("date", "31/10/2026")
	if res, _ := c.do("POST", "/ore?vista=mese&data=2026-11-01", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("log hours on 31/10/2026: status %d", res.StatusCode)
	}
	edit := "/ore/" + lastID(f.entries("lombardia")[0].GetName())
	_, page := c.do("GET", edit, nil)
	del := regexp.MustCompile(`action="(/ore/[^"]+/elimina[^"]*)"[^>]*>\s*<input type="hidden" name="csrf" value="[^"]*"><input type="hidden" name="etag" value="([^"]*)"`).FindStringSubmatch(page)
	if del == nil {
		t.Fatalf("%s has no delete form", edit)
	}
	action := strings.ReplaceAll(del[1], "&amp;", "&")
	res, _ := c.do("POST", action, url.Values{"csrf": {c.csrf(edit)}, "etag": {del[2]}, "conferma": {"1"}})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/ore?data=2026-10-31&vista=mese" {
		t.Errorf("delete from %s: status %d to %q, want 303 to October's hours", edit, res.StatusCode, loc)
	}
}

// TestNoticesComeOnlyFromTheirCookie: the notice a page says after a
// write ("Partner creato") comes in the one-minute HttpOnly notice cookie
// that only the write's redirect sets, and is said once; an address's
// ?ok=, which anyone may write into a link, says nothing. It said
// "Partner creato" on any link that asked it to.
func TestNoticesComeOnlyFromTheirCookie(t *testing.T) {
	f, a, _ := inLombardia(t)
	f.partner("lombardia", "cpia", "CPIA Bergamo")
	a.signIn("mrossi@lombardia")
	const created = "Partner creato"
	if _, page := a.do("GET", "/partner/cpia?ok=partner_created", nil); strings.Contains(page, created) {
		t.Errorf("a link's ?ok=partner_created says %q", created)
	}

	admin := f.client(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	admin.signIn("admin@lombardia")
	res, _ := admin.do("POST", "/partner", url.Values{"csrf": {admin.csrf("/partner/nuovo")}, "partner_id": {"coop"}, "display_name": {"Cooperativa"},
		"kind": {"PARTNER_KIND_OTHER"}})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || loc != "/partner/coop" {
		t.Fatalf("create a partner: status %d to %q, want 303 to /partner/coop", res.StatusCode, loc)
	}
	var notice *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "raccordo_avviso" {
			notice = ck
		}
	}
	if notice == nil || !notice.HttpOnly || notice.MaxAge != 60 || notice.SameSite != http.SameSiteStrictMode {
		t.Fatalf("the create's notice cookie: %v, want raccordo_avviso, HttpOnly, SameSite=Strict, for a minute", notice)
	}
	if _, page := admin.do("GET", loc, nil); !strings.Contains(page, created) {
		t.Errorf("%s after the create does not say %q", loc, created)
	}
	if _, page := admin.do("GET", loc, nil); strings.Contains(page, created) {
		t.Errorf("%s read again says %q again", loc, created)
	}
}
