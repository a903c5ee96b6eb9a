// Package bolt implements store.Store on bbolt: one file per region under
// <data-dir>/regions/, so regions commit independently and can be backed up
// or handed over one by one, plus <data-dir>/system.db for platform-wide
// records. Every file is locked by the process that opens it, so a second
// server on the same data dir fails at once instead of corrupting it.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// Options configure Open.
type Options struct {
	// Regions are the region ids to open, one file each.
	Regions []string
	// LockTimeout bounds the wait for another process's file lock.
	// Defaults to one second.
	LockTimeout time.Duration
	// Now is the clock; defaults to time.Now.
	Now func() time.Time
	// RequestRetention is how long a request_id is remembered (a retry
	// after that runs again). Defaults to DefaultRequestRetention.
	RequestRetention time.Duration
	// Observer, when set, is told about every transaction and commit.
	Observer Observer
	// ChangeRetention is how many of a region's most recent changes the
	// change log keeps; older ones are compacted away, a few at each
	// write. Defaults to DefaultChangeRetention; negative keeps them all.
	ChangeRetention int64
}

// DefaultRequestRetention keeps request_ids for a day: far longer than any
// client retries, short enough that the records do not grow without bound.
const DefaultRequestRetention = 24 * time.Hour

// DefaultChangeRetention is the change log a region keeps by default: the
// last 100,000 changes, enough for a regional system to catch up after weeks
// offline, bounded so that a stream of draft edits (each a full copy of the
// resource) cannot grow the file for ever. A watcher further behind gets
// REVISION_COMPACTED and lists again.
const DefaultChangeRetention = 100_000

// pruneBatch bounds the expired request records, and the changes beyond
// the retained count, that each mutation of a transaction lets it remove,
// so pruning keeps pace with the writes at a small, constant cost each.
const pruneBatch = 32

// Store is a store.Store over bbolt files.
type Store struct {
	dir     string
	system  *bbolt.DB
	regions map[string]*bbolt.DB
	writers map[string]*writer
	now     func() time.Time
	// retention is how long request records are kept.
	retention time.Duration
	obs       Observer
	// keepChanges is how many recent changes a region keeps (<0: all).
	keepChanges int64
	// damaged holds the regions whose file failed the check on open, with
	// the error every call for them gets.
	damaged map[string]error

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// ErrLocked is returned by Open when another process holds the data dir.
var ErrLocked = errors.New("data dir is in use by another process")

// Open opens (creating when needed) the data dir's files.
func Open(dir string, opts Options) (*Store, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RequestRetention <= 0 {
		opts.RequestRetention = DefaultRequestRetention
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	if opts.ChangeRetention == 0 {
		opts.ChangeRetention = DefaultChangeRetention
	}
	if err := os.MkdirAll(regionsDir(dir), 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	s := &Store{dir: dir, damaged: map[string]error{}, regions: make(map[string]*bbolt.DB, len(opts.Regions)), writers: make(map[string]*writer, len(opts.Regions)), now: opts.Now, retention: opts.RequestRetention, keepChanges: opts.ChangeRetention, obs: opts.Observer}
	// The system file is opened first: its lock is what a second server
	// trips over.
	var err error
	if s.system, err = openSystem(dir, opts.LockTimeout); err != nil {
		return nil, err
	}
	if err := frameSystem(s.system); err != nil {
		s.Close()
		return nil, fmt.Errorf("frame the records of %s: %w", SystemFile(dir), err)
	}
	for _, r := range opts.Regions {
		db, err := openRegion(dir, r, opts.LockTimeout)
		if e := errs.As(err); e != nil && (e.Code == errs.DataLoss || e.Reason == errs.DataFormatUnknown) {
			// The other regions are served; this one answers its damage,
			// or its format too new to read.
			s.damaged[r] = err
			continue
		}
		if err == nil {
			err = removeRestoreCopy(dir, r)
		}
		if err != nil {
			if db != nil {
				db.Close()
			}
			s.Close()
			return nil, err
		}
		s.regions[r] = db
		s.writers[r] = newWriter(db, r, opts.Observer, s.prune)
	}
	return s, nil
}

// open opens the bbolt file at path; a lock another process holds past
// opts.Timeout is ErrLocked.
func open(path string, opts *bbolt.Options) (*bbolt.DB, error) {
	db, err := bbolt.Open(path, 0o600, opts)
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w (lock not acquired within %s)", path, ErrLocked, opts.Timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// openDB opens (creating when needed) the file at path with the buckets
// and, with them, the format marker.
func openDB(path string, timeout time.Duration, buckets [][]byte) (*bbolt.DB, error) {
	db, err := open(path, &bbolt.Options{Timeout: timeout, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return nil, err
	}
	if len(buckets) == 0 {
		return db, nil
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range buckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return putFormat(tx)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init %s: %w", path, err)
	}
	return db, nil
}

// Close waits for the writes in progress, then closes every file. Calling
// it again returns the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		for _, w := range s.writers {
			w.close()
		}
		for _, db := range s.regions {
			if err := db.Close(); err != nil && s.closeErr == nil {
				s.closeErr = err
			}
		}
		if s.system != nil {
			if err := s.system.Close(); err != nil && s.closeErr == nil {
				s.closeErr = err
			}
		}
		for _, w := range s.writers {
			w.end()
		}
	})
	return s.closeErr
}

// Damaged returns the regions not served because their file failed the
// check on open, each with its error (errs.DataLoss, naming the file and
// the restore command).
func (s *Store) Damaged() map[string]error { return s.damaged }

func (s *Store) db(region string) (*bbolt.DB, error) {
	if db, ok := s.regions[region]; ok {
		return db, nil
	}
	return nil, s.unserved(region)
}

func (s *Store) writer(region string) (*writer, error) {
	if w, ok := s.writers[region]; ok {
		return w, nil
	}
	return nil, s.unserved(region)
}

// unserved is the error for a region the store does not serve: the
// damage found on open (see Damaged), or errs.NotFound.
func (s *Store) unserved(region string) error {
	if err := s.damaged[region]; err != nil {
		return err
	}
	return errs.NotFoundf("region %q not found", region)
}

// View implements store.Store.
func (s *Store) View(ctx context.Context, region string, fn func(store.ReadTx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	db, err := s.db(region)
	if err != nil {
		return err
	}
	end := s.obs.Begin(ctx, region, "view")
	defer func() { end(err) }()
	return closedErr(db.View(func(btx *bbolt.Tx) error {
		t := newTx(btx, region, time.Time{}, store.Mutation{})
		t.ctx = ctx
		err := fn(t)
		if t.ended != nil {
			return t.ended // a scan stopped early: fn's result is partial
		}
		return err
	}))
}

// closedErr turns the storage failures a caller can retry into
// errs.Unavailable: bbolt's "database not open" for a call that arrives
// while the server shuts down (store.Closed), and a full disk (nothing was
// written: the transaction rolled back).
func closedErr(err error) error {
	switch {
	case errors.Is(err, berrors.ErrDatabaseNotOpen) || errors.Is(err, ErrClosed):
		return store.Closed()
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT):
		e := errs.StorageFull.New("the server's disk is full: nothing was written; retry later")
		e.RetryAfter = 30
		return e
	}
	return err
}

// Update implements store.Store.
func (s *Store) Update(ctx context.Context, region string, m store.Mutation, fn func(store.WriteTx) (proto.Message, error)) (_ proto.Message, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w, err := s.writer(region)
	if err != nil {
		return nil, err
	}
	end := s.obs.Begin(ctx, region, "update")
	defer func() { end(err) }()
	var res proto.Message
	err = w.do(func(b *batchTx) error {
		res = nil
		btx := b.btx
		t := newWriteTx(b, region, s.now().UTC(), m)
		t.ctx = ctx
		reqKey := []byte(store.RequestKey(m))
		if len(reqKey) > 0 {
			if rec := btx.Bucket(bucketRequests).Get(reqKey); rec != nil {
				r, err := store.ReplayRequest(rec, m.Fingerprint)
				res = r
				return err
			}
		}
		r, err := fn(t)
		if t.ended != nil {
			return t.ended
		}
		if err != nil {
			return err
		}
		if r == nil {
			return errors.New("store: mutation returned no result")
		}
		if len(reqKey) > 0 {
			rec, err := store.EncodeRequest(m.Fingerprint, t.now, r)
			if err != nil {
				return err
			}
			if err := btx.Bucket(bucketRequests).Put(reqKey, rec); err != nil {
				return err
			}
			if err := btx.Bucket(bucketRequestTimes).Put(append(binary.BigEndian.AppendUint64(nil, uint64(t.now.UnixNano())), reqKey...), nil); err != nil {
				return err
			}
		}
		res = r
		return nil
	})
	if err != nil {
		return nil, closedErr(err)
	}
	return res, nil
}

// prune ends each write transaction of a region, once for its batch of
// mutations (pruneBatch records of each kind per mutation), rather than
// once per mutation: the region's counters and the oldest request record
// are read once per commit, not once per write (issue 19).
func (s *Store) prune(b *batchTx, mutations int) error {
	limit := pruneBatch * mutations
	if err := s.pruneChanges(b, limit); err != nil {
		return err
	}
	return s.pruneRequests(b.btx, s.now(), limit)
}

// pruneRequests forgets up to limit request records older than the
// retention, oldest first.
func (s *Store) pruneRequests(btx *bbolt.Tx, now time.Time, limit int) error {
	cutoff := uint64(now.Add(-s.retention).UnixNano())
	times, requests := btx.Bucket(bucketRequestTimes), btx.Bucket(bucketRequests)
	c := times.Cursor()
	for i, k := 0, firstKey(c); i < limit && k != nil && len(k) >= 8 && binary.BigEndian.Uint64(k[:8]) < cutoff; i, k = i+1, firstKey(c) {
		if err := requests.Delete(k[8:]); err != nil {
			return err
		}
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// pruneChanges compacts up to limit of the oldest changes beyond the
// retained count, as Compact would (older positions then answer
// REVISION_COMPACTED).
func (s *Store) pruneChanges(b *batchTx, limit int) error {
	if s.keepChanges < 0 {
		return nil
	}
	meta := b.btx.Bucket(bucketMeta)
	rev, compacted := b.revision(), counter(meta.Get(keyCompacted))
	if rev-compacted <= s.keepChanges {
		return nil
	}
	c := b.btx.Bucket(bucketChanges).Cursor()
	for i, k := 0, firstKey(c); i < limit && k != nil && rev-compacted > s.keepChanges; i, k = i+1, firstKey(c) {
		// Changes below the compacted revision (a restored backup's) go
		// first, without moving it back.
		compacted = max(compacted, int64(binary.BigEndian.Uint64(k)))
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return meta.Put(keyCompacted, revKey(compacted))
}

func firstKey(c *bbolt.Cursor) []byte {
	k, _ := c.First()
	return k
}

type tx struct {
	btx *bbolt.Tx
	// batch is the writer's transaction a write runs in, which keeps the
	// region's revision; nil in a read transaction.
	batch  *batchTx
	region string
	now    time.Time
	// author is the mutation a write transaction records its changes as
	// made by; zero in a read transaction.
	author store.Mutation

	// ctx is the request's context: scans stop when it ends, so a request
	// whose client left or whose deadline passed stops working.
	ctx context.Context
	// steps counts scan steps since ctx was last looked at.
	steps int
	// ended is ctx's error once a scan stopped for it; the transaction
	// then fails with it whatever fn returns.
	ended error
	// absent is the key of a resource Exists found missing in this
	// mutation, not put since: a Create's Put after its name's check
	// (resource.Absent) then does not look the key up again.
	absent []byte
	// indexes are the index buckets this read transaction has opened. In
	// a read transaction bbolt opens a nested bucket anew on every call
	// (a search of its parent and two allocations), and a summary or a
	// list seeks the same index once per month, hundreds of times; a
	// write transaction's buckets bbolt keeps itself.
	indexes map[string]*bbolt.Bucket
}

func newTx(btx *bbolt.Tx, region string, now time.Time, author store.Mutation) *tx {
	return &tx{btx: btx, region: region, now: now, author: author, ctx: context.Background()}
}

// newWriteTx is a mutation's transaction within the writer's batch b.
func newWriteTx(b *batchTx, region string, now time.Time, author store.Mutation) *tx {
	t := newTx(b.btx, region, now, author)
	t.batch = b
	return t
}

// ctxCheckEvery is how many scan steps pass between looks at the context:
// often enough to stop within a millisecond or so, rarely enough to cost
// nothing.
const ctxCheckEvery = 256

// live reports whether a scan may take another step; once the request's
// context has ended it records why and answers false for good.
func (t *tx) live() bool {
	if t.ended != nil {
		return false
	}
	if t.steps++; t.steps%ctxCheckEvery != 0 {
		return true
	}
	if err := t.ctx.Err(); err != nil {
		t.ended = err
		return false
	}
	return true
}

func (t *tx) Region() string { return t.region }
func (t *tx) Now() time.Time { return t.now }

func (t *tx) Revision() int64 {
	if t.batch != nil {
		return t.batch.revision()
	}
	return counter(t.btx.Bucket(bucketMeta).Get(keyRevision))
}

// key turns a resource name of this region into its key in
// bucketResources: "{collection}/{id}", or for a nested resource
// "{collection}/{id}/{child collection}/{child id}" and so on.
func (t *tx) key(name string) ([]byte, error) {
	k, err := store.ResourceKey(t.region, name)
	return []byte(k), err
}

// lookup returns the key of the resource called name and its stored
// encoding, checked against its frame (nil when there is none).
func (t *tx) lookup(name string) (k, v []byte, err error) {
	if k, err = t.key(name); err != nil {
		return nil, nil, err
	}
	v, err = t.read(name, k)
	return k, v, err
}

// read returns the stored bytes of resource name at key k, checked and
// unframed, or nil when there are none.
func (t *tx) read(name string, k []byte) ([]byte, error) {
	v := t.btx.Bucket(bucketResources).Get(k)
	if v == nil {
		return nil, nil
	}
	p, ok := store.Unframe(v)
	if !ok {
		return nil, store.ErrCorrupt(name)
	}
	return p, nil
}

func (t *tx) Get(name string, into store.Resource) error {
	_, v, err := t.lookup(name)
	if err != nil {
		return err
	}
	if v == nil {
		return errs.NotFoundf("%s not found", name)
	}
	return store.Decode(name, v, into)
}

func (t *tx) Exists(name string) (bool, error) {
	k, err := t.key(name)
	if err != nil {
		return false, err
	}
	found := t.btx.Bucket(bucketResources).Get(k) != nil
	if !found {
		t.absent = k
	}
	return found, nil
}

func (t *tx) List(collection, after string, fn func(id string, raw []byte) (bool, error)) error {
	return t.each(collection, after, func(k, id, v []byte) (bool, error) {
		raw, err := t.unframe(k, v)
		if err != nil {
			return false, err
		}
		return fn(string(id), raw)
	})
}

// Count checks each record's frame as List does, without List's copy of
// each id.
func (t *tx) Count(collection string) (int, error) {
	n := 0
	err := t.each(collection, "", func(k, _, v []byte) (bool, error) {
		if _, err := t.unframe(k, v); err != nil {
			return false, err
		}
		n++
		return true, nil
	})
	return n, err
}

// unframeChange is the payload of the change record v stored under key k,
// or its DATA_LOSS if its frame fails its check.
func (t *tx) unframeChange(k, v []byte) ([]byte, error) {
	p, ok := store.Unframe(v)
	if !ok {
		return nil, store.ErrCorrupt(errs.Sprintf("change %d of region %s", binary.BigEndian.Uint64(k), t.region))
	}
	return p, nil
}

// checkRecords checks the frame of every resource and change record: a
// whole read, which a backup gets before it is installed (CheckFile), so
// that no restore installs or imports a record it would then refuse.
func (t *tx) checkRecords() error {
	err := t.btx.Bucket(bucketResources).ForEach(func(k, v []byte) error {
		_, err := t.unframe(k, v)
		return err
	})
	if err != nil {
		return err
	}
	return t.btx.Bucket(bucketChanges).ForEach(func(k, v []byte) error {
		_, err := t.unframeChange(k, v)
		return err
	})
}

// unframe is the payload of the resource record v stored under key k, or
// its DATA_LOSS if its frame fails its check.
func (t *tx) unframe(k, v []byte) ([]byte, error) {
	raw, ok := store.Unframe(v)
	if !ok {
		return nil, store.ErrCorrupt("regions/" + t.region + "/" + string(k))
	}
	return raw, nil
}

// each calls fn with the key, id and stored value of each resource of
// collection with an id greater than after, in id order, until fn returns
// false or an error; it skips the resources' children, which a listing
// never includes. The slices are valid only during fn.
func (t *tx) each(collection, after string, fn func(k, id, v []byte) (bool, error)) error {
	prefix := []byte(collection + "/")
	c := t.btx.Bucket(bucketResources).Cursor()
	k, v := c.Seek(append(append([]byte(nil), prefix...), after...))
	for k != nil && bytes.HasPrefix(k, prefix) {
		if !t.live() {
			return t.ended
		}
		id := k[len(prefix):]
		if parent, _, nested := bytes.Cut(id, []byte("/")); nested {
			// A child of resource parent: seek past parent's subtree
			// ('0' is the byte after '/').
			k, v = c.Seek(append(append(append([]byte(nil), prefix...), parent...), '0'))
			continue
		}
		if string(id) <= after {
			k, v = c.Next()
			continue
		}
		more, err := fn(k, id, v)
		if err != nil || !more {
			return err
		}
		k, v = c.Next()
	}
	return nil
}

// index is the bucket of index, nil when it holds nothing yet.
func (t *tx) index(index string) *bbolt.Bucket {
	if t.btx.Writable() {
		return t.btx.Bucket(bucketIndexes).Bucket([]byte(index))
	}
	b, ok := t.indexes[index]
	if !ok {
		b = t.btx.Bucket(bucketIndexes).Bucket([]byte(index))
		if t.indexes == nil {
			t.indexes = map[string]*bbolt.Bucket{}
		}
		t.indexes[index] = b
	}
	return b
}

func (t *tx) IndexGet(index, key string) (string, bool) {
	b := t.index(index)
	if b == nil {
		return "", false
	}
	v := b.Get([]byte(key))
	return string(v), v != nil
}

func (t *tx) IndexScan(index, prefix string, fn func(key, value string) bool) {
	t.IndexScanAfter(index, prefix, "", fn)
}

func (t *tx) IndexScanAfter(index, prefix, after string, fn func(key, value string) bool) {
	b := t.index(index)
	if b == nil {
		return
	}
	p := []byte(prefix)
	c := b.Cursor()
	k, v := c.Seek(p)
	if after >= prefix {
		if k, v = c.Seek([]byte(after)); k != nil && string(k) == after {
			k, v = c.Next()
		}
	}
	for ; k != nil && bytes.HasPrefix(k, p) && t.live(); k, v = c.Next() {
		if !fn(string(k), string(v)) {
			return
		}
	}
}

func (t *tx) IndexScanBefore(index, prefix, before string, fn func(key, value string) bool) {
	b := t.index(index)
	if b == nil {
		return
	}
	end := store.PrefixEnd(prefix)
	if before != "" && (end == "" || before < end) {
		end = before
	}
	c := b.Cursor()
	// Seek finds the first key at or past end: the scan starts at the key
	// before it, or at the last key when there is none.
	var k, v []byte
	if end != "" {
		k, _ = c.Seek([]byte(end))
	}
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	p := []byte(prefix)
	for ; k != nil && bytes.HasPrefix(k, p) && t.live(); k, v = c.Prev() {
		if !fn(string(k), string(v)) {
			return
		}
	}
}

func (t *tx) Compacted() int64 {
	v := t.btx.Bucket(bucketMeta).Get(keyCompacted)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func (t *tx) Changes(after int64, fn func(*famiv1.Change) bool) error {
	if c := t.Compacted(); after < c {
		return store.ErrCompacted(after, c)
	}
	c := t.btx.Bucket(bucketChanges).Cursor()
	for k, v := c.Seek(revKey(after + 1)); k != nil; k, v = c.Next() {
		if !t.live() {
			return t.ended
		}
		v, err := t.unframeChange(k, v)
		if err != nil {
			return err
		}
		ch := new(famiv1.Change)
		if err := proto.Unmarshal(v, ch); err != nil {
			return fmt.Errorf("store: decode change %d: %w", binary.BigEndian.Uint64(k), err)
		}
		if !fn(ch) {
			return nil
		}
	}
	return nil
}

func (t *tx) Put(r store.Resource) error {
	k, err := t.key(r.GetName())
	if err != nil {
		return err
	}
	var old []byte
	if bytes.Equal(k, t.absent) {
		t.absent = nil // put now: the next Put of k looks it up
	} else if old, err = t.read(r.GetName(), k); err != nil {
		return err
	}
	op := famiv1.ChangeOperation_CHANGE_OPERATION_CREATE
	if old != nil {
		op = famiv1.ChangeOperation_CHANGE_OPERATION_UPDATE
	}
	rev := t.Revision() + 1
	v, err := store.Encode(r, old, rev, t.now)
	if err != nil {
		return err
	}
	if err := t.btx.Bucket(bucketResources).Put(k, store.Frame(v)); err != nil {
		return err
	}
	return t.appendChange(store.PutChange(rev, t.now, op, t.author, r, v))
}

func (t *tx) Delete(name string) error {
	k, old, err := t.lookup(name)
	if err != nil {
		return err
	}
	if old == nil {
		return errs.NotFoundf("%s not found", name)
	}
	// The last state goes into the change as an Any of its stored bytes;
	// the type comes from the most recent change of this resource.
	last := append([]byte(nil), old...)
	if err := t.btx.Bucket(bucketResources).Delete(k); err != nil {
		return err
	}
	typ, err := t.typeOf(name)
	if err != nil {
		return err
	}
	return t.writeChange(store.DeleteChange(t.Revision()+1, t.now, t.author, name, string(typ), last))
}

// typeOf finds the full type name of a stored resource.
func (t *tx) typeOf(name string) (protoreflect.FullName, error) {
	v := t.btx.Bucket(bucketTypes).Get([]byte(name))
	if v == nil {
		return "", fmt.Errorf("store: no type recorded for %s", name)
	}
	return protoreflect.FullName(v), nil
}

func (t *tx) IndexPut(index, key, value string) error {
	b, err := t.btx.Bucket(bucketIndexes).CreateBucketIfNotExists([]byte(index))
	if err != nil {
		return err
	}
	return b.Put([]byte(key), []byte(value))
}

func (t *tx) IndexDelete(index, key string) error {
	b := t.index(index)
	if b == nil {
		return nil
	}
	return b.Delete([]byte(key))
}

func (t *tx) appendChange(ch *famiv1.Change) error {
	if ch.Operation == famiv1.ChangeOperation_CHANGE_OPERATION_CREATE {
		if err := t.btx.Bucket(bucketTypes).Put([]byte(ch.ResourceName), []byte(ch.ResourceType)); err != nil {
			return err
		}
	}
	return t.writeChange(ch)
}

func (t *tx) writeChange(ch *famiv1.Change) error {
	v, err := store.Marshal.Marshal(ch)
	if err != nil {
		return err
	}
	if err := t.btx.Bucket(bucketChanges).Put(revKey(ch.Revision), store.Frame(v)); err != nil {
		return err
	}
	if ch.Operation == famiv1.ChangeOperation_CHANGE_OPERATION_DELETE {
		if err := t.btx.Bucket(bucketTypes).Delete([]byte(ch.ResourceName)); err != nil {
			return err
		}
	}
	// The batch writes the revision into the file once, after its last
	// mutation, in the same transaction.
	t.batch.advance(ch.Revision)
	return nil
}

func revKey(rev int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(rev))
}
