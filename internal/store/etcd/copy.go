package etcd

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
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
	snap := r.snapshot(ctx)
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
		return 0, snap.failure()
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
// records passes to put (e.g. bolt.ReadRegionFile of a backup), keeping
// their revisions: RestoreRegion with no options. A region emptied after
// it had issued revisions is refused (REGION_NOT_EMPTY): only a restore
// that continues above them may fill it.
func (s *Store) ImportRegion(ctx context.Context, region string, records func(put func(store.Record) error) error) error {
	return s.RestoreRegion(ctx, region, records, RestoreOptions{})
}

// RestoreOptions say what a RestoreRegion does with the region's past.
type RestoreOptions struct {
	// Replace lets the import replace a region that holds keys: its first
	// transaction reads the region's revision and deletes its keys.
	Replace bool
	// Continue, when set, chooses the revision the region continues from
	// (0 keeps the backup's), given the highest revision the region is
	// known to have issued and whether that is exact (false when its keys
	// were deleted by other means: only a lower bound is left). It runs before
	// anything is written, so its error leaves the region as it was.
	// Without it the backup's revisions are kept, which is refused, before
	// anything is written, when the region had issued revisions whose
	// highest is unknown; when it is known (a Replace read it) and above
	// the backup's, the region continues from it, unless Revision said
	// the backup's up front: then it is refused before anything is
	// written too.
	Continue func(issued int64, exact bool) (int64, error)
	// Revision, when set, is the backup's region revision, read before
	// the import (bolt.CheckFile reads it; an empty backup's is 0). With
	// it a restore that keeps the backup's revisions (no Continue) over
	// a region that had issued revisions past it is refused before
	// anything is written (REGION_NOT_EMPTY), the region left as it was,
	// as bolt's FileLock.Restore refuses the same restore. Without it
	// (nil, as before the option existed) a Replace learns the backup's
	// revision only from its records, the region already wiped, and the
	// region continues from the highest revision issued instead. Records
	// at another revision fail the import before it ends (the region is
	// left marked, for the import to be run again).
	Revision *int64
}

// RestoreRegion fills region with the records that records passes to put
// (e.g. bolt.ReadRegionFile of a backup).
//
// A region is too large for one etcd transaction, so the import is marked
// instead of atomic: its first transaction writes the region's import
// marker ({prefix}imports/{region}), its last writes the region's revision
// and removes the marker, and those between write at most MaxTxnOps
// operations each. While the marker is set no store serves the region (it
// answers REGION_IMPORTING: every read and commit reads the marker at its
// revision, see Damaged for a store opened then), so an import cut short (a cancelled context, a lost
// cluster) is never taken for a region. Running the import again finds
// the marker, deletes what the interrupted one wrote and starts over.
// Every transaction is refused if the region's revision has appeared
// (famid wrote it) or another import has marked the region since.
//
// When Continue chooses a revision, the last transaction sets the
// region's revision and compaction to it, as bolt.BumpRevision does to a
// restored file: a regional system that had seen revisions the backup
// does not hold is told its position is compacted and lists again. The
// highest revision issued survives the region's keys, as a lower bound:
// the last transaction records it in {prefix}issued/{region}, outside the
// range, as does famid's first commit into a region without keys.
func (s *Store) RestoreRegion(ctx context.Context, region string, records func(put func(store.Record) error) error, o RestoreOptions) error {
	r, ok := s.regions[region] // served or not: an unfinished import is to be run again
	if !ok {
		return errs.NotFoundf("region %q not found", region)
	}
	if err := r.format.err(); err != nil {
		return err // records in this famid's format would mix with another's
	}
	marker, guard := s.importMarker(region), r.base+keyRevision
	markedAt, issued, next, err := s.beginImport(ctx, r, region, o)
	if err != nil {
		return err
	}
	txns := &importTxns{ctx: ctx, s: s, r: r, ours: []clientv3.Cmp{
		clientv3.Compare(clientv3.ModRevision(guard), "=", 0), clientv3.Compare(clientv3.ModRevision(marker), "=", markedAt), r.format.unchanged()}}
	meta := map[string][]byte{}
	err = records(func(rec store.Record) error {
		k, err := r.keyOf(rec)
		if err != nil {
			return err
		}
		v := rec.Value
		if store.Framed(rec.Table) {
			v = store.Frame(v)
		}
		if rec.Table == store.TableMeta {
			// Kept past put: a record's bytes may be valid only during
			// the call (bolt.ReadRegionFile's are in the backup file's
			// mapping, gone once it returns).
			meta[k] = bytes.Clone(v)
			return nil
		}
		return txns.put(k, v)
	})
	if err != nil {
		return err
	}
	if o.Revision != nil && revOf(meta[guard]) != *o.Revision {
		return fmt.Errorf("store: the backup holds revision %d, not the %d given", revOf(meta[guard]), *o.Revision)
	}
	if o.Continue == nil && issued > revOf(meta[guard]) {
		// The backup's revisions were to be kept, but the region issued
		// more, exactly as many as issued here (an inexact mark was
		// refused as the import began): continuing from the highest is
		// the only way that gives none out again, the region already
		// wiped (a Revision given up front refused it before the wipe).
		// An empty backup, without a revision, would have left it refused
		// as emptied.
		next = issued
	}
	if next > 0 {
		if backup := revOf(meta[guard]); next < backup {
			return fmt.Errorf("store: revision %d is below the backup's %d", next, backup)
		}
		meta[guard], meta[r.base+keyCompacted] = revBytes(next), revBytes(next)
	}
	// The revision, its high-water mark and the marker's removal go
	// together, last.
	last := []clientv3.Op{clientv3.OpPut(s.issuedKey(region), string(revBytes(max(issued, revOf(meta[guard]))))), clientv3.OpDelete(marker)}
	for k, v := range meta {
		last = append(last, clientv3.OpPut(k, string(v)))
	}
	if err := txns.finish(last); err != nil {
		return err
	}
	r.signal(0)
	return nil
}

// importTxns writes an import's records in transactions of at most
// MaxTxnOps operations and MaxTxnBytes bytes, each refused unless the
// import still holds the region (ours: no revision written, its marker
// unchanged, the region's format unchanged).
type importTxns struct {
	ctx  context.Context
	s    *Store
	r    *region
	ours []clientv3.Cmp
	ops  []clientv3.Op
	size int
}

// put buffers one record, committing the buffer first when it is full.
func (t *importTxns) put(k string, v []byte) error {
	if len(t.ops)+1 > t.s.opts.MaxTxnOps || t.size+len(k)+len(v) > t.s.opts.MaxTxnBytes {
		if err := t.flush(); err != nil {
			return err
		}
	}
	t.ops = append(t.ops, clientv3.OpPut(k, string(v)))
	t.size += len(k) + len(v)
	return nil
}

// finish commits last with what is buffered, in one transaction when
// they fit in one.
func (t *importTxns) finish(last []clientv3.Op) error {
	if len(t.ops)+len(last) > t.s.opts.MaxTxnOps {
		if err := t.flush(); err != nil {
			return err
		}
	}
	return t.commit(append(t.ops, last...))
}

func (t *importTxns) flush() error {
	if len(t.ops) == 0 {
		return nil
	}
	err := t.commit(t.ops)
	t.ops, t.size = t.ops[:0], 0
	return err
}

func (t *importTxns) commit(ops []clientv3.Op) error {
	resp, err := t.s.kv.Txn(t.ctx).If(t.ours...).Then(ops...).Else(t.r.format.read()).Commit()
	if err != nil {
		return unavailable(t.ctx, err)
	}
	if !resp.Succeeded {
		if err := t.r.format.reread(resp); err != nil {
			return err
		}
		return errs.RegionWritten.New("region %s was written, or another import of it started, during the import", t.r.name)
	}
	return nil
}

// beginImport marks region r for an import and returns the revision of
// its marker, the highest revision the region is known to have issued and
// the revision it is to continue from (0: the backup's): an empty region
// if famid has not written it since it was counted, one to replace
// (o.Replace), whose revision it reads before it wipes it, or one an
// import left marked, wiping what that import wrote.
func (s *Store) beginImport(ctx context.Context, r *region, region string, o RestoreOptions) (markedAt, issued, next int64, err error) {
	marker, guard, issuedKey := s.importMarker(region), r.base+keyRevision, s.issuedKey(region)
	resp, err := s.kv.Txn(ctx).Then(
		clientv3.OpGet(marker),
		clientv3.OpGet(issuedKey),
		clientv3.OpGet(guard),
		clientv3.OpGet(r.base, clientv3.WithRange(prefixEnd(r.base)), clientv3.WithCountOnly()),
	).Commit()
	if err != nil {
		return 0, 0, 0, unavailable(ctx, err)
	}
	kv := func(i int) *mvccpb.KeyValue {
		if kvs := resp.Responses[i].GetResponseRange().Kvs; len(kvs) > 0 {
			return kvs[0]
		}
		return nil
	}
	mark, recorded, rev := kv(0), kv(1), kv(2)
	count := resp.Responses[3].GetResponseRange().Count
	var leftAt, guardAt int64 // the marker's and the guard's ModRevision, 0 without one
	// The highest revision issued: the region's own while it holds it,
	// else the high-water mark (of the last restore, replace or first
	// commit), a lower bound only, as later commits do not move it; with
	// neither, the region never held data here.
	var hw int64
	if recorded != nil {
		hw = revOf(recorded.Value)
	}
	issued, exact := hw, recorded == nil
	switch {
	case mark != nil:
		leftAt = mark.ModRevision
	case count > 0 && !o.Replace:
		return 0, 0, 0, errs.RegionNotEmpty.New("region %s already holds %d keys in etcd: import into an empty region, or replace it (famictl restore --replace)", region, count)
	case rev != nil:
		guardAt = rev.ModRevision
		issued, exact = max(issued, revOf(rev.Value)), true
	case count > 0:
		exact = false // keys without a revision: written by other means
	}
	if o.Continue != nil {
		if next, err = o.Continue(issued, exact); err != nil {
			return 0, 0, 0, err
		}
	} else if !exact && issued > 0 {
		return 0, 0, 0, s.revisionsIssued(region, issued)
	} else if o.Revision != nil && issued > *o.Revision {
		return 0, 0, 0, revisionsPast(region, issued, *o.Revision)
	}
	ops := []clientv3.Op{clientv3.OpPut(marker, "famictl restore "+time.Now().UTC().Format(time.RFC3339))}
	unchanged := []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(marker), "=", leftAt), clientv3.Compare(clientv3.ModRevision(guard), "=", guardAt)}
	if leftAt != 0 || count > 0 {
		ops = append(ops, clientv3.OpDelete(r.base, clientv3.WithRange(prefixEnd(r.base))))
	}
	if issued > hw {
		// What the wipe removes is remembered first, for an import cut short.
		ops = append(ops, clientv3.OpPut(issuedKey, string(revBytes(issued))))
	}
	begin, err := s.kv.Txn(ctx).If(unchanged...).Then(ops...).Commit()
	if err != nil {
		return 0, 0, 0, unavailable(ctx, err)
	}
	if !begin.Succeeded {
		return 0, 0, 0, errs.RegionWritten.New("region %s was written, or another import of it started, as the import began", region)
	}
	return begin.Header.Revision, issued, next, nil
}

// revisionsIssued refuses an import that keeps the backup's revisions
// (no Continue) into a region that had issued revisions up to at least
// issued, its highest unknown (its keys deleted by other means, or by an
// import cut short): the backup's revisions could be given out again to
// other writes, unseen by a regional system that had seen them, and an
// empty backup would leave the region without a revision beside its
// high-water mark, refused as emptied (REGION_KEYS_DELETED). famictl
// restore continues above the mark.
func (s *Store) revisionsIssued(region string, issued int64) error {
	return errs.RegionNotEmpty.With(errs.Error{
		Message: errs.Sprintf("region %s had issued revisions up to at least %d (key %s), its highest unknown: an import keeping the backup's revisions could give them out again; restore it so that its revisions continue above them: famictl restore --etcd-endpoints <urls> --etcd-prefix %s --region %s --from <backup.db>",
			region, issued, s.issuedKey(region), s.opts.Prefix, region),
		Metadata: map[string]string{"region": region},
	})
}

// revisionsPast refuses an import that keeps the backup's revisions, at
// backup, into a region that had issued revisions up to issued, past
// them, as bolt's FileLock.Restore refuses the same restore: they would
// be given out again to other writes, unseen by a regional system that
// had seen them.
func revisionsPast(region string, issued, backup int64) error {
	return errs.RegionNotEmpty.With(errs.Error{
		Message: errs.Sprintf("region %s has issued revision %d, past the backup's %d: keeping the backup's revisions would give them out again; continue above them (famictl restore --bump-revision)",
			region, issued, backup),
		Metadata: map[string]string{"region": region},
	})
}

// importMarker is the key that marks region as being imported. It lies
// outside the region's range, so that wiping the range keeps it and an
// export never carries it.
func (s *Store) importMarker(region string) string { return s.opts.Prefix + "imports/" + region }

// issuedKey holds the highest revision region is known to have issued
// when its keys were last replaced, restored or first written. It lies
// outside the region's range, so that deleting the region's keys keeps it.
func (s *Store) issuedKey(region string) string { return s.opts.Prefix + "issued/" + region }
