package monitoring_test

import (
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/monitoring"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestReviewReasonLimit: returning or correcting a report takes a reason
// of at most check.MaxReason characters, the limit of every other reason
// in the API; one character more is refused naming the field, with
// TEXT_TOO_LONG, before the report is read.
func TestReviewReasonLimit(t *testing.T) {
	const region = "lombardia"
	st := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{region}})
	ctx := principal.With(t.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: region})
	svc := monitoring.New(st, monitoring.Options{})
	const name = "regions/" + region + "/projects/p/monitoringReports/2021-q1"
	calls := map[string]func(reason string) error{
		"return": func(reason string) error {
			_, err := svc.ReturnMonitoringReport(ctx, &famiv1.ReturnMonitoringReportRequest{Name: name, Reason: reason})
			return err
		},
		"correct": func(reason string) error {
			_, err := svc.CorrectMonitoringReport(ctx, &famiv1.CorrectMonitoringReportRequest{Name: name, Reason: reason})
			return err
		},
	}
	for method, call := range calls {
		err := errs.As(call(strings.Repeat("r", check.MaxReason+1)))
		if err == nil || len(err.Violations) != 1 || err.Violations[0].Field != "reason" || err.Violations[0].Reason != errs.TextTooLong {
			t.Errorf("%s with a reason of %d characters: %v, want reason refused as %s", method, check.MaxReason+1, err, errs.TextTooLong)
		}
		// At the limit the reason passes, and the missing report answers.
		if err := call(strings.Repeat("r", check.MaxReason)); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("%s with a reason of %d characters: %v, want NOT_FOUND for the missing report", method, check.MaxReason, err)
		}
	}
}
