package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserNoSidewaysScrollAt360 opens the pages with tables on a 360 px
// phone: none may be wider than the screen, which would make the whole page
// scroll sideways (a table scrolls inside its own box).
func TestBrowserNoSidewaysScrollAt360(t *testing.T) {
	f, _, _ := withLoggedHours(t)
	b := newBrowser(t, f)
	for _, who := range []struct {
		user  string
		pages []string
	}{
		{"mrossi@lombardia", []string{"/ore?vista=mese&data=2026-11-01"}},
		{"admin@lombardia", []string{"/approvazioni", "/account", "/partner", "/reti"}},
	} {
		b.signIn(who.user)
		for _, p := range who.pages {
			b.run("open "+p+" at 360 px", chromedp.EmulateViewport(360, 740), chromedp.Navigate(b.f.url(p)), chromedp.WaitReady(chromedp.CSS("main")))
			over, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
			if err != nil {
				t.Fatal(err)
			}
			if over > 0 {
				t.Errorf("%s at 360 px is %d px wider than the screen", p, over)
			}
		}
		b.run("reset viewport", chromedp.EmulateReset())
		b.signOut()
	}
}

// TestBrowserFocusOnRefusedForm: a refused form opens with the focus on its
// error, so that the keyboard and the screen reader start at what to fix.
func TestBrowserFocusOnRefusedForm(t *testing.T) {
	f := startFamid(t)
	setupLombardia(f)
	b := newBrowser(t, f)
	b.signIn("mrossi@lombardia")
	b.open("/ore", "ore")
	b.run("log 7 minutes",
		chromedp.SetValue(chromedp.CSS("#f-network"), "regions/lombardia/networks/rete-bergamo"),
		chromedp.SetValue(chromedp.CSS("#f-activity"), "SUPPORT_ACTIVITY_WORKSHOP"),
		chromedp.SendKeys(chromedp.CSS("#f-duration_minutes"), "7"),
		chromedp.Submit(chromedp.CSS("#f-duration_minutes")),
		chromedp.WaitVisible(chromedp.CSS("#f-duration_minutes-err")))
	focused, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.activeElement.id`))
	if err != nil {
		t.Fatal(err)
	}
	if focused != "form-error" {
		t.Errorf("after a refused entry the focus is on %q, want the form's error", focused)
	}
	b.check("ore-rifiutate")
}
