package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserContextsShareNothing: the browser tests share one Chromium,
// each test in a browser context of its own, so what one test's browser
// keeps (the session cookie, local storage) is not in another's: not in
// one opened while the first is still open, nor in one opened after the
// first test ended, as a failed test does too.
func TestBrowserContextsShareNothing(t *testing.T) {
	t.Parallel()
	f, _, _ := inLombardia(t)
	const keep = `localStorage.setItem("lasciato", "sì"); localStorage.length`
	const kept = `localStorage.length`
	signedIn := func(t *testing.T) *browser {
		t.Helper()
		b := newBrowser(t, f)
		b.signIn("mrossi@lombardia")
		b.sessionCookie()
		if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](keep)); err != nil {
			t.Fatalf("fill local storage: %v", err)
		}
		return b
	}
	fresh := func(t *testing.T, when string) {
		t.Helper()
		b := newBrowser(t, f)
		b.run("open the sign-in page", chromedp.Navigate(f.url("/accedi")), chromedp.WaitVisible(chromedp.CSS("#f-username")))
		if got := b.cookies(); len(got) != 0 {
			t.Errorf("a new browser %s holds %d cookies, want none", when, len(got))
		}
		n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](kept))
		if err != nil {
			t.Fatalf("read local storage: %v", err)
		}
		if n != 0 {
			t.Errorf("a new browser %s holds %d local storage items, want none", when, n)
		}
	}
	t.Run("ended", func(t *testing.T) { signedIn(t) })
	fresh(t, "after another test's ended")
	signedIn(t)
	fresh(t, "beside another signed in")
}

// TestBrowserRestartsAfterACrash: the Chromium the browser tests share
// is started again for the next test when it has died (a crash, the
// machine's OOM killer), rather than handed out dead, which would fail
// every browser test after it. The test kills it between two tests'
// browsers; the second gets a new process and works. It kills a Chromium
// of its own, not the one the tests running beside it share.
func TestBrowserRestartsAfterACrash(t *testing.T) {
	t.Parallel()
	f, _, _ := inLombardia(t)
	var own sharedBrowser
	t.Cleanup(own.close)
	signInPage := func(b *browser) {
		t.Helper()
		b.run("open the sign-in page", chromedp.Navigate(f.url("/accedi")), chromedp.WaitVisible(chromedp.CSS("#f-username")))
	}
	signInPage(newBrowserOf(t, f, &own))
	own.mu.Lock()
	dead, process := own.ctx, chromedp.FromContext(own.ctx).Browser.Process()
	own.mu.Unlock()
	if err := process.Kill(); err != nil {
		t.Fatalf("kill Chromium: %v", err)
	}
	select {
	case <-dead.Done():
	case <-time.After(30 * time.Second): // a hang guard, not a timed assertion
		t.Fatal("the shared browser's context is still live 30 s after its process was killed: it would be handed out dead")
	}
	b := newBrowserOf(t, f, &own)
	if again := chromedp.FromContext(b.ctx).Browser.Process(); again == nil || again.Pid == process.Pid {
		t.Fatalf("the browser after the crash is process %v, want a new one (the dead one was %d)", again, process.Pid)
	}
	signInPage(b)
}
