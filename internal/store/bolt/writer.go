package bolt

import (
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
)

// ErrClosed is returned for writes submitted while or after the store
// closes.
var ErrClosed = errors.New("store is closed")

// maxBatch bounds how many mutations share one transaction, so one commit
// never grows without limit under a burst.
const maxBatch = 256

// writer is a region's single writer: mutations queue up and the loop
// commits whatever has queued up in one bbolt transaction: one commit, so
// one pair of fdatasyncs (bbolt syncs its data pages, then its meta page),
// for the whole batch.
// Unlike bbolt's Batch it never waits for a batch to fill: an idle region
// commits a lone write at once, and under load the batch is simply
// everything that arrived while the previous commit was on disk.
//
// The queue is a slice behind a mutex rather than a channel: a caller
// appends its request and goes straight to waiting for the result, and the
// loop takes the whole queue at once. Over an unbuffered channel each
// caller was parked until the loop received its request, then woken to
// wait again: two wake-ups per write instead of one, the extra one paid
// by the loop, which is the region's one serial path (issue 19).
type writer struct {
	db     *bbolt.DB
	region string
	obs    Observer
	// prune ends every transaction, after its batch of mutations, in the
	// same commit.
	prune func(b *batchTx, mutations int) error
	// wake holds a token while the queue may hold requests (or the writer
	// is closing); the loop takes it before it takes the queue.
	wake chan struct{}
	done chan struct{}

	mu     sync.Mutex
	queue  []*writeReq // waiting for the next commit, in arrival order
	spare  []*writeReq // the last batch's array, to take the next one in
	closed bool

	// notify holds the channel closed at the next commit. It is swapped
	// without a lock, so that a commit never waits on the watchers that
	// take the signal, however many wake at once.
	notify atomic.Pointer[chan struct{}]
}

// changed returns a channel closed at the next commit.
func (w *writer) changed() <-chan struct{} {
	return *w.notify.Load()
}

// broadcast wakes whoever took the signal before this commit. The new
// channel is in place before the old one closes: a watcher that took the
// old one is woken, and one that takes the new one reads after the commit.
func (w *writer) broadcast() {
	next := make(chan struct{})
	close(*w.notify.Swap(&next))
}

// end wakes the watchers for good, once the loop has stopped and the
// file is closed: the channel they hold closes, and changed returns a
// closed one from then on, so that a watcher of the closed store reads,
// gets store.Closed and ends, instead of waiting for a commit that will
// never come. The closed channel is a new one, as at a commit: the feed's
// shared tail reads again only for a channel it has not read for.
func (w *writer) end() {
	ended := make(chan struct{})
	close(ended)
	close(*w.notify.Swap(&ended))
}

type writeReq struct {
	fn  func(*batchTx) error
	err chan error
}

func newWriter(db *bbolt.DB, region string, obs Observer, prune func(*batchTx, int) error) *writer {
	w := &writer{db: db, region: region, obs: obs, prune: prune, wake: make(chan struct{}, 1), done: make(chan struct{})}
	first := make(chan struct{})
	w.notify.Store(&first)
	go w.loop()
	return w
}

// do runs fn in a write transaction shared with other queued mutations and
// returns once that transaction is durably committed (or fn failed, in
// which case none of fn's writes are kept).
func (w *writer) do(fn func(*batchTx) error) error {
	r := &writeReq{fn: fn, err: make(chan error, 1)}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.queue = append(w.queue, r)
	w.mu.Unlock()
	w.signal()
	return <-r.err
}

// signal makes sure the loop looks at the queue again: a token already
// waiting in wake will do.
func (w *writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *writer) loop() {
	defer close(w.done)
	for range w.wake {
		batch, closed := w.take()
		if closed {
			return
		}
		if len(batch) > 0 {
			w.commit(batch)
			clear(batch) // the answered requests are not kept alive
			w.mu.Lock()
			w.spare = batch[:0]
			w.mu.Unlock()
		}
	}
}

// take returns the next batch, the first maxBatch requests of the queue;
// closed is true once close was called, and every request still queued has
// then been answered ErrClosed.
func (w *writer) take() (batch []*writeReq, closed bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		for _, r := range w.queue {
			r.err <- ErrClosed
		}
		w.queue = nil
		return nil, true
	}
	if len(w.queue) <= maxBatch {
		batch, w.queue, w.spare = w.queue, w.spare, nil
		return batch, false
	}
	batch = slices.Clone(w.queue[:maxBatch])
	w.queue = slices.Delete(w.queue, 0, maxBatch)
	w.signal() // the rest go in the next commit
	return batch, false
}

// commit runs a batch in one transaction. A mutation that fails aborts the
// transaction (its partial writes must not survive), gets its error, and
// the rest of the batch runs again without it: each mutation reads the
// state it writes within the transaction, so running it again is safe.
func (w *writer) commit(batch []*writeReq) {
	start := time.Now()
	for len(batch) > 0 {
		failed, ferr := -1, error(nil)
		var committed *bbolt.Tx
		err := w.db.Update(func(tx *bbolt.Tx) error {
			committed = tx
			appendOnly(tx)
			b := &batchTx{btx: tx}
			for i, r := range batch {
				if err := safely(r.fn, b); err != nil {
					failed, ferr = i, err
					return err
				}
			}
			if err := b.flush(); err != nil {
				return err
			}
			return w.prune(b, len(batch))
		})
		if failed >= 0 {
			batch[failed].err <- ferr
			batch = slices.Delete(batch, failed, failed+1)
			continue
		}
		for _, r := range batch {
			r.err <- err // nil, or the commit's own failure for all of them
		}
		if err == nil {
			// The writers are answered first: waking hundreds of
			// watchers takes a while, and they only read.
			w.broadcast()
			stats := committed.Stats()
			w.obs.Committed(w.region, Commit{Mutations: len(batch), Duration: time.Since(start), Write: stats.GetWriteTime()})
		}
		return
	}
}

// appendFill is the fill percent of buckets whose keys only grow. bbolt
// splits a full page at its default 50% so that inserts in the middle
// have room; keys that are always appended never come back to a split
// page, which would stay half empty for ever.
const appendFill = 0.95

// appendOnly sets the fill percent of the region's append-only buckets for
// this transaction (bbolt keeps it per bucket handle, not in the file): the
// change log (keys are revisions) and the request records' ages (keys
// start with the time).
func appendOnly(tx *bbolt.Tx) {
	for _, name := range [][]byte{bucketChanges, bucketRequestTimes} {
		if b := tx.Bucket(name); b != nil {
			b.FillPercent = appendFill
		}
	}
}

// safely runs fn, turning a panic into an error so one bad mutation cannot
// take the region's writer down.
func safely(fn func(*batchTx) error, b *batchTx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: panic in mutation: %v\n%s", r, debug.Stack())
		}
	}()
	return fn(b)
}

// batchTx is one write transaction of a region's writer, shared by the
// mutations it commits together.
type batchTx struct {
	btx *bbolt.Tx
	// rev is the region's revision as the batch's changes have left it,
	// read from the file at its first use (loaded). Each change advances
	// it here and flush writes it back once, after the batch's mutations:
	// one read and one put of the counter per commit rather than per
	// write, on the region's serial path (issue 19). A failed mutation
	// aborts the whole transaction, and its rerun starts a new batchTx.
	rev           int64
	loaded, dirty bool
}

// revision is the region's revision within the batch so far.
func (b *batchTx) revision() int64 {
	if !b.loaded {
		b.rev, b.loaded = counter(b.btx.Bucket(bucketMeta).Get(keyRevision)), true
	}
	return b.rev
}

// advance records a change at rev, the batch's next revision.
func (b *batchTx) advance(rev int64) {
	b.rev, b.loaded, b.dirty = rev, true, true
}

// flush writes the revision the batch's changes reached into the file.
func (b *batchTx) flush() error {
	if !b.dirty {
		return nil
	}
	return b.btx.Bucket(bucketMeta).Put(keyRevision, revKey(b.rev))
}

// close stops the loop once the batch in progress is committed; the
// requests still queued get ErrClosed.
func (w *writer) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.signal()
	<-w.done
}
