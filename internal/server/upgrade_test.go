package server_test

import (
	"errors"
	"fmt"
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
	t.Parallel()
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

// TestStartRecordsTheOlderProjectsPlans: projects an earlier famid stored,
// before the registry kept plan digests, are in the region's summaries
// (their budget, their indicators' targets) and its total of budgets once
// famid has started on the file: 120 of them in Lombardia, recorded in
// several transactions, beside one written since, whose digest and total
// the start leaves as they are. A region whose older project is damaged
// neither stops the start nor keeps the others' from being recorded; the
// start logs it. Before, their reports' money counted while their budgets
// and targets did not until each project's next write.
func TestStartRecordsTheOlderProjectsPlans(t *testing.T) {
	t.Parallel()
	var log syncbuf.Buffer
	ts := startServer(t, server.Config{Logger: textLog(&log, slog.LevelError)})
	admin := newSurface(t, ts, "grpc")
	plan := func(id string) *famiv1.Project {
		return &famiv1.Project{Code: "PROG-" + id, Title: "MARKER-project-" + id, Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2021-01-01", EndDate: "2021-12-31",
			BudgetCents: 100000, Actions: []*famiv1.ProjectAction{{Code: "01", Title: "Azione"}},
			Indicators: []*famiv1.Indicator{{Code: "OUT-01", Name: "Reti", Unit: "reti", Kind: famiv1.IndicatorKind_INDICATOR_KIND_OUTPUT, Target: 2, TargetDate: "2021-12-31"}}}
	}
	mustOK(admin.CreateProject(t.Context(), &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "recente", Project: plan("recente")}))(t, "a project written since")
	if err := ts.Stop(); err != nil {
		t.Fatal(err)
	}
	// As an earlier famid left the files: the projects' records only.
	st, err := bolt.Open(ts.DataDir, bolt.Options{Regions: []string{"lombardia", "veneto"}})
	if err != nil {
		t.Fatal(err)
	}
	const older = 120
	for _, region := range []string{"lombardia", "veneto"} {
		_, err := st.Update(t.Context(), region, store.Mutation{Principal: "test:stored-directly"}, func(tx store.WriteTx) (proto.Message, error) {
			n := older
			if region == "veneto" {
				n = 2
			}
			for i := range n {
				id := fmt.Sprintf("vecchio-%03d", i)
				p := plan(id)
				p.Name = "regions/" + region + "/projects/" + id
				if err := tx.Put(p); err != nil {
					return nil, err
				}
			}
			return &emptypb.Empty{}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	bolttest.Damage(t, ts.DataDir, "veneto", "MARKER-project-vecchio-001")
	ts = ts.restart()

	sum := summarize(t, newSurface(t, ts, "grpc"), lombardia, "2021-q1")
	if sum.GetProjects() != older+1 || sum.GetBudgetCents() != (older+1)*100000 || len(sum.GetIndicators()) != 1 || sum.GetIndicators()[0].GetTarget() != 2*(older+1) {
		t.Errorf("Lombardia's summary: %d projects, budget %d, indicators %v; want %d projects, budget %d, a target of %d",
			sum.GetProjects(), sum.GetBudgetCents(), sum.GetIndicators(), older+1, (older+1)*100000, 2*(older+1))
	}
	if got := log.String(); !strings.Contains(got, "regions/veneto") || !strings.Contains(got, "older projects") {
		t.Errorf("the start logged %q, want the region whose projects it could not read", got)
	}
}
