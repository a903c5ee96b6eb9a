package resource

import (
	"context"
	"slices"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store"
)

// An Upgrade records, once per region, what the records of a collection
// stored before a capability kept it lack in its indexes (a survey's
// meeting reference, a project's plan digest). famid runs each at its
// start, before it serves, since no later write would record them.
type Upgrade[T store.Resource] struct {
	// Collection holds the records the upgrade reads.
	Collection string
	// Index and Done are where a region done is marked: key Done of
	// index Index.
	Index, Done string
	// Batch bounds the records one transaction records: an etcd
	// transaction holds a bounded number of operations (its
	// --max-txn-ops, 128 by default).
	Batch int
	// Needs reports whether a record read needs recording, within the
	// read's transaction.
	Needs func(tx store.ReadTx, item T) bool
	// Record records one record, within a write's transaction. It is
	// idempotent: a start cut short, or several famid starting on one etcd
	// cluster, record again what is recorded already.
	Record func(tx store.WriteTx, item T) error
}

// upgrader is who an upgrade's writes are made by: famid itself, at its
// start, for no client's request (store.By).
var upgrader = store.By(principal.Principal{Subject: "famid"})

// Run runs the upgrade in each region of regions (ids). A region whose
// records cannot all be read (a damaged record, DATA_LOSS, or another of
// one region's troubles, aip.Skip) is left unmarked, for the start after
// its restore, and named in unreachable; the others are recorded and
// marked. Any other error stops and is returned.
func (u Upgrade[T]) Run(ctx context.Context, st store.Store, regions []string) (unreachable []string, err error) {
	return aip.EachRegion(ctx, regions, func(region string) error {
		return u.region(ctx, st, region)
	})
}

// region is Run for one region.
func (u Upgrade[T]) region(ctx context.Context, st store.Store, region string) error {
	var (
		done, found bool
		needed      []T
	)
	err := st.View(ctx, region, func(tx store.ReadTx) error {
		if _, done = tx.IndexGet(u.Index, u.Done); done {
			return nil
		}
		return tx.List(u.Collection, "", func(id string, raw []byte) (bool, error) {
			item := newOf[T]()
			if err := store.Decode(id, raw, item); err != nil {
				return false, err
			}
			found = true
			if u.Needs(tx, item) {
				needed = append(needed, item)
			}
			return true, nil
		})
	})
	// A region without such records is left as it is, unmarked: one that
	// holds nothing must stay empty (an import into etcd, a restore, wants
	// an empty region), and its records to come are recorded as written.
	if err != nil || done || !found {
		return err
	}
	// The writes touch indexes only: no resource, so no revision and no
	// change for the feed.
	for batch := range slices.Chunk(needed, u.Batch) {
		_, err := store.Mutate(ctx, st, region, upgrader, func(tx store.WriteTx) (*emptypb.Empty, error) {
			for _, item := range batch {
				if err := u.Record(tx, item); err != nil {
					return nil, err
				}
			}
			return &emptypb.Empty{}, nil
		})
		if err != nil {
			return err
		}
	}
	_, err = store.Mutate(ctx, st, region, upgrader, func(tx store.WriteTx) (*emptypb.Empty, error) {
		return &emptypb.Empty{}, tx.IndexPut(u.Index, u.Done, "")
	})
	return err
}
