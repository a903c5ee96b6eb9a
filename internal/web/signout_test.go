package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestBrowserSignOutEndsTheSession: "Esci" revokes the session's token on
// the server, so a copy of the cookie taken before it no longer opens a
// page. Signing out used to clear the cookie in the browser only, and the
// copy kept working until the token expired.
func TestBrowserSignOutEndsTheSession(t *testing.T) {
	t.Parallel()
	f, _, _ := inLombardia(t)
	b := newBrowser(t, f)
	b.signIn("mrossi@lombardia")
	copied := b.sessionCookie()
	thief := f.client(t)
	open := func() *http.Response {
		t.Helper()
		res, _ := thief.do("GET", "/", nil, "Cookie", "raccordo_sessione="+copied)
		return res
	}
	if res := open(); res.StatusCode != http.StatusOK {
		t.Fatalf("the copied cookie before sign-out: status %d, want 200", res.StatusCode)
	}
	b.signOut()
	b.wantText("main", "Sei uscito da Raccordo.")
	res := open()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/accedi") {
		t.Errorf("the copied cookie after sign-out: status %d to %q, want 303 to the sign-in page", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestSignOutWhenTheServerCannotRevoke: when Logout fails (here the
// service token's record, which Logout marks revoked, fails its checksum),
// "Esci" still forgets the session in this browser and says plainly that
// the server did not close it: a copy of the cookie keeps working until
// the token expires. The page must not claim a sign-out it did not get.
func TestSignOutWhenTheServerCannotRevoke(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	created, err := famiv1.NewAuthServiceClient(f.conn).CreateServiceToken(f.admin("lombardia"),
		&famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: "siage", DisplayName: "MARKER-token"})
	if err != nil {
		t.Fatalf("CreateServiceToken: %v", err)
	}
	b := f.client(t)
	if res, _ := b.do("POST", "/accedi/token", url.Values{"token": {created.GetToken()}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("token sign-in: status %d, want 303", res.StatusCode)
	}
	csrf := b.csrf("/")
	bolttest.DamageSystem(t, f.DataDir, "MARKER-token")

	res, _ := b.do("POST", "/esci", url.Values{"csrf": {csrf}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/accedi" {
		t.Fatalf("sign-out: status %d to %q, want 303 to the sign-in page", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := b.do("GET", "/", nil); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/accedi") {
		t.Errorf("this browser after sign-out: status %d to %q, want 303 to the sign-in page (cookie cleared)", res.StatusCode, res.Header.Get("Location"))
	}
	_, page := b.do("GET", res.Header.Get("Location"), nil)
	for _, want := range []string{"Sei uscito da Raccordo in questo browser", "fino alla sua scadenza"} {
		if !strings.Contains(page, want) {
			t.Errorf("the sign-in page after a failed revocation lacks %q", want)
		}
	}
	copied := f.client(t)
	if res, _ := copied.do("GET", "/", nil, "Cookie", "raccordo_sessione="+created.GetToken()); res.StatusCode != http.StatusOK {
		t.Errorf("a copy of the session after the failed revocation: status %d, want 200 (the notice says it stays valid)", res.StatusCode)
	}
}

// TestFormSentAfterTheSessionEndedSaysNothingWasSaved: a form sent once
// its session is over, signed out in another tab or expired while it was
// being filled, saved nothing, and the sign-in page says so. Before, it
// said nothing (no cookie) or only that the session had expired, and then
// brought the user back to the form's page empty, as after a save.
func TestFormSentAfterTheSessionEndedSaysNothingWasSaved(t *testing.T) {
	t.Parallel()
	f, c, network := inLombardia(t)
	sendAndWantNotice := func(how string) {
		t.Helper()
		c.signIn("mrossi@lombardia")
		form := entryForm(c.csrf("/ore"), network)
		switch how {
		case "signed out in another tab":
			if res, _ := c.do("POST", "/esci", url.Values{"csrf": {form.Get("csrf")}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign out: status %d, want 303", res.StatusCode)
			}
		case "expired while filling the form":
			f.Clock.Advance(2 * time.Hour)
		}
		// The sign-in page answers in place of the form's (it keeps what
		// the form sent: resend_test.go).
		res, page := c.do("POST", "/ore", form, "Referer", f.url("/ore"))
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `action="/accedi"`) {
			t.Fatalf("%s, the form sent: status %d (Location %q), want the sign-in page", how, res.StatusCode, res.Header.Get("Location"))
		}
		if !strings.Contains(page, "quanto hai inviato non è stato salvato") {
			t.Errorf("%s, the sign-in page does not say that the form was not saved", how)
		}
		if n := len(f.entries("lombardia")); n != 0 {
			t.Errorf("%s, %d entries saved", how, n)
		}
	}
	sendAndWantNotice("signed out in another tab")
	sendAndWantNotice("expired while filling the form")
}

// TestSignOutInTheSecondTab: "Esci" pressed in a tab left open after
// signing out in another shows the sign-in page as signed out. The
// browser's cookie went with the first sign-out, and the second answered
// "Accesso negato".
func TestSignOutInTheSecondTab(t *testing.T) {
	t.Parallel()
	_, c, _ := inLombardia(t)
	c.signIn("mrossi@lombardia")
	csrf := c.csrf("/")
	for _, tab := range []string{"first", "second"} {
		res, _ := c.do("POST", "/esci", url.Values{"csrf": {csrf}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/accedi" {
			t.Errorf("sign-out in the %s tab: status %d to %q, want 303 to the sign-in page", tab, res.StatusCode, res.Header.Get("Location"))
		}
		if _, page := c.do("GET", "/accedi", nil); !strings.Contains(page, "Sei uscito da Raccordo.") {
			t.Errorf("the sign-in page after signing out in the %s tab does not say so", tab)
		}
	}
}
