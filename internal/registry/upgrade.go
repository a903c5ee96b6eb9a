package registry

import (
	"context"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// plansRecorded marks, in indexBudgets, a region whose projects made
// before the plan digests existed have theirs (RecordProjectPlans).
const plansRecorded = "plans_recorded"

// RecordProjectPlans records the plan digest (ProjectPlans) of each project
// that the regions (ids) stored before the registry kept digests, with its
// budget in the region's total, and marks each region done
// (resource.Upgrade). famid runs it once at its start, before it serves:
// without a digest, a project is in no summary's plan (its budget, its
// indicators' targets) while its reports' money is counted, and outside
// the budget ceiling; before, only the project's next write recorded it.
// The budgets of old projects are recorded even past check.MaxRegionCents:
// they exist, and the region may then only lower budgets (keepBudget).
func RecordProjectPlans(ctx context.Context, st store.Store, regions []string) (unreachable []string, err error) {
	planned := func(tx store.ReadTx, p *famiv1.Project) bool {
		_, ok := tx.IndexGet(indexPlans, resource.ID(p.GetName()))
		return ok
	}
	return resource.Upgrade[*famiv1.Project]{
		Collection: resource.Projects,
		Index:      indexBudgets,
		Done:       plansRecorded,
		Batch:      50, // two operations a project: its digest, the region's total
		Needs:      func(tx store.ReadTx, p *famiv1.Project) bool { return !planned(tx, p) },
		Record: func(tx store.WriteTx, p *famiv1.Project) error {
			// A digest written meanwhile (another famid on the cluster) is
			// the project's as it is now: keep it.
			if planned(tx, p) {
				return nil
			}
			return keepPlan(tx, p, "")
		},
	}.Run(ctx, st, regions)
}
