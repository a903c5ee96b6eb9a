package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestClosePeriodWithEntriesAwaitingReview closes the quarter while hours
// still await review: the service refuses, the page explains why in
// Italian and offers to close anyway, which needs a reason.
func TestClosePeriodWithEntriesAwaitingReview(t *testing.T) {
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
