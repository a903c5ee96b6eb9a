// Package store defines how the platform keeps its records: per region, as
// protobuf resources with a revision counter and a change log written in the
// same transaction as every mutation. Implementations live in sub-packages
// (bolt, etcd) and must pass the conformance suite in storetest.
package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
)

// Resource is a stored record: a protobuf message with the AIP standard
// fields name ("regions/{region}/{collection}/{id}"), etag, create_time and
// update_time. The store owns the last three.
type Resource interface {
	proto.Message
	GetName() string
	GetEtag() string
}

// Store keeps every region's data.
//
// Errors: operations on an unknown region return errs.NotFound; a canceled
// context returns its error, also when it ends during View or Update (their
// scans stop within a few steps and the partial result is dropped); storage failures are returned wrapped and are
// internal errors for the caller.
type Store interface {
	// View runs fn in a read-only, consistent snapshot of region.
	View(ctx context.Context, region string, fn func(ReadTx) error) error
	// Update runs fn as one atomic mutation of region and returns fn's result.
	// If fn fails nothing is written. fn may be called more than once (a
	// group commit reruns a batch without a failed member), so it must have
	// no effects outside tx and build its result afresh on every call. If m.RequestID was already used by the
	// same principal in this region, fn is not run: Update returns the result
	// recorded the first time, or errs.Invalid (field request_id) when that
	// request differed (another fingerprint).
	Update(ctx context.Context, region string, m Mutation, fn func(WriteTx) (proto.Message, error)) (proto.Message, error)
	// Compact drops region's change log up to and including revision and
	// returns the number of changes dropped. Returns errs.Invalid (field
	// revision) beyond the current revision; compacting to an older
	// revision than already compacted drops nothing.
	Compact(ctx context.Context, region string, revision int64) (int64, error)
	// Changed returns a channel that is closed at region's next commit, so
	// watchers wait for changes without a writer ever waiting for them;
	// Close closes it too, and after Close it returns a closed channel,
	// so that a watcher reads, gets Closed and ends.
	Changed(region string) <-chan struct{}
	// Close releases the store's files. Every call that arrives while or
	// after it closes answers Closed.
	Close() error
}

// Mutation describes who makes a change and how a retry is recognised.
type Mutation struct {
	// Principal is the subject recorded in the change log.
	Principal string
	// DisplayName is the principal's name recorded beside it, for people
	// to read (principal.Principal.Name); "" when it has none.
	DisplayName string
	// RequestID is the optional idempotency key chosen by the client.
	RequestID string
	// Fingerprint identifies the request's content; see Fingerprint. It
	// is read only with a RequestID, to tell a retry from a reuse.
	Fingerprint []byte
	// ValidateOnly makes Mutate check and answer the write without
	// committing it (AIP-163; MutationOf sets it from the request's
	// validate_only field). A Store's Update never reads it.
	ValidateOnly bool
}

// ReadTx reads one region's data at a fixed revision.
type ReadTx interface {
	// Region is the region id the transaction works on.
	Region() string
	// Revision is the region's revision: the revision of its last change.
	Revision() int64
	// Get reads the resource called name into into. Returns errs.NotFound
	// if it does not exist.
	Get(name string, into Resource) error
	// Exists reports whether the resource called name exists, without
	// reading it (a Create's check that a name is free). Returns
	// errs.Invalid for a name Get refuses.
	Exists(name string) (bool, error)
	// List calls fn for each resource of collection (e.g. "partners") with
	// an id greater than after, in id order, until fn returns false. The
	// collection of nested resources is their parent's name below the
	// region followed by the collection ("projects/p1/monitoringReports");
	// a listing never includes the children of the resources it lists.
	List(collection, after string, fn func(id string, raw []byte) (bool, error)) error
	// Count is the number of resources List lists in collection, its own
	// writes included. Each record's checksum is checked, as List checks
	// it (a damaged record is DATA_LOSS, never counted), but none is
	// decoded or handed out, so a count costs a fraction of a listing.
	Count(collection string) (int, error)
	// IndexGet returns the value stored under key in index.
	IndexGet(index, key string) (string, bool)
	// IndexScan calls fn for each key of index that starts with prefix, in
	// key order, until fn returns false.
	IndexScan(index, prefix string, fn func(key, value string) bool)
	// IndexScanAfter is IndexScan of the keys after after alone: a scan
	// that resumes within prefix (a page token's position) starts there
	// instead of reading again the keys before it.
	IndexScanAfter(index, prefix, after string, fn func(key, value string) bool)
	// IndexScanBefore calls fn for each key of index that starts with
	// prefix and sorts before before (every one when before is ""), in
	// reverse key order, until fn returns false: a newest-first page
	// reads back from its position, and only the keys it answers, where
	// a forward scan would read the prefix from its first key.
	IndexScanBefore(index, prefix, before string, fn func(key, value string) bool)
	// Changes calls fn for each change after revision after, in revision
	// order, until fn returns false. Returns errs.FailedPrecondition with
	// reason REVISION_COMPACTED when after is older than the retained log.
	Changes(after int64, fn func(*famiv1.Change) bool) error
	// Compacted is the revision the change log is compacted to (0: never).
	Compacted() int64
}

// WriteTx reads and writes one region's data within one mutation.
type WriteTx interface {
	ReadTx
	// Now is the mutation's time, the same for every write in it.
	Now() time.Time
	// Put creates or replaces r. Names are "regions/{region}/{collection}/{id}",
	// optionally followed by nested "/{collection}/{id}" pairs. It assigns the region's next revision,
	// sets r's etag, update_time and (on create) create_time, and appends a
	// CREATE or UPDATE change. Returns errs.Invalid if r's name is not in
	// this region.
	Put(r Resource) error
	// Delete removes the resource called name and appends a DELETE change
	// with its last state. Returns errs.NotFound if it does not exist.
	Delete(name string) error
	// IndexPut stores value under key in index.
	IndexPut(index, key, value string) error
	// IndexDelete removes key from index; a missing key is not an error.
	IndexDelete(index, key string) error
}

// Mutate is Update for a result of a known type.
//
// A validate-only mutation (m.ValidateOnly) runs fn whole, every check and
// write included, in the region's transaction, and then rolls it back
// with fn's result (validated): the answer is the one the write would
// give, and nothing is written, no revision, no change, no request record.
// Every write of the capabilities comes here (Modify, and the openings of
// package resource), so a method takes validate_only by adding the field
// to its request, with no code of its own.
func Mutate[T proto.Message](ctx context.Context, s Store, region string, m Mutation, fn func(WriteTx) (T, error)) (T, error) {
	var zero T
	res, err := s.Update(ctx, region, m, func(tx WriteTx) (proto.Message, error) {
		r, err := fn(tx)
		if err == nil && m.ValidateOnly {
			return nil, &validated{res: r}
		}
		return r, err
	})
	var v *validated
	if errors.As(err, &v) {
		res, err = v.res, nil
	}
	if err != nil {
		return zero, err
	}
	out, ok := res.(T)
	if !ok {
		return zero, fmt.Errorf("store: replayed result is %T, want %T", res, zero)
	}
	return out, nil
}

// Fingerprint hashes a request, its type's full name with its content, so
// that a reused request_id can be told from a genuine retry: with other
// content, or for another method. Every method has its own request type,
// and the content alone does not tell them apart: :submit's request and
// :approve's hold the same fields, so an approval under the submission's
// id was answered with the submission's result, writing nothing.
func Fingerprint(req proto.Message) []byte {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return nil
	}
	h := sha256.New()
	h.Write([]byte(req.ProtoReflect().Descriptor().FullName()))
	h.Write([]byte{0}) // a full name holds no NUL: the name ends here
	h.Write(b)
	return h.Sum(nil)
}

// CheckEtag returns errs.Conflict when want is set and differs from the
// current resource's etag.
func CheckEtag(cur Resource, want string) error {
	if want != "" && want != cur.GetEtag() {
		return errs.EtagMismatch.With(errs.Error{
			Message:  errs.Sprintf("%s was changed since it was read (etag %q, current %q); read it again", cur.GetName(), want, cur.GetEtag()),
			Metadata: map[string]string{"resource": cur.GetName(), "etag": cur.GetEtag()},
		})
	}
	return nil
}

// System keeps the platform-wide records (accounts, service tokens,
// revocations) as key/value pairs in named buckets, outside every region.
//
// Errors: a canceled context returns its error; a call after the owning
// store's Close is Closed (SHUTTING_DOWN), as a region's is; storage
// failures are returned wrapped.
type System interface {
	// SystemView runs fn in a read-only snapshot.
	SystemView(ctx context.Context, fn func(SystemTx) error) error
	// SystemUpdate runs fn atomically; if fn fails nothing is written.
	SystemUpdate(ctx context.Context, fn func(SystemTx) error) error
}

// SharedSystem is a System that several famid processes serve at once
// (etcd): it reports the changes any of them makes, so that a process's
// copies of system records (revocations, signing keys) follow the others'.
// A store of one process (bbolt) has none to report and is not one.
type SharedSystem interface {
	// SystemChanged calls fn with what changed in the system records:
	// first with a Whole change (whatever changed before the following
	// began), then after every change made by any process with the keys
	// it wrote or deleted, and with a Whole change again after an
	// interruption of the following (a compaction, a lost watch: anything
	// may have changed meanwhile). It follows until ctx ends, returning
	// ctx's error, or the store closes, returning Closed as every call
	// after Close does: at once, without calling fn, when it is called
	// after Close.
	SystemChanged(ctx context.Context, fn func(SystemChange)) error
}

// SystemChange is what a SharedSystem reports changed: the keys that one
// or more system transactions wrote or deleted, or, when Whole, anything,
// so that a copy of system records must be read again whole. A copy kept
// right by the keys alone is exact only while no notice is missed: its
// keeper reads whole at a Whole change, and after a notice it failed to
// apply.
type SystemChange struct {
	Whole bool
	Keys  []SystemKey
}

// SystemKey names one system record.
type SystemKey struct{ Bucket, Key string }

// KeysOf are the keys of bucket that c names, once each, in c's order;
// none when c is Whole, which names none.
func (c SystemChange) KeysOf(bucket string) []string {
	var keys []string
	seen := map[string]bool{}
	for _, k := range c.Keys {
		if k.Bucket == bucket && !seen[k.Key] {
			seen[k.Key] = true
			keys = append(keys, k.Key)
		}
	}
	return keys
}

// SystemPrefetcher is a SystemTx whose store reads several records in one
// round trip (etcd: a transaction of reads), where one Get each would take
// one round trip each.
type SystemPrefetcher interface {
	// Prefetch reads keys at once, for the transaction's Gets of them to
	// answer from memory.
	Prefetch(keys []SystemKey) error
}

// Prefetch has tx read keys in one round trip where its store can
// (SystemPrefetcher), before the Gets that read them one by one; on a
// local store (bbolt), where a Get is no round trip, it does nothing.
func Prefetch(tx SystemTx, keys []SystemKey) error {
	if p, ok := tx.(SystemPrefetcher); ok && len(keys) > 0 {
		return p.Prefetch(keys)
	}
	return nil
}

// SystemTx reads and writes system records.
//
// A stored value that fails its checksum is errs.DataLoss (reason
// RECORD_CORRUPT, naming the record), from Get or passed to Scan's fn:
// never data, and never taken for a missing value.
type SystemTx interface {
	// Get returns the value of key in bucket, or nil when there is none.
	Get(bucket, key string) ([]byte, error)
	// Put stores value under key in bucket, creating the bucket.
	Put(bucket, key string, value []byte) error
	// Delete removes key from bucket; a missing key is not an error.
	Delete(bucket, key string) error
	// Scan calls fn for each key of bucket that starts with prefix and is
	// greater than after, in key order, until fn returns false. A damaged
	// value reaches fn as a nil value and its error, so that fn decides:
	// a caller after the keys alone may go on, any other stops and returns
	// the error.
	Scan(bucket, prefix, after string, fn func(key string, value []byte, err error) bool)
}

// Closed is the answer of a store to a read or a write that arrives while
// or after it closes, which it does only when the server stops: SHUTTING_DOWN
// (UNAVAILABLE, 503), which clients retry, on this server once restarted or
// on another, rather than an internal error. A write cut by the close may
// have been committed (etcd's answer can be lost on the way): the retry
// with the same request_id is what makes it safe.
func Closed() error {
	return errs.ShuttingDown.New("the store is closed: the server is shutting down; retry with the same request_id")
}

// MaxRevision bounds the revision a restore may continue a region from
// (famictl restore --bump-revision): a revision stays exact when a client
// reads it as a JSON number (a double holds every integer up to 2^53),
// and far from int64's end, past which it would wrap to a negative one.
const MaxRevision = 1 << 53

// ErrCompacted returns the error for a sync position older than the
// retained change log.
func ErrCompacted(after, compacted int64) error {
	return errs.RevisionCompacted.With(errs.Error{
		Message:  errs.Sprintf("revision %d is older than the retained change log (compacted to %d): list again and watch from the listed revision", after, compacted),
		Metadata: map[string]string{"compacted_revision": fmt.Sprint(compacted)},
	})
}

// CheckCompact is the check of Store.Compact to revision, for a region at
// revision current whose change log is compacted to compacted: errs.Invalid
// (field revision) outside 0..current, and drop false when the log is
// already compacted that far (nothing to drop).
func CheckCompact(revision, current, compacted int64) (drop bool, err error) {
	if revision < 0 || revision > current {
		return false, errs.InvalidField("revision", "%d is not between 0 and the current revision %d", revision, current)
	}
	return revision > compacted, nil
}

// Find reads the resource called name into into and reports whether it
// exists. Only a missing resource is "not found"; any other error (a
// damaged record's DATA_LOSS first) is returned, never taken for absence.
func Find(tx ReadTx, name string, into Resource) (bool, error) {
	switch err := tx.Get(name, into); {
	case err == nil:
		return true, nil
	case errs.CodeOf(err) == errs.NotFound:
		return false, nil
	default:
		return false, err
	}
}

// Modify is Mutate for a change to one existing resource: it reads the
// resource called name, refuses a stale etag (when etag is set) with
// errs.Conflict (naming also the fields fn finds invalid, see
// staleChange), and hands the current state to fn. Returns errs.NotFound
// when the resource does not exist.
func Modify[T Resource, R proto.Message](ctx context.Context, s Store, region string, m Mutation, name, etag string, fn func(tx WriteTx, cur T) (R, error)) (R, error) {
	return Mutate(ctx, s, region, m, func(tx WriteTx) (R, error) {
		var zero R
		var t T
		cur := t.ProtoReflect().New().Interface().(T)
		if err := tx.Get(name, cur); err != nil {
			return zero, err
		}
		if err := CheckEtag(cur, etag); err != nil {
			return zero, staleChange(err, tx, cur, fn)
		}
		return fn(tx, cur)
	})
}

// staleChange is the refusal of a change sent with a stale etag (stale,
// from CheckEtag), listing also the invalid fields of the change, judged
// against the current state by fn: a caller (a form typed over a page
// loaded before another's save) learns at once both that it must look
// again and what else to fix, rather than the second only on its next
// try. fn's writes are dropped with the refusal (Update writes nothing
// when its fn fails, and fn has no effects outside tx).
func staleChange[T Resource, R proto.Message](stale error, tx WriteTx, cur T, fn func(tx WriteTx, cur T) (R, error)) error {
	_, err := fn(tx, cur)
	invalid, refusal := errs.As(err), errs.As(stale)
	if invalid == nil || invalid.Code != errs.Invalid || refusal == nil {
		return stale
	}
	refusal.Violations, refusal.MoreViolations = invalid.Violations, invalid.MoreViolations
	return refusal
}

// MutationOf describes a write by the caller in ctx with the client's
// idempotency key. Returns errs.Invalid (field request_id) for a key that
// is too long or not plain text. A request whose validate_only field is
// set (AIP-163) makes a validate-only mutation (see Mutate), with no key.
func MutationOf(ctx context.Context, requestID string, req proto.Message) (Mutation, error) {
	var v errs.Violations
	check.Text(&v, "request_id", requestID, false, 128, false)
	if err := v.Err(); err != nil {
		return Mutation{}, err
	}
	m := By(principal.From(ctx))
	m.RequestID = requestID
	if IsValidateOnly(req) {
		// A check is no attempt of the write: its request_id is neither
		// looked up (an earlier call's answer is not replayed for it) nor
		// recorded (a later real call under it is no retry of the check).
		m.ValidateOnly, m.RequestID = true, ""
		return m, nil
	}
	if requestID != "" {
		// Without a key there is no retry to recognise: the request is
		// not encoded and hashed for nothing on every write (issue 19).
		m.Fingerprint = Fingerprint(req)
	}
	return m, nil
}

// By describes a write that no request of a client asks for, made by
// who: a step of another write (the feed tokens an account's new password
// revokes), an upgrade of the stored data. It has no request_id and is
// never validate-only; a write that a request asks for takes MutationOf,
// which reads both from the request (TestRegionWritesGoThroughMutate).
func By(who principal.Principal) Mutation {
	return Mutation{Principal: who.Subject, DisplayName: who.Name()}
}

// validateOnly is a request with AIP-163's validate_only field.
type validateOnly interface {
	GetValidateOnly() bool
}

// IsValidateOnly reports whether req is a check of a write
// (validate_only set), which Mutate rolls back.
func IsValidateOnly(req any) bool {
	v, ok := req.(validateOnly)
	return ok && v.GetValidateOnly()
}

// RolledBack reports whether err, a transaction's outcome, is the roll
// back of a validate-only mutation: the check's answer, not a failure.
func RolledBack(err error) bool {
	var v *validated
	return errors.As(err, &v)
}

// validated is the error that rolls back a validate-only mutation once fn
// has accepted it, carrying fn's result to Mutate, which answers it.
type validated struct{ res proto.Message }

func (*validated) Error() string { return "store: validate-only mutation rolled back" }
