package evaluation

import (
	"context"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
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

// refsBatch bounds the surveys whose references one transaction records:
// an etcd transaction holds a bounded number of operations (its
// --max-txn-ops, 128 by default), one per reference here.
const refsBatch = 100

// RecordSurveyRefs records the meeting references of the surveys that the
// regions (ids) stored before CreateSurvey recorded them, so that their
// meetings cannot be deleted under them (MEETING_IN_USE), and marks each
// region done. famid runs it once at its start, before it serves: surveys
// are never changed or deleted, so no later write would record them.
//
// A region whose surveys cannot all be read (a damaged record, DATA_LOSS,
// or another of one region's troubles, aip.Skip) is left unmarked, for the
// start after its restore, and named in unreachable; the others are
// recorded. Any other error stops and is returned. Recording is
// idempotent: a start cut short, or several famid starting on one etcd
// cluster, record the same entries again.
func RecordSurveyRefs(ctx context.Context, st store.Store, regions []string) (unreachable []string, err error) {
	return aip.EachRegion(ctx, regions, func(region string) error {
		return recordSurveyRefs(ctx, st, region)
	})
}

// recordSurveyRefs is RecordSurveyRefs for one region.
func recordSurveyRefs(ctx context.Context, st store.Store, region string) error {
	var (
		done, found bool
		surveys     []*famiv1.Survey
	)
	err := st.View(ctx, region, func(tx store.ReadTx) error {
		if _, done = tx.IndexGet(indexSurveyRefs, refsRecorded); done {
			return nil
		}
		return tx.List(resource.Surveys, "", func(id string, raw []byte) (bool, error) {
			sv := &famiv1.Survey{}
			if err := store.Decode(id, raw, sv); err != nil {
				return false, err
			}
			found = true
			if sv.GetMeeting() != "" {
				surveys = append(surveys, sv)
			}
			return true, nil
		})
	})
	// A region without surveys is left as it is, unmarked: one that holds
	// nothing must stay empty (an import into etcd, a restore, wants an
	// empty region), and its surveys to come record their references
	// themselves.
	if err != nil || done || !found {
		return err
	}
	// The writes touch indexes only: no resource, so no revision and no
	// change for the feed.
	for batch := range slices.Chunk(surveys, refsBatch) {
		_, err := st.Update(ctx, region, store.Mutation{Principal: "famid"}, func(tx store.WriteTx) (proto.Message, error) {
			for _, sv := range batch {
				if err := registry.SetRefs(tx, sv.GetName(), nil, surveyRefs(sv)); err != nil {
					return nil, err
				}
			}
			return &emptypb.Empty{}, nil
		})
		if err != nil {
			return err
		}
	}
	_, err = st.Update(ctx, region, store.Mutation{Principal: "famid"}, func(tx store.WriteTx) (proto.Message, error) {
		return &emptypb.Empty{}, tx.IndexPut(indexSurveyRefs, refsRecorded, "")
	})
	return err
}
