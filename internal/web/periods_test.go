package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/resource"
)

// TestClosePeriodWithEntriesAwaitingReview closes the quarter while hours
// still await review: the service refuses, the page explains why in
// Italian and offers to close anyway, which needs a reason.
func TestClosePeriodWithEntriesAwaitingReview(t *testing.T) {
	t.Parallel()
	f, _, _ := withLoggedHours(t)
	a := f.client(t)
	a.signIn("admin@lombardia")
	form := url.Values{"csrf": {a.csrf("/periodi")}, "start_date": {"01/10/2026"}, "end_date": {"31/12/2026"}}
	res, page := a.do("POST", "/periodi", form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "1 registrazione di questo periodo è ancora in attesa") ||
		!strings.Contains(page, "oppure chiudi comunque indicando il motivo") || !strings.Contains(page, `name="conferma"`) {
		t.Fatalf("close with an entry awaiting review: status %d; want 422 explaining and offering to close anyway\n%s", res.StatusCode, page)
	}
	if n := closedPeriods(f); n != 0 {
		t.Fatalf("a refused close closed %d periods", n)
	}
	// The warning leads to where the entries are approved or rejected,
	// rather than leaving the admin to find the approvals in the menu.
	if !strings.Contains(page, `<a href="/approvazioni">Vai alle ore da approvare</a>`) {
		t.Error("the warning does not link to the approvals queue")
	}

	// Closing anyway without a reason: the reason's field says it is needed.
	form.Set("conferma", "1")
	res, page = a.do("POST", "/periodi", form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-reason-err"`) || !strings.Contains(page, `name="conferma"`) {
		t.Fatalf("close anyway without a reason: status %d; want 422 with the error next to the reason, still offering to force", res.StatusCode)
	}
	if n := closedPeriods(f); n != 0 {
		t.Fatalf("a forced close without a reason closed %d periods", n)
	}

	form.Set("reason", "Chiusura del trimestre per la rendicontazione")
	if res, _ = a.do("POST", "/periodi", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("close anyway with a reason: status %d, want 303", res.StatusCode)
	}
	if n := closedPeriods(f); n != 1 {
		t.Fatalf("after closing anyway: %d closed periods, want 1", n)
	}
	if st := f.entries("lombardia")[0].GetState(); st != famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_SUBMITTED {
		t.Errorf("the entry awaiting review is %s after the forced close, want it frozen as SUBMITTED", st)
	}
}

func closedPeriods(f *famid) int {
	f.t.Helper()
	res, err := famiv1.NewSupportServiceClient(f.conn).ListClosedPeriods(f.admin("lombardia"), &famiv1.ListClosedPeriodsRequest{Parent: "regions/lombardia"})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(res.GetClosedPeriods())
}

// TestEntryPagesReadTheirClosedPeriodsOnly: the hours page and an entry's
// page ask the service for the closed periods that meet the days they
// show (the month, the entry's date), in one call, never the region's
// whole history of 60 more; the entry is still shown closed. They read all
// 62 on every view.
func TestEntryPagesReadTheirClosedPeriodsOnly(t *testing.T) {
	t.Parallel()
	f, _, _ := withLoggedHours(t) // an entry of 20 November 2026
	support := famiv1.NewSupportServiceClient(f.conn)
	closePeriod := func(id, start, end string) {
		t.Helper()
		if _, err := support.ClosePeriod(f.admin("lombardia"), &famiv1.ClosePeriodRequest{Parent: "regions/lombardia", ClosedPeriodId: id, Force: true,
			ClosedPeriod: &famiv1.ClosedPeriod{StartDate: start, EndDate: end, Reason: "Rendicontato"}}); err != nil {
			t.Fatal(err)
		}
	}
	closePeriod("novembre", "2026-11-01", "2026-11-30")
	closePeriod("ponte", "2026-10-25", "2026-11-02")
	for day := range 60 {
		d := time.Date(2020, 1, 1+day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		closePeriod("giorno-"+d, d, d)
	}
	base, reads := countedApp(t, f)
	consultant := f.signedIn("mrossi@lombardia")
	entry := resource.ID(f.entries("lombardia")[0].GetName())

	for _, c := range []struct {
		path    string
		periods int
	}{{"/ore?vista=mese&data=2026-11-20", 2}, {"/ore?vista=settimana&data=2026-11-20", 1}, {"/ore/" + entry, 1}} {
		reads.reset()
		if page := fetch(t, base+c.path, consultant); !strings.Contains(page, "Il trimestre è chiuso") {
			t.Errorf("%s does not show the entry closed", c.path)
		}
		if n, items := reads.of("ListClosedPeriods"), reads.itemsOf("ListClosedPeriods"); n != 1 || items != c.periods {
			t.Errorf("%s read %d closed periods in %d calls, want the %d that meet its days in one", c.path, items, n, c.periods)
		}
	}
}
