package etcd

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// Sub-ranges of a region's key range; see the package documentation.
const (
	keyRevision  = "meta/revision"
	keyCompacted = "meta/compacted"
	rangeRes     = "res/"
	rangeChg     = "chg/"
	rangeReq     = "req/"
	rangeReqTime = "reqt/"
	rangeIdx     = "idx/"
	rangeTyp     = "typ/"
)

// prefixEnd is the end of the key range of every key starting with p
// ("\x00", etcd's "to the last key", when no key follows them).
func prefixEnd(p string) string {
	if end := store.PrefixEnd(p); end != "" {
		return end
	}
	return "\x00"
}

// tx is a store.WriteTx (and ReadTx) over a region's key range.
type tx struct {
	o      *overlay
	region string
	base   string
	now    time.Time
	// author is the mutation a write transaction records its changes as
	// made by; zero in a read transaction.
	author store.Mutation
	// maxOps bounds the reads of one round trip (Options.MaxTxnOps).
	maxOps int
	// nested is the store's collections known to have children
	// (Store.nested).
	nested *sync.Map
	// absent is the key of a resource Exists found missing in this
	// mutation, not put since: a Create's Put after its name's check
	// (resource.Absent) then does not read the key again, a round trip
	// to the cluster.
	absent string
}

func (t *tx) Region() string { return t.region }
func (t *tx) Now() time.Time { return t.now }

func (t *tx) Revision() int64 {
	v, _ := t.o.get(t.base + keyRevision)
	return revOf(v)
}

func (t *tx) Compacted() int64 {
	v, _ := t.o.get(t.base + keyCompacted)
	return revOf(v)
}

func (t *tx) resKey(name string) (string, error) {
	k, err := store.ResourceKey(t.region, name)
	return t.base + rangeRes + k, err
}

// lookup returns the key of the resource called name and its stored
// encoding, checked against its frame (ok false when there is none), or
// the snapshot's error.
func (t *tx) lookup(name string) (k string, v []byte, ok bool, err error) {
	if k, err = t.resKey(name); err != nil {
		return "", nil, false, err
	}
	v, ok, err = t.read(name, k)
	return k, v, ok, err
}

// read returns the stored encoding of resource name at key k, checked and
// unframed (ok false when there is none), or the snapshot's error.
func (t *tx) read(name, k string) ([]byte, bool, error) {
	v, ok := t.o.get(k)
	if t.o.snap.err != nil || !ok {
		return nil, false, t.o.snap.err
	}
	p, ok := store.Unframe(v)
	if !ok {
		return nil, false, store.ErrCorrupt(name)
	}
	return p, true, nil
}

func (t *tx) Get(name string, into store.Resource) error {
	_, v, ok, err := t.lookup(name)
	if err != nil {
		return err
	}
	if !ok {
		return errs.NotFoundf("%s not found", name)
	}
	return store.Decode(name, v, into)
}

func (t *tx) Exists(name string) (bool, error) {
	k, _, ok, err := t.lookup(name)
	if err == nil && !ok {
		t.absent = k // the Put that creates it need not read it again
	}
	return ok, err
}

// List reads a collection's key range, which holds its resources'
// children too (a project's reports follow the project, "/" and all). A
// listing of a collection known to have children (Store.nested) reads the
// range keys only and fetches the values of its resources alone
// (snapshot.scanTop), a round trip more a page; any other reads the range
// with its values, one round trip a page, and when it meets a child, the
// collection is known to have them from then on.
func (t *tx) List(collection, after string, fn func(id string, raw []byte) (bool, error)) error {
	_, nested := t.nested.Load(kindOf(collection))
	return t.list(collection, after, nested, fn)
}

// kindOf is the last segment of a collection, its key in Store.nested:
// "monitoringReports" for "projects/p1/monitoringReports".
func kindOf(collection string) string {
	return collection[strings.LastIndexByte(collection, '/')+1:]
}

// list is List, reading the range keys only first when keysFirst.
func (t *tx) list(collection, after string, keysFirst bool, fn func(id string, raw []byte) (bool, error)) error {
	prefix := t.base + rangeRes + collection + "/"
	child := func(k string) bool { return strings.Contains(k[len(prefix):], "/") }
	read := t.o.scan
	if keysFirst {
		read = func(from, end string, fn func(k string, v []byte) bool) {
			t.o.scanTop(from, end, func(k string) bool { return !child(k) }, t.maxOps, fn)
		}
	}
	var ferr error
	read(prefix+after, prefixEnd(prefix), func(k string, v []byte) bool {
		id := k[len(prefix):]
		if id <= after {
			return true // already seen
		}
		if child(k) {
			// A nested child of a listed resource
			// (".../monitoringReports/2021-q1"), which a listing never
			// includes.
			t.nested.Store(kindOf(collection), true)
			return true
		}
		raw, ok := store.Unframe(v)
		if !ok {
			ferr = store.ErrCorrupt("regions/" + t.region + "/" + collection + "/" + id)
			return false
		}
		more, err := fn(id, raw)
		ferr = err
		return err == nil && more
	})
	if ferr != nil {
		return ferr
	}
	return t.o.snap.err
}

// Count counts what List lists, each record's frame checked as List
// checks it: a count-only range (clientv3.WithCountOnly) would also count
// the resources' children, which share their parent's prefix and which a
// listing skips, and a keys-only one could not tell a damaged record.
func (t *tx) Count(collection string) (int, error) {
	n := 0
	err := t.List(collection, "", func(string, []byte) (bool, error) {
		n++
		return true, nil
	})
	return n, err
}

func (t *tx) idxKey(index, key string) string { return t.base + rangeIdx + index + "\x00" + key }

func (t *tx) IndexGet(index, key string) (string, bool) {
	v, ok := t.o.get(t.idxKey(index, key))
	return string(v), ok
}

func (t *tx) IndexScan(index, prefix string, fn func(key, value string) bool) {
	t.IndexScanAfter(index, prefix, "", fn)
}

func (t *tx) IndexScanAfter(index, prefix, after string, fn func(key, value string) bool) {
	start := t.idxKey(index, "")
	from := start + prefix
	if after >= prefix {
		from = start + after + "\x00" // the first key after after
	}
	t.o.scan(from, prefixEnd(start+prefix), func(k string, v []byte) bool {
		return fn(k[len(start):], string(v))
	})
}

func (t *tx) IndexScanBefore(index, prefix, before string, fn func(key, value string) bool) {
	start := t.idxKey(index, "")
	end := prefixEnd(start + prefix)
	if before != "" && start+before < end {
		end = start + before
	}
	t.o.scanDesc(start+prefix, end, func(k string, v []byte) bool {
		return fn(k[len(start):], string(v))
	})
}

func (t *tx) Changes(after int64, fn func(*famiv1.Change) bool) error {
	if c := t.Compacted(); after < c {
		return store.ErrCompacted(after, c)
	}
	var derr error
	start := t.base + rangeChg
	t.o.scan(start+string(revBytes(after+1)), prefixEnd(start), func(k string, v []byte) bool {
		v, ok := store.Unframe(v)
		if !ok {
			derr = store.ErrCorrupt(errs.Sprintf("change %d of region %s", revOf([]byte(k[len(start):])), t.region))
			return false
		}
		ch := new(famiv1.Change)
		if err := proto.Unmarshal(v, ch); err != nil {
			derr = fmt.Errorf("store: decode change %d: %w", revOf([]byte(k[len(start):])), err)
			return false
		}
		return fn(ch)
	})
	if derr != nil {
		return derr
	}
	return t.o.snap.err
}

func (t *tx) Put(r store.Resource) error {
	k, err := t.resKey(r.GetName())
	if err != nil {
		return err
	}
	var (
		old    []byte
		exists bool
	)
	if k == t.absent {
		t.absent = "" // put now: the next Put of k reads it
	} else if old, exists, err = t.read(r.GetName(), k); err != nil {
		return err
	}
	op := famiv1.ChangeOperation_CHANGE_OPERATION_CREATE
	if exists {
		op = famiv1.ChangeOperation_CHANGE_OPERATION_UPDATE
	} else {
		old = nil
	}
	rev := t.Revision() + 1
	v, err := store.Encode(r, old, rev, t.now)
	if err != nil {
		return err
	}
	ch := store.PutChange(rev, t.now, op, t.author, r, v)
	t.o.putFramed(k, v)
	if op == famiv1.ChangeOperation_CHANGE_OPERATION_CREATE {
		t.o.put(t.base+rangeTyp+r.GetName(), []byte(ch.ResourceType))
	}
	return t.writeChange(ch)
}

func (t *tx) Delete(name string) error {
	k, old, ok, err := t.lookup(name)
	if err != nil {
		return err
	}
	if !ok {
		return errs.NotFoundf("%s not found", name)
	}
	typ, ok := t.o.get(t.base + rangeTyp + name)
	if !ok {
		return fmt.Errorf("store: no type recorded for %s", name)
	}
	last := bytes.Clone(old)
	t.o.del(k)
	t.o.del(t.base + rangeTyp + name)
	return t.writeChange(store.DeleteChange(t.Revision()+1, t.now, t.author, name, string(typ), last))
}

func (t *tx) writeChange(ch *famiv1.Change) error {
	v, err := store.Marshal.Marshal(ch)
	if err != nil {
		return err
	}
	t.o.putFramed(t.base+rangeChg+string(revBytes(ch.Revision)), v)
	t.o.put(t.base+keyRevision, revBytes(ch.Revision))
	return nil
}

func (t *tx) IndexPut(index, key, value string) error {
	t.o.put(t.idxKey(index, key), []byte(value))
	return nil
}

func (t *tx) IndexDelete(index, key string) error {
	if _, ok := t.o.get(t.idxKey(index, key)); ok {
		t.o.del(t.idxKey(index, key))
	}
	return t.o.snap.err
}
