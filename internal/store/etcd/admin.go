package etcd

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/raccordo/raccordo/internal/store"
)

// Compact implements store.Store: one guarded transaction deletes the
// change log's key range up to revision and records the compaction,
// retried while other commits of the region come in between. It does not
// compact etcd's own history; see docs/deploy-etcd.md.
func (s *Store) Compact(ctx context.Context, region string, revision int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	r, err := s.region(region)
	if err != nil {
		return 0, err
	}
	guard := r.base + keyRevision
	for {
		snap := r.snapshot(ctx)
		guardRev := snap.modRevision(guard)
		t := r.newTx(newOverlay(snap), s.opts.Now(), store.Mutation{})
		cur, compacted := t.Revision(), t.Compacted()
		if snap.err != nil {
			return 0, snap.failure()
		}
		if drop, err := store.CheckCompact(revision, cur, compacted); !drop {
			return 0, err
		}
		resp, err := s.kv.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(guard), "=", guardRev), r.unmarked()).
			Then(
				clientv3.OpDelete(r.base+rangeChg, clientv3.WithRange(r.base+rangeChg+string(revBytes(revision+1)))),
				clientv3.OpPut(r.base+keyCompacted, string(revBytes(revision))),
				clientv3.OpPut(guard, string(revBytes(cur))),
			).Commit()
		if err != nil {
			return 0, unavailable(ctx, err)
		}
		if resp.Succeeded {
			r.signal(resp.Header.Revision)
			return resp.Responses[0].GetResponseDeleteRange().Deleted, nil
		}
	}
}
