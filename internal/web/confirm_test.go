package web_test

import (
	"context"
	"html"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestConfirmationsWithoutScript: every action a page asks about first
// (data-confirm) asks without JavaScript too. The page's form posted as a
// browser without the script posts it does nothing and answers a page with
// the same question, a "Conferma" button and a way back; that page's form
// does the action. Before, such a POST acted at once: only app.js asked.
func TestConfirmationsWithoutScript(t *testing.T) {
	f, consultant, _ := withLoggedHours(t)
	admin := f.client(t)
	admin.signIn("admin@lombardia")
	f.account("lombardia", "lverdi", "Luca Verdi", famiv1.Role_ROLE_CONSULTANT, "")
	auth := famiv1.NewAuthServiceClient(f.conn)
	if _, err := auth.CreateServiceToken(f.admin("lombardia"), &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: "siage"}); err != nil {
		t.Fatalf("CreateServiceToken: %v", err)
	}
	cpia := f.partner("lombardia", "cpia-bergamo", "CPIA Bergamo")
	udp := "regions/lombardia/partners/udp-bergamo"
	pact := f.network("lombardia", "rete-patto", "Rete del patto", udp, cpia)
	protocols := famiv1.NewProtocolServiceClient(f.conn)
	p, err := protocols.CreateProtocol(f.admin("lombardia"), &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", Protocol: &famiv1.Protocol{
		Network: pact, Title: "Protocollo UdP-CPIA", Body: "Art. 1 - Le parti collaborano.", ValidFrom: "2025-01-01",
		Parties: []*famiv1.Party{{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: cpia, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}})
	if err != nil {
		t.Fatalf("CreateProtocol: %v", err)
	}
	entry := "/ore/" + lastID(f.entries("lombardia")[0].GetName())
	protocol := "/protocolli/" + lastID(p.GetName())

	for _, c := range []struct {
		name   string
		as     *browserless
		page   string
		action *regexp.Regexp
		done   func() bool
	}{
		{"entry", consultant, entry, regexp.MustCompile(`^/ore/[^/]+/elimina$`), func() bool { return len(f.entries("lombardia")) == 0 }},
		{"protocol", admin, protocol, regexp.MustCompile(`/apri$`), func() bool {
			got, err := protocols.GetProtocol(f.admin("lombardia"), &famiv1.GetProtocolRequest{Name: p.GetName()})
			return err == nil && got.GetState() == famiv1.ProtocolState_PROTOCOL_STATE_OPEN_FOR_SIGNATURE
		}},
		{"account", admin, "/account", regexp.MustCompile(`^/account/lverdi/elimina$`), func() bool {
			_, err := auth.GetAccount(f.admin("lombardia"), &famiv1.GetAccountRequest{Name: "regions/lombardia/accounts/lverdi"})
			return err != nil
		}},
		{"token", admin, "/account", regexp.MustCompile(`^/token/[^/]+/revoca$`), func() bool {
			listed, err := auth.ListServiceTokens(f.admin("lombardia"), &famiv1.ListServiceTokensRequest{Parent: "regions/lombardia"})
			return err == nil && listed.GetServiceTokens()[0].GetState() == famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_REVOKED
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, page := c.as.do("GET", c.page, nil)
			var action, question string
			for _, m := range regexp.MustCompile(`<form method="post" action="([^"]*)"[^>]*data-confirm="([^"]*)"`).FindAllStringSubmatch(page, -1) {
				if c.action.MatchString(m[1]) {
					action, question = m[1], html.UnescapeString(m[2])
				}
			}
			if action == "" {
				t.Fatalf("%s has no form asking first that matches %s", c.page, c.action)
			}
			sent := formValues(t, page, action)
			if sent.Has("conferma") {
				t.Fatalf("the page's form is confirmed before anyone answered: %v", sent)
			}
			// What the form sent comes back as text, a forged value too.
			sent.Set("forged", evil)
			res, asked := c.as.do("POST", action, sent)
			if res.StatusCode != http.StatusOK || c.done() {
				t.Fatalf("posted without the script: status %d, done %v; want 200 and nothing done", res.StatusCode, c.done())
			}
			if !strings.Contains(html.UnescapeString(asked), question) || !strings.Contains(asked, ">Conferma</button>") {
				t.Errorf("the confirmation page does not ask %q with a «Conferma» button:\n%s", question, asked)
			}
			if !strings.Contains(asked, `href="`+c.page+`">Annulla</a>`) {
				t.Errorf("the confirmation page does not lead back to %s", c.page)
			}
			if strings.Contains(asked, evil) || !strings.Contains(asked, `name="forged" value="`+evilEscaped+`"`) {
				t.Errorf("the confirmation page does not send the forged field back escaped")
			}
			again := formValues(t, asked, action)
			for name := range sent {
				if name != "csrf" && again.Get(name) != sent.Get(name) {
					t.Errorf("the confirmation's form sends %s=%q, the page's sent %q", name, again.Get(name), sent.Get(name))
				}
			}
			if res, page := c.as.do("POST", action, again); res.StatusCode != http.StatusSeeOther || !c.done() {
				t.Errorf("confirmed: status %d, done %v; want 303 and done\n%s", res.StatusCode, c.done(), page)
			}
		})
	}
}

// TestBrowserConfirmsWithoutScript: in a browser that runs no script,
// "Revoca" leads to the confirmation page (checked by axe), which leaves the
// token active until its «Conferma» is pressed.
func TestBrowserConfirmsWithoutScript(t *testing.T) {
	f := startFamid(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	auth := famiv1.NewAuthServiceClient(f.conn)
	if _, err := auth.CreateServiceToken(f.admin("lombardia"), &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: "siage"}); err != nil {
		t.Fatalf("CreateServiceToken: %v", err)
	}
	revoked := func() bool {
		listed, err := auth.ListServiceTokens(f.admin("lombardia"), &famiv1.ListServiceTokensRequest{Parent: "regions/lombardia"})
		if err != nil {
			t.Fatal(err)
		}
		return listed.GetServiceTokens()[0].GetState() == famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_REVOKED
	}
	b := newBrowser(t, f)
	var accept atomic.Bool
	asked := b.answerDialogs(&accept)
	b.signIn("admin@lombardia")
	scripts := func(off bool) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off})
			return err
		})
	}
	b.run("revoke without scripts", scripts(true), chromedp.Navigate(f.url("/account")), chromedp.WaitReady(chromedp.CSS("main")),
		chromedp.Click(chromedp.CSS(`form[action^="/token/"] button`)), chromedp.WaitVisible(chromedp.CSS("#confirm-question")))
	// axe is a script: the page is checked with scripts back on.
	b.run("scripts on for axe", scripts(false))
	b.check("conferma-revoca")
	b.wantText("#confirm-question", "non potrà più accedere")
	if revoked() {
		t.Fatal("the token was revoked before the confirmation was answered")
	}
	b.run("confirm", chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`main .alert.success`)))
	b.wantText("main .alert.success", "Token revocato.")
	if !revoked() {
		t.Error("confirmed, the token is still active")
	}
	if got := asked(); len(got) != 0 {
		t.Errorf("a browser without scripts showed dialogs %q", got)
	}
}
