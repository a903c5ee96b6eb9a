package etcd

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// maxBatch bounds how many queued mutations one commit considers.
const maxBatch = 256

// region is one region's writer and watch in this process.
type region struct {
	s    *Store
	name string
	base string
	// marker is the region's import marker (Store.importMarker).
	marker string
	reqs   chan *mutation
	stop   chan struct{}

	mu sync.Mutex
	// notify is closed and replaced at every commit seen; seen is the
	// etcd revision of the last commit signalled, so that a commit
	// reported both by this process and by the watch signals once.
	notify chan struct{}
	seen   int64

	// format is the region's format marker: while it names a format this
	// famid does not know the region is not served, nor imported into.
	format *marker
	// unserved is the region's refusal found when the store opened (its
	// import unfinished, or its keys deleted), for Damaged; reads and
	// commits check the same fences themselves, at their revision
	// (snapshot).
	unserved error
}

// mutation is one queued Update.
type mutation struct {
	ctx  context.Context
	m    store.Mutation
	fn   func(store.WriteTx) (proto.Message, error)
	done chan result
	// res is the result of the latest run, kept until the commit.
	res proto.Message
	// answered is set once done has the result.
	answered bool
}

// answer hands the caller its result, once.
func (m *mutation) answer(msg proto.Message, err error) {
	if !m.answered {
		m.answered = true
		m.done <- result{msg: msg, err: err}
	}
}

type result struct {
	msg proto.Message
	err error
}

func newRegion(s *Store, name string) *region {
	r := &region{
		s: s, name: name, base: s.opts.Prefix + "regions/" + name + "/", marker: s.importMarker(name),
		reqs: make(chan *mutation), stop: make(chan struct{}), notify: make(chan struct{}),
	}
	r.format = s.newMarker("regions/"+name, "etcd prefix "+r.base, name)
	return r
}

func (r *region) newTx(o *overlay, now time.Time, author store.Mutation) *tx {
	return &tx{o: o, region: r.name, base: r.base, now: now, author: author, maxOps: r.s.opts.MaxTxnOps, nested: &r.s.nested}
}

func (r *region) changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.notify
}

// signal wakes the watchers for a commit at etcd revision rev (0: a
// commit of unknown revision, after a watch was interrupted).
// Once the store closes (r.stop) it signals nothing: end has closed the
// channel for good.
func (r *region) signal(rev int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped() || rev != 0 && rev <= r.seen {
		return
	}
	r.seen = max(r.seen, rev)
	close(r.notify)
	r.notify = make(chan struct{})
}

// end wakes the watchers for good, once r.stop is closed (every read of
// the region answers store.Closed): the channel they hold closes, and
// changed returns a closed one from then on, so that a watcher of the
// closed store reads, gets store.Closed and ends, instead of waiting for a
// commit that will never come. The closed channel is a new one, as at a
// commit: the feed's shared tail reads again only for a channel it has
// not read for.
func (r *region) end() {
	r.mu.Lock()
	defer r.mu.Unlock()
	close(r.notify)
	r.notify = make(chan struct{})
	close(r.notify)
}

// stopped reports whether the store has closed r.stop.
func (r *region) stopped() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// watch signals every commit of the region, by any process, after etcd
// revision from; after a gap in the watch it signals once, harmlessly:
// watchers read the change log to see what is new.
func (r *region) watch(from int64) {
	r.s.follow(r.s.ctx, r.base+keyRevision, from,
		func(evs []*clientv3.Event) { r.signal(evs[len(evs)-1].Kv.ModRevision) },
		func(*clientv3.GetResponse) { r.signal(0) }, nil)
}

// open checks the region's fences as the store opens, for Damaged, and
// raises its high-water mark to its revision. The mark is written at a
// region's first commit, restores and here, so for a region written only
// by a famid from before the mark (which has none) it is set when a famid
// of this version first opens it: once its keys are deleted by other
// means, the region is then refused (firstRead) and a restore continues
// above that revision, instead of the region passing for one never
// written. The raise compares the mark as read, so that it never lowers a
// mark written meanwhile (by a restore); a mark changed meanwhile stands.
func (r *region) open(ctx context.Context) error {
	issued := r.s.issuedKey(r.name)
	resp, err := r.s.kv.Txn(ctx).Then(clientv3.OpGet(r.base+keyRevision), clientv3.OpGet(issued), clientv3.OpGet(r.marker, clientv3.WithCountOnly())).Commit()
	if err != nil {
		return fmt.Errorf("etcd store: read region %s's revision: %w", r.name, err)
	}
	var rev, hw, hwAt int64
	if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
		rev = revOf(kvs[0].Value)
	}
	if kvs := resp.Responses[1].GetResponseRange().Kvs; len(kvs) > 0 {
		hw, hwAt = revOf(kvs[0].Value), kvs[0].ModRevision
	}
	switch {
	case resp.Responses[2].GetResponseRange().Count > 0:
		r.unserved = r.importingError()
	case rev == 0 && hw > 0:
		r.unserved = r.keysDeleted(hw)
	case rev > hw:
		_, err := r.s.kv.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(issued), "=", hwAt)).Then(clientv3.OpPut(issued, string(revBytes(rev)))).Commit()
		if err != nil {
			return fmt.Errorf("etcd store: raise region %s's high-water mark: %w", r.name, err)
		}
	}
	return nil
}

// importingError is the answer of the region while its import marker is
// set.
func (r *region) importingError() error {
	return errs.RegionImporting.With(errs.Error{
		Message: errs.Sprintf("region %s is not served: its import into etcd has not finished (key %s is set); if no import is running, run it again, which starts over: famictl restore --etcd-endpoints <urls> --etcd-prefix %s --region %s --from <backup.db>",
			r.name, r.marker, r.s.opts.Prefix, r.name),
		Metadata: map[string]string{"region": r.name},
	})
}

// snapshot reads the region at one etcd revision, refused with
// REGION_IMPORTING if its import marker is set at that revision, or with
// REGION_KEYS_DELETED if its keys were deleted by other means
// (firstRead). A watch of the marker would lag both ways: a --replace
// import wipes the region in the transaction that sets the marker, and
// until a watch delivered it the region read as empty (revision 0,
// telling a watcher its position was beyond the head); after the import,
// the region was refused until the watch delivered the marker's removal.
func (r *region) snapshot(ctx context.Context) *snapshot {
	return &snapshot{ctx: ctx, kv: r.s.kv, region: r}
}

// firstRead is a snapshot's first read, of key, which fixes its revision:
// one transaction, one round trip, that also counts the import marker
// and, only when the region has no revision key, reads its high-water
// mark, all at that revision. The error is the refusal of a region being
// imported (REGION_IMPORTING) or of one emptied by other means
// (REGION_KEYS_DELETED); the response carries the revision either way.
//
// A region without a revision key is one of two: never written (no mark,
// or a mark of 0: read as empty, as it is), or one that had issued
// revisions and whose keys were deleted by other means (etcdctl del
// --prefix), since famid never deletes a region's revision key and an
// import's first transaction, which wipes a region, sets the import
// marker. Serving the second as empty would tell a regional system its
// position is beyond the head, or that the region holds nothing.
func (r *region) firstRead(ctx context.Context, key string, o ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	get, marked := clientv3.OpGet(key, o...), clientv3.OpGet(r.marker, clientv3.WithCountOnly())
	resp, err := r.s.kv.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(r.base+keyRevision), ">", 0)).
		Then(get, marked).
		Else(get, marked, clientv3.OpGet(r.s.issuedKey(r.name))).
		Commit()
	if err != nil {
		return nil, err
	}
	got := (*clientv3.GetResponse)(resp.Responses[0].GetResponseRange())
	got.Header = resp.Header
	if resp.Responses[1].GetResponseRange().Count > 0 {
		return got, r.importingError()
	}
	if !resp.Succeeded {
		if kvs := resp.Responses[2].GetResponseRange().Kvs; len(kvs) > 0 && revOf(kvs[0].Value) > 0 {
			return got, r.keysDeleted(revOf(kvs[0].Value))
		}
	}
	return got, nil
}

// unmarked is the comparison of every commit into the region: no import
// has marked it, whether or not the watch has reported it.
func (r *region) unmarked() clientv3.Cmp {
	return clientv3.Compare(clientv3.ModRevision(r.marker), "=", 0)
}

// do queues m and waits for its result.
func (r *region) do(ctx context.Context, m *mutation) (proto.Message, error) {
	m.ctx, m.done = ctx, make(chan result, 1)
	select {
	case r.reqs <- m:
	case <-r.stop:
		return nil, store.Closed()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	res := <-m.done
	return res.msg, res.err
}

// loop commits whatever has queued up, like the bbolt writer: a lone write
// commits at once, under load a batch is everything that arrived during
// the previous commit.
func (r *region) loop() {
	var carry []*mutation
	for {
		batch := carry
		if len(batch) == 0 {
			select {
			case m := <-r.reqs:
				batch = append(batch, m)
			case <-r.stop:
				return
			}
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case m := <-r.reqs:
				batch = append(batch, m)
			default:
				break drain
			}
		}
		carry = r.commit(batch)
	}
}

// commit runs batch as one etcd transaction, again and again while another
// process commits in between, and returns the mutations that did not fit
// in the transaction's limits, for the next one.
func (r *region) commit(batch []*mutation) []*mutation {
	for attempt := 0; ; attempt++ {
		batch = r.dropDone(batch)
		if len(batch) == 0 {
			return nil
		}
		ctx, cancel := context.WithTimeout(r.s.ctx, r.s.opts.RequestTimeout)
		ok, applied, deferred, err := r.try(ctx, batch)
		cancel()
		if err != nil {
			if r.s.ctx.Err() != nil {
				err = store.Closed() // Close cancelled the commit (a retry with the request_id is safe)
			}
			for _, m := range batch {
				if errs.As(err) != nil {
					m.answer(nil, err) // the region's format, raised since
				} else {
					m.answer(nil, unavailable(m.ctx, err))
				}
			}
			return nil
		}
		if ok {
			for _, m := range applied {
				m.answer(m.res, nil)
			}
			return deferred
		}
		// Another process committed since our read: run the batch again
		// on the new state, after a short random pause so that two
		// processes do not keep colliding.
		batch = append(applied, deferred...)
		select {
		case <-time.After(time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6)))):
		case <-r.s.ctx.Done():
		}
	}
}

// dropDone answers the mutations whose caller gave up.
func (r *region) dropDone(batch []*mutation) []*mutation {
	out := batch[:0]
	for _, m := range batch {
		if err := m.ctx.Err(); err != nil {
			m.answer(nil, err)
			continue
		}
		out = append(out, m)
	}
	return out
}

// try runs batch on one snapshot and commits it. Mutations that fail are
// answered at once (a failure is a read of the snapshot: nothing of it is
// written); applied are the ones in the transaction, deferred the ones
// left for the next. ok is false when the guard moved.
func (r *region) try(ctx context.Context, batch []*mutation) (ok bool, applied, deferred []*mutation, err error) {
	snap := r.snapshot(ctx)
	guard := r.base + keyRevision
	guardRev := snap.modRevision(guard)
	if snap.err != nil {
		return false, nil, nil, snap.err // refused by a fence, or the cluster's
	}
	o := newOverlay(snap)
	limits := r.s.opts
	// +1 for the guard, +1 for the high-water mark on a region's first
	// commit.
	extra := 1
	if guardRev == 0 {
		extra = 2
	}
	for i, m := range batch {
		mark := o.mark()
		res, ferr := r.run(o, m)
		if snap.err != nil {
			return false, nil, nil, snap.err
		}
		if ferr != nil {
			o.rollback(mark)
			m.answer(nil, ferr)
			continue
		}
		if ops, size := len(o.writes)+extra, o.bytes; ops > limits.MaxTxnOps || size > limits.MaxTxnBytes {
			o.rollback(mark)
			if len(applied) == 0 {
				m.answer(nil, errTooLarge(ops, size, limits))
				continue
			}
			deferred = append(deferred, batch[i:]...)
			break
		}
		m.res = res
		applied = append(applied, m)
	}
	if len(o.writes) == 0 {
		return true, applied, deferred, nil // replays and read-only runs
	}
	r.prune(o, limits.MaxTxnOps-extra-len(o.writes))
	if snap.err != nil {
		return false, nil, nil, snap.err
	}
	// Every commit writes the guard, even when the revision is unchanged
	// (only index or request records written), so that its ModRevision
	// moves with every change to the region.
	if _, written := o.writes[guard]; !written {
		v, _ := o.get(guard)
		o.put(guard, revBytes(revOf(v)))
	}
	if guardRev == 0 {
		// The region's first commit (the snapshot's fence checked it has
		// issued nothing before): its high-water mark records that it held
		// data, so that once its keys are deleted by other means it takes
		// no write, and a restore knows its revisions are not the only
		// ones issued (see RestoreRegion).
		v, _ := o.get(guard)
		o.put(r.s.issuedKey(r.name), revBytes(revOf(v)))
	}
	// The format marker is compared too: no commit of this famid's format
	// lands in a region whose format a newer famid has raised since; and
	// the import marker, absent: none lands in a region an import has
	// marked since the read (the next try reads the marker and refuses).
	resp, err := r.s.kv.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(guard), "=", guardRev), r.format.unchanged(), r.unmarked()).
		Then(o.ops()...).
		Else(r.format.read()).
		Commit()
	if err != nil {
		return false, nil, nil, err
	}
	if resp.Succeeded {
		r.signal(resp.Header.Revision)
	} else if err := r.format.reread(resp); err != nil {
		return false, nil, nil, err
	}
	return resp.Succeeded, applied, deferred, nil
}

// keysDeleted is the answer of a region without a revision key whose
// high-water mark says it had issued revisions up to at least issued:
// its keys were deleted by other means (etcdctl del --prefix). Serving it
// would show an empty region, and writing it again would start from
// revision 1 and issue revisions twice, so that a regional system that
// had seen later ones would never see the new writes; a restore --replace
// continues above the mark.
func (r *region) keysDeleted(issued int64) error {
	return errs.RegionKeysDeleted.With(errs.Error{
		Message: errs.Sprintf("region %s is not served: it holds no revision in etcd (key %s) but had issued revisions up to at least %d (key %s): its keys were deleted by other means; nothing is read or written until it is restored from a backup: famictl restore --etcd-endpoints <urls> --etcd-prefix %s --region %s --from <backup.db> --replace",
			r.name, r.base+keyRevision, issued, r.s.issuedKey(r.name), r.s.opts.Prefix, r.name),
		Metadata: map[string]string{"region": r.name},
	})
}

// errTooLarge is the error of a mutation that cannot fit in one etcd
// transaction on its own.
func errTooLarge(ops, size int, limits Options) error {
	return fmt.Errorf("store: mutation too large for one etcd transaction (%d operations, %d bytes; limits %d and %d: raise --max-txn-ops and --max-request-bytes on the cluster and the famid flags with them)", ops, size, limits.MaxTxnOps, limits.MaxTxnBytes)
}

// run runs one mutation on o: the recorded result of a retried request,
// or fn and the request record.
func (r *region) run(o *overlay, m *mutation) (res proto.Message, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: panic in mutation: %v\n%s", p, debug.Stack())
		}
	}()
	t := r.newTx(o, r.s.opts.Now().UTC(), m.m)
	reqKey := store.RequestKey(m.m)
	if reqKey != "" {
		if rec, ok := o.get(r.base + rangeReq + reqKey); ok {
			return store.ReplayRequest(rec, m.m.Fingerprint)
		}
	}
	res, err = m.fn(t)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, errors.New("store: mutation returned no result")
	}
	if reqKey != "" {
		rec, err := store.EncodeRequest(m.m.Fingerprint, t.now, res)
		if err != nil {
			return nil, err
		}
		o.put(r.base+rangeReq+reqKey, rec)
		o.put(r.base+rangeReqTime+string(binary.BigEndian.AppendUint64(nil, uint64(t.now.UnixNano())))+reqKey, nil)
	}
	return res, nil
}

// prune forgets up to pruneBatch expired request records, oldest first,
// within room operations.
func (r *region) prune(o *overlay, room int) {
	cutoff := uint64(r.s.opts.Now().Add(-r.s.opts.RequestRetention).UnixNano())
	start := r.base + rangeReqTime
	n := 0
	o.scan(start, prefixEnd(start), func(k string, _ []byte) bool {
		rest := k[len(start):]
		if n >= pruneBatch || room < 2 || len(rest) < 8 || binary.BigEndian.Uint64([]byte(rest[:8])) >= cutoff {
			return false
		}
		o.del(k)
		o.del(r.base + rangeReq + rest[8:])
		n++
		room -= 2
		return true
	})
}
