package server_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// TestStartRecordsTheMeetingsOlderSurveysEvaluate: a survey an earlier
// famid stored, before surveys recorded their meeting as a reference,
// keeps its meeting from being deleted once famid has started on the
// file, with nothing asked of the delete; a region whose older survey is
// damaged neither stops the start nor any meeting delete of its own (the
// start logs it and tries again at the next).
func TestStartRecordsTheMeetingsOlderSurveysEvaluate(t *testing.T) {
	var log syncbuf.Buffer
	ts := startServer(t, server.Config{Logger: textLog(&log, slog.LevelError)})
	if err := ts.Stop(); err != nil {
		t.Fatal(err)
	}
	// As an earlier famid left the files: a meeting and a survey of it in
	// each region, the surveys' records only, and no region marked done.
	st, err := bolt.Open(ts.DataDir, bolt.Options{Regions: []string{"lombardia", "veneto"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, region := range []string{"lombardia", "veneto"} {
		_, err := st.Update(t.Context(), region, store.Mutation{Principal: "test:stored-directly"}, func(tx store.WriteTx) (proto.Message, error) {
			for _, id := range []string{"valutato", "libero"} {
				if err := tx.Put(&famiv1.Meeting{Name: "regions/" + region + "/meetings/" + id, Title: "Tavolo",
					State: famiv1.MeetingState_MEETING_STATE_SCHEDULED}); err != nil {
					return nil, err
				}
			}
			sv := &famiv1.Survey{Name: "regions/" + region + "/surveys/vecchio", Title: "MARKER-survey-" + region,
				Meeting: "regions/" + region + "/meetings/valutato", CloseTime: timestamppb.New(time.Now().Add(time.Hour))}
			return &emptypb.Empty{}, errors.Join(tx.Put(sv), tx.IndexDelete("survey_refs", "recorded"))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	bolttest.Damage(t, ts.DataDir, "veneto", "MARKER-survey-veneto")
	ts = ts.restart()

	mtg := newSurface(t, ts, "grpc").MeetingServiceClient
	_, err = mtg.DeleteMeeting(t.Context(), &famiv1.DeleteMeetingRequest{Name: "regions/lombardia/meetings/valutato"})
	if e, ok := asCallError(err); !ok || e.Code != codes.FailedPrecondition || e.Reason != "MEETING_IN_USE" {
		t.Errorf("delete the meeting an older survey evaluates: got %v, want FAILED_PRECONDITION MEETING_IN_USE", err)
	}
	veneto := newSurfaceAs(t, ts, "grpc", ts.mintToken(regionAdminSpec("veneto"))).MeetingServiceClient
	if _, err := veneto.DeleteMeeting(t.Context(), &famiv1.DeleteMeetingRequest{Name: "regions/veneto/meetings/libero"}); err != nil {
		t.Errorf("delete a meeting of the region with a damaged survey: %v", err)
	}
	if got := log.String(); !strings.Contains(got, "regions/veneto") || !strings.Contains(got, "older surveys") {
		t.Errorf("the start logged %q, want the region whose surveys it could not read", got)
	}
}
