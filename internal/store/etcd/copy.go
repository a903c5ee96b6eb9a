package etcd

import (
	"context"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// tables maps the sub-ranges of a region's key range to the tables of the
// backend-neutral form (store.Record).
var tables = []struct{ prefix, table string }{
	{"meta/", store.TableMeta},
	{rangeRes, store.TableResources},
	{rangeChg, store.TableChanges},
	{rangeReq, store.TableRequests},
	{rangeReqTime, store.TableRequestTimes},
	{rangeIdx, store.TableIndexes},
	{rangeTyp, store.TableTypes},
}

// ExportRegion calls fn for every record of region as it is at one etcd
// revision (a consistent export while writers carry on) and returns the
// region revision exported.
func (s *Store) ExportRegion(ctx context.Context, region string, fn func(store.Record) error) (int64, error) {
	r, err := s.region(region)
	if err != nil {
		return 0, err
	}
	snap := &snapshot{ctx: ctx, kv: s.kv}
	v, _ := snap.get(r.base + keyRevision)
	revision := revOf(v)
	var ferr error
	snap.scan(r.base, prefixEnd(r.base), func(k string, v []byte) bool {
		rec, ok := recordOf(k[len(r.base):], v)
		if !ok {
			ferr = fmt.Errorf("store: unexpected key %q in region %s", k, region)
			return false
		}
		ferr = fn(rec)
		return ferr == nil
	})
	if snap.err != nil {
		return 0, unavailable(ctx, snap.err)
	}
	return revision, ferr
}

func recordOf(k string, v []byte) (store.Record, bool) {
	for _, t := range tables {
		rest, ok := strings.CutPrefix(k, t.prefix)
		if !ok {
			continue
		}
		rec := store.Record{Table: t.table, Key: []byte(rest), Value: v}
		if t.table == store.TableIndexes {
			index, key, ok := strings.Cut(rest, "\x00")
			if !ok {
				return store.Record{}, false
			}
			rec.Index, rec.Key = index, []byte(key)
		}
		return rec, true
	}
	return store.Record{}, false
}

func (r *region) keyOf(rec store.Record) (string, error) {
	for _, t := range tables {
		if t.table != rec.Table {
			continue
		}
		if t.table == store.TableIndexes {
			return r.base + t.prefix + rec.Index + "\x00" + string(rec.Key), nil
		}
		return r.base + t.prefix + string(rec.Key), nil
	}
	return "", fmt.Errorf("region record of unknown table %q", rec.Table)
}

// ImportRegion fills region, which must be empty, with the records that
// records passes to put (e.g. bolt.ReadRegionFile of a backup). The
// records are written in transactions of at most MaxTxnOps operations,
// each refused if the region's guard key has appeared meanwhile; the
// region's revision is written last, so until the import completes the
// region reads as revision 0. Stop famid (or keep it from this region)
// while importing.
func (s *Store) ImportRegion(ctx context.Context, region string, records func(put func(store.Record) error) error) error {
	r, err := s.region(region)
	if err != nil {
		return err
	}
	resp, err := s.kv.Get(ctx, r.base, clientv3.WithRange(prefixEnd(r.base)), clientv3.WithCountOnly())
	if err != nil {
		return unavailable(ctx, err)
	}
	if resp.Count > 0 {
		return errs.RegionNotEmpty.New("region %s already holds %d keys in etcd: import into an empty region", region, resp.Count)
	}
	guard := r.base + keyRevision
	var ops, meta []clientv3.Op
	size := 0
	flush := func(last bool) error {
		if last {
			ops = append(ops, meta...)
		}
		if len(ops) == 0 {
			return nil
		}
		resp, err := s.kv.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(guard), "=", 0)).Then(ops...).Commit()
		if err != nil {
			return unavailable(ctx, err)
		}
		if !resp.Succeeded {
			return errs.RegionWritten.New("region %s was written during the import", region)
		}
		ops, size = ops[:0], 0
		return nil
	}
	err = records(func(rec store.Record) error {
		k, err := r.keyOf(rec)
		if err != nil {
			return err
		}
		op := clientv3.OpPut(k, string(rec.Value))
		if rec.Table == store.TableMeta {
			meta = append(meta, op)
			return nil
		}
		if len(ops)+1 >= s.opts.MaxTxnOps-len(meta) || size+len(k)+len(rec.Value) > s.opts.MaxTxnBytes {
			if err := flush(false); err != nil {
				return err
			}
		}
		ops = append(ops, op)
		size += len(k) + len(rec.Value)
		return nil
	})
	if err != nil {
		return err
	}
	if err := flush(true); err != nil {
		return err
	}
	r.signal(0)
	return nil
}
