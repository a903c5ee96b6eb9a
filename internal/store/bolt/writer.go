package bolt

import (
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
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

// writer is a region's single writer: mutations queue on reqs and the loop
// commits whatever has queued up in one bbolt transaction, with one fsync.
// Unlike bbolt's Batch it never waits for a batch to fill: an idle region
// commits a lone write at once, and under load the batch is simply
// everything that arrived while the previous commit was on disk.
type writer struct {
	db     *bbolt.DB
	region string
	obs    Observer
	// prune ends every transaction, after its batch of mutations, in the
	// same commit.
	prune func(tx *bbolt.Tx, mutations int) error
	reqs  chan *writeReq
	stop  chan struct{}
	done  chan struct{}

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

type writeReq struct {
	fn  func(*bbolt.Tx) error
	err chan error
}

func newWriter(db *bbolt.DB, region string, obs Observer, prune func(*bbolt.Tx, int) error) *writer {
	w := &writer{db: db, region: region, obs: obs, prune: prune, reqs: make(chan *writeReq), stop: make(chan struct{}), done: make(chan struct{})}
	first := make(chan struct{})
	w.notify.Store(&first)
	go w.loop()
	return w
}

// do runs fn in a write transaction shared with other queued mutations and
// returns once that transaction is durably committed (or fn failed, in
// which case none of fn's writes are kept).
func (w *writer) do(fn func(*bbolt.Tx) error) error {
	r := &writeReq{fn: fn, err: make(chan error, 1)}
	select {
	case w.reqs <- r:
	case <-w.stop:
		return ErrClosed
	}
	return <-r.err
}

func (w *writer) loop() {
	defer close(w.done)
	for {
		var first *writeReq
		select {
		case first = <-w.reqs:
		case <-w.stop:
			return
		}
		batch := []*writeReq{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-w.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		w.commit(batch)
	}
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
			for i, r := range batch {
				if err := safely(r.fn, tx); err != nil {
					failed, ferr = i, err
					return err
				}
			}
			return w.prune(tx, len(batch))
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
func safely(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: panic in mutation: %v\n%s", r, debug.Stack())
		}
	}()
	return fn(tx)
}

// close stops the loop once the batch in progress is committed.
func (w *writer) close() {
	close(w.stop)
	<-w.done
}
