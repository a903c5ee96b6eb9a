package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

func TestAccountsAndServiceTokens(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	a := f.adminIn(t)

	form := url.Values{"csrf": {a.csrf("/account")}, "account_id": {"mrossi"}, "display_name": {"Mario Rossi"}, "role": {"ROLE_CONSULTANT"}, "password": {"corta"}}
	res, page := a.do("POST", "/account", form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-password-err"`) || strings.Contains(page, `value="corta"`) {
		t.Errorf("short password: status %d; want 422 with the error at the password, which is not sent back", res.StatusCode)
	}
	form.Set("password", password)
	if res, _ = a.do("POST", "/account", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create account: status %d", res.StatusCode)
	}
	c := f.client(t)
	c.signIn("mrossi@lombardia")
	if res, _ = c.do("GET", "/ore", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the new consultant cannot open the hours page: status %d", res.StatusCode)
	}
	// A new password ends the sessions opened with the old one.
	if res, _ = a.do("POST", "/account/mrossi/password", url.Values{"csrf": {a.csrf("/account")}, "password": {"un'altra password lunga"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set password: status %d", res.StatusCode)
	}
	if res, _ = c.do("GET", "/ore", nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a session survived the password change: status %d", res.StatusCode)
	}

	_, page = a.do("POST", "/token", url.Values{"csrf": {a.csrf("/account")}, "tok_system_id": {"siage"}, "tok_display_name": {"SIAGE"}})
	m := regexp.MustCompile(`id="issued-token">([^<]+)<`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the new service token is not shown")
	}
	if _, again := a.do("GET", "/account", nil); strings.Contains(again, m[1]) {
		t.Errorf("the service token is shown again")
	}
	whoami := func() int {
		req, _ := http.NewRequest("GET", f.url("/v1/regions/lombardia/partners"), nil)
		req.Header.Set("Authorization", "Bearer "+m[1])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := whoami(); got != http.StatusOK {
		t.Fatalf("the service token does not work: status %d", got)
	}
	_, page = a.do("GET", "/account", nil)
	rev := regexp.MustCompile(`action="(/token/[^/]+/revoca)"`).FindStringSubmatch(page)
	if rev == nil {
		t.Fatalf("no revoke form")
	}
	if res, _ = a.do("POST", rev[1], url.Values{"csrf": {a.csrf("/account")}, "conferma": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: status %d", res.StatusCode)
	}
	if got := whoami(); got != http.StatusUnauthorized {
		t.Errorf("a revoked service token still works: status %d", got)
	}
}

// TestServiceTokenStates: the accounts page shows each service token's
// state as the service derives it, and offers to revoke only an active
// one: an expired token, never revoked, has no "Revoca" button.
func TestServiceTokenStates(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	tokens := famiv1.NewAuthServiceClient(f.conn)
	issue := func(system string, ttl int64) *famiv1.ServiceToken {
		res, err := tokens.CreateServiceToken(f.admin("lombardia"), &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: system, TtlSeconds: ttl})
		if err != nil {
			t.Fatalf("CreateServiceToken %s: %v", system, err)
		}
		return res.GetServiceToken()
	}
	expired := issue("scaduto", 1)
	active := issue("attivo", 0)
	revoked := issue("revocato", 0)
	if _, err := tokens.RevokeServiceToken(f.admin("lombardia"), &famiv1.RevokeServiceTokenRequest{Name: revoked.GetName()}); err != nil {
		t.Fatalf("RevokeServiceToken: %v", err)
	}
	stateOf := func(tok *famiv1.ServiceToken) famiv1.ServiceTokenState {
		listed, err := tokens.ListServiceTokens(f.admin("lombardia"), &famiv1.ListServiceTokensRequest{Parent: "regions/lombardia"})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range listed.GetServiceTokens() {
			if l.GetName() == tok.GetName() {
				return l.GetState()
			}
		}
		t.Fatalf("%s is not listed", tok.GetName())
		return 0
	}
	// The service reports the token EXPIRED once its second has passed
	// and the verifier's clock leeway with it (half a minute), not before:
	// the server's clock is moved past both instead of waited for.
	if got := stateOf(expired); got != famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_ACTIVE {
		t.Fatalf("the short-lived token is %v before its expiry, want ACTIVE", got)
	}
	f.Clock.Advance(time.Second + 30*time.Second + time.Second)
	if got := stateOf(expired); got != famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_EXPIRED {
		t.Fatalf("the short-lived token is %v once its second and the leeway have passed, want EXPIRED", got)
	}

	a := f.client(t)
	a.signIn("admin@lombardia")
	_, page := a.do("GET", "/account", nil)
	for _, c := range []struct {
		tok   *famiv1.ServiceToken
		state string
		form  bool
	}{{expired, "Scaduto", false}, {active, "Attivo", true}, {revoked, "Revocato il", false}} {
		// The row names the system by the id the admin gave it, without
		// the subject's "system:".
		row := regexp.MustCompile(`(?s)<tr><td data-label="Sistema">` + regexp.QuoteMeta(strings.TrimPrefix(c.tok.GetSubject(), "system:")) + `</td>.*?</tr>`).FindString(page)
		if row == "" {
			t.Errorf("no row for %s", c.tok.GetSubject())
			continue
		}
		if !strings.Contains(row, c.state) {
			t.Errorf("the row of %s does not say %q: %s", c.tok.GetSubject(), c.state, row)
		}
		if got := strings.Contains(row, `/revoca"`); got != c.form {
			t.Errorf("the row of %s offers to revoke: %v, want %v", c.tok.GetSubject(), got, c.form)
		}
	}
}

// TestBrowserRevokingATokenAsksFirst: "Revoca" cuts a regional system off
// for good, so the browser asks first, saying so; a user who answers no
// leaves the token active. It used to revoke at the first click, a button
// away from the accounts' "Elimina", which always asked.
func TestBrowserRevokingATokenAsksFirst(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	tokens := famiv1.NewAuthServiceClient(f.conn)
	if _, err := tokens.CreateServiceToken(f.admin("lombardia"), &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: "siage"}); err != nil {
		t.Fatalf("CreateServiceToken: %v", err)
	}
	state := func() famiv1.ServiceTokenState {
		t.Helper()
		listed, err := tokens.ListServiceTokens(f.admin("lombardia"), &famiv1.ListServiceTokensRequest{Parent: "regions/lombardia"})
		if err != nil || len(listed.GetServiceTokens()) != 1 {
			t.Fatalf("ListServiceTokens: %v, %d tokens", err, len(listed.GetServiceTokens()))
		}
		return listed.GetServiceTokens()[0].GetState()
	}
	b := newBrowser(t, f)
	b.signIn("admin@lombardia")
	b.open("/account", "account-token")
	askedFirst(b, "revoke", chromedp.Click(chromedp.CSS(`form[action^="/token/"] button`)),
		"Revocare il token? Il sistema che lo usa non potrà più accedere", state,
		famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_ACTIVE, `main .alert.success`, famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_REVOKED)
	b.wantText("main .alert.success", "Token revocato.")
}

// TestAccountsPageReadsItsPartners: in a region of 120 partners, the
// accounts page names each listed account's partner and offers the new
// account's partner as a typed search whose datalist holds a bounded page
// (50) of them, read in one call, where it read every partner into a
// select. A partner typed by its name resolves on submit; a name of no
// partner, hostile text included, is refused at the field, nothing saved.
func TestAccountsPageReadsItsPartners(t *testing.T) {
	t.Parallel()
	f, base, reads, token := adminApp(t)
	f.partners("lombardia", 120, func(i int) (string, string) { return fmt.Sprintf("p%03d", i), fmt.Sprintf("Comune %03d", i) })
	f.account("lombardia", "anna", "Anna Bianchi", famiv1.Role_ROLE_NETWORK_MEMBER, "regions/lombardia/partners/p117")

	reads.reset()
	page := fetch(t, base+"/account", token)
	if n := strings.Count(datalist(page, "partner-list"), "<option "); n != 50 {
		t.Errorf("the new account's partner offers %d choices, want a page of 50", n)
	}
	if strings.Contains(page, `<select id="f-partner"`) {
		t.Error("the new account's partner is still a select of every partner")
	}
	if n := reads.of("ListPartners"); n != 1 {
		t.Errorf("the accounts page listed partners %d times, want once", n)
	}
	if !strings.Contains(page, `<td data-label="Ente (per il personale di rete)">Comune 117</td>`) {
		t.Error("the accounts page does not name Anna's partner, Comune 117")
	}

	a := f.client(t)
	a.signIn("admin@lombardia")
	form := url.Values{"csrf": {a.csrf("/account")}, "account_id": {"bruno"}, "display_name": {"Bruno Verdi"}, "role": {"ROLE_NETWORK_MEMBER"},
		"password": {password}}
	for _, typed := range []string{"Comune 999", "<script>alert(1)</script>", "Comune\x00 001"} {
		form.Set("partner", typed)
		res, page := a.do("POST", "/account", form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-partner-err">Ente (per il personale di rete): nessun partner`) {
			t.Errorf("partner %q: status %d, want 422 with the error at the partner", typed, res.StatusCode)
		}
		if strings.Contains(page, "<script>alert") || strings.Contains(page, `value="`+password+`"`) {
			t.Errorf("partner %q: the page shows the hostile text unescaped or the password", typed)
		}
	}
	if _, err := famiv1.NewAuthServiceClient(f.conn).GetAccount(f.admin("lombardia"), &famiv1.GetAccountRequest{Name: "regions/lombardia/accounts/bruno"}); err == nil {
		t.Error("an account refused at its partner was saved")
	}
	form.Set("partner", " comune  042 ")
	if res, page := a.do("POST", "/account", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create with a partner typed by name: status %d\n%s", res.StatusCode, page)
	}
	acc, err := famiv1.NewAuthServiceClient(f.conn).GetAccount(f.admin("lombardia"), &famiv1.GetAccountRequest{Name: "regions/lombardia/accounts/bruno"})
	if err != nil || acc.GetPartner() != "regions/lombardia/partners/p042" {
		t.Errorf("Bruno's partner is %q (%v), want p042", acc.GetPartner(), err)
	}
}

// TestServiceTokenLimitOnTheForm: a system's 21st live service token is
// refused as the state of its tokens (TOO_MANY_TOKENS). The token form
// says so in Italian, with the limit (the error's metadata), and what to
// do (revoke one no longer used), keeping what was typed; it said only
// that the state did not allow it.
func TestServiceTokenLimitOnTheForm(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	auth := famiv1.NewAuthServiceClient(f.conn)
	for i := range 20 {
		if _, err := auth.CreateServiceToken(f.admin("lombardia"), &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: "siage"}); err != nil {
			t.Fatalf("service token %d: %v", i+1, err)
		}
	}
	a := f.client(t)
	a.signIn("admin@lombardia")
	res, page := a.do("POST", "/token", url.Values{"csrf": {a.csrf("/account")}, "tok_system_id": {"siage"}, "tok_display_name": {"SIAGE di prova"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("the 21st token: status %d, want 422 with the form again", res.StatusCode)
	}
	for _, want := range []string{"Questo sistema ha già 20 token di servizio attivi", "Revoca un token che non si usa più", `value="siage"`, `value="SIAGE di prova"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the refused token's page lacks %q", want)
		}
	}
}
