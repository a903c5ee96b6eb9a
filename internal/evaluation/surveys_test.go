package evaluation_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/evaluation"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestDamagedRecords: a survey whose meeting's stored record fails its
// checksum is refused with the store's DATA_LOSS, not told that the
// meeting does not exist; a damaged survey is DATA_LOSS to the link that
// opens it, not "not found, or the link is wrong".
func TestDamagedRecords(t *testing.T) {
	dir := t.TempDir()
	st := bolttest.Open(t, dir, bolt.Options{Regions: []string{"lombardia"}})
	svc := evaluation.NewSurveys(st, evaluation.SurveyOptions{})
	ctx := principal.With(t.Context(), principal.Principal{Subject: "acct:lombardia:mrossi", Role: principal.Consultant, Region: "lombardia"})
	meeting := &famiv1.Meeting{Name: "regions/lombardia/meetings/tavolo", Title: "MARKER-meeting"}
	if _, err := st.Update(ctx, "lombardia", store.Mutation{Principal: "test"}, func(tx store.WriteTx) (proto.Message, error) {
		return meeting, tx.Put(meeting)
	}); err != nil {
		t.Fatal(err)
	}
	survey := func(meeting string) *famiv1.CreateSurveyRequest {
		return &famiv1.CreateSurveyRequest{Parent: "regions/lombardia", Survey: &famiv1.Survey{
			Title: "MARKER-survey", Meeting: meeting, CloseTime: timestamppb.New(time.Now().Add(time.Hour)),
			Questions: []*famiv1.SurveyQuestion{{Id: "utilita", Text: "Utile?", Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE}}}}
	}
	sv, err := svc.CreateSurvey(ctx, survey(""))
	if err != nil {
		t.Fatal(err)
	}
	bolttest.Damage(t, dir, "lombardia", "MARKER-meeting")
	bolttest.Damage(t, dir, "lombardia", "MARKER-survey")

	_, err = svc.CreateSurvey(ctx, survey(meeting.Name))
	bolttest.WantRecordCorrupt(t, "a survey of a damaged meeting", err)
	_, err = svc.OpenSurvey(ctx, &famiv1.OpenSurveyRequest{Name: sv.GetName(), LinkKey: sv.GetLinkKey()})
	bolttest.WantRecordCorrupt(t, "open a damaged survey", err)
	_, err = svc.OpenSurvey(ctx, &famiv1.OpenSurveyRequest{Name: "regions/lombardia/surveys/nessuno", LinkKey: sv.GetLinkKey()})
	if errs.CodeOf(err) != errs.NotFound {
		t.Errorf("open a survey that does not exist: got %v, want NOT_FOUND", err)
	}
}
