package web_test

import (
	"fmt"
	"html"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc/metadata"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestBrowserFormKeptThroughTheSignIn: in Chromium, an hours form whose
// session ends while it is being filled keeps what was typed through the
// sign-in. The same user signing in gets a "send again" page listing it,
// nothing saved until they press its button, then saved once. Another user
// signing in at that browser is told the form was someone else's, and is
// shown none of it, nor sends it. Before, the values were lost: the
// sign-in brought the user back to the empty form.
func TestBrowserFormKeptThroughTheSignIn(t *testing.T) {
	t.Parallel()
	f, _, network := inLombardia(t)
	f.account("lombardia", "lverdi", "Luca Verdi", famiv1.Role_ROLE_CONSULTANT, "")
	b := newBrowser(t, f)
	save := chromedp.Click(chromedp.CSS(`form[method="post"][action^="/ore"] .actions > button.btn:not(.secondary)`))
	// sendAfter fills the hours form as Mario, ends his session with end,
	// then saves: the sign-in page must answer, keeping the form.
	sendAfter := func(end func(), notes string) {
		t.Helper()
		b.signIn("mrossi@lombardia")
		b.run("open /ore", chromedp.Navigate(f.url("/ore")), chromedp.WaitReady(chromedp.CSS("main")))
		b.typeEntry("type the entry", network, "75", notes, "")
		end()
		b.submit("save the entry", save)
		b.wantText(".alert.warning", "non è andato perso")
		if n := b.count(`#f-username`); n != 1 {
			t.Fatalf("the save after the session ended shows %q, want the sign-in form", b.text("main"))
		}
	}

	sendAfter(func() { f.Clock.Advance(2 * time.Hour) }, "Scritto mentre la sessione scadeva")
	b.check("modulo-conservato")
	b.signInHere("mrossi@lombardia")
	b.wantText("h1", "Invia di nuovo il modulo")
	for _, want := range []string{"Scritto mentre la sessione scadeva", "Laboratorio", "75"} {
		b.wantText("dl.facts", want)
	}
	b.check("invia-di-nuovo")
	if n := len(f.entries("lombardia")); n != 0 {
		t.Fatalf("%d entries saved before the user sent the form again, want none", n)
	}
	b.submit("send it again", chromedp.Click(chromedp.CSS(`main form[method="post"] button[type="submit"]`)))
	saved := f.entries("lombardia")
	if len(saved) != 1 || saved[0].GetNotes() != "Scritto mentre la sessione scadeva" || saved[0].GetDurationMinutes() != 75 || saved[0].GetNetwork() != network {
		t.Fatalf("after sending it again: %v, want the entry as typed, once", saved)
	}
	b.wantText(".alert.success", "")

	// Revoked (signed out elsewhere), then Luca signs in at the browser.
	revoke := func() {
		ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+b.sessionCookie())
		if _, err := famiv1.NewAuthServiceClient(f.conn).Logout(ctx, &famiv1.LogoutRequest{}); err != nil {
			t.Fatalf("revoke the session: %v", err)
		}
	}
	sendAfter(revoke, "Note di Mario soltanto")
	b.signInHere("lverdi@lombardia")
	b.wantText("h1", "Modulo non ripreso")
	if html := b.html(); strings.Contains(html, "Note di Mario soltanto") || b.count(`main form[method="post"]`) != 0 {
		t.Errorf("another user signing in is shown the form's values or a form to send them:\n%s", html)
	}
	if n := len(f.entries("lombardia")); n != 1 {
		t.Errorf("%d entries after another user signed in, want the first one only", n)
	}
}

// TestBrowserSessionNoticesFromElsewhere: another site gets nothing out of
// the application's notices and kept forms. Its form posted to a page
// while no session is live is refused, kept nowhere (it said "what you
// sent was not saved", of what the user never sent); its "Esci" leaves
// the session live and says nothing (it said "Sei uscito", since the
// SameSite=Strict cookie does not go with it); and a link to the sign-in
// page cannot choose the page's notice (?avviso= chose it).
func TestBrowserSessionNoticesFromElsewhere(t *testing.T) {
	t.Parallel()
	f, _, _ := inLombardia(t)
	b := newBrowser(t, f)
	elsewhere := otherSite(t, f)

	b.run("open the other site's form to /ore", chromedp.Navigate(elsewhere+"/form?to=/ore"), chromedp.WaitVisible(chromedp.CSS("button")))
	b.submit("send it", chromedp.Click(chromedp.CSS("button")))
	if html := b.html(); strings.Contains(html, "Dal sito ostile") || strings.Contains(html, "non è stato salvato") || b.count(`#f-username`) != 0 {
		t.Errorf("another site's form sent without a session is answered the sign-in page, or its values kept:\n%s", html)
	}

	b.signIn("mrossi@lombardia")
	b.run("open the other site's sign-out", chromedp.Navigate(elsewhere+"/form?to=/esci"), chromedp.WaitVisible(chromedp.CSS("button")))
	b.submit("sign out from there", chromedp.Click(chromedp.CSS("button")))
	if text := b.text("main"); strings.Contains(text, "Sei uscito") {
		t.Errorf("another site's sign-out shows %q", text)
	}
	b.open("/", "ancora-dentro")
	if b.count("nav.main") != 1 {
		t.Errorf("the session ended after another site's sign-out")
	}

	b.signOut()
	b.wantText(".alert.warning", "Sei uscito da Raccordo.")
	b.run("reload the sign-in page", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#f-username")))
	for _, path := range []string{"/accedi", "/accedi?avviso=msg.signed_out", "/accedi?avviso=msg.session_expired"} {
		b.open(path, "")
		if n := b.count(".alert"); n != 0 {
			t.Errorf("%s shows a notice: %q", path, b.text("main"))
		}
	}
}

// otherSite serves, on a loopback port Chromium reaches by another name
// (another site, as the SameSite cookie and Sec-Fetch-Site see it), a
// form that posts a field to the address ?to= names on f.
func otherSite(t *testing.T, f *famid) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><html lang="it"><title>Altro sito</title><main><form method="post" action="%s">`+
			`<input type="hidden" name="notes" value="Dal sito ostile"><input type="hidden" name="csrf" value="x.y"><button>Invia</button></form></main></html>`,
			f.url(r.URL.Query().Get("to")))
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return "http://" + otherSiteName + ":" + port
}

// TestKeptFormIsBounded: what the sign-in page keeps of a form sent once
// its session is over, and what a sign-in carrying one may do. A password
// and the old CSRF token are not kept; a value is escaped as the pages
// escape any; a form over the bound is not kept (the page says only that it
// was not saved); a sign-in refused keeps it still, and says so; one
// carrying it is answered the page that sends it again; one whose kept
// form names another site, or the sign-out, as its address goes home,
// offering to send nothing.
func TestKeptFormIsBounded(t *testing.T) {
	t.Parallel()
	f, c, network := inLombardia(t)
	c.signIn("mrossi@lombardia")
	form := entryForm(c.csrf("/ore"), network)
	if res, _ := c.do("POST", "/esci", url.Values{"csrf": {form.Get("csrf")}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: status %d, want 303", res.StatusCode)
	}

	_, page := c.do("POST", "/account/mrossi/password", url.Values{"csrf": {form.Get("csrf")}, "password": {"segreta da non ripetere"}})
	if strings.Contains(page, "segreta da non ripetere") || strings.Contains(page, form.Get("csrf")) {
		t.Errorf("the sign-in page keeps a password, or the old CSRF token:\n%s", page)
	}

	form.Set("notes", `"><script>alert(1)</script>`)
	_, page = c.do("POST", "/ore", form)
	if strings.Contains(page, "<script>alert") {
		t.Errorf("a kept value is not escaped:\n%s", page)
	}
	kept := keptFields(t, page)

	long := url.Values{}
	maps.Copy(long, form)
	long.Set("notes", strings.Repeat("x", 200<<10))
	if _, page := c.do("POST", "/ore", long); strings.Contains(page, `name="ripresa"`) || !strings.Contains(page, "Accedi di nuovo e invialo ancora") {
		t.Errorf("a form over the bound is kept, or the page does not say it was not saved")
	}

	signIn := url.Values{"username": {"mrossi@lombardia"}, "password": {"sbagliata"}}
	maps.Copy(signIn, kept)
	res, page := f.client(t).do("POST", "/accedi", signIn)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "non è andato perso") || keptFields(t, page).Encode() != kept.Encode() {
		t.Errorf("a wrong password: status %d, want the sign-in page again, still keeping the form and saying so:\n%s", res.StatusCode, page)
	}
	signIn.Set("password", password)
	res, page = f.client(t).do("POST", "/accedi", signIn)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "Invia di nuovo il modulo") || !strings.Contains(page, "&lt;script&gt;alert(1)") {
		t.Errorf("a sign-in carrying the form: status %d, want the page that sends it again, the notes escaped:\n%s", res.StatusCode, page)
	}
	for _, action := range []string{"http://altrosito.test/ore", "//altrosito.test/ore", "/esci", "/accedi", "/%65sci", "/%61ccedi/token"} {
		signIn := url.Values{"username": {"mrossi@lombardia"}, "password": {password}}
		maps.Copy(signIn, kept)
		signIn.Set("ripresa_indirizzo", action)
		res, page := f.client(t).do("POST", "/accedi", signIn)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
			t.Errorf("a sign-in carrying a form for %s: status %d to %q, want 303 home:\n%s", action, res.StatusCode, res.Header.Get("Location"), page)
		}
	}
	if n := len(f.entries("lombardia")); n != 0 {
		t.Errorf("%d entries saved, want none", n)
	}
}

var keptRE = regexp.MustCompile(`<input type="hidden" name="(ripresa[a-z_]*)" value="([^"]*)">`)

// keptFields are the hidden fields of the sign-in page's first form that
// keep a form.
func keptFields(t *testing.T, page string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range keptRE.FindAllStringSubmatch(page, 3) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	if len(v) != 3 {
		t.Fatalf("the sign-in page keeps no form:\n%s", page)
	}
	return v
}

// TestResendListsWhatTheUserTyped: the "send again" page lists what the
// user typed or chose, not the hidden companions the forms send beside
// it: the text a protocol's signature was shown (content_hash), nor what
// a field or a row named and showed when the page was drawn (a project's
// beneficiary_was and beneficiary_shown, a network row's was and shown, a
// party row's role_shown). They were listed under their raw names, a
// hash and a resource name among what the user was asked to check; they
// are still sent.
func TestResendListsWhatTheUserTyped(t *testing.T) {
	t.Parallel()
	companions := map[string]string{
		"content_hash":       "hash-del-testo-firmato",
		"beneficiary_was":    "regions/lombardia/partners/beneficiario-di-prima",
		"beneficiary_shown":  "Beneficiario mostrato",
		"member.0.was":       "regions/lombardia/partners/membro-di-prima",
		"member.0.shown":     "Membro mostrato",
		"party.0.role_shown": "PARTY_ROLE_PROPONENT",
	}
	page, facts := resendFacts(t, companions)
	for name, v := range companions {
		if strings.Contains(facts, name) || strings.Contains(facts, v) {
			t.Errorf("the send-again page lists the companion %s=%q:\n%s", name, v, facts)
		}
		if !strings.Contains(page, `name="`+name+`" value="`+v+`"`) {
			t.Errorf("the send-again form no longer sends the companion %s=%q", name, v)
		}
	}
}

// TestResendLabelsAsTheFormsDo: the "send again" page labels each value
// as the form that sent it did, in Italian: the hours form's duration is
// "Durata (minuti)", as its field says (fld, field.duration). Only the
// catalogue's field.<name> was looked up, and it was listed as
// duration_minutes.
func TestResendLabelsAsTheFormsDo(t *testing.T) {
	t.Parallel()
	_, facts := resendFacts(t, nil)
	for _, want := range []string{"<dt>Durata (minuti)</dt><dd>90</dd>", "<dt>Note</dt><dd>Nota da controllare</dd>", "<dt>Data</dt><dd>20/11/2026</dd>"} {
		if !strings.Contains(facts, want) {
			t.Errorf("the send-again page lists no %s:\n%s", want, facts)
		}
	}
	if strings.Contains(facts, "duration_minutes") {
		t.Errorf("the send-again page labels a value with its field's name:\n%s", facts)
	}
}

// resendFacts sends the hours form, with extra fields, once its session
// is over, signs in with what the sign-in page kept of it, and returns the
// send-again page and its list of what it will send.
func resendFacts(t *testing.T, extra map[string]string) (page, facts string) {
	t.Helper()
	f, c, network := inLombardia(t)
	c.signIn("mrossi@lombardia")
	form := entryForm(c.csrf("/ore"), network)
	if res, _ := c.do("POST", "/esci", url.Values{"csrf": {form.Get("csrf")}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: status %d, want 303", res.StatusCode)
	}
	form.Set("notes", "Nota da controllare")
	for name, v := range extra {
		form.Set(name, v)
	}
	_, page = c.do("POST", "/ore", form)
	signIn := url.Values{"username": {"mrossi@lombardia"}, "password": {password}}
	maps.Copy(signIn, keptFields(t, page))
	res, page := f.client(t).do("POST", "/accedi", signIn)
	facts = regexp.MustCompile(`(?s)<dl class="facts">.*?</dl>`).FindString(page)
	if res.StatusCode != http.StatusOK || !strings.Contains(facts, "Nota da controllare") {
		t.Fatalf("a sign-in carrying the form: status %d, want the page that sends it again listing the notes:\n%s", res.StatusCode, page)
	}
	return page, facts
}
