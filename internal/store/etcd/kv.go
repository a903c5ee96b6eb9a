package etcd

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// pageSize is how many keys one range read fetches.
const pageSize = 256

// snapshot reads etcd at one revision: the first read is linearizable and
// fixes the revision, every later read is at that revision, so a View or a
// mutation sees one consistent state however many round trips it takes.
//
// ReadTx has methods without an error result (Revision, IndexGet, ...): a
// failed read there is kept in err and returned by the View or Update.
//
// A region's snapshot is fenced (see region.snapshot): its first read,
// which fixes the revision, also reads the region's fences at that
// revision, in the same round trip (region.firstRead), and a region that
// is being imported or whose keys were deleted refuses the snapshot.
// Whatever a store's watch has delivered, no read sees a region between an
// import's first transaction and its last, nor an emptied region as a new
// one.
type snapshot struct {
	ctx context.Context
	kv  clientv3.KV
	rev int64
	err error
	// region fences the snapshot; nil for the system records.
	region *region
	// fetched holds the keys prefetch read, absent ones as nil, for get
	// to answer without a round trip.
	fetched map[string][]byte
}

func (s *snapshot) fail(err error) {
	if s.err == nil {
		s.err = fmt.Errorf("etcd: %w", err)
	}
}

func (s *snapshot) opts(o ...clientv3.OpOption) []clientv3.OpOption {
	if s.rev > 0 {
		o = append(o, clientv3.WithRev(s.rev))
	}
	return o
}

// settle makes the snapshot's first read if none was made (a View that
// read nothing), so that its fences are checked all the same.
func (s *snapshot) settle() {
	if s.rev == 0 && s.err == nil && s.region != nil {
		s.read(s.region.marker, clientv3.WithCountOnly())
	}
}

// failure is the error of a snapshot whose read failed: a fence's
// refusal as it is, else the cluster's failure as the caller sees it.
func (s *snapshot) failure() error {
	if errs.As(s.err) != nil {
		return s.err
	}
	return unavailable(s.ctx, s.err)
}

// read sends one range read at the snapshot's revision; the first one
// fixes the revision and, in a region, checks its fences in the same
// round trip. nil when it failed or was refused.
func (s *snapshot) read(key string, o ...clientv3.OpOption) *clientv3.GetResponse {
	if s.err != nil {
		return nil
	}
	var (
		resp *clientv3.GetResponse
		err  error
	)
	if s.rev > 0 || s.region == nil {
		resp, err = s.kv.Get(s.ctx, key, s.opts(o...)...)
	} else {
		resp, err = s.region.firstRead(s.ctx, key, o...)
	}
	if resp != nil && s.rev == 0 {
		s.rev = resp.Header.Revision
	}
	if err != nil {
		if errs.As(err) != nil {
			s.err = err // a fence's refusal, as it is
		} else {
			s.fail(err)
		}
		return nil
	}
	return resp
}

func (s *snapshot) get(key string) ([]byte, bool) {
	if v, ok := s.fetched[key]; ok {
		return v, v != nil
	}
	resp := s.read(key)
	if resp == nil || len(resp.Kvs) == 0 {
		return nil, false
	}
	return resp.Kvs[0].Value, true
}

// prefetch reads keys at the snapshot's revision, up to maxOps of them in
// each round trip (one etcd transaction of reads, which etcd bounds as it
// bounds a write's), so that get answers them from memory: a caller that
// knows what it will read pays one round trip, not one a key. A system
// snapshot's alone: a region's first read is its fenced one
// (region.firstRead). A key an earlier prefetch read is not read again.
func (s *snapshot) prefetch(keys []string, maxOps int) {
	if s.region != nil {
		panic("etcd: prefetch in a region's snapshot")
	}
	keys = slices.DeleteFunc(keys, func(k string) bool {
		_, ok := s.fetched[k]
		return ok
	})
	for batch := range slices.Chunk(keys, maxOps) {
		if s.err != nil {
			return
		}
		ops := make([]clientv3.Op, len(batch))
		for i, k := range batch {
			ops[i] = clientv3.OpGet(k, s.opts()...)
		}
		resp, err := s.kv.Txn(s.ctx).Then(ops...).Commit()
		if err != nil {
			s.fail(err)
			return
		}
		if s.rev == 0 {
			s.rev = resp.Header.Revision
		}
		if s.fetched == nil {
			s.fetched = make(map[string][]byte, len(keys))
		}
		for i, r := range resp.Responses {
			var v []byte
			if kvs := r.GetResponseRange().Kvs; len(kvs) > 0 {
				v = kvs[0].Value
				if v == nil {
					v = []byte{} // stored empty: present all the same
				}
			}
			s.fetched[batch[i]] = v
		}
	}
}

// modRevision returns the etcd revision of key's last write at the
// snapshot (0: absent).
func (s *snapshot) modRevision(key string) int64 {
	resp := s.read(key)
	if resp == nil || len(resp.Kvs) == 0 {
		return 0
	}
	return resp.Kvs[0].ModRevision
}

// scan calls fn for the keys in [from, end) in order until fn returns
// false, a page at a time.
func (s *snapshot) scan(from, end string, fn func(k string, v []byte) bool) {
	s.pages(from, end, false, fn)
}

// scanDesc is scan in reverse key order, the last key first. etcd sorts a
// descending range whole before it applies the limit (it reads every key
// of [from, end) for each page), so a caller keeps the range narrow (a
// month of an index): what crosses the network is still one page.
func (s *snapshot) scanDesc(from, end string, fn func(k string, v []byte) bool) {
	s.pages(from, end, true, fn)
}

// pages reads [from, end) a page at a time, in key order or (desc) in
// reverse, until fn returns false.
func (s *snapshot) pages(from, end string, desc bool, fn func(k string, v []byte) bool) {
	opts := []clientv3.OpOption{clientv3.WithLimit(pageSize)}
	if desc {
		opts = append(opts, clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
	}
	for {
		resp := s.read(from, append(opts, clientv3.WithRange(end))...)
		if resp == nil {
			return
		}
		for _, kv := range resp.Kvs {
			if !fn(string(kv.Key), kv.Value) {
				return
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return
		}
		if last := string(resp.Kvs[len(resp.Kvs)-1].Key); desc {
			end = last
		} else {
			from = last + "\x00"
		}
	}
}

// scanTop is scan of the keys in [from, end) that top keeps: each page
// is read keys only, and the values of the kept keys are fetched after,
// each run of consecutive kept keys as one range, up to maxOps ranges a
// round trip. A collection's key range holds its resources' children too
// (a project's reports follow the project), which a listing skips: read
// with their values, a page of projects fetched every report under them.
func (s *snapshot) scanTop(from, end string, top func(k string) bool, maxOps int, fn func(k string, v []byte) bool) {
	for {
		resp := s.read(from, clientv3.WithRange(end), clientv3.WithLimit(pageSize), clientv3.WithKeysOnly())
		if resp == nil {
			return
		}
		for _, kv := range s.values(resp.Kvs, top, maxOps) {
			if !fn(string(kv.Key), kv.Value) {
				return
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// values reads, with their values, the keys of page (read keys only, in
// key order) that top keeps: a range for each run of them, no kept key
// between two of a run, so the ranges hold those keys alone.
func (s *snapshot) values(page []*mvccpb.KeyValue, top func(k string) bool, maxOps int) []*mvccpb.KeyValue {
	var runs []clientv3.Op
	first, last := "", ""
	flush := func() {
		if first != "" {
			runs = append(runs, clientv3.OpGet(first, s.opts(clientv3.WithRange(last+"\x00"))...))
		}
		first = ""
	}
	for _, kv := range page {
		switch k := string(kv.Key); {
		case !top(k):
			flush()
		case first == "":
			first, last = k, k
		default:
			last = k
		}
	}
	flush()
	var out []*mvccpb.KeyValue
	for batch := range slices.Chunk(runs, maxOps) {
		resp, err := s.kv.Txn(s.ctx).Then(batch...).Commit()
		if err != nil {
			s.fail(err)
			return out
		}
		for _, r := range resp.Responses {
			out = append(out, r.GetResponseRange().Kvs...)
		}
	}
	return out
}

// write is a buffered write: a value, or a deletion.
type write struct {
	value   []byte
	deleted bool
}

// undo restores one key of the overlay.
type undo struct {
	key  string
	prev write
	had  bool
}

// overlay is a read-write transaction over a snapshot: writes are buffered
// and seen by later reads of the same transaction, and become one etcd
// transaction at commit. A mark and rollback undo the writes of one
// mutation of a batch without touching the others.
type overlay struct {
	snap    *snapshot
	writes  map[string]write
	journal []undo
	// bytes estimates the size of the etcd request.
	bytes int
}

func newOverlay(snap *snapshot) *overlay {
	return &overlay{snap: snap, writes: map[string]write{}}
}

func (o *overlay) get(key string) ([]byte, bool) {
	if w, ok := o.writes[key]; ok {
		return w.value, !w.deleted
	}
	return o.snap.get(key)
}

// written reports whether the transaction wrote (or deleted) key.
func (o *overlay) written(key string) bool {
	_, ok := o.writes[key]
	return ok
}

func (o *overlay) set(key string, w write) {
	prev, had := o.writes[key]
	o.journal = append(o.journal, undo{key, prev, had})
	if had {
		o.bytes -= len(key) + len(prev.value)
	}
	o.bytes += len(key) + len(w.value)
	o.writes[key] = w
}

func (o *overlay) put(key string, value []byte) { o.set(key, write{value: bytes.Clone(value)}) }
func (o *overlay) del(key string)               { o.set(key, write{deleted: true}) }

// putFramed writes a record's payload framed (store.Frame, ADR 12): the
// records of a region's resources and changes.
func (o *overlay) putFramed(key string, payload []byte) {
	o.set(key, write{value: store.Frame(payload)})
}

// mark is a point to roll back to.
func (o *overlay) mark() int { return len(o.journal) }

// rollback undoes every write since mark m.
func (o *overlay) rollback(m int) {
	for i := len(o.journal) - 1; i >= m; i-- {
		u := o.journal[i]
		cur := o.writes[u.key]
		o.bytes -= len(u.key) + len(cur.value)
		if u.had {
			o.writes[u.key] = u.prev
			o.bytes += len(u.key) + len(u.prev.value)
		} else {
			delete(o.writes, u.key)
		}
	}
	o.journal = o.journal[:m]
}

// scan merges the snapshot's keys in [from, end) with the buffered writes.
func (o *overlay) scan(from, end string, fn func(k string, v []byte) bool) {
	o.merge(from, end, false, fn)
}

// scanDesc is scan in reverse key order (snapshot.scanDesc).
func (o *overlay) scanDesc(from, end string, fn func(k string, v []byte) bool) {
	o.merge(from, end, true, fn)
}

// scanTop is scan of the stored keys top keeps (snapshot.scanTop) and of
// every buffered write: a caller that skips some keys skips those too.
func (o *overlay) scanTop(from, end string, top func(k string) bool, maxOps int, fn func(k string, v []byte) bool) {
	o.mergeWith(from, end, false, func(from, end string, fn func(k string, v []byte) bool) {
		o.snap.scanTop(from, end, top, maxOps, fn)
	}, fn)
}

// merge is scan in key order or, when desc, in reverse.
func (o *overlay) merge(from, end string, desc bool, fn func(k string, v []byte) bool) {
	read := o.snap.scan
	if desc {
		read = o.snap.scanDesc
	}
	o.mergeWith(from, end, desc, read, fn)
}

// mergeWith is merge of the stored keys read gives, in its order.
func (o *overlay) mergeWith(from, end string, desc bool, read func(from, end string, fn func(k string, v []byte) bool), fn func(k string, v []byte) bool) {
	var pending []string
	for k := range o.writes {
		if k >= from && k < end {
			pending = append(pending, k)
		}
	}
	slices.Sort(pending)
	if desc {
		slices.Reverse(pending)
	}
	// emit sends the buffered writes that come before key k in the scan's
	// order (all of them for k == ""); false means fn asked to stop.
	before := func(a, b string) bool { return a < b && !desc || a > b && desc }
	emit := func(k string) bool {
		for len(pending) > 0 && (k == "" || before(pending[0], k)) {
			w := o.writes[pending[0]]
			key := pending[0]
			pending = pending[1:]
			if !w.deleted && !fn(key, w.value) {
				return false
			}
		}
		return true
	}
	stopped := false
	read(from, end, func(k string, v []byte) bool {
		if !emit(k) {
			stopped = true
			return false
		}
		if _, ok := o.writes[k]; ok {
			return true // the buffered write (value or deletion) wins
		}
		if !fn(k, v) {
			stopped = true
			return false
		}
		return true
	})
	if !stopped && o.snap.err == nil {
		emit("")
	}
}

// ops turns the buffered writes into etcd operations, in key order so that
// a batch is applied the same way every time.
func (o *overlay) ops() []clientv3.Op {
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range o.writes {
			if !yield(k) {
				return
			}
		}
	})
	ops := make([]clientv3.Op, 0, len(keys))
	for _, k := range keys {
		if w := o.writes[k]; w.deleted {
			ops = append(ops, clientv3.OpDelete(k))
		} else {
			ops = append(ops, clientv3.OpPut(k, string(w.value)))
		}
	}
	return ops
}
