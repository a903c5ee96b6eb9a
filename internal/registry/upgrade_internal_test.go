package registry

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestRecordProjectPlansOncePerRegion: the projects a region stored before
// the registry kept plan digests get theirs, and their budgets join the
// region's total, at famid's start: in Molise, 10,000 maximal projects
// stored the old way, beside one written since (whose total counted it
// alone), bring the total past check.MaxRegionCents: recorded all the
// same, they exist, and the region's next raise is refused while a
// lowering passes. The writes touch indexes only (no revision), a second
// run writes nothing, and a region without projects is left unmarked.
func TestRecordProjectPlansOncePerRegion(t *testing.T) {
	const region = "molise"
	regions := []string{region, "veneto"}
	st := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: regions})
	ctx := principal.With(t.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: region})
	projects := New(st, nil).Projects()
	create := func(id string, cents int64) (*famiv1.Project, error) {
		return projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/" + region, ProjectId: id, Project: &famiv1.Project{
			Code: "PROG-" + id, Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2021-01-01", EndDate: "2027-12-31", BudgetCents: cents}})
	}
	since, err := create("recente", 100)
	if err != nil {
		t.Fatal(err)
	}
	const older = int64(check.MaxRegionCents / check.MaxCents)
	_, err = st.Update(ctx, region, store.Mutation{Principal: "test:old-code"}, func(tx store.WriteTx) (proto.Message, error) {
		for i := range older {
			if err := tx.Put(&famiv1.Project{Name: fmt.Sprintf("regions/%s/projects/vecchio-%05d", region, i), Code: fmt.Sprintf("PROG-%d", i), Title: "Progetto",
				StartDate: "2021-01-01", EndDate: "2027-12-31", BudgetCents: check.MaxCents}); err != nil {
				return nil, err
			}
		}
		return &emptypb.Empty{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	state := func(region string) (rev, total int64, digests int, marked bool) {
		t.Helper()
		if err := st.View(ctx, region, func(tx store.ReadTx) error {
			rev = tx.Revision()
			_, marked = tx.IndexGet(indexBudgets, plansRecorded)
			if total, err = budgetsOf(tx); err != nil {
				return err
			}
			return ProjectPlans(tx, func(*famiv1.Project) bool { digests++; return true })
		}); err != nil {
			t.Fatal(err)
		}
		return rev, total, digests, marked
	}
	rev, _, _, _ := state(region)

	for run := range 2 {
		if unreachable, err := RecordProjectPlans(t.Context(), st, regions); err != nil || len(unreachable) != 0 {
			t.Fatalf("run %d: %v, %v", run, unreachable, err)
		}
		gotRev, total, digests, marked := state(region)
		if want := older*check.MaxCents + 100; gotRev != rev || total != want || digests != int(older)+1 || !marked {
			t.Errorf("run %d: revision %d, total %d, %d digests, marked %v; want revision %d, total %d, %d digests, marked", run, gotRev, total, digests, marked, rev, want, older+1)
		}
	}
	if _, _, _, marked := state("veneto"); marked {
		t.Error("an empty region was marked: it must stay empty")
	}
	if _, err := create("oltre", 1); err == nil {
		t.Error("a new project in a region past the ceiling was written")
	}
	since.BudgetCents = 50
	if _, err := projects.UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: since}); err != nil {
		t.Errorf("a lowered budget in a region past the ceiling: %v", err)
	}
}
