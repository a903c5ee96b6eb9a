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
	t.Parallel()
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
	t.Parallel()
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

// TestNoticeGoesToItsOwnPage: a write's notice is said by the page its
// redirect leads to, and by no other. A page read in the meantime (another
// tab) says nothing and leaves the notice for the page it is meant for; a
// session that ended on the way sends the user to the sign-in page, which
// does not take it, and the page says it once signed in again. The notice
// went to the first page read within its minute: the other tab said
// "Partner creato", the sign-in page said it in its warning style, and the
// page it was meant for said nothing.
func TestNoticeGoesToItsOwnPage(t *testing.T) {
	t.Parallel()
	f, _, _ := inLombardia(t)
	admin := f.adminIn(t)
	const created = "Partner creato"
	create := func(id string) string {
		t.Helper()
		res, _ := admin.do("POST", "/partner", url.Values{"csrf": {admin.csrf("/partner/nuovo")}, "partner_id": {id}, "display_name": {"Cooperativa " + id},
			"kind": {"PARTNER_KIND_OTHER"}})
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/partner/"+id {
			t.Fatalf("create partner %s: status %d to %q", id, res.StatusCode, loc)
		}
		return "/partner/" + id
	}

	landing := create("coop")
	for _, other := range []string{"/partner", "/partner/coop?altro=1", "/"} {
		if _, page := admin.do("GET", other, nil); strings.Contains(page, created) {
			t.Errorf("%s, read before %s, says %q", other, landing, created)
		}
	}
	if _, page := admin.do("GET", landing, nil); !strings.Contains(page, created) {
		t.Errorf("%s, read after other pages, does not say %q", landing, created)
	}

	landing = create("coop2")
	session := admin.cookie("raccordo_sessione")
	admin.setCookie(&http.Cookie{Name: session.Name, Path: "/", MaxAge: -1})
	res, _ := admin.do("GET", landing, nil)
	signIn := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(signIn, "/accedi") {
		t.Fatalf("%s without a session: status %d to %q, want the sign-in page", landing, res.StatusCode, signIn)
	}
	if _, page := admin.do("GET", signIn, nil); strings.Contains(page, created) || strings.Contains(page, `alert warning`) {
		t.Errorf("the sign-in page, on the way to %s, says the write's notice, or a warning:\n%s", landing, page)
	}
	admin.setCookie(&http.Cookie{Name: session.Name, Value: session.Value, Path: "/"})
	if _, page := admin.do("GET", landing, nil); !strings.Contains(page, created) {
		t.Errorf("%s, read with the session back, does not say %q", landing, created)
	}
}

// TestWritesNoticeOnTheSignInPageIsNoWarning: a write's notice ("ok.")
// meant for the sign-in page is said there in the success style, as on
// any page; only the sign-in page's own notices ("Sei uscito") are
// warnings. Every notice was said in the warning style there.
func TestWritesNoticeOnTheSignInPageIsNoWarning(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	c := f.client(t)
	c.setCookie(&http.Cookie{Name: "raccordo_avviso", Path: "/",
		Value: url.Values{"avviso": {"ok.partner_created"}, "pagina": {"/accedi"}}.Encode()})
	_, page := c.do("GET", "/accedi", nil)
	if !strings.Contains(page, `<div class="alert success" role="status">Partner creato.</div>`) || strings.Contains(page, "alert warning") {
		t.Errorf("a write's notice on the sign-in page is not in the success style:\n%s", page)
	}
}

// cookie is the cookie name the client holds for the site (name and value
// only), failing the test when it holds none.
func (b *browserless) cookie(name string) *http.Cookie {
	b.t.Helper()
	for _, c := range b.c.Jar.Cookies(b.site()) {
		if c.Name == name {
			return c
		}
	}
	b.t.Fatalf("the client holds no cookie %s", name)
	return nil
}

// setCookie sets c in the client's jar as the site set it (MaxAge -1
// removes it).
func (b *browserless) setCookie(c *http.Cookie) { b.c.Jar.SetCookies(b.site(), []*http.Cookie{c}) }

func (b *browserless) site() *url.URL {
	u, err := url.Parse(b.f.URL())
	if err != nil {
		b.t.Fatal(err)
	}
	return u
}
