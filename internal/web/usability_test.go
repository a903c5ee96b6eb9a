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

// TestBrowserTablesAreCardsAt390: on a 390 px phone the hours and the
// approvals are cards, not tables scrolled inside their box: nothing of a
// table lies past its box's right edge, each cell is shown after its
// column's heading, and axe finds nothing serious. Before, both tables
// were wider than the screen and scrolled sideways.
func TestBrowserTablesAreCardsAt390(t *testing.T) {
	f, _, _ := withLoggedHours(t)
	b := newBrowser(t, f)
	for _, who := range []struct{ user, page, labels string }{
		{"mrossi@lombardia", "/ore?vista=mese&data=2026-11-01", "Data|Rete territoriale|Attività|Durata|Stato|Azioni"},
		{"admin@lombardia", "/approvazioni", "Seleziona|Data|Consulente|Rete territoriale|Attività|Durata"},
	} {
		b.signIn(who.user)
		b.run("open "+who.page+" at 390 px", chromedp.EmulateViewport(390, 844), chromedp.Navigate(b.f.url(who.page)), chromedp.WaitReady(chromedp.CSS("main table")))
		over, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`(() => { const w = document.querySelector("main .table-wrap");
			return Math.max(w.scrollWidth - w.clientWidth, ...[...w.querySelectorAll("td")].map(c => Math.ceil(c.getBoundingClientRect().right - w.getBoundingClientRect().right))); })()`))
		if err != nil {
			t.Fatal(err)
		}
		if over > 0 {
			t.Errorf("%s at 390 px: the table reaches %d px past its box", who.page, over)
		}
		labels, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("main tbody tr:first-child td")]
			.map(c => getComputedStyle(c, "::before").content.replace(/^"|"$/g, "")).join("|")`))
		if err != nil {
			t.Fatal(err)
		}
		if labels != who.labels {
			t.Errorf("%s at 390 px: the cells are headed %q, want %q", who.page, labels, who.labels)
		}
		b.check("schede-390")
		b.run("reset viewport", chromedp.EmulateReset())
		b.signOut()
	}
}
