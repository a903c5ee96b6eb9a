package server_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestSupportStatesNamed: the states filter of ListSupportEntries and
// SummarizeSupportEntries refuses a state unspecified or unknown naming
// states[i], on every surface, as ListMonitoringReports' does
// (TestReportsListedByState): the three share check.Enums.
func TestSupportStatesNamed(t *testing.T) {
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		const approved = famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_APPROVED
		// REST's query parser refuses an unknown number before the service
		// sees it, naming the list (the gateway does not say which item).
		unknownField := "states[1]"
		if kind == "rest" {
			unknownField = "states"
		}
		for _, c := range []struct {
			what   string
			states []famiv1.SupportEntryState
			field  string
		}{
			{"state unspecified", []famiv1.SupportEntryState{approved, famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_UNSPECIFIED}, "states[1]"},
			{"unknown state", []famiv1.SupportEntryState{approved, 99}, unknownField},
		} {
			_, err := s.ListSupportEntries(ctx, &famiv1.ListSupportEntriesRequest{Parent: lombardia, States: c.states})
			checkErr(t, "list, "+c.what, err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{c.field}})
			_, err = s.SummarizeSupportEntries(ctx, &famiv1.SummarizeSupportEntriesRequest{Parent: lombardia, StartDate: "2021-01-01", EndDate: "2021-06-30", States: c.states})
			checkErr(t, "summary, "+c.what, err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{c.field}})
		}
	})
}
