package server_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestEmptyListsAreRequired: every list that takes one to a bound of
// things (check.Listed) refuses an empty one on every surface, naming its
// field and saying what it takes, in the words each said before they
// shared one check: a batch read's and a batch review's names, a survey's
// questions, a network's members and a meeting's attendance.
func TestEmptyListsAreRequired(t *testing.T) {
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		names := seedEveryType(t, ts)
		admin := newSurface(t, ts, kind)
		survey := matrixSurvey()
		survey.Questions = nil
		for _, c := range []struct {
			call, message string
			err           error
		}{
			{"BatchGetPartners", "invalid names: is required: at least one partner",
				second(admin.BatchGetPartners(ctx, &famiv1.BatchGetPartnersRequest{Parent: lombardia}))},
			{"BatchApproveSupportEntries", "invalid names: is required: at least one entry",
				second(admin.BatchApproveSupportEntries(ctx, &famiv1.BatchApproveSupportEntriesRequest{Parent: lombardia}))},
			{"CreateSurvey", "invalid survey.questions: is required",
				second(admin.CreateSurvey(ctx, &famiv1.CreateSurveyRequest{Parent: lombardia, SurveyId: "vuoto", Survey: survey}))},
			{"CreateNetwork", "invalid network.members: is required: at least the lead partner",
				second(admin.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "vuota",
					Network: &famiv1.Network{DisplayName: "Vuota", LeadPartner: partnerName("udp")}}))},
			{"RecordAttendance", "invalid attendance: is required: list the partners present (attendees 0 records a partner's absence)",
				second(admin.RecordAttendance(ctx, &famiv1.RecordAttendanceRequest{Name: names["fami.v1.Meeting"]}))},
		} {
			got, ok := asCallError(c.err)
			// The first violation is the message's; a network without
			// members also names its lead partner as none of them.
			if !ok || got.Code != codes.InvalidArgument || !strings.HasPrefix(got.Message, c.message) {
				t.Errorf("%s with an empty list: %v, want INVALID_ARGUMENT %q", c.call, c.err, c.message)
			}
		}
	})
}

// second is the error of a call's two results.
func second[T any](_ T, err error) error { return err }
