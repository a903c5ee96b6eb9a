package evaluation

import (
	"context"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// indexSurveyRefs marks, under refsRecorded, a region whose surveys made
// before CreateSurvey recorded their meeting as a reference have it
// recorded (RecordSurveyRefs).
const (
	indexSurveyRefs = "survey_refs"
	refsRecorded    = "recorded"
)

// RecordSurveyRefs records the meeting references of the surveys that the
// regions (ids) stored before CreateSurvey recorded them, so that their
// meetings cannot be deleted under them (MEETING_IN_USE), and marks each
// region done (resource.Upgrade). famid runs it once at its start, before
// it serves: surveys are never changed or deleted, so no later write would
// record them.
func RecordSurveyRefs(ctx context.Context, st store.Store, regions []string) (unreachable []string, err error) {
	return resource.Upgrade[*famiv1.Survey]{
		Collection: resource.Surveys,
		Index:      indexSurveyRefs,
		Done:       refsRecorded,
		Batch:      100, // one operation per reference
		Needs:      func(_ store.ReadTx, sv *famiv1.Survey) bool { return sv.GetMeeting() != "" },
		Record: func(tx store.WriteTx, sv *famiv1.Survey) error {
			return registry.SetRefs(tx, sv.GetName(), nil, surveyRefs(sv))
		},
	}.Run(ctx, st, regions)
}
