package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/web"
)

// setupLombardia creates a network and a consultant in Lombardia.
func setupLombardia(f *famid) (network string) {
	udp := f.partner("lombardia", "udp-bergamo", "Ufficio di Piano di Bergamo")
	network = f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp)
	f.account("lombardia", "mrossi", "Mario Rossi", famiv1.Role_ROLE_CONSULTANT, "")
	return network
}

// inLombardia starts famid with setupLombardia, and a client with no
// session yet.
func inLombardia(t *testing.T) (f *famid, b *browserless, network string) {
	t.Helper()
	f = startFamid(t)
	return f, f.client(t), setupLombardia(f)
}

func entryForm(csrf, network string) url.Values {
	return url.Values{"csrf": {csrf}, "network": {network}, "activity": {"SUPPORT_ACTIVITY_WORKSHOP"}, "mode": {"SUPPORT_MODE_ONLINE"},
		"date": {"20/11/2026"}, "duration_minutes": {"90"}}
}

// logHours logs a workshop of 90 minutes on network as the signed-in
// consultant, and stops the test unless the form is accepted.
func (b *browserless) logHours(network string) {
	b.t.Helper()
	if res, _ := b.do("POST", "/ore", entryForm(b.csrf("/ore"), network)); res.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("log hours: status %d", res.StatusCode)
	}
}

// withLoggedHours starts famid with setupLombardia and Lombardia's admin
// account, and signs the consultant in to log hours: the opening of the
// review flows.
func withLoggedHours(t *testing.T) (f *famid, c *browserless, network string) {
	t.Helper()
	f, c, network = inLombardia(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	c.signIn("mrossi@lombardia")
	c.logHours(network)
	return f, c, network
}

func (f *famid) entries(region string) []*famiv1.SupportEntry {
	f.t.Helper()
	res, err := famiv1.NewSupportServiceClient(f.conn).ListSupportEntries(f.admin(region), &famiv1.ListSupportEntriesRequest{Parent: "regions/" + region})
	if err != nil {
		f.t.Fatal(err)
	}
	return res.GetSupportEntries()
}

func TestSessionCookieAndHeaders(t *testing.T) {
	t.Parallel()
	_, b, _ := inLombardia(t)

	res, page := b.do("GET", "/accedi", nil)
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") {
		t.Errorf("CSP %q allows inline code or another origin", csp)
	}
	if !strings.Contains(page, `lang="it"`) || !strings.Contains(page, "Accedi") {
		t.Errorf("sign-in page is not the Italian one:\n%s", page)
	}

	res = b.signIn("mrossi@lombardia")
	var session *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "raccordo_sessione" {
			session = c
		}
	}
	if session == nil {
		t.Fatalf("no session cookie in %v", res.Header["Set-Cookie"])
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie %q: want HttpOnly and SameSite=Strict", res.Header.Get("Set-Cookie"))
	}
	if session.Secure {
		t.Errorf("session cookie is Secure over plain HTTP: the browser would never send it back")
	}
}

// TestSessionCookieLastsAsItsToken: the session cookie lasts as long as
// the login token, counted from when the browser gets it (Max-Age), so a
// browser whose clock is a day off the server's keeps it. With Expires, the
// server's time of the token's expiry, the browser dropped it at once:
// the test servers' clocks stand in November 2026, behind the real one.
func TestSessionCookieLastsAsItsToken(t *testing.T) {
	t.Parallel()
	f, b, _ := inLombardia(t)
	f.Clock.Advance(-24 * time.Hour) // the browser's clock is a day ahead

	res := b.signIn("mrossi@lombardia")
	set := res.Header.Get("Set-Cookie")
	ttl := int(accounts.DefaultLoginTTL / time.Second)
	if !strings.Contains(set, fmt.Sprintf("Max-Age=%d", ttl)) || strings.Contains(set, "Expires=") {
		t.Errorf("session cookie %q: want Max-Age=%d and no Expires", set, ttl)
	}
	if res, _ := b.do("GET", "/", nil); res.StatusCode != http.StatusOK {
		t.Errorf("home page after signing in: status %d (%s), want 200: the browser dropped the cookie", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestSessionCookieOfATokenThatNeverExpires: a token whose WhoAmI answer
// names no expiry (the field is optional; every token the services sign
// today expires, so the application's connection drops the field here)
// opens a cookie of the browser's session, with neither Max-Age nor
// Expires. A Max-Age=0, or an Expires in the past (the Unix epoch of the
// absent time, as before Max-Age), had the browser drop the cookie at
// once: the next page asked to sign in again.
func TestSessionCookieOfATokenThatNeverExpires(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	base := appOver(t, f, func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		if me, ok := reply.(*famiv1.WhoAmIResponse); ok {
			me.ExpireTime = nil
		}
		return err
	})
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	res, err := browser.PostForm(base+"/accedi/token", url.Values{"token": {f.token(principal.Ministry, "")}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var set string
	for _, c := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "raccordo_sessione=") {
			set = c
		}
	}
	if res.StatusCode != http.StatusSeeOther || set == "" {
		t.Fatalf("sign-in with the token: status %d, Set-Cookie %q; want 303 and the session cookie", res.StatusCode, set)
	}
	if strings.Contains(set, "Max-Age") || strings.Contains(set, "Expires") {
		t.Errorf("session cookie %q: want neither Max-Age nor Expires (a cookie of the browser's session)", set)
	}
	res, err = browser.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("home page after signing in: status %d (%s), want 200: the browser dropped the cookie", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestSessionCookieSecureBehindTLSProxy: famid serves plain HTTP behind a
// proxy that ends TLS; the session cookie, a bearer token of the whole
// API, is Secure whenever the proxy says the browser came over HTTPS. It
// was Secure only when famid itself ended TLS, which it never does.
func TestSessionCookieSecureBehindTLSProxy(t *testing.T) {
	t.Parallel()
	f, _, _ := inLombardia(t)
	for _, hdr := range [][]string{
		{"X-Forwarded-Proto", "https"},
		{"Forwarded", `for=192.0.2.60;proto=https;by=203.0.113.43`},
	} {
		b := f.client(t)
		res, _ := b.do("POST", "/accedi", url.Values{"username": {"mrossi@lombardia"}, "password": {password}}, hdr...)
		var secure []string
		for _, c := range res.Cookies() {
			if c.Name == "raccordo_sessione" && c.Secure {
				secure = append(secure, c.Name)
			}
		}
		if res.StatusCode != http.StatusSeeOther || len(secure) != 1 {
			t.Errorf("sign-in with %s: %s: status %d, cookies %q; want a Secure session cookie", hdr[0], hdr[1], res.StatusCode, res.Header["Set-Cookie"])
		}
		res, _ = b.do("POST", "/esci", url.Values{"csrf": {b.csrf("/")}}, hdr...)
		if c := res.Header.Get("Set-Cookie"); !strings.Contains(c, "raccordo_sessione=;") || !strings.Contains(c, "Secure") {
			t.Errorf("sign-out with %s: clears the cookie with %q, want Secure", hdr[0], c)
		}
	}
}

func TestForgedPostWritesNothing(t *testing.T) {
	t.Parallel()
	f, b, network := inLombardia(t)
	b.signIn("mrossi@lombardia")
	token := b.csrf("/ore")

	cases := []struct {
		name string
		form url.Values
		hdr  []string
	}{
		{"no CSRF token", entryForm("", network), nil},
		{"wrong CSRF token", entryForm(token[:len(token)-2]+"xx", network), nil},
		{"cross-site origin", entryForm(token, network), []string{"Origin", "https://attacker.example", "Sec-Fetch-Site", "cross-site"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.form.Get("csrf") == "" {
				c.form.Del("csrf")
			}
			res, page := b.do("POST", "/ore", c.form, c.hdr...)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(page, "Accesso negato") {
				t.Errorf("forged POST: status %d, want 403 with the Italian forbidden page", res.StatusCode)
			}
			if n := len(f.entries("lombardia")); n != 0 {
				t.Errorf("forged POST wrote %d entries", n)
			}
		})
	}

	// The same form with the token is accepted: the refusal above was the
	// CSRF check, not a broken form.
	res, _ := b.do("POST", "/ore", entryForm(token, network))
	if res.StatusCode != http.StatusSeeOther || len(f.entries("lombardia")) != 1 {
		t.Fatalf("genuine POST: status %d, entries %d; want 303 and 1", res.StatusCode, len(f.entries("lombardia")))
	}
}

func TestHostileNamesRenderAsText(t *testing.T) {
	t.Parallel()
	const evil = "<script>alert(1)</script>"
	const escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
	f := startFamid(t)
	p := f.partner("lombardia", "evil", evil)
	network := f.network("lombardia", "rete-evil", evil, p)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	f.account("lombardia", "mrossi", evil, famiv1.Role_ROLE_CONSULTANT, "")
	c := f.client(t)
	c.signIn("mrossi@lombardia")
	c.do("POST", "/ore", entryForm(c.csrf("/ore"), network))
	b := f.client(t)
	b.signIn("admin@lombardia")
	id := lastID(f.entries("lombardia")[0].GetName())
	// The rejection's reason is shown to the consultant in the hours table.
	b.do("POST", "/approvazioni", url.Values{"csrf": {b.csrf("/")}, "voce": {id}, "azione": {"respingi"}, "reason": {evil}})
	for _, page := range []struct {
		who  *browserless
		path string
	}{{b, "/partner"}, {b, "/partner/evil"}, {b, "/reti"}, {c, "/ore?data=2026-11-20"}, {c, "/"}} {
		_, body := page.who.do("GET", page.path, nil)
		if strings.Contains(body, "<script>alert(1)") {
			t.Errorf("%s renders a name as markup", page.path)
		}
		if !strings.Contains(body, escaped) {
			t.Errorf("%s does not show the name as text", page.path)
		}
	}
}

func TestRevokedAccountSessionEndsAtOnce(t *testing.T) {
	t.Parallel()
	f, b, _ := inLombardia(t)
	b.signIn("mrossi@lombardia")
	if res, _ := b.do("GET", "/ore", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("before revocation: status %d, want 200", res.StatusCode)
	}
	_, err := famiv1.NewAuthServiceClient(f.conn).DeleteAccount(f.admin("lombardia"), &famiv1.DeleteAccountRequest{Name: "regions/lombardia/accounts/mrossi"})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := b.do("GET", "/ore", nil)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/accedi?") || !strings.Contains(loc, "dopo=%2Fore") {
		t.Fatalf("after revocation: status %d to %q, want 303 to the sign-in page returning to /ore", res.StatusCode, loc)
	}
}

func TestExpiredSessionReturnsWhereTheUserWasGoing(t *testing.T) {
	t.Parallel()
	f, b, _ := inLombardia(t)
	res, _ := b.do("GET", "/ore?vista=settimana", nil)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/accedi?") {
		t.Fatalf("no session: status %d to %q, want 303 to the sign-in page", res.StatusCode, loc)
	}
	u, _ := url.Parse(loc)
	next := u.Query().Get("dopo")
	res, _ = b.do("POST", "/accedi", url.Values{"username": {"mrossi@lombardia"}, "password": {password}, "dopo": {next}})
	if got := res.Header.Get("Location"); got != "/ore?vista=settimana" {
		t.Errorf("after signing in: redirect to %q, want /ore?vista=settimana", got)
	}
	// The session's token expires by the server's clock, moved past the
	// login's lifetime and the verifier's leeway: the browser still sends
	// the cookie, and is sent to sign in again, returning to the page.
	if res, _ := b.do("GET", "/ore?vista=settimana", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("signed in: status %d, want 200", res.StatusCode)
	}
	f.Clock.Advance(accounts.DefaultLoginTTL + time.Minute)
	res, _ = b.do("GET", "/ore?vista=settimana", nil)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/accedi?") || !strings.Contains(loc, "dopo=%2Fore%3Fvista%3Dsettimana") {
		t.Errorf("session expired: status %d to %q, want 303 to the sign-in page returning to /ore?vista=settimana", res.StatusCode, loc)
	}
	// A return address on another site is dropped.
	b2 := f.client(t)
	res, _ = b2.do("POST", "/accedi", url.Values{"username": {"mrossi@lombardia"}, "password": {password}, "dopo": {"//attacker.example/x"}})
	if got := res.Header.Get("Location"); got != "/" {
		t.Errorf("return address off-site: redirect to %q, want /", got)
	}
}

func TestFieldErrorsInItalianKeepInput(t *testing.T) {
	t.Parallel()
	f, b, network := inLombardia(t)
	b.signIn("mrossi@lombardia")
	form := entryForm(b.csrf("/ore"), network)
	form.Set("duration_minutes", "novanta")
	form.Set("notes", "Incontro con il tavolo")
	res, page := b.do("POST", "/ore", form)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", res.StatusCode)
	}
	for _, want := range []string{
		`id="f-duration_minutes-err">Indica la durata in minuti`,
		`aria-describedby="f-duration_minutes-hint f-duration_minutes-err" aria-invalid="true"`,
		`value="novanta"`, "Incontro con il tavolo", `value="20/11/2026"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := len(f.entries("lombardia")); n != 0 {
		t.Errorf("an invalid form wrote %d entries", n)
	}
}

// TestEntryNetworkThatNamesNoNetwork: an hours form whose network is
// text that names no network of the region (forged, or another region's)
// is shown again with the service's refusal at the field, nothing saved;
// it used to fail whole with a 400 page, the form's meetings having been
// asked for that network.
func TestEntryNetworkThatNamesNoNetwork(t *testing.T) {
	t.Parallel()
	f, b, _ := inLombardia(t)
	b.signIn("mrossi@lombardia")
	for _, network := range []string{"rete di Milano", "regions/veneto/networks/rete", "regions/lombardia/networks/nessuna"} {
		res, page := b.do("POST", "/ore", entryForm(b.csrf("/ore"), network))
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-network-err"`) {
			t.Errorf("network %q: status %d, want 422 with the error at the network", network, res.StatusCode)
		}
	}
	if n := len(f.entries("lombardia")); n != 0 {
		t.Errorf("a form naming no network wrote %d entries", n)
	}
}

func TestNotFoundAndOtherRegion(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	network := setupLombardia(f)
	f.account("veneto", "vbianchi", "Vera Bianchi", famiv1.Role_ROLE_CONSULTANT, "")
	lb := f.client(t)
	lb.signIn("mrossi@lombardia")
	lb.do("POST", "/ore", entryForm(lb.csrf("/ore"), network))
	id := f.entries("lombardia")[0].GetName()
	id = id[strings.LastIndexByte(id, '/')+1:]

	vb := f.client(t)
	vb.signIn("vbianchi@veneto")
	for _, path := range []string{"/ore/" + id, "/nessuna-pagina", "/storia?nome=regions/lombardia/supportEntries/" + id} {
		res, page := vb.do("GET", path, nil)
		if res.StatusCode != http.StatusNotFound || !strings.Contains(page, "Pagina non trovata") {
			t.Errorf("GET %s as a Veneto user: status %d, want 404 with the Italian not-found page", path, res.StatusCode)
		}
		if strings.Contains(page, "Bergamo") || strings.Contains(page, "lombardia/networks") {
			t.Errorf("GET %s as a Veneto user shows Lombardia data", path)
		}
	}
}

// TestSubmitOfADeletedEntrySaysNothingWasSaved: an entry open in two
// tabs, deleted in one, then saved and deleted again in the other: each
// submit is a 404 that says nothing was saved, the entry being gone; not
// the "page not found" of a page asked for, which the user had not asked
// for. Nothing comes back to life.
func TestSubmitOfADeletedEntrySaysNothingWasSaved(t *testing.T) {
	t.Parallel()
	f, c, network := withLoggedHours(t)
	id := resource.ID(f.entries("lombardia")[0].GetName())
	_, page := c.do("GET", "/ore/"+id, nil)
	etag := etagRE.FindStringSubmatch(page)[1]
	csrf := c.csrf("/ore")
	if res, _ := c.do("POST", "/ore/"+id+"/elimina", url.Values{"csrf": {csrf}, "etag": {etag}, "conferma": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: status %d, want 303", res.StatusCode)
	}
	edit := entryForm(csrf, network)
	edit.Set("etag", etag)
	edit.Set("duration_minutes", "120")
	for path, form := range map[string]url.Values{
		"/ore/" + id:              edit,
		"/ore/" + id + "/elimina": {"csrf": {csrf}, "etag": {etag}, "conferma": {"1"}},
	} {
		res, page := c.do("POST", path, form)
		if res.StatusCode != http.StatusNotFound || !strings.Contains(page, "Modifica non salvata") ||
			!strings.Contains(page, "può essere stato eliminato nel frattempo") {
			t.Errorf("POST %s of the deleted entry: status %d, want 404 saying nothing was saved: %s", path, res.StatusCode, page)
		}
	}
	if n := len(f.entries("lombardia")); n != 0 {
		t.Errorf("%d entries stored, want none", n)
	}
}

// TestFirstVisitIsLightAndLocal checks the sign-in page and what it loads:
// under 150 KB in all, nothing from another origin, static files cached.
func TestFirstVisitIsLightAndLocal(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	b := f.client(t)
	_, page := b.do("GET", "/accedi", nil)
	total := len(page)
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
	for _, m := range refs {
		ref := strings.ReplaceAll(m[1], "&amp;", "&")
		if !strings.HasPrefix(ref, "/") && !strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "//") {
			t.Errorf("the page refers to %q, not a path of this site", ref)
			continue
		}
		if !strings.HasPrefix(ref, "/static/") {
			continue
		}
		res, body := b.do("GET", ref, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: status %d, Cache-Control %q; want 200 and immutable", ref, res.StatusCode, res.Header.Get("Cache-Control"))
		}
		total += len(body)
	}
	if total > 150<<10 {
		t.Errorf("the first visit downloads %d bytes, want under 150 KB", total)
	}
}

// TestSessionCookieSecureUnderTLS serves the application over TLS (over a
// gRPC connection to the same famid) and checks the cookie is Secure.
func TestSessionCookieSecureUnderTLS(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupLombardia(f)
	app, err := web.New(f.conn, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(app)
	defer ts.Close()
	client := ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.PostForm(ts.URL+"/accedi", url.Values{"username": {"mrossi@lombardia"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var session *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "raccordo_sessione" {
			session = c
		}
	}
	if session == nil || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie over TLS: %q; want Secure, HttpOnly, SameSite=Strict", res.Header.Get("Set-Cookie"))
	}
}

// TestHostilePathValuesNameNothingElse sends path values that hold '/' or
// "..", escaped so that the router keeps each one segment, and aim at a
// resource of another collection or region. The page names its resource
// from the value as it is, and the service refuses the name: the status is
// the one of an invalid (or, for "..", a missing) name, a Veneto user sees
// nothing of Lombardia, and no write lands.
func TestHostilePathValuesNameNothingElse(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupMonitoring(f)
	f.account("veneto", "vadmin", "Vera Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	vb, lb := f.client(t), f.client(t)
	vb.signIn("vadmin@veneto")
	lb.signIn("admin@lombardia")

	// into climbs from the name's id to "regions/", as a path would.
	into := func(region, collection, id string) string {
		return url.PathEscape("x/../../../" + region + "/" + collection + "/" + id)
	}
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/partner/" + into("lombardia", "partners", "udp-milano"), http.StatusBadRequest},
		{"GET", "/reti/" + into("lombardia", "networks", "rete-milano"), http.StatusBadRequest},
		{"GET", "/reti/" + into("lombardia", "partners", "udp-milano"), http.StatusBadRequest},
		{"GET", "/progetti/" + into("lombardia", "projects", "lab-impact"), http.StatusBadRequest},
		{"GET", "/progetti/" + into("lombardia", "projects", "lab-impact") + "/monitoraggio", http.StatusBadRequest},
		{"GET", "/progetti/" + into("lombardia", "projects", "lab-impact") + "/monitoraggio/2021-q2", http.StatusBadRequest},
		{"GET", "/progetti/lab-impact/monitoraggio/" + url.PathEscape("x/../../../../../lombardia/projects/lab-impact/monitoringReports/2021-q2"), http.StatusBadRequest},
		{"GET", "/progetti/%2E%2E", http.StatusNotFound},
		{"GET", "/ore/" + into("lombardia", "supportEntries", "y"), http.StatusBadRequest},
		{"GET", "/incontri/" + into("lombardia", "meetings", "y"), http.StatusBadRequest},
		{"GET", "/protocolli/" + into("lombardia", "protocols", "y"), http.StatusBadRequest},
		{"GET", "/protocolli/" + into("lombardia", "protocols", "y") + "/modifica", http.StatusBadRequest},
		{"POST", "/account/" + into("lombardia", "accounts", "admin") + "/elimina", http.StatusUnprocessableEntity},
		{"POST", "/account/" + into("veneto", "accounts", "vadmin") + "/elimina", http.StatusUnprocessableEntity},
		{"POST", "/token/" + into("lombardia", "serviceTokens", "y") + "/revoca", http.StatusUnprocessableEntity},
		{"POST", "/calendario/" + into("lombardia", "calendarTokens", "y") + "/revoca", http.StatusUnprocessableEntity},
		{"POST", "/periodi/" + into("lombardia", "closedPeriods", "y") + "/riapri", http.StatusUnprocessableEntity},
		{"POST", "/incontri/" + into("lombardia", "meetings", "y") + "/annulla", http.StatusBadRequest},
		{"POST", "/ore/" + into("lombardia", "supportEntries", "y") + "/elimina", http.StatusForbidden},
		{"POST", "/progetti/" + into("lombardia", "projects", "lab-impact") + "/proroga", http.StatusBadRequest},
	} {
		for _, b := range []*browserless{vb, lb} {
			var form url.Values
			if c.method == "POST" {
				form = extension(b.csrf("/ore"))
				form.Set("conferma", "1") // the deletions and the extension ask first
			}
			res, page := b.do(c.method, c.path, form)
			if res.StatusCode != c.status {
				t.Errorf("%s %s: status %d, want %d", c.method, c.path, res.StatusCode, c.status)
			}
			if b == vb && (strings.Contains(page, "Milano") || strings.Contains(page, "PROG-2463")) {
				t.Errorf("%s %s as a Veneto user shows Lombardia data", c.method, c.path)
			}
		}
	}
	vb.signIn("vadmin@veneto")
	lb.signIn("admin@lombardia")
	if page := lb.wantPage("/progetti/lab-impact", http.StatusOK, "31/12/2021"); strings.Contains(page, "31/12/2030") {
		t.Error("a hostile path value extended lab-impact")
	}
	// The same extension, on the project's own path, is taken.
	confirmed := extension(lb.csrf("/ore"))
	confirmed.Set("conferma", "1")
	if res, _ := lb.do("POST", "/progetti/lab-impact/proroga", confirmed); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("extend lab-impact: status %d, want 303", res.StatusCode)
	}
	lb.wantPage("/progetti/lab-impact", http.StatusOK, "31/12/2030")
}

// extension is the form of a project's extension to the end of 2030.
func extension(csrf string) url.Values {
	return url.Values{"csrf": {csrf}, "ext_end_date": {"31/12/2030"}, "ext_act_reference": {"DGR 1/2021"}, "ext_granted_on": {"01/12/2021"}}
}

// TestHostileTextSaysWhatIsWrong types, into a partner's name, what no
// name may hold: bytes that are not UTF-8, control characters, a
// direction override, and more than the longest name. Each is refused
// next to the field, in words that say what is wrong with the text; the
// field's own hint ("Indica la denominazione.") said before that the
// name was missing.
func TestHostileTextSaysWhatIsWrong(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	b := f.adminIn(t)
	csrf := b.csrf("/partner/nuovo")
	for name, c := range map[string]struct{ value, want string }{
		"not UTF-8":   {"Coop\xffSociale", "caratteri di controllo o non validi"},
		"a control":   {"Coop\x01Sociale", "caratteri di controllo o non validi"},
		"a NUL":       {"Coop\x00Sociale", "caratteri di controllo o non validi"},
		"an override": {"Coop\u202eelaicoS", "cambia la direzione della scrittura"},
		"too long":    {strings.Repeat("Coop ", 1000), "troppo lungo"},
	} {
		res, page := b.do("POST", "/partner", url.Values{"csrf": {csrf}, "partner_id": {"coop"}, "display_name": {c.value}, "kind": {"PARTNER_KIND_OTHER"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !regexp.MustCompile(`id="f-display_name-err">[^<]*`+c.want).MatchString(page) {
			t.Errorf("a name with %s: status %d; want 422 saying %q at the name", name, res.StatusCode, c.want)
		}
	}
	if _, err := famiv1.NewPartnerServiceClient(f.conn).GetPartner(f.admin("lombardia"), &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/coop"}); err == nil {
		t.Error("a refused name was saved")
	}
}

// TestFormsThatDoNotReadAreNamed posts bodies that are no form of the
// application's: too large for the HTTP port, multipart, plain text, and
// a form whose escapes do not decode. Each is answered with what is wrong
// with it; before, each read as an empty form whose missing CSRF token
// answered 403 "Accesso negato" (and the multipart body was parsed
// first).
func TestFormsThatDoNotReadAreNamed(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	b := f.adminIn(t)
	csrf := url.Values{"csrf": {b.csrf("/partner/nuovo")}}.Encode()
	for _, c := range []struct {
		name, path, contentType, body string
		status                        int
		want                          string
	}{
		{"too large", "/partner", "application/x-www-form-urlencoded", csrf + "&display_name=" + strings.Repeat("a", 5<<20), http.StatusRequestEntityTooLarge, "Modulo troppo grande"},
		{"multipart", "/partner", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + csrf[5:] + "\r\n--x--\r\n", http.StatusUnsupportedMediaType, "Modulo non leggibile"},
		{"plain text", "/partner", "text/plain", csrf, http.StatusUnsupportedMediaType, "Modulo non leggibile"},
		{"bad escape", "/partner", "application/x-www-form-urlencoded", csrf + "&display_name=%zz", http.StatusBadRequest, "Modulo non leggibile"},
		{"sign-in too large", "/accedi", "application/x-www-form-urlencoded", "username=" + strings.Repeat("a", 5<<20), http.StatusRequestEntityTooLarge, "Modulo troppo grande"},
		{"sign-out multipart", "/esci", "multipart/form-data; boundary=x", "--x--\r\n", http.StatusUnsupportedMediaType, "Modulo non leggibile"},
	} {
		req, _ := http.NewRequest("POST", f.url(c.path), strings.NewReader(c.body))
		req.Header.Set("Content-Type", c.contentType)
		res, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.status || !strings.Contains(string(page), c.want) {
			t.Errorf("%s: status %d; want %d saying %q", c.name, res.StatusCode, c.status, c.want)
		}
	}
}

// TestForgedSignInRefused posts the sign-in forms as a page of another
// site does from a sandboxed frame, or a data: page, on a browser without
// Fetch metadata: with an opaque "null" Origin. Neither form carries a
// CSRF token (there is no session yet), so the origin is their only
// guard: the victim would be signed in as the attacker, and what they
// then type would land in the attacker's account. The check let "null"
// through.
func TestForgedSignInRefused(t *testing.T) {
	t.Parallel()
	f, _, _ := inLombardia(t)
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{"/accedi/token", url.Values{"token": {f.token(principal.Consultant, "lombardia")}}},
		{"/accedi", url.Values{"username": {"mrossi@lombardia"}, "password": {password}}},
	} {
		b := f.client(t)
		res, page := b.do("POST", c.path, c.form, "Origin", "null")
		if res.StatusCode != http.StatusForbidden || !strings.Contains(page, "Accesso negato") || len(res.Cookies()) != 0 {
			t.Errorf("%s from an opaque origin: status %d, %d cookies set; want 403 and no session", c.path, res.StatusCode, len(res.Cookies()))
		}
		// From this site's own origin, the same form signs in.
		if res, _ := b.do("POST", c.path, c.form, "Origin", f.URL(), "Sec-Fetch-Site", "same-origin"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("%s from the site itself: status %d, want 303", c.path, res.StatusCode)
		}
	}
}
