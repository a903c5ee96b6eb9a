package etcd

import (
	"context"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// tables maps the sub-ranges of a region's key range to the tables of the
// backend-neutral form (store.Record). A record carries the payload alone:
// an export checks and unframes the framed tables (store.Framed), an
// import frames them, so that a region copied between backends compares
// equal.
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
		if store.Framed(rec.Table) {
			if rec.Value, ok = store.Unframe(rec.Value); !ok {
				ferr = store.ErrCorrupt(recordName(region, rec))
				return false
			}
		}
		ferr = fn(rec)
		return ferr == nil
	})
	if snap.err != nil {
		return 0, unavailable(ctx, snap.err)
	}
	return revision, ferr
}

// recordName names a framed record of region as the reads do: a
// resource by its name, a change by its revision.
func recordName(region string, rec store.Record) string {
	if rec.Table == store.TableChanges {
		return fmt.Sprintf("change %d of region %s", revOf(rec.Key), region)
	}
	return "regions/" + region + "/" + string(rec.Key)
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
// records passes to put (e.g. bolt.ReadRegionFile of a backup).
//
// A region is too large for one etcd transaction, so the import is marked
// instead of atomic: its first transaction writes the region's import
// marker ({prefix}imports/{region}), its last writes the region's revision
// and removes the marker, and those between write at most MaxTxnOps
// operations each. While the marker is set no store serves the region (it
// answers REGION_IMPORTING, see Damaged; a store already open learns it
// from its watch), so an import cut short (a cancelled context, a lost
// cluster) is never taken for a region. Running the import again finds
// the marker, deletes what the interrupted one wrote and starts over.
// Every transaction is refused if the region's revision has appeared
// (famid wrote it) or another import has marked the region since.
func (s *Store) ImportRegion(ctx context.Context, region string, records func(put func(store.Record) error) error) error {
	r, ok := s.regions[region] // served or not: an unfinished import is to be run again
	if !ok {
		return errs.NotFoundf("region %q not found", region)
	}
	if err := r.format.err(); err != nil {
		return err // records in this famid's format would mix with another's
	}
	marker, guard := s.importMarker(region), r.base+keyRevision
	markedAt, err := s.beginImport(ctx, r, region)
	if err != nil {
		return err
	}
	ours := []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(guard), "=", 0), clientv3.Compare(clientv3.ModRevision(marker), "=", markedAt), r.format.unchanged()}
	var ops, meta []clientv3.Op
	size := 0
	commit := func(ops []clientv3.Op) error {
		resp, err := s.kv.Txn(ctx).If(ours...).Then(ops...).Else(r.format.read()).Commit()
		if err != nil {
			return unavailable(ctx, err)
		}
		if !resp.Succeeded {
			if err := r.format.reread(resp); err != nil {
				return err
			}
			return errs.RegionWritten.New("region %s was written, or another import of it started, during the import", region)
		}
		return nil
	}
	flush := func() error {
		if len(ops) == 0 {
			return nil
		}
		err := commit(ops)
		ops, size = ops[:0], 0
		return err
	}
	err = records(func(rec store.Record) error {
		k, err := r.keyOf(rec)
		if err != nil {
			return err
		}
		v := rec.Value
		if store.Framed(rec.Table) {
			v = store.Frame(v)
		}
		op := clientv3.OpPut(k, string(v))
		if rec.Table == store.TableMeta {
			meta = append(meta, op)
			return nil
		}
		if len(ops)+1 > s.opts.MaxTxnOps || size+len(k)+len(v) > s.opts.MaxTxnBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		ops = append(ops, op)
		size += len(k) + len(v)
		return nil
	})
	if err != nil {
		return err
	}
	// The revision and the marker's removal go together, last.
	last := append(meta, clientv3.OpDelete(marker))
	if len(ops)+len(last) > s.opts.MaxTxnOps {
		if err := flush(); err != nil {
			return err
		}
	}
	if err := commit(append(ops, last...)); err != nil {
		return err
	}
	r.signal(0)
	return nil
}

// beginImport marks region r for an import and returns the revision of
// its marker: an empty region if famid has not written it since it was
// counted, or one an import left marked, wiping what that import wrote.
func (s *Store) beginImport(ctx context.Context, r *region, region string) (markedAt int64, err error) {
	marker, guard := s.importMarker(region), r.base+keyRevision
	resp, err := s.kv.Get(ctx, marker)
	if err != nil {
		return 0, unavailable(ctx, err)
	}
	var leftAt int64 // the marker's ModRevision, 0 without one
	if len(resp.Kvs) > 0 {
		leftAt = resp.Kvs[0].ModRevision
	} else {
		resp, err := s.kv.Get(ctx, r.base, clientv3.WithRange(prefixEnd(r.base)), clientv3.WithCountOnly())
		if err != nil {
			return 0, unavailable(ctx, err)
		}
		if resp.Count > 0 {
			return 0, errs.RegionNotEmpty.New("region %s already holds %d keys in etcd: import into an empty region", region, resp.Count)
		}
	}
	mark := []clientv3.Op{clientv3.OpPut(marker, "famictl restore "+time.Now().UTC().Format(time.RFC3339))}
	unchanged := []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(marker), "=", leftAt)}
	if leftAt == 0 {
		unchanged = append(unchanged, clientv3.Compare(clientv3.ModRevision(guard), "=", 0))
	} else {
		mark = append(mark, clientv3.OpDelete(r.base, clientv3.WithRange(prefixEnd(r.base))))
	}
	begin, err := s.kv.Txn(ctx).If(unchanged...).Then(mark...).Commit()
	if err != nil {
		return 0, unavailable(ctx, err)
	}
	if !begin.Succeeded {
		return 0, errs.RegionWritten.New("region %s was written, or another import of it started, as the import began", region)
	}
	return begin.Header.Revision, nil
}

// importMarker is the key that marks region as being imported. It lies
// outside the region's range, so that wiping the range keeps it and an
// export never carries it.
func (s *Store) importMarker(region string) string { return s.opts.Prefix + "imports/" + region }
