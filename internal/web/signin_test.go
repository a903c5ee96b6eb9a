package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestSignInWithAWrongPassword: a wrong password, or an unknown username,
// gets the form again saying so, with the username typed kept and the
// password not. It used to redirect to the sign-in page saying the session
// had expired.
func TestSignInWithAWrongPassword(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	f.account("lombardia", "anna", "Anna Bianchi", famiv1.Role_ROLE_CONSULTANT, "")
	for _, username := range []string{"anna@lombardia", "nessuno@lombardia"} {
		res, page := f.client(t).do("POST", "/accedi", url.Values{"username": {username}, "password": {"not the password"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Nome utente o password non corretti.") ||
			!strings.Contains(page, `value="`+username+`"`) || strings.Contains(page, "not the password") || strings.Contains(page, "sessione è scaduta") {
			t.Errorf("sign-in of %s with a wrong password: status %d (Location %q), want 422 and the form saying the username or password is wrong:\n%s",
				username, res.StatusCode, res.Header.Get("Location"), page)
		}
	}
}

// TestSignInLockoutSaysWhenToRetry fails a sign-in until the login limiter
// refuses the username: the form says so, and the answer is 429 with a
// Retry-After, as the API's is (it was 422, with no time to wait).
func TestSignInLockoutSaysWhenToRetry(t *testing.T) {
	t.Parallel()
	_, b, _ := inLombardia(t)
	for range 20 {
		res, page := b.do("POST", "/accedi", url.Values{"username": {"mrossi@lombardia"}, "password": {"sbagliata"}})
		if res.StatusCode == http.StatusUnprocessableEntity && !strings.Contains(page, "Troppi tentativi") {
			continue // a wrong password, not refused yet
		}
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !strings.Contains(page, "Troppi tentativi") {
			t.Fatalf("status %d, Retry-After %q; want 429 with a Retry-After and the form saying too many attempts", res.StatusCode, res.Header.Get("Retry-After"))
		}
		return
	}
	t.Fatal("20 failed sign-ins, none refused by the limiter")
}
