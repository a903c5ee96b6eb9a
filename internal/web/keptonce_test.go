package web_test

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestKeptFormHeldOnceInThePage: a form within the bound (128 KiB
// URL-encoded) made of the characters escaping grows most ("&", "+",
// "=") is held once in the sign-in page that answers it, which stays
// within 4/3 of the bound, and either way of signing in (a password, or
// a token sent with the Enter key, which presses the form's first
// button) carries it to the send-again page. It was held in each of the
// page's two forms, escaped: a page of about ten times the bound.
func TestKeptFormHeldOnceInThePage(t *testing.T) {
	t.Parallel()
	f, c, network := inLombardia(t)
	c.signIn("mrossi@lombardia")
	form := entryForm(c.csrf("/ore"), network)
	if res, _ := c.do("POST", "/esci", url.Values{"csrf": {form.Get("csrf")}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: status %d, want 303", res.StatusCode)
	}
	form.Set("notes", strings.Repeat("&+= ", 125<<10/10)) // each 4 bytes URL-encoded as 10
	if n := len(form.Encode()); n > 128<<10 || n < 120<<10 {
		t.Fatalf("the form is %d bytes URL-encoded, want just within the bound", n)
	}
	_, page := c.do("POST", "/ore", form)
	if n := strings.Count(page, `name="ripresa"`); n != 1 {
		t.Fatalf("the sign-in page holds the form %d times, want once", n)
	}
	if len(page) > 128<<10*4/3+16<<10 {
		t.Errorf("the sign-in page is %d bytes, want at most 4/3 of the bound and the page around it", len(page))
	}
	kept := keptFields(t, page)
	login, err := famiv1.NewAuthServiceClient(f.conn).Login(t.Context(), &famiv1.LoginRequest{Username: "mrossi@lombardia", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	for _, how := range []url.Values{
		{"username": {"mrossi@lombardia"}, "password": {password}},
		{"token": {login.GetToken()}},
	} {
		signIn := url.Values{}
		maps.Copy(signIn, how)
		maps.Copy(signIn, kept)
		res, page := f.client(t).do("POST", "/accedi", signIn)
		if res.StatusCode != http.StatusOK || !strings.Contains(page, "Invia di nuovo il modulo") || strings.Contains(page, "Modulo non ripreso") ||
			strings.Count(page, `name="notes"`) != 1 {
			t.Errorf("a sign-in with %s carrying the form: status %d, want the page that sends it again with the notes", slices.Sorted(maps.Keys(how)), res.StatusCode)
		}
	}
}
