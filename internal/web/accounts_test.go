package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

func TestAccountsAndServiceTokens(t *testing.T) {
	f := startFamid(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	a := f.client(t)
	a.signIn("admin@lombardia")

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
	if res, _ = a.do("POST", rev[1], url.Values{"csrf": {a.csrf("/account")}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: status %d", res.StatusCode)
	}
	if got := whoami(); got != http.StatusUnauthorized {
		t.Errorf("a revoked service token still works: status %d", got)
	}
}
