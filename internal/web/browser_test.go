package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's headless Chromium against a real famid.
// They read:
//
//	RACCORDO_CHROMIUM     the browser (default: chromium on the PATH)
//	RACCORDO_AXE_JS       axe-core's axe.min.js, run on every page
//	RACCORDO_SCREENSHOTS  a folder for screenshots (none when unset)
//
// Outside CI a missing browser or axe skips them; under CI=true it fails.
type browser struct {
	t   *testing.T
	ctx context.Context
	f   *famid
	axe []byte
	// shots is the screenshot folder, "" for none.
	shots string
	// listening counts the dialog listeners still on the browser.
	listening atomic.Int32
}

func needed(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing: CI must run the browser tests (see .ci/run)", what)
	}
	t.Skipf("%s is missing: skipping the browser test (CI installs it)", what)
}

func newBrowser(t *testing.T, f *famid) *browser {
	t.Helper()
	return newBrowserOf(t, f, &chromium)
}

// newBrowserOf is newBrowser in a context of the Chromium of in.
func newBrowserOf(t *testing.T, f *famid, in *sharedBrowser) *browser {
	t.Helper()
	exe := os.Getenv("RACCORDO_CHROMIUM")
	if exe == "" {
		exe, _ = exec.LookPath("chromium")
	}
	if exe == "" {
		needed(t, "Chromium (set RACCORDO_CHROMIUM or install the chromium package)")
	}
	axePath := os.Getenv("RACCORDO_AXE_JS")
	if axePath == "" {
		needed(t, "axe-core (set RACCORDO_AXE_JS to axe.min.js)")
	}
	axe, err := axeSource()
	if err != nil {
		needed(t, "axe-core at "+axePath)
	}
	shared, err := in.get(exe)
	if err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	// Each test has a browser context of its own, as an incognito window
	// is: its cookies, storage and cache are in memory, shared with no
	// other test, and disposed of when the test ends, failed or not.
	ctx, cancel := chromedp.NewContext(shared, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a browser context: %v", err)
	}
	return &browser{t: t, ctx: ctx, f: f, axe: axe, shots: os.Getenv("RACCORDO_SCREENSHOTS")}
}

// axeSource is axe-core's 640 KB source, read once per process rather
// than once per browser test.
var axeSource = sync.OnceValues(func() ([]byte, error) { return os.ReadFile(os.Getenv("RACCORDO_AXE_JS")) })

// chromium is the one Chromium process of the test binary: started by the
// first browser test, not by TestMain, so that the tests without a browser
// need none, and stopped by TestMain. A process per test cost each test a
// browser's start and its first tab; the package ran 30 of them. The tests
// run in parallel, each in a browser context of its own; the one test that
// kills a browser kills one of its own (TestBrowserRestartsAfterACrash).
var chromium sharedBrowser

type sharedBrowser struct {
	mu   sync.Mutex
	ctx  context.Context // the browser's first tab; nil when none runs
	stop func()
}

// get returns a context holding the running browser, starting one (again,
// after a crash) when there is none.
func (s *sharedBrowser) get(exe string) (context.Context, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx != nil && s.ctx.Err() == nil {
		return s.ctx, nil
	}
	s.closeLocked()
	// The process's profile holds no test's cookies or storage (those live
	// in each test's browser context), but it is a fresh folder per process
	// so that no run reads another's.
	dir, err := os.MkdirTemp("", "raccordo-chromium-")
	if err != nil {
		return nil, err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir),
		// Another site on loopback (otherSite), for the cross-site tests.
		chromedp.Flag("host-resolver-rules", "MAP "+otherSiteName+" 127.0.0.1"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	s.ctx, s.stop = ctx, func() { cancel(); cancelAlloc(); os.RemoveAll(dir) }
	if err := chromedp.Do(ctx); err != nil {
		s.closeLocked()
		return nil, err
	}
	return s.ctx, nil
}

// close stops the browser, if one runs, and removes its profile.
func (s *sharedBrowser) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked()
}

func (s *sharedBrowser) closeLocked() {
	if s.stop != nil {
		s.stop()
	}
	s.ctx, s.stop = nil, nil
}

// TestMain stops the shared browser once every test has run.
func TestMain(m *testing.M) {
	code := m.Run()
	chromium.close()
	os.Exit(code)
}

func (b *browser) run(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

// open loads a page and checks it: no serious or critical axe violation,
// and screenshots at both sizes when a folder is set.
func (b *browser) open(path, shot string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.f.url(path)), chromedp.WaitReady(chromedp.CSS("main")))
	b.check(shot)
}

// check runs axe on the page shown and saves its screenshots.
func (b *browser) check(shot string) {
	b.t.Helper()
	b.injectAxe(shot)
	found, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](severeViolations, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe on %s: %v", shot, err)
	}
	if len(found) > 0 {
		b.t.Errorf("axe on %s: %s", shot, strings.Join(found, "; "))
	}
	if b.shots == "" {
		return
	}
	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		b.t.Fatal(err)
	}
	// The screenshots change the viewport; the test goes on in the one it
	// had, a phone's or the window's. chromedp's EmulateReset does not give
	// the window's back (it leaves the last width set), so a test that
	// read a table after a check read it as a phone's cards when
	// screenshots were on, and as a table when off.
	was, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]int64]("[window.innerWidth, window.innerHeight]"))
	if err != nil || len(was) != 2 {
		b.t.Fatalf("the viewport before the screenshots of %s: %v %v", shot, was, err)
	}
	defer b.run("the viewport as it was", chromedp.EmulateViewport(was[0], was[1]))
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 800}, {"mobile", 390, 844}} {
		b.run("viewport", chromedp.EmulateViewport(size.w, size.h))
		png, err := chromedp.Run(b.ctx, fullPagePNG)
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", shot, err)
		}
		name := filepath.Join(b.shots, b.t.Name()+"-"+shot+"-"+size.name+".png")
		if err := os.WriteFile(strings.ReplaceAll(name, "/", string(filepath.Separator)), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
}

// fullPagePNG is chromedp.FullScreenshot(100), the whole page beyond the
// viewport as a PNG, encoded for speed rather than size: the same picture
// in a larger file, for less of Chromium's time on every check.
func fullPagePNG(ctx context.Context, t *chromedp.Target) ([]byte, error) {
	beyond, fromSurface, fast := true, true, true
	r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format:                page.CaptureScreenshotFormatPng,
		CaptureBeyondViewport: &beyond,
		FromSurface:           &fromSurface,
		OptimizeForSpeed:      &fast,
	})
	if err != nil {
		return nil, err
	}
	return r.Data, nil
}

// injectAxe loads axe-core into the page shown unless this document has it
// already: a check after an action that did not navigate (a refused form
// shown again by script, a dialog answered) does not compile it again.
func (b *browser) injectAxe(shot string) {
	b.t.Helper()
	has, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`typeof window.axe?.run === "function"`))
	if err != nil {
		b.t.Fatalf("axe on %s: %v", shot, err)
	}
	if has {
		return
	}
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](string(b.axe)+";true")); err != nil {
		b.t.Fatalf("load axe on %s: %v", shot, err)
	}
}

// severeViolations runs axe on the page and lists its serious and critical
// violations, the ones a check fails on.
//
// It runs only the rules that can report one. A violation's impact is the
// highest impact among the failed checks of its rule's nodes, each check's
// impact being its own metadata (axe._audit.data.checks) unless the rule
// sets an impact for all of them (aggregateChecks, finalizeRuleResult in
// axe-core). So a rule whose impact is set to minor or moderate, or whose
// checks all have a minor or moderate impact, never reports a serious or
// critical violation, and each rule's result depends on no other rule's.
// Leaving those rules out therefore changes no violation this filter keeps:
// the check fails on exactly the same pages. The rules are read from the
// axe-core loaded, never listed here, so a new version's rules count too; a
// rule or check whose impact is unknown is kept. A rule left out is only
// disabled ({enabled: false}): every other rule is chosen as axe's default
// run chooses it.
const severeViolations = `(() => {
	const severe = ["serious", "critical"];
	const checks = axe._audit.data.checks;
	const canBeSevere = rule => {
		if (rule.impact) return severe.includes(rule.impact);
		const ids = [...rule.any, ...rule.all, ...rule.none].map(c => typeof c === "string" ? c : c.id);
		return ids.length === 0 || ids.some(id => { const impact = checks[id] && checks[id].impact; return !impact || severe.includes(impact); });
	};
	const rules = {};
	for (const rule of axe._audit.rules) {
		if (!canBeSevere(rule)) rules[rule.id] = {enabled: false};
	}
	return axe.run(document, {resultTypes: ["violations"], rules}).then(r => r.violations
		.filter(v => v.impact === "serious" || v.impact === "critical")
		.map(v => v.id + " (" + v.impact + "): " + v.nodes.map(n => n.target.join(" ")).join(", ")));
})()`

// otherSiteName is a name the shared browser resolves to 127.0.0.1: a
// page served under it is of another site than famid's 127.0.0.1.
const otherSiteName = "altrosito.test"

func (b *browser) signIn(username string) {
	b.t.Helper()
	b.run("open the sign-in page", chromedp.Navigate(b.f.url("/accedi")))
	b.signInHere(username)
}

// signInHere signs in on the sign-in page shown.
func (b *browser) signInHere(username string) {
	b.t.Helper()
	b.run("sign in "+username, chromedp.WaitVisible(chromedp.CSS("#f-username")),
		chromedp.SendKeys(chromedp.CSS("#f-username"), username), chromedp.SendKeys(chromedp.CSS("#f-password"), password),
		chromedp.Submit(chromedp.CSS("#f-password")), chromedp.WaitVisible(chromedp.CSS("nav.main")))
}

// html is the page's markup, as the browser holds it now.
func (b *browser) html() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil {
		b.t.Fatalf("read the page: %v", err)
	}
	return s
}

func (b *browser) signOut() {
	b.t.Helper()
	b.run("sign out", chromedp.Click(chromedp.CSS(`form[action="/esci"] button`)), chromedp.WaitVisible(chromedp.CSS("#f-username")))
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	// An element that is not there fails the read in seconds, not at the
	// test's deadline.
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

func (b *browser) wantText(sel, want string) {
	b.t.Helper()
	if got := b.text(sel); !strings.Contains(got, want) {
		b.t.Errorf("%s shows %q, want it to contain %q", sel, got, want)
	}
}

// sessionCookie reads the browser's session cookie, which is HttpOnly, so
// no script on the page can.
func (b *browser) sessionCookie() string {
	b.t.Helper()
	var value string
	for _, c := range b.cookies() {
		if c.Name == "raccordo_sessione" {
			value = c.Value
		}
	}
	if value == "" {
		b.t.Fatal("the browser holds no session cookie")
	}
	return value
}

// cookies reads every cookie the browser holds for famid, HttpOnly ones
// too.
func (b *browser) cookies() []*network.Cookie {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, func(ctx context.Context, t *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{b.f.url("/")}})
	})
	if err != nil {
		b.t.Fatalf("read the cookies: %v", err)
	}
	return res.Cookies
}

// answerDialogs answers every JavaScript dialog the page opens (a
// confirm() before a destructive action) with what accept says at the
// time, and returns the messages the dialogs showed so far.
func (b *browser) answerDialogs(accept *atomic.Bool) func() []string {
	b.t.Helper()
	ctx, cancel := context.WithCancel(b.ctx)
	b.t.Cleanup(cancel)
	return b.answerDialogsWhile(ctx, accept)
}

// answerDialogsWhile is answerDialogs until ctx ends: a listener left on
// the browser would answer the dialogs of later steps too, and two at
// once would both answer the same dialog.
func (b *browser) answerDialogsWhile(ctx context.Context, accept *atomic.Bool) func() []string {
	var mu sync.Mutex
	var shown []string
	opening := chromedp.Events(ctx, page.JavascriptDialogOpening)
	b.listening.Add(1)
	go func() {
		defer b.listening.Add(-1)
		for e, err := range opening {
			if err != nil {
				return
			}
			mu.Lock()
			shown = append(shown, e.Message)
			mu.Unlock()
			// Answered from another goroutine than the one that receives
			// the events, as chromedp asks.
			go chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
				_, err := cdp.Call(ctx, t, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept.Load()})
				return err
			}))
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(shown)
	}
}

// askedFirst checks an irreversible act that the page asks about in a
// dialog first, answering no and then yes. Answered no, the browser must
// have asked one question, beginning with question, and state() must
// still be before; answered yes, act is done once the page shows done, and
// state() must be after. Its answers end with it: a dialog opened later
// is for the step that opens it to answer.
func askedFirst[S comparable](b *browser, what string, act chromedp.Action[chromedp.Void], question string, state func() S, before S, done string, after S) {
	b.t.Helper()
	var accept atomic.Bool
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	asked := b.answerDialogsWhile(ctx, &accept)
	b.run(what+", answering no", act)
	if got := asked(); len(got) != 1 || !strings.HasPrefix(got[0], question) {
		b.t.Fatalf("before %s the browser asked %q, want one question beginning %q", what, got, question)
	}
	if got := state(); got != before {
		b.t.Fatalf("after answering no to %s the state is %v, want %v", what, got, before)
	}
	accept.Store(true)
	b.run(what+", answering yes", act, chromedp.WaitVisible(chromedp.CSS(done)))
	if got := state(); got != after {
		b.t.Errorf("after answering yes to %s the state is %v, want %v", what, got, after)
	}
	if got := asked(); len(got) != 2 {
		b.t.Errorf("%s: the browser asked %q, want the one question twice (no, then yes)", what, got)
	}
}
