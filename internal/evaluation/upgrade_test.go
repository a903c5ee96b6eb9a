package evaluation_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/evaluation"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestRecordSurveyRefsOncePerRegion: the start records the meeting
// references of the surveys stored before surveys recorded them, more
// than one transaction's worth in a region, without a revision (it writes
// no resource); a region with a damaged survey is named unreachable and
// left unmarked, for a later start, while the others are recorded; a
// region without surveys is left empty (an import into etcd wants one);
// and a region is recorded once.
func TestRecordSurveyRefsOncePerRegion(t *testing.T) {
	dir := t.TempDir()
	regions := []string{"lombardia", "molise", "veneto"}
	st := bolttest.Open(t, dir, bolt.Options{Regions: regions})
	// older stores surveys as an earlier famid left them: their records only.
	older := func(region string, ids ...string) {
		t.Helper()
		_, err := st.Update(t.Context(), region, store.Mutation{Principal: "test"}, func(tx store.WriteTx) (proto.Message, error) {
			for _, id := range ids {
				sv := &famiv1.Survey{Name: "regions/" + region + "/surveys/" + id, Title: "MARKER-" + id,
					Meeting: "regions/" + region + "/meetings/" + id, CloseTime: timestamppb.New(time.Now().Add(time.Hour))}
				if err := tx.Put(sv); err != nil {
					return nil, err
				}
			}
			return &emptypb.Empty{}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var many []string
	for i := range 250 {
		many = append(many, fmt.Sprintf("s%03d", i))
	}
	older("lombardia", many...)
	older("veneto", "intatto", "danneggiato")
	bolttest.Damage(t, dir, "veneto", "MARKER-danneggiato")
	revision := func(region string) (rev int64) {
		t.Helper()
		if err := st.View(t.Context(), region, func(tx store.ReadTx) error { rev = tx.Revision(); return nil }); err != nil {
			t.Fatal(err)
		}
		return rev
	}
	// inUse reports whether the meeting id of region is recorded as in use.
	inUse := func(region, id string) bool {
		t.Helper()
		var err error
		if verr := st.View(t.Context(), region, func(tx store.ReadTx) error {
			err = registry.InUse(tx, "regions/"+region+"/meetings/"+id, errs.MeetingInUse)
			return nil
		}); verr != nil {
			t.Fatal(verr)
		}
		return errs.As(err) != nil && errs.As(err).Reason == errs.MeetingInUse
	}
	before := revision("lombardia")

	unreachable, err := evaluation.RecordSurveyRefs(t.Context(), st, regions)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(unreachable, []string{"regions/veneto"}) {
		t.Errorf("unreachable %v, want the region with a damaged survey, regions/veneto", unreachable)
	}
	for _, id := range []string{many[0], many[len(many)-1]} {
		if !inUse("lombardia", id) {
			t.Errorf("meeting %s of an older survey is not recorded as in use", id)
		}
	}
	if err := st.View(t.Context(), "molise", func(tx store.ReadTx) error {
		tx.IndexScan("survey_refs", "", func(k, _ string) bool {
			t.Errorf("a region without surveys got %q written", k)
			return false
		})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := revision("lombardia"); got != before {
		t.Errorf("revision %d after recording the references, want %d: they are no change", got, before)
	}

	// A region is recorded once: a survey stored as an earlier famid would
	// after its mark is not looked for again; veneto is tried again.
	older("lombardia", "dopo")
	unreachable, err = evaluation.RecordSurveyRefs(t.Context(), st, regions)
	if err != nil || !slices.Equal(unreachable, []string{"regions/veneto"}) {
		t.Errorf("second start: unreachable %v, %v; want regions/veneto again", unreachable, err)
	}
	if inUse("lombardia", "dopo") {
		t.Errorf("a region's surveys were read again after its mark")
	}
}
