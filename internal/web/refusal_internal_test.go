package web

import (
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestErrorPageWordsALimitAsAFormDoes: a resource at one of its limits
// (LIMIT_REACHED) that reaches the error page rather than a form is worded
// as the form words it, with the limit (refusal); the error page said only
// the reason's generic text, where the form said how many and what to do.
func TestErrorPageWordsALimitAsAFormDoes(t *testing.T) {
	t.Parallel()
	a, err := New(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := status.New(codes.FailedPrecondition, "the project already holds 50 extensions").WithDetails(&errdetails.ErrorInfo{
		Reason: "LIMIT_REACHED", Domain: "raccordo", Metadata: map[string]string{"resource": "regions/lombardia/projects/p", "items": "extensions", "limit": "50"},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	a.fail(rec, httptest.NewRequest(http.MethodGet, "/progetti/p", nil), nil, st.Err())
	if rec.Code != http.StatusBadRequest {
		t.Errorf("status %d, want 400", rec.Code)
	}
	if want := html.EscapeString(msgf("limit.extensions", "50")); !strings.Contains(rec.Body.String(), want) {
		t.Errorf("the error page does not say the limit: want %q in\n%s", want, rec.Body.String())
	}
}

// TestRefusalSaysTheRegionsMoneyCeilingInEuro: a report, or a project's
// or an extension's budget, refused because it would carry its region's
// money past check.MaxRegionCents is worded as what it is, the region's
// committed, paid or budgets, with the ceiling in euro, and what to lower.
// The form said only the reason's generic text, that "the maximum number"
// was reached (for a budget, until the limit had its own text).
func TestRefusalSaysTheRegionsMoneyCeilingInEuro(t *testing.T) {
	t.Parallel()
	for _, items := range []string{"committed_cents", "paid_cents", "project.budget_cents", "extension.budget_cents"} {
		st, err := status.New(codes.FailedPrecondition, "past the region's ceiling").WithDetails(&errdetails.ErrorInfo{
			Reason: "LIMIT_REACHED", Domain: "raccordo", Metadata: map[string]string{"resource": "regions/molise", "items": items, "limit": "100000000000000000"},
		})
		if err != nil {
			t.Fatal(err)
		}
		got := refusal(st.Err())
		if want := "1.000.000.000.000.000,00\u00a0€"; !strings.Contains(got, want) || got != msgf("limit."+items, want) {
			t.Errorf("%s: refused with %q, want the text of limit.%s with %q", items, got, items, want)
		}
		if !strings.Contains(got, "Riduci") {
			t.Errorf("%s: refused with %q, which does not say to lower the amounts", items, got)
		}
	}
}
