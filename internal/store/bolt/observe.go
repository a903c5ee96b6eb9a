package bolt

import (
	"context"
	"encoding/binary"
	"time"

	"go.etcd.io/bbolt"
)

// Observer is told what the store does, so that the server can measure and
// trace it while the store stays free of any metrics or tracing library.
// Its methods are called on the store's hot paths and must not block.
type Observer interface {
	// Begin is called as a View or Update (op "view" or "update") of region
	// starts; the returned function is called with its error when it
	// returns.
	Begin(ctx context.Context, region, op string) (end func(error))
	// Committed is called after each group commit of region is durable.
	Committed(region string, c Commit)
}

// Commit describes one group commit: one bbolt transaction, one fsync.
type Commit struct {
	// Mutations is how many Updates the transaction carried.
	Mutations int
	// Duration is the time from the transaction's start to its durable
	// commit, reruns after a failed member included.
	Duration time.Duration
	// Write is bbolt's time writing the dirty pages and the meta page to
	// disk, both fsyncs included (bbolt's TxStats.WriteTime).
	Write time.Duration
}

type nopObserver struct{}

func (nopObserver) Begin(context.Context, string, string) func(error) { return func(error) {} }
func (nopObserver) Committed(string, Commit)                          {}

// RegionStats is a region's state as monitoring sees it.
type RegionStats struct {
	Region string
	// Revision is the revision of the region's last change.
	Revision int64
	// Changes is the length of the retained change log: one change per
	// revision after the compacted one.
	Changes int64
}

// Stats reads every region's revision and change-log length, in no
// particular order. It costs one short read transaction per region.
func (s *Store) Stats() ([]RegionStats, error) {
	out := make([]RegionStats, 0, len(s.regions))
	for region, db := range s.regions {
		var st RegionStats
		err := db.View(func(btx *bbolt.Tx) error {
			meta := btx.Bucket(bucketMeta)
			st = RegionStats{Region: region, Revision: counter(meta.Get(keyRevision))}
			st.Changes = st.Revision - counter(meta.Get(keyCompacted))
			return nil
		})
		if err != nil {
			return nil, closedErr(err)
		}
		out = append(out, st)
	}
	return out, nil
}

func counter(v []byte) int64 {
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}
