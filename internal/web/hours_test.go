package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestDayOverTwelveHoursSaysSo: a consultant whose day would pass 12
// hours, with one entry or with several of the same day, is told that in
// words at the duration. Before, the field said "un multiplo di 15
// maggiore di zero" of 1215 and of 300 minutes after 480, both multiples
// of 15 above zero: the rule broken was another, and the page did not
// say which.
func TestDayOverTwelveHoursSaysSo(t *testing.T) {
	t.Parallel()
	f, c, network := inLombardia(t)
	c.signIn("mrossi@lombardia")
	const (
		dayLimit = `id="f-duration_minutes-err">Al massimo 12 ore (720 minuti) di supporto in un giorno`
		step     = `un multiplo di 15 maggiore di zero`
	)
	refused := func(what, minutes string) {
		t.Helper()
		form := entryForm(c.csrf("/ore"), network)
		form.Set("duration_minutes", minutes)
		res, page := c.do("POST", "/ore", form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, dayLimit) || strings.Contains(page, step) {
			t.Errorf("%s: status %d; want 422 with the duration saying %q, not %q", what, res.StatusCode, dayLimit, step)
		}
	}
	refused("one entry of 1215 minutes", "1215")

	form := entryForm(c.csrf("/ore"), network)
	form.Set("duration_minutes", "480")
	if res, _ := c.do("POST", "/ore", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("8 hours on a day: status %d, want 303", res.StatusCode)
	}
	refused("300 minutes after 480 on the same day", "300")
	if n := len(f.entries("lombardia")); n != 1 {
		t.Errorf("%d entries saved, want the first alone", n)
	}

	// The rule of the step is still said for a duration that breaks it.
	form = entryForm(c.csrf("/ore"), network)
	form.Set("duration_minutes", "100")
	if res, page := c.do("POST", "/ore", form); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, step) {
		t.Errorf("100 minutes: status %d; want 422 saying %q", res.StatusCode, step)
	}
}

// TestApprovedEntryShowsWhatWasLogged: an entry that may no longer change
// (approved here) shows what was logged on its page, under a title that
// offers no edit. Before, its page was titled "Modifica ore di supporto"
// and showed its date and state alone: not the network, the activity nor
// the duration the region had approved.
func TestApprovedEntryShowsWhatWasLogged(t *testing.T) {
	t.Parallel()
	f, c, network := inLombardia(t)
	c.signIn("mrossi@lombardia")
	form := entryForm(c.csrf("/ore"), network)
	form.Set("notes", "Bozza del protocollo UdP-CPIA")
	if res, _ := c.do("POST", "/ore", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("log hours: status %d", res.StatusCode)
	}
	entry := f.entries("lombardia")[0].GetName()
	if _, err := famiv1.NewSupportServiceClient(f.conn).BatchApproveSupportEntries(f.admin("lombardia"),
		&famiv1.BatchApproveSupportEntriesRequest{Parent: "regions/lombardia", Names: []string{entry}}); err != nil {
		t.Fatal(err)
	}
	_, page := c.do("GET", "/ore/"+lastID(entry), nil)
	for _, want := range []string{
		"<h1>Ore di supporto</h1>",
		"<dt>Rete territoriale</dt><dd>Rete Bergamo</dd>",
		"<dt>Attività</dt><dd>Laboratorio</dd>",
		"<dt>Durata</dt><dd>1 h 30 min</dd>",
		"<dt>Modalità</dt><dd>A distanza</dd>",
		"<dt>Note</dt><dd>Bozza del protocollo UdP-CPIA</dd>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the approved entry's page does not show %s", want)
		}
	}
	if strings.Contains(page, "Modifica ore di supporto") {
		t.Error("the approved entry's page is titled as an edit")
	}
}

// TestHoursTotalLeavesRejectedApart: the hours page's total is of the
// hours that count, submitted or approved, and the rejected ones are said
// apart, on a page holding the whole period (summed from its rows) as on
// one page of many (summed by the service). Before, both added every
// state: a month whose only entry was rejected said "Totale del periodo:
// 1 h 30 min", hours the region had refused.
func TestHoursTotalLeavesRejectedApart(t *testing.T) {
	t.Parallel()
	f, c, network := withLoggedHours(t)
	support := famiv1.NewSupportServiceClient(f.conn)
	if _, err := support.RejectSupportEntry(f.admin("lombardia"), &famiv1.RejectSupportEntryRequest{Name: f.entries("lombardia")[0].GetName(), Reason: "Manca il verbale"}); err != nil {
		t.Fatal(err)
	}
	const month = "/ore?vista=mese&data=2026-11-20"
	if _, page := c.do("GET", month, nil); !strings.Contains(page, "<caption>Totale del periodo: 0 min, escluse le ore respinte (1 h 30 min)</caption>") {
		t.Errorf("a month whose only entry is rejected does not say 0 min with the rejected 1 h 30 min apart:\n%s", caption(page))
	}

	// 50 entries more of 15 minutes: the month is two pages.
	consultant := f.asAccount("mrossi@lombardia")
	for i := range 50 {
		if _, err := support.CreateSupportEntry(consultant, &famiv1.CreateSupportEntryRequest{Parent: "regions/lombardia", SupportEntry: &famiv1.SupportEntry{
			Network: network, Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP, Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE,
			Date: fmt.Sprintf("2026-11-%02d", 1+i/3), DurationMinutes: 15,
		}}); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	_, page := c.do("GET", month, nil)
	if nextOf(page) == "" {
		t.Fatal("51 entries of a month fit one page: the service's sum is not read")
	}
	if !strings.Contains(page, "<caption>Totale del periodo: 12 h 30 min, escluse le ore respinte (1 h 30 min)</caption>") {
		t.Errorf("a month of many pages does not leave its rejected hours apart:\n%s", caption(page))
	}
}

// caption is the page's table caption, for a failure's message.
func caption(page string) string {
	if i, j := strings.Index(page, "<caption>"), strings.Index(page, "</caption>"); i >= 0 && j > i {
		return page[i:j]
	}
	return "(no caption)"
}
