package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// entryAction finds the hours page's entry form and its address.
var entryAction = regexp.MustCompile(`<form method="post" action="([^"]*)" novalidate>`)

// formAddress is the address the form found by re on page posts to,
// unescaped; it stops the test when there is none.
func formAddress(t *testing.T, re *regexp.Regexp, page string) string {
	t.Helper()
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form found by %s on the page:\n%s", re, page)
	}
	return html.UnescapeString(m[1])
}

// inNovember logs n entries of network from 1 to 20 November 2026 as
// the consultant mrossi, through the API, and returns the support client
// and the consultant's context.
func inNovember(t *testing.T, f *famid, network string, n int) (famiv1.SupportServiceClient, context.Context) {
	t.Helper()
	consultant := f.asAccount("mrossi@lombardia")
	support := famiv1.NewSupportServiceClient(f.conn)
	bulk(t, n, func(i int) error {
		_, err := support.CreateSupportEntry(consultant, &famiv1.CreateSupportEntryRequest{Parent: "regions/lombardia",
			SupportEntry: &famiv1.SupportEntry{Network: network, Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP, Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE,
				Date: fmt.Sprintf("2026-11-%02d", 1+i%20), DurationMinutes: 30}})
		return err
	})
	return support, consultant
}

// secondPage reads the page at path and the second page of its list of
// prefix: its address, its page token and the page; it stops the test
// when the list has one page.
func secondPage(t *testing.T, b *browserless, path, prefix string) (second, token, page string) {
	t.Helper()
	_, page = b.do("GET", path, nil)
	if second = nextPageOf(page, prefix, path); second == "" {
		t.Fatalf("%s offers no second page of its list %q", path, prefix)
	}
	res, page := b.do("GET", second, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", second, res.StatusCode)
	}
	return second, must(url.Parse(second)).Query().Get(prefix + "pagina"), page
}

// pageForms are the addresses of the forms res find on page, the second
// page of a list (what), one a pattern; it stops the test unless each
// carries the page's query, its page token (param) token.
func pageForms(t *testing.T, page, what, param, token string, res ...*regexp.Regexp) []string {
	t.Helper()
	var out []string
	for _, re := range res {
		action := formAddress(t, re, page)
		if got := must(url.Parse(action)).Query().Get(param); got != token {
			t.Fatalf("a form of the %s' second page posts to %q, want the page's query (page %q)", what, action, token)
		}
		out = append(out, action)
	}
	return out
}

// TestHoursFormComesBackToItsPage: the entry form on the second page of a
// month's entries comes back there, refused (422, the form as typed) or
// saved (303 to the page with its notice): its address carries the page's
// query (keptQuery). Before, it carried the view and the day alone
// (keepView), and the page came back to the month's first entries. Values
// written into the address come back encoded and escaped, and neither a
// notice nor a rejected entry to log again ("ripresenta") rides along.
func TestHoursFormComesBackToItsPage(t *testing.T) {
	t.Parallel()
	f, b, network := inLombardia(t)
	support, consultant := inNovember(t, f, network, 60)
	b.signIn("mrossi@lombardia")

	first := "/ore?vista=mese&data=2026-11-20"
	second, token, _ := secondPage(t, b, first, "")
	_, page := b.do("GET", second+"&ok=entry_created", nil)
	action := formAddress(t, entryAction, page)
	u := must(url.Parse(action))
	if u.Path != "/ore" || u.Query().Get("pagina") != token || u.Query().Get("vista") != "mese" || u.Query().Has("ok") {
		t.Fatalf("the second page's entry form posts to %q, want /ore with the page's query (page %q, vista=mese), not its notice", action, token)
	}

	t.Run("refused", func(t *testing.T) {
		form := entryForm(b.csrf(second), network)
		form.Set("duration_minutes", "novanta")
		res, page := b.do("POST", action, form)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a duration in words: status %d, want 422", res.StatusCode)
		}
		if !strings.Contains(page, "Risultati da 51 a ") || !strings.Contains(page, `value="novanta"`) {
			t.Errorf("the refused form did not come back on the second page of entries, as typed")
		}
		if again := formAddress(t, entryAction, page); again != action {
			t.Errorf("the refused form posts again to %q, want %q", again, action)
		}
	})
	t.Run("refused with a notice written into its address", func(t *testing.T) {
		form := entryForm(b.csrf(second), network)
		form.Set("duration_minutes", "novanta")
		res, page := b.do("POST", action+"&ok=entry_created", form)
		if res.StatusCode != http.StatusUnprocessableEntity || strings.Contains(page, "Ore registrate") {
			t.Errorf("a refused form posted with ?ok=entry_created: status %d, says the hours were logged: %t; want 422, not saying it",
				res.StatusCode, strings.Contains(page, "Ore registrate"))
		}
	})
	t.Run("saved", func(t *testing.T) {
		res, _ := b.do("POST", action, entryForm(b.csrf(second), network))
		loc := must(url.Parse(res.Header.Get("Location")))
		if res.StatusCode != http.StatusSeeOther || loc.Path != "/ore" || loc.Query().Get("pagina") != token || loc.Query().Has("ok") {
			t.Fatalf("saved: status %d to %q, want 303 to the second page of entries (its notice in its cookie, not the address)", res.StatusCode, loc)
		}
		if _, page := b.do("GET", loc.String(), nil); !strings.Contains(page, "Ore registrate") || !strings.Contains(page, "Risultati da 51 a ") {
			t.Errorf("after the save, %s is not the second page of entries saying the hours were logged", loc)
		}
	})
	t.Run("hostile query", func(t *testing.T) {
		// Logging an entry again starts from it once (ripresenta), never
		// again after the save.
		res, err := support.ListSupportEntries(consultant, &famiv1.ListSupportEntriesRequest{Parent: "regions/lombardia", PageSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		again := lastID(res.GetSupportEntries()[0].GetName())
		hostile := first + `&nota="><script>alert(1)</script>&ripresenta=` + again
		_, page := b.do("GET", strings.ReplaceAll(hostile, " ", "%20"), nil)
		if strings.Contains(page, "<script>alert") {
			t.Fatalf("the hours page reflects a query value unescaped")
		}
		action := formAddress(t, entryAction, page)
		if q := must(url.Parse(action)).Query(); q.Get("nota") != `"><script>alert(1)</script>` || q.Has("ripresenta") {
			t.Errorf("the entry form posts to %q, want the query's value encoded and no entry to log again", action)
		}
		// Nor do the pager's links: the next page filled the form with
		// the entry again.
		next := relLink.FindStringSubmatch(page)
		if next == nil {
			t.Fatalf("the first of two pages of entries has no link to the next")
		}
		if q := must(url.Parse(html.UnescapeString(next[1]))).Query(); q.Get("nota") != `"><script>alert(1)</script>` || q.Has("ripresenta") {
			t.Errorf("the pager links to %q, want the query's value kept and no entry to log again", next[1])
		}
	})
}

// reviewAction finds the approvals queue's review form and its address.
var reviewAction = regexp.MustCompile(`<form method="post" action="(/approvazioni[^"]*)" novalidate>`)

// TestReviewComesBackToItsPage: the review form on the second page of
// the approvals queue comes back there: refused (a rejection without its
// reason, 422) with the entry ticked on it still shown ticked, and done
// (303) with its notice. Before, it posted to the queue's first page,
// where a refusal showed other entries and lost the ticked one.
func TestReviewComesBackToItsPage(t *testing.T) {
	t.Parallel()
	f, _, network := inLombardia(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	inNovember(t, f, network, 60)
	a := f.client(t)
	a.signIn("admin@lombardia")
	second, token, page := secondPage(t, a, "/approvazioni", "")
	action := formAddress(t, reviewAction, page)
	if got := must(url.Parse(action)).Query().Get("pagina"); got != token {
		t.Fatalf("the second page's review form posts to %q, want the page's query (page %q)", action, token)
	}
	ticked := regexp.MustCompile(`name="voce" value="([^"]+)"`).FindStringSubmatch(page)[1]

	res, page := a.do("POST", action, url.Values{"csrf": {a.csrf(second)}, "voce": {ticked}, "azione": {"respingi"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a rejection without its reason: status %d, want 422", res.StatusCode)
	}
	if !strings.Contains(page, "Risultati da 51 a ") || !strings.Contains(page, `value="`+ticked+`" id="v-`+ticked+`" checked>`) {
		t.Errorf("the refused review did not come back on the second page, its entry ticked")
	}

	res, _ = a.do("POST", action, url.Values{"csrf": {a.csrf(second)}, "voce": {ticked}, "azione": {"approva"}})
	loc := must(url.Parse(res.Header.Get("Location")))
	if res.StatusCode != http.StatusSeeOther || loc.Path != "/approvazioni" || loc.Query().Get("pagina") != token || loc.Query().Has("ok") {
		t.Errorf("approved: status %d to %q, want 303 to the queue's second page with its notice", res.StatusCode, loc)
	}
}

// TestAccountsFormsComeBackToTheirPage: the accounts page's forms post to
// addresses of their own, and come back to the page as it was sent from,
// on the second page of its service tokens: a refused token (no system,
// 422) with links that lead to the page, never to the form's POST-only
// address, and a revocation asked without JavaScript (the confirmation
// page, its "Annulla" leading back there) and done (303 with its notice).
// Before, they came back to the first page of both lists, and a refused
// token's pagers led to /token.
func TestAccountsFormsComeBackToTheirPage(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	auths := famiv1.NewAuthServiceClient(f.conn)
	bulk(t, 60, func(i int) error {
		_, err := auths.CreateServiceToken(f.admin("lombardia"), &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: fmt.Sprintf("sys%04d", i)})
		return err
	})
	a := f.client(t)
	a.signIn("admin@lombardia")
	second, token, page := secondPage(t, a, "/account", "tok_")
	forms := pageForms(t, page, "tokens", "tok_pagina", token,
		regexp.MustCompile(`<form method="post" action="(/token[^"/]*)" novalidate>`), regexp.MustCompile(`<form method="post" action="(/token/[^/"]+/revoca[^"]*)"`))
	create, revoke := forms[0], forms[1]

	res, page := a.do("POST", create, url.Values{"csrf": {a.csrf(second)}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Risultati da 51 a ") {
		t.Errorf("a token without its system: status %d, want 422 on the tokens' second page", res.StatusCode)
	}
	if strings.Contains(page, `href="/token`) {
		t.Errorf("the refused token's page links to its form's address /token, which answers POST only")
	}

	res, page = a.do("POST", revoke, url.Values{"csrf": {a.csrf(second)}})
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `href="`+html.EscapeString(second)+`"`) {
		t.Errorf("the revocation asked without JavaScript: status %d, want the confirmation page leading back to %s", res.StatusCode, second)
	}
	res, _ = a.do("POST", revoke, url.Values{"csrf": {a.csrf(second)}, "conferma": {"1"}})
	loc := must(url.Parse(res.Header.Get("Location")))
	if res.StatusCode != http.StatusSeeOther || loc.Path != "/account" || loc.Query().Get("tok_pagina") != token || loc.Query().Has("ok") {
		t.Errorf("revoked: status %d to %q, want 303 to the tokens' second page with its notice", res.StatusCode, loc)
	}
}

// TestPeriodsFormsComeBackToTheirPage: the periods page's forms, to close
// a period and to reopen one, carry the page's query (keptQuery), so that
// on the second page of 60 periods they come back there: a close refused
// (no dates) and a reopen refused (no reason) show the second page (422)
// with links that lead to the page, never to the reopen's POST-only
// address; a reopen asked without JavaScript offers the way back to it;
// a close and a reopen done lead back to it (303) with their notices.
// Before, both came back to the first page of the periods.
func TestPeriodsFormsComeBackToTheirPage(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	support := famiv1.NewSupportServiceClient(f.conn)
	bulk(t, 60, func(i int) error {
		day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(time.DateOnly)
		_, err := support.ClosePeriod(f.admin("lombardia"), &famiv1.ClosePeriodRequest{Parent: "regions/lombardia", ClosedPeriodId: fmt.Sprintf("p%04d", i),
			ClosedPeriod: &famiv1.ClosedPeriod{StartDate: day, EndDate: day}})
		return err
	})
	a := f.client(t)
	a.signIn("admin@lombardia")
	second, token, page := secondPage(t, a, "/periodi", "")
	forms := pageForms(t, page, "periods", "pagina", token,
		regexp.MustCompile(`<form method="post" action="(/periodi[^"/]*)" novalidate>`), regexp.MustCompile(`<form method="post" action="(/periodi/[^/"]+/riapri[^"]*)"`))
	closeAt, reopen := forms[0], forms[1]

	for _, refused := range []struct{ what, action string }{{"a close without its dates", closeAt}, {"a reopen without its reason", reopen}} {
		res, page := a.do("POST", refused.action, url.Values{"csrf": {a.csrf(second)}, "conferma": {"1"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Risultati da 51 a ") {
			t.Errorf("%s: status %d, want 422 on the periods' second page", refused.what, res.StatusCode)
		}
		if regexp.MustCompile(`href="/periodi/[^"]*/riapri`).MatchString(page) {
			t.Errorf("%s: the page links to the reopen's address, which answers POST only", refused.what)
		}
	}

	res, page := a.do("POST", reopen, url.Values{"csrf": {a.csrf(second)}, "reason": {"Ore da correggere"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `href="`+html.EscapeString(second)+`"`) {
		t.Errorf("the reopen asked without JavaScript: status %d, want the confirmation page leading back to %s", res.StatusCode, second)
	}
	for _, done := range []struct {
		action, ok string
		form       url.Values
	}{
		{reopen, "period_reopened", url.Values{"reason": {"Ore da correggere"}, "conferma": {"1"}}},
		{closeAt, "period_closed", url.Values{"start_date": {"01/01/2021"}, "end_date": {"31/03/2021"}}},
	} {
		done.form.Set("csrf", a.csrf(second))
		res, _ := a.do("POST", done.action, done.form)
		loc := must(url.Parse(res.Header.Get("Location")))
		if res.StatusCode != http.StatusSeeOther || loc.Path != "/periodi" || loc.Query().Get("pagina") != token || loc.Query().Has("ok") {
			t.Errorf("%s done: status %d to %q, want 303 to the periods' second page with its notice", done.ok, res.StatusCode, loc)
		}
	}
}
