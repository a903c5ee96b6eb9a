package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestBrowserSignOutEndsTheSession: "Esci" revokes the session's token on
// the server, so a copy of the cookie taken before it no longer opens a
// page. Signing out used to clear the cookie in the browser only, and the
// copy kept working until the token expired.
func TestBrowserSignOutEndsTheSession(t *testing.T) {
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
