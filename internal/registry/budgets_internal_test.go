package registry

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestRegionBudgetCeiling: the budgets of a region's projects add up to
// at most check.MaxRegionCents, so the summaries' sums of them (the
// region's, the nation's) cannot overflow. 9,999 projects of the largest
// budget, whose digests are stored as the code before the total wrote them
// (the digest alone), and one more created bring molise to the ceiling
// exactly; a create, an update and a funded extension that would pass it
// are refused with LIMIT_REACHED naming their budget field, saying by how
// much to lower it, and write nothing; lowering a budget, deleting a project and then creating one in
// the room it left all pass. Before, nothing was refused, and 922,338 such
// projects summed past an int64.
func TestRegionBudgetCeiling(t *testing.T) {
	const region = "molise"
	st := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{region}, LockTimeout: 100 * time.Millisecond})
	ctx := principal.With(t.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: region})
	const stored = int64(check.MaxRegionCents/check.MaxCents) - 1
	_, err := st.Update(ctx, region, store.Mutation{Principal: "test:old-code"}, func(tx store.WriteTx) (proto.Message, error) {
		for i := range stored {
			d := planDigest(&famiv1.Project{Name: fmt.Sprintf("regions/%s/projects/vecchio-%05d", region, i), StartDate: "2021-01-01", EndDate: "2027-12-31", BudgetCents: check.MaxCents})
			b, err := proto.Marshal(d)
			if err != nil {
				return nil, err
			}
			if err := tx.IndexPut(indexPlans, resource.ID(d.GetName()), string(b)); err != nil {
				return nil, err
			}
		}
		return &emptypb.Empty{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	projects := New(st, nil).Projects()
	create := func(id string, cents int64) (*famiv1.Project, error) {
		return projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/" + region, ProjectId: id, Project: &famiv1.Project{
			Code: "PROG-" + id, Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2021-01-01", EndDate: "2027-12-31", BudgetCents: cents}})
	}
	refused := func(what string, err error, field string) {
		t.Helper()
		e := errs.As(err)
		if e == nil || e.Reason != errs.LimitReached || e.Metadata["items"] != field {
			t.Errorf("%s: %v, want LIMIT_REACHED naming %s", what, err, field)
			return
		}
		// Each is 1 cent past: the refusal says what passes.
		if want := "lower " + field + ", or the budgets of the region's other projects, by EUR 0.01 or more"; !strings.Contains(e.Message, want) {
			t.Errorf("%s: the refusal says %q, want it to say %q", what, e.Message, want)
		}
	}
	total := func() int64 {
		t.Helper()
		var n int64
		if err := st.View(ctx, region, func(tx store.ReadTx) (err error) {
			n, err = budgetsOf(tx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}

	last, err := create("ultimo", check.MaxCents)
	if err != nil {
		t.Fatalf("the project that brings the region to its ceiling exactly: %v", err)
	}
	if got := total(); got != check.MaxRegionCents {
		t.Errorf("total %d, want the ceiling %d", got, int64(check.MaxRegionCents))
	}
	_, err = create("oltre", 1)
	refused("a project of 1 cent past the ceiling", err, "project.budget_cents")
	if _, err := projects.GetProject(ctx, &famiv1.GetProjectRequest{Name: "regions/" + region + "/projects/oltre"}); errs.As(err) == nil || errs.As(err).Code != errs.NotFound {
		t.Errorf("the refused project: %v, want NOT_FOUND", err)
	}
	if _, err := create("gratuito", 0); err != nil {
		t.Errorf("a project without a budget at the ceiling: %v", err)
	}

	_, err = projects.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: last.GetName(), Extension: &famiv1.Extension{EndDate: "2028-12-31", BudgetCents: check.MaxCents + 1}})
	if e := errs.As(err); e == nil || e.Code != errs.Invalid {
		t.Errorf("an extension past a single amount's bound: %v, want INVALID_ARGUMENT", err)
	}
	// Lowered by 100 cents, then 99 of them taken by another project: the
	// region is 1 cent below its ceiling.
	last.BudgetCents = check.MaxCents - 100
	budget := &fieldmaskpb.FieldMask{Paths: []string{"budget_cents"}}
	if last, err = projects.UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: last, UpdateMask: budget}); err != nil {
		t.Fatalf("lowering a budget at the ceiling: %v", err)
	}
	if _, err := create("riempie", 99); err != nil {
		t.Fatalf("a project in the room left: %v", err)
	}
	_, err = projects.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: last.GetName(), Extension: &famiv1.Extension{EndDate: "2028-12-31", BudgetCents: check.MaxCents - 98}})
	refused("a funded extension 1 cent past the ceiling", err, "extension.budget_cents")
	last.BudgetCents = check.MaxCents - 98
	_, err = projects.UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: last, UpdateMask: budget})
	refused("an update 1 cent past the ceiling", err, "project.budget_cents")
	if got := total(); got != check.MaxRegionCents-1 {
		t.Errorf("total after the refusals %d, want %d: a refusal wrote its budget", got, int64(check.MaxRegionCents-1))
	}
	if p, err := projects.GetProject(ctx, &famiv1.GetProjectRequest{Name: last.GetName()}); err != nil || p.GetBudgetCents() != check.MaxCents-100 || len(p.GetExtensions()) != 0 {
		t.Errorf("the project after the refusals: %v, %v; want its budget %d and no extension", p, err, int64(check.MaxCents-100))
	}

	if _, err := projects.DeleteProject(ctx, &famiv1.DeleteProjectRequest{Name: last.GetName()}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := create("rientro", check.MaxCents-99); err != nil {
		t.Errorf("a project in the room a deleted one left: %v", err)
	}
	if got := total(); got != check.MaxRegionCents {
		t.Errorf("total %d, want the ceiling %d", got, int64(check.MaxRegionCents))
	}
}
