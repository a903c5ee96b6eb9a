package etcd

import (
	"context"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/raccordo/raccordo/internal/store"
)

// SystemView implements store.System: reads at one etcd revision.
func (s *Store) SystemView(ctx context.Context, fn func(store.SystemTx) error) error {
	if err := s.systemOpen(ctx); err != nil {
		return err
	}
	snap := &snapshot{ctx: ctx, kv: s.kv}
	err := fn(&systemTx{o: newOverlay(snap), base: s.opts.Prefix + "system/", maxOps: s.opts.MaxTxnOps})
	if snap.err != nil {
		return s.systemFailed(ctx, snap.err)
	}
	return err
}

// SystemUpdate implements store.System as an optimistic transaction on the
// system guard key: fn runs again when another process changed the system
// records in between (system writes are rare: accounts, tokens,
// revocations), so fn must have no effects outside tx before it returns.
// The transaction also compares the system records' format marker, so
// that none is written in this famid's format once a newer famid has
// raised it.
func (s *Store) SystemUpdate(ctx context.Context, fn func(store.SystemTx) error) error {
	if err := s.systemOpen(ctx); err != nil {
		return err
	}
	guard := s.opts.Prefix + "system-guard"
	for {
		snap := &snapshot{ctx: ctx, kv: s.kv}
		guardRev := snap.modRevision(guard)
		o := newOverlay(snap)
		err := fn(&systemTx{o: o, base: s.opts.Prefix + "system/", maxOps: s.opts.MaxTxnOps})
		if snap.err != nil {
			return s.systemFailed(ctx, snap.err)
		}
		if err != nil {
			return err
		}
		if len(o.writes) == 0 {
			return nil
		}
		if len(o.writes)+1 > s.opts.MaxTxnOps {
			return errTooLarge(len(o.writes)+1, o.bytes, s.opts)
		}
		o.put(guard, nil)
		resp, err := s.kv.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(guard), "=", guardRev), s.system.unchanged()).
			Then(o.ops()...).
			Else(s.system.read()).
			Commit()
		if err != nil {
			return s.systemFailed(ctx, err)
		}
		if resp.Succeeded {
			return nil
		}
		if err := s.system.reread(resp); err != nil {
			return err
		}
	}
}

// systemOpen is why a system call may not start: its context's end, the
// store's Close (store.Closed, as the regions answer: the client may still
// answer, but the store does not), or a format raised by a newer famid
// since the open.
func (s *Store) systemOpen(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.ctx.Err() != nil {
		return store.Closed()
	}
	return s.system.err()
}

// systemFailed is the answer of a system call whose etcd round trip
// failed: store.Closed once the store is closed (its client may have been
// closed after it, which fails the call in flight), else unavailable's.
func (s *Store) systemFailed(ctx context.Context, err error) error {
	if ctx.Err() == nil && s.ctx.Err() != nil {
		return store.Closed()
	}
	return unavailable(ctx, err)
}

// SystemChanged implements store.SharedSystem: it watches the system
// records' keys, and reports those of each watch response. It reads the
// revision it watches from before the first, Whole, notice, so that
// nothing written after what that notice's reader sees is missed; a
// broken watch is a Whole notice again (follow). The watch ends at Close
// as well as with ctx: the client is the caller's and outlives the store,
// so the watch would go on after Close, and once the client closed too,
// call fn every moment for a watch that could never open again.
func (s *Store) SystemChanged(ctx context.Context, fn func(store.SystemChange)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.ctx.Err() != nil {
		return store.Closed()
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.ctx, cancel)()
	records := s.opts.Prefix + "system/"
	whole := func(*clientv3.GetResponse) { fn(store.SystemChange{Whole: true}) }
	// Failed, the read leaves the watch to start from now, as a watch
	// opened again after a gap does; once it is open, follow reports a
	// Whole change again, for what was written between the first one's
	// reads and that start, which no event would name. Such a start reads
	// the system records twice (accounts.OpenFollowing opens at the first
	// notice, follows the second): kept, since holding the first notice
	// until the watch opens would hold the start on a cluster that stopped
	// answering, where the first notice's reads fail it.
	var from int64
	if resp, err := s.kv.Get(wctx, records, clientv3.WithPrefix(), clientv3.WithCountOnly()); err == nil {
		from = resp.Header.Revision
	}
	whole(nil)
	s.follow(wctx, records, from, func(evs []*clientv3.Event) { fn(systemChange(records, evs)) }, whole,
		[]clientv3.OpOption{clientv3.WithCountOnly()}, clientv3.WithPrefix())
	if err := ctx.Err(); err != nil {
		return err
	}
	return store.Closed()
}

// systemChange is the change that evs, events of keys under records, make:
// the records they name, or Whole when a key is not one systemTx writes
// (bucket, NUL, key), which could not be named.
func systemChange(records string, evs []*clientv3.Event) store.SystemChange {
	keys := make([]store.SystemKey, 0, len(evs))
	for _, ev := range evs {
		bucket, key, ok := strings.Cut(strings.TrimPrefix(string(ev.Kv.Key), records), "\x00")
		if !ok {
			return store.SystemChange{Whole: true}
		}
		keys = append(keys, store.SystemKey{Bucket: bucket, Key: key})
	}
	return store.SystemChange{Keys: keys}
}

var _ store.SharedSystem = (*Store)(nil)

type systemTx struct {
	o    *overlay
	base string
	// maxOps bounds the reads of one prefetch round trip (MaxTxnOps).
	maxOps int
}

func (t *systemTx) key(bucket, key string) string { return t.base + bucket + "\x00" + key }

// Get implements store.SystemTx. System values are stored as they are,
// unlike region records: framing them would take a conversion that a famid
// not yet upgraded misreads (ADR 12), so they never fail a checksum here
// and rely on etcd's corruption checks.
func (t *systemTx) Get(bucket, key string) ([]byte, error) {
	v, ok := t.o.get(t.key(bucket, key))
	if !ok {
		return nil, nil
	}
	return append([]byte{}, v...), nil
}

// Prefetch implements store.SystemPrefetcher: keys are read in one round
// trip (a transaction of reads, MaxTxnOps at most each), and Get answers
// them from memory, at the snapshot's revision like any other read. A
// key this transaction wrote is read from its write, as Get reads it.
func (t *systemTx) Prefetch(keys []store.SystemKey) error {
	ks := make([]string, 0, len(keys))
	for _, k := range keys {
		if key := t.key(k.Bucket, k.Key); !t.o.written(key) {
			ks = append(ks, key)
		}
	}
	t.o.snap.prefetch(ks, t.maxOps)
	return t.o.snap.err // the View answers it as it answers a failed Get
}

func (t *systemTx) Put(bucket, key string, value []byte) error {
	t.o.put(t.key(bucket, key), value)
	return nil
}

func (t *systemTx) Delete(bucket, key string) error {
	t.o.del(t.key(bucket, key))
	return nil
}

func (t *systemTx) Scan(bucket, prefix, after string, fn func(string, []byte, error) bool) {
	start := t.key(bucket, prefix)
	if after != "" && after > prefix {
		start = t.key(bucket, after)
	}
	b := t.key(bucket, "")
	t.o.scan(start, prefixEnd(t.key(bucket, prefix)), func(k string, v []byte) bool {
		k = strings.TrimPrefix(k, b)
		if after != "" && k <= after {
			return true
		}
		return fn(k, append([]byte{}, v...), nil)
	})
}
