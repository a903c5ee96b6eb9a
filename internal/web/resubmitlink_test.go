package web_test

import (
	"html"
	"net/http"
	"strings"
	"testing"
)

// TestResubmitLinkNamingNoEntry: "/ore?ripresenta=" comes from a link; one
// naming no entry, mangled or deleted since, answered a 400 or 404 error
// page. It shows the hours page, its form empty, saying the entry was not
// found.
func TestResubmitLinkNamingNoEntry(t *testing.T) {
	t.Parallel()
	f, c, _ := withLoggedHours(t)
	admin := f.client(t)
	admin.signIn("admin@lombardia")
	says := html.EscapeString("L'attività da ripresentare non è stata trovata")
	for _, id := range []string{"%3Cnon%20un%20id%3E", "voce-che-non-esiste"} {
		res, page := c.do("GET", "/ore?ripresenta="+id, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="form-notice"`) || !strings.Contains(page, says) || !strings.Contains(page, `id="log-title"`) {
			t.Errorf("ripresenta=%s: status %d; want 200, the hours page with its form and a notice that the entry was not found", id, res.StatusCode)
		}
		// An administrator logs no hours (the page has no form), and is
		// answered NotFound, not a consultant's PermissionDenied: the page
		// all the same.
		if res, _ := admin.do("GET", "/ore?ripresenta="+id, nil); res.StatusCode != http.StatusOK {
			t.Errorf("ripresenta=%s, an administrator: status %d; want 200, the hours page", id, res.StatusCode)
		}
	}
}
