package web_test

import (
	"context"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestSearchKeepsWhatWasTyped: the search of a form's choices is a button
// of the form (cerca). Sent without JavaScript, it shows the form again
// with every field as typed and its choices narrowed, and saves nothing:
// the new entry, an entry's edit, a new network and a network's edit. The
// form as shown again then saves what was typed. Hostile text, typed or
// searched, comes back escaped. Before, the search was a form of its own,
// whose page reload lost what was typed, and a form sent with "cerca" was
// saved or refused.
func TestSearchKeepsWhatWasTyped(t *testing.T) {
	t.Parallel()
	f, c, bergamo := inLombardia(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	udp := f.partner("lombardia", "udp-milano", "Ufficio di Piano di Milano")
	milano := f.network("lombardia", "rete-milano", "Rete Milano", udp)
	if _, err := famiv1.NewProjectServiceClient(f.conn).CreateProject(f.admin("lombardia"), &famiv1.CreateProjectRequest{Parent: "regions/lombardia", ProjectId: "accoglienza",
		Project: &famiv1.Project{Code: "PROG-7", Title: "Accoglienza", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2022-01-01", EndDate: "2024-12-31"}}); err != nil {
		t.Fatal(err)
	}
	c.signIn("mrossi@lombardia")
	admin := f.client(t)
	admin.signIn("admin@lombardia")
	const hostile = evil + `" autofocus onfocus="alert(2)`

	// search sends the form of the page at path that posts to to (with
	// the page's query, if any) as edit types it, with query in its search
	// field and its search button, and returns the form shown again, as a
	// browser would send it, and the page.
	search := func(t *testing.T, b *browserless, path, to string, edit func(url.Values), field, query string) (url.Values, string) {
		t.Helper()
		_, page := b.do("GET", path, nil)
		var action string
		if m := regexp.MustCompile(`<form method="post" action="(` + regexp.QuoteMeta(to) + `(?:\?[^"]*)?)" novalidate>`).FindStringSubmatch(page); m != nil {
			action = m[1]
		}
		typed := formValues(t, page, action)
		edit(typed)
		typed.Set(field, query)
		typed.Set("cerca", "1")
		res, again := b.do("POST", strings.ReplaceAll(action, "&amp;", "&"), typed)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("search from %s: status %d, want 200 (the form again, nothing saved)", path, res.StatusCode)
		}
		if strings.Contains(again, "<script>alert") || strings.Contains(again, `onfocus="alert(2)"`) {
			t.Fatalf("search from %s: hostile text shown unescaped", path)
		}
		shown := formValues(t, again, action)
		for k := range typed {
			if k == "cerca" || k == "request_id" || k == "csrf" {
				continue
			}
			if got, want := shown[k], typed[k]; strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("search from %s: field %s came back as %q, want %q as typed", path, k, got, want)
			}
		}
		return shown, again
	}

	t.Run("new entry", func(t *testing.T) {
		for _, query := range []string{"milano", hostile} {
			_, page := search(t, c, "/ore", "/ore", func(v url.Values) {
				v.Set("activity", "SUPPORT_ACTIVITY_WORKSHOP")
				v.Set("mode", "SUPPORT_MODE_ONLINE")
				v.Set("date", "20/11/2026")
				v.Set("duration_minutes", "75")
				v.Set("notes", hostile)
			}, "rete", query)
			offered := strings.Contains(page, `<option value="`+milano+`">Rete Milano</option>`)
			if query == "milano" && (!offered || strings.Contains(page, `<option value="`+bergamo+`">`)) {
				t.Errorf("the search %q offers Rete Milano %v, and nothing else: want it alone", query, offered)
			}
			if n := len(f.entries("lombardia")); n != 0 {
				t.Fatalf("a search saved %d entries", n)
			}
		}
	})

	t.Run("entry's edit", func(t *testing.T) {
		c.logHours(bergamo) // 90 minutes, through the same POST without "cerca"
		id := lastID(f.entries("lombardia")[0].GetName())
		shown, _ := search(t, c, "/ore/"+id, "/ore/"+id, func(v url.Values) {
			v.Set("duration_minutes", "45")
			v.Set("notes", "Scritto prima della ricerca")
		}, "rete", "milano")
		if d := f.entries("lombardia")[0].GetDurationMinutes(); d != 90 {
			t.Fatalf("a search saved the entry: %d minutes, want 90 as stored", d)
		}
		if res, _ := c.do("POST", "/ore/"+id, shown); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("save the form shown again: status %d", res.StatusCode)
		}
		if e := f.entries("lombardia")[0]; e.GetDurationMinutes() != 45 || e.GetNotes() != "Scritto prima della ricerca" {
			t.Errorf("saved from the form shown again: %d minutes, notes %q; want what was typed before the search", e.GetDurationMinutes(), e.GetNotes())
		}
	})

	networks := famiv1.NewNetworkServiceClient(f.conn)
	t.Run("network's edit", func(t *testing.T) {
		shown, page := search(t, admin, "/reti/rete-bergamo", "/reti/rete-bergamo", func(v url.Values) {
			v.Set("display_name", "Rete Bergamo Est")
			v.Set("description", hostile)
		}, "progetti", "prog-7")
		if !strings.Contains(page, `value="regions/lombardia/projects/accoglienza"`) {
			t.Error("the project search does not offer PROG-7")
		}
		n, err := networks.GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: bergamo})
		if err != nil || n.GetDisplayName() != "Rete Bergamo" {
			t.Fatalf("a search saved the network: %q, %v", n.GetDisplayName(), err)
		}
		if res, page := admin.do("POST", "/reti/rete-bergamo", shown); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("save the form shown again: status %d %s", res.StatusCode, regexp.MustCompile(`error-text[^<]*<`).FindAllString(page, -1))
		}
		n, err = networks.GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: bergamo})
		if err != nil || n.GetDisplayName() != "Rete Bergamo Est" || n.GetDescription() != hostile {
			t.Errorf("saved from the form shown again: %v, %v; want the name and description typed before the search", n, err)
		}
	})

	t.Run("new network", func(t *testing.T) {
		search(t, admin, "/reti/nuova", "/reti", func(v url.Values) {
			v.Set("network_id", "rete-nuova")
			v.Set("display_name", "Rete Nuova")
			v.Set("member.0.partner", "Ufficio di Piano di Milano")
			v.Set("member.0.role", "MEMBER_ROLE_LEAD")
		}, "progetti", hostile)
		if _, err := networks.GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: "regions/lombardia/networks/rete-nuova"}); status.Code(err) != codes.NotFound {
			t.Fatalf("a search created the network: %v", err)
		}
	})
}

// TestMeetingsPagerKeepsTheForm: the entry form's meetings are paged by
// buttons of the form (formpager). Sent without JavaScript, "Pagina
// successiva" shows the form again with every field as typed, the network
// search included, and the older meetings among its choices, and saves
// nothing. Sent after the form's network changed, which the page's token
// was not issued for, it shows the first page of that network's meetings,
// the form as typed, not an error page, and says why at the meetings'
// select: they are the newly chosen network's (it said nothing, and the
// page the user had reached was gone); sent again, with the network
// unchanged, it says no more; sent (a search) with the network cleared,
// it says that the meetings are the region's (it said nothing). Before, the pager was
// a link, and following it lost the form and its search.
func TestMeetingsPagerKeepsTheForm(t *testing.T) {
	t.Parallel()
	f, c, bergamo := inLombardia(t)
	noon := f.Clock.Now().In(rome()).Truncate(24 * time.Hour).Add(12 * time.Hour)
	bulk(t, 60, func(i int) error {
		_, err := f.onlineMeeting(fmt.Sprintf("m%03d", i), bergamo, fmt.Sprintf("Tavolo %03d", i), noon.AddDate(0, 0, -60+i))
		return err
	})
	c.signIn("mrossi@lombardia")
	page, action, typed := entryFormOf(t, c, "/ore")
	typed.Set("activity", "SUPPORT_ACTIVITY_WORKSHOP")
	typed.Set("duration_minutes", "40")
	typed.Set("notes", "Scritto prima di sfogliare "+evil)
	typed.Set("rete", "bergamo")
	next := nextOf(page)
	if !strings.Contains(page, `formaction="`+html.EscapeString(next)+`"`) {
		t.Fatalf("the meetings' next page is %q, not a button of the form: following it loses what was typed", next)
	}
	older := `value="regions/lombardia/meetings/m000"`
	if strings.Contains(page, older) {
		t.Fatal("the first page of meetings already offers the oldest: nothing to page")
	}

	// sendTo sends the form as typed through a pager button to its address
	// and checks that it comes back as typed, nothing saved.
	sendTo := func(t *testing.T, to string, typed url.Values) string {
		t.Helper()
		sent := maps.Clone(typed)
		sent.Set("cerca", "1")
		res, again := c.do("POST", to, sent)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: status %d, want 200 (the form again, nothing saved)", to, res.StatusCode)
		}
		shown := formValues(t, again, action)
		for k := range typed {
			if k == "request_id" || k == "csrf" || k == "meetings_network" { // the page's, not typed
				continue
			}
			if got, want := shown[k], typed[k]; strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("POST %s: field %s came back as %q, want %q as typed", to, k, got, want)
			}
		}
		if n := len(f.entries("lombardia")); n != 0 {
			t.Fatalf("paging the meetings saved %d entries", n)
		}
		return again
	}
	renewed := `<span class="hint" id="f-meeting-hint">Hai cambiato rete: l&#39;elenco mostra gli incontri della rete appena scelta`
	again := sendTo(t, next, typed)
	if !strings.Contains(again, older) {
		t.Error("the meetings' next page does not offer the oldest meeting")
	}
	if strings.Contains(again, renewed) {
		t.Error("paged with the network unchanged, the form says the network changed")
	}
	typed.Set("network", bergamo)
	again = sendTo(t, next, typed)
	if strings.Contains(again, older) || !strings.Contains(again, `value="regions/lombardia/meetings/m059"`) {
		t.Error("paged after the network changed, the form does not offer the first page of its network's meetings")
	}
	if !strings.Contains(again, renewed) || !strings.Contains(again, `<select id="f-meeting" name="meeting" aria-describedby="f-meeting-hint">`) {
		t.Error("paged after the network changed, the form does not say, at the meetings' select, that they are the new network's")
	}
	if again = sendTo(t, nextOf(again), formValues(t, again, action)); strings.Contains(again, renewed) {
		t.Error("paged again with the network unchanged since, the form still says the network changed")
	}
	cleared := formValues(t, again, action)
	cleared.Set("network", "")
	again = sendTo(t, html.UnescapeString(action), cleared)
	region := `<span class="hint" id="f-meeting-hint">Hai tolto la rete: l&#39;elenco mostra gli incontri di tutta la regione`
	if !strings.Contains(again, region) || strings.Contains(again, renewed) {
		t.Error("paged after the network was cleared, the form does not say, at the meetings' select, that they are the region's")
	}
}

// entryFormOf opens the hours page at path as c: the page, its entry
// form's address as the page writes it, and the values the form sends.
func entryFormOf(t *testing.T, c *browserless, path string) (page, action string, values url.Values) {
	t.Helper()
	_, page = c.do("GET", path, nil)
	m := regexp.MustCompile(`<form method="post" action="(/ore\?[^"]*)" novalidate>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the hours page %s has no entry form", path)
	}
	return page, m[1], formValues(t, page, m[1])
}

// TestSaveRunsASearchTypedSince: a save of a form whose search holds a
// text other than the one its choices were found by (typed since the page
// was shown and not run: Enter in the search field without JavaScript,
// which clicks the save's copy, naming no field) runs the search, the form
// back as typed, and saves nothing; the form shown again then saves. A
// form sent without the search's hidden field, as a client of its own
// sends it, is saved as sent.
func TestSaveRunsASearchTypedSince(t *testing.T) {
	t.Parallel()
	f, c, bergamo := inLombardia(t)
	milano := f.network("lombardia", "rete-milano", "Rete Milano", f.partner("lombardia", "udp-milano", "Ufficio di Piano di Milano"))
	c.signIn("mrossi@lombardia")
	_, action, typed := entryFormOf(t, c, "/ore?rete=bergamo")
	if got := typed.Get("cercato.rete"); got != "bergamo" {
		t.Fatalf("the form sends back the search its choices were found by as %q, want %q", got, "bergamo")
	}
	for k, v := range entryForm(typed.Get("csrf"), bergamo) {
		typed[k] = v
	}
	typed.Set("rete", "milano")
	to := html.UnescapeString(action)
	res, again := c.do("POST", to, typed)
	if res.StatusCode != http.StatusOK || len(f.entries("lombardia")) != 0 {
		t.Fatalf("a save with a search typed since: status %d, %d entries; want 200, the search run and nothing saved", res.StatusCode, len(f.entries("lombardia")))
	}
	if !strings.Contains(again, `<option value="`+milano+`">Rete Milano</option>`) || !strings.Contains(again, `<option value="`+bergamo+`" selected>`) {
		t.Error("the search typed since did not run, or lost the network chosen before it")
	}
	notice := `<div class="alert info" role="status" id="form-notice"><p>Nel campo di ricerca c&#39;era un testo non ancora cercato: la ricerca è stata eseguita e il modulo non è stato salvato.`
	if !strings.Contains(again, notice) {
		t.Error("the save that ran a search instead does not say that nothing was saved, nor why")
	}
	shown := formValues(t, again, action)
	searched := maps.Clone(shown)
	searched.Set("cerca", "1")
	if res, page := c.do("POST", to, searched); res.StatusCode != http.StatusOK || strings.Contains(page, `id="form-notice"`) {
		t.Errorf("the search button: status %d, notice shown %v; want 200 and no notice (the user asked for the search)", res.StatusCode, strings.Contains(page, `id="form-notice"`))
	}
	if res, _ := c.do("POST", to, shown); res.StatusCode != http.StatusSeeOther || len(f.entries("lombardia")) != 1 {
		t.Fatalf("the form shown again: status %d, %d entries; want 303 and the entry saved", res.StatusCode, len(f.entries("lombardia")))
	}

	own := entryForm(c.csrf("/ore"), milano)
	own.Set("rete", "bergamo")
	if res, _ := c.do("POST", "/ore", own); res.StatusCode != http.StatusSeeOther || len(f.entries("lombardia")) != 2 {
		t.Errorf("a form without the search's hidden field: status %d, %d entries; want 303 and the entry saved", res.StatusCode, len(f.entries("lombardia")))
	}
}

// TestBrowserEnterSaves: in Chromium, Enter in a text field of the entry
// form saves the entry, though the form also holds the network search and
// the meetings' pager, whose buttons come before its save: HTML's implicit
// submission clicks the form's default button, its first submit button in
// tree order, which is a copy of the save (savedefault). Enter in the
// search field searches (app.js): the form comes back as typed, nothing
// saved; Enter in another field then saves. Both pages pass axe. Before,
// the search button was the default one, and Enter in any field searched
// instead of saving.
func TestBrowserEnterSaves(t *testing.T) {
	t.Parallel()
	enterSavesAndSearches(t, true)
}

// TestBrowserEnterSearchesWithoutScript: the same, with JavaScript off in
// Chromium. Enter in the search field clicks the save, as HTML has it, but
// the save finds a search typed since the page was shown and runs it
// (searchable): the form comes back as typed, its choices narrowed,
// nothing saved. Before, it saved the entry.
func TestBrowserEnterSearchesWithoutScript(t *testing.T) {
	t.Parallel()
	enterSavesAndSearches(t, false)
}

// enterSavesAndSearches presses Enter in the entry form's fields, in a
// region of 61 networks (the network search shown), JavaScript on or off:
// in a date, it saves; in the search, it searches and saves nothing; in
// the duration after the search, it saves.
func enterSavesAndSearches(t *testing.T, script bool) {
	f, network := manyNetworksAndMeetings(t)
	b := newBrowser(t, f)
	b.signIn("mrossi@lombardia")
	// scripts turns the page's JavaScript on or off, from the next page on.
	scripts := func(on bool) {
		t.Helper()
		b.run("turn JavaScript on or off", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
			return chromedp.Void{}, err
		})
	}
	// check runs axe on the page shown, which needs JavaScript: turned on
	// after the page loaded without it, it runs no script of the page.
	check := func(shot string) {
		t.Helper()
		scripts(true)
		b.check(shot)
		scripts(script)
	}
	scripts(script)
	b.run("open /ore", chromedp.Navigate(b.f.url("/ore")), chromedp.WaitReady(chromedp.CSS("main")))
	check("ore-invio")
	if b.count("#f-rete-cerca") != 1 || b.count(`nav.pager`) == 0 {
		t.Fatal("the entry form shows no network search or no meetings' pager: nothing comes before its save")
	}
	// pressEnter presses Enter in the field sel and waits for the page the
	// form's submission loads.
	pressEnter := func(step, sel string) {
		t.Helper()
		b.submit(step, chromedp.SendKeys(chromedp.CSS(sel), kb.Enter))
	}
	b.typeEntry("type the entry", network, "45", "Salvato con Invio", "")
	pressEnter("press Enter in the date", "#f-date")
	if b.count(".alert.success") != 1 || len(f.entries("lombardia")) != 1 {
		t.Fatalf("Enter in the date saved %d entries and shows %d notices of success, want the entry saved: Enter did not save",
			len(f.entries("lombardia")), b.count(".alert.success"))
	}
	if e := f.entries("lombardia")[0]; e.GetDurationMinutes() != 45 || e.GetNotes() != "Salvato con Invio" {
		t.Errorf("Enter saved %d minutes, notes %q; want what was typed", e.GetDurationMinutes(), e.GetNotes())
	}

	// The entry typed is whole: saved, it would be stored, not refused
	// and shown again as the search would be.
	b.typeEntry("type another entry, then a search", network, "60", "Scritto prima della ricerca", "milano 057")
	pressEnter("press Enter in the search", "#f-rete")
	check("ore-invio-ricerca")
	if b.count(`#f-network option[value="regions/lombardia/networks/rete057"]`) != 1 {
		t.Error("Enter in the search did not search: the choices do not offer Rete Milano 057")
	}
	if n := len(f.entries("lombardia")); n != 1 {
		t.Fatalf("Enter in the search saved: %d entries, want 1", n)
	}
	for sel, want := range map[string]string{"#f-duration_minutes": "60", "#f-notes": "Scritto prima della ricerca", "#f-rete": "milano 057"} {
		if got := b.value(sel); got != want {
			t.Errorf("after Enter in the search %s holds %q, want %q as typed", sel, got, want)
		}
	}

	b.run("choose the network found", chromedp.SetValue(chromedp.CSS("#f-network"), "regions/lombardia/networks/rete057"))
	pressEnter("press Enter in the duration", "#f-duration_minutes")
	if n := len(f.entries("lombardia")); n != 2 {
		t.Fatalf("Enter in the duration after the search saved %d entries in all, want 2 (the page says %q)", n, b.text("main"))
	}
	saved := f.entries("lombardia")
	if i := slices.IndexFunc(saved, func(e *famiv1.SupportEntry) bool { return e.GetNotes() == "Scritto prima della ricerca" }); i < 0 ||
		saved[i].GetNetwork() != "regions/lombardia/networks/rete057" || saved[i].GetDurationMinutes() != 60 {
		t.Errorf("Enter after the search saved %v, want the network found for 60 minutes, with the notes typed before the search", saved)
	}
}

// TestBrowserEnterInAFieldSavesWithASearchTyped: in Chromium, with
// JavaScript, Enter in the duration of the entry form saves the entry
// though a network search was typed and not run, as the visible save
// does; before, it ran the search and saved nothing. The page passes axe.
func TestBrowserEnterInAFieldSavesWithASearchTyped(t *testing.T) {
	t.Parallel()
	enterInAFieldWithASearchTyped(t, true)
}

// TestBrowserEnterInAFieldSearchesWithoutScript: the same without
// JavaScript runs the search typed and saves nothing, saying so: the
// server cannot tell where Enter was pressed (searchable).
func TestBrowserEnterInAFieldSearchesWithoutScript(t *testing.T) {
	t.Parallel()
	enterInAFieldWithASearchTyped(t, false)
}

// enterInAFieldWithASearchTyped types an entry and a network search, not
// run, then presses Enter in the duration, JavaScript on or off.
func enterInAFieldWithASearchTyped(t *testing.T, script bool) {
	f, network := manyNetworksAndMeetings(t)
	b := newBrowser(t, f)
	b.signIn("mrossi@lombardia")
	if !script {
		b.run("turn JavaScript off", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return chromedp.Void{}, err
		})
	}
	b.run("open /ore", chromedp.Navigate(b.f.url("/ore")), chromedp.WaitReady(chromedp.CSS("main")))
	b.typeEntry("type an entry, then a search", network, "45", "Invio nella durata", "milano 057")
	b.submit("press Enter in the duration", chromedp.SendKeys(chromedp.CSS("#f-duration_minutes"), kb.Enter))
	saved := f.entries("lombardia")
	switch {
	case script && (len(saved) != 1 || saved[0].GetNetwork() != network || saved[0].GetDurationMinutes() != 45):
		t.Errorf("with JavaScript, Enter in the duration saved %v (the page says %q), want the entry of the network chosen before the search", saved, b.text("main"))
	case !script && (len(saved) != 0 || b.count("#form-notice") != 1 || b.count(`#f-network option[value="regions/lombardia/networks/rete057"]`) != 1):
		t.Errorf("without JavaScript, Enter in the duration saved %d entries, notice shown %d times; want the search run, nothing saved, and why", len(saved), b.count("#form-notice"))
	}
	if !script {
		b.run("turn JavaScript on for axe", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
			return chromedp.Void{}, err
		})
	}
	b.check(map[bool]string{true: "ore-invio-nella-durata", false: "ore-invio-nella-durata-senza-script"}[script])
}

// submit runs action, which submits the page's form, and waits for the
// page the submission loads.
func (b *browser) submit(step string, action chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.run(step, chromedp.Evaluate[chromedp.Void](`document.body.dataset.sent = "1"`), action)
	for range 300 { // the page loaded is a new document, unmarked
		loaded, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && !!document.querySelector("main") && !document.body.dataset.sent`))
		if err == nil && loaded {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("%s: no page loaded in 30 s", step)
}

// typeEntry types an entry of network into the entry form shown: a
// workshop of minutes ("" leaves the duration empty) with notes, then
// search into its network search ("" for none), not run.
func (b *browser) typeEntry(step, network, minutes, notes, search string) {
	b.t.Helper()
	actions := []chromedp.Action[chromedp.Void]{chromedp.SetValue(chromedp.CSS("#f-network"), network),
		chromedp.SetValue(chromedp.CSS("#f-activity"), "SUPPORT_ACTIVITY_WORKSHOP")}
	if minutes != "" {
		actions = append(actions, chromedp.SendKeys(chromedp.CSS("#f-duration_minutes"), minutes))
	}
	actions = append(actions, chromedp.SendKeys(chromedp.CSS("#f-notes"), notes))
	if search != "" {
		actions = append(actions, chromedp.SendKeys(chromedp.CSS("#f-rete"), search))
	}
	b.run(step, actions...)
}

// TestBrowserSaveSavesWithASearchTyped: in Chromium, a click on the entry
// form's visible save saves the entry though a network search was typed
// and not run, the network chosen before it kept; refused (no duration),
// the form comes back with the search as typed, run, its choices found by
// it. Enter still runs such a search (enterSavesAndSearches): it clicks
// the save's copy, which names no field, where the visible save sends
// "salva". Before, the server could not tell the two apart, and the click
// ran the search and saved nothing.
func TestBrowserSaveSavesWithASearchTyped(t *testing.T) {
	t.Parallel()
	f, network := manyNetworksAndMeetings(t)
	b := newBrowser(t, f)
	b.signIn("mrossi@lombardia")
	b.run("open /ore", chromedp.Navigate(b.f.url("/ore")), chromedp.WaitReady(chromedp.CSS("main")))
	save := chromedp.Click(chromedp.CSS(`form[method="post"][action^="/ore"] .actions > button.btn:not(.secondary)`))
	b.typeEntry("type the entry, then a search", network, "45", "Salvato con una ricerca scritta", "milano 057")
	b.submit("click the save", save)
	saved := f.entries("lombardia")
	if len(saved) != 1 || b.count(".alert.success") != 1 {
		t.Fatalf("the save clicked with a search typed saved %d entries (the page says %q), want the entry saved", len(saved), b.text("main"))
	}
	if saved[0].GetNetwork() != network || saved[0].GetNotes() != "Salvato con una ricerca scritta" {
		t.Errorf("the save clicked with a search typed saved %v, want the network chosen before the search and the notes typed", saved[0])
	}

	b.typeEntry("type an entry without its duration, then a search", network, "", "Senza durata", "milano 057")
	b.submit("click the save", save)
	if n := len(f.entries("lombardia")); n != 1 || b.count(`#f-duration_minutes[aria-invalid="true"]`) != 1 {
		t.Fatalf("an entry without its duration: %d entries in all, duration marked %d times; want it refused (1 entry), the duration marked", n, b.count(`#f-duration_minutes[aria-invalid="true"]`))
	}
	if got := b.value("#f-rete"); got != "milano 057" || b.count(`#f-network option[value="regions/lombardia/networks/rete057"]`) != 1 {
		t.Errorf("the refused form's search holds %q, want %q as typed, run (Rete Milano 057 offered)", got, "milano 057")
	}
}

// TestChoiceSearchFormsSaveOnEnter: in every form with a search among its
// fields (each of the four templates, the search shown by the address),
// the first submit button, which HTML's implicit submission clicks on
// Enter, is a copy of the form's save: it sends no name and no formaction,
// says what the visible save says, and is hidden from sight, Tab and
// screen readers, where the visible save stands. Before, it was the
// search. The visible save, the form's last button, names itself
// ("salva"), so that a click on it saves though a search was typed and
// not run (TestBrowserSaveSavesWithASearchTyped); before, it named
// nothing, as its copy does.
func TestChoiceSearchFormsSaveOnEnter(t *testing.T) {
	t.Parallel()
	f, c, bergamo := inLombardia(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	c.signIn("mrossi@lombardia")
	c.logHours(bergamo)
	admin := f.client(t)
	admin.signIn("admin@lombardia")
	entry := lastID(f.entries("lombardia")[0].GetName())
	form := regexp.MustCompile(`(?s)<form method="post" action="[^"]*" novalidate>.*?</form>`)
	button := regexp.MustCompile(`<button ([^>]*)>([^<]*)</button>`)
	for _, p := range []struct {
		b    *browserless
		path string
	}{{c, "/ore?rete=x"}, {c, "/ore/" + entry + "?rete=x"}, {admin, "/reti/nuova?progetti=x"}, {admin, "/protocolli/nuovo?rete=x"}, {admin, "/incontri/nuovo?rete=x"}} {
		res, page := p.b.do("GET", p.path, nil)
		fm := form.FindString(page)
		if res.StatusCode != http.StatusOK || !strings.Contains(fm, `name="cerca"`) {
			t.Fatalf("GET %s: status %d, want its form with its search shown", p.path, res.StatusCode)
		}
		buttons := button.FindAllStringSubmatch(fm, -1)
		first, save := buttons[0], buttons[len(buttons)-1]
		if first[1] != `type="submit" class="visually-hidden" tabindex="-1" aria-hidden="true"` || first[2] != save[2] || save[1] != `class="btn" type="submit" name="salva" value="1"` {
			t.Errorf("GET %s: the form's default button is <button %s>%s</button> and its last <button %s>%s</button>, want a hidden copy of its save %q (Enter saves) and the save naming itself",
				p.path, first[1], first[2], save[1], save[2], save[2])
		}
	}
}
