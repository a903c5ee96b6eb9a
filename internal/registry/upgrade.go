package registry

import (
	"context"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// plansRecorded marks, in indexBudgets, a region whose projects made
// before the plan digests existed have theirs (RecordProjectPlans).
const plansRecorded = "plans_recorded"

// plansBatch bounds the projects whose digests one transaction records:
// an etcd transaction holds a bounded number of operations (its
// --max-txn-ops, 128 by default), and a project's digest and the region's
// total of budgets are two here.
const plansBatch = 50

// RecordProjectPlans records the plan digest (ProjectPlans) of each project
// that the regions (ids) stored before the registry kept digests, with its
// budget in the region's total, and marks each region done. famid runs it
// once at its start, before it serves: without a digest, a project is in
// no summary's plan (its budget, its indicators' targets) while its
// reports' money is counted, and outside the budget ceiling; before, only
// the project's next write recorded it. The budgets of old projects are
// recorded even past check.MaxRegionCents: they exist, and the region may
// then only lower budgets (keepBudget).
//
// A region whose projects cannot all be read (a damaged record, DATA_LOSS,
// or another of one region's troubles, aip.Skip) is left unmarked, for the
// start after its restore, and named in unreachable; the others are
// recorded. Any other error stops and is returned. Recording is
// idempotent: a start cut short, or several famid starting on one etcd
// cluster, find the digests written and write only the missing ones.
func RecordProjectPlans(ctx context.Context, st store.Store, regions []string) (unreachable []string, err error) {
	return aip.EachRegion(ctx, regions, func(region string) error {
		return recordProjectPlans(ctx, st, region)
	})
}

// recordProjectPlans is RecordProjectPlans for one region.
func recordProjectPlans(ctx context.Context, st store.Store, region string) error {
	var (
		done, found bool
		missing     []*famiv1.Project
	)
	err := st.View(ctx, region, func(tx store.ReadTx) error {
		if _, done = tx.IndexGet(indexBudgets, plansRecorded); done {
			return nil
		}
		return tx.List(resource.Projects, "", func(id string, raw []byte) (bool, error) {
			p := &famiv1.Project{}
			if err := store.Decode(id, raw, p); err != nil {
				return false, err
			}
			found = true
			if _, ok := tx.IndexGet(indexPlans, resource.ID(p.GetName())); !ok {
				missing = append(missing, p)
			}
			return true, nil
		})
	})
	// A region without projects is left as it is, unmarked: one that holds
	// nothing must stay empty (an import into etcd, a restore, wants an
	// empty region), and its projects to come record their digests
	// themselves.
	if err != nil || done || !found {
		return err
	}
	// The writes touch indexes only: no resource, so no revision and no
	// change for the feed.
	for batch := range slices.Chunk(missing, plansBatch) {
		_, err := st.Update(ctx, region, store.Mutation{Principal: "famid"}, func(tx store.WriteTx) (proto.Message, error) {
			for _, p := range batch {
				// A digest written meanwhile (another famid on the cluster)
				// is the project's as it is now: keep it.
				if _, ok := tx.IndexGet(indexPlans, resource.ID(p.GetName())); ok {
					continue
				}
				if err := keepPlan(tx, p, ""); err != nil {
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
		return &emptypb.Empty{}, tx.IndexPut(indexBudgets, plansRecorded, "")
	})
	return err
}
