// Package resource is the kit every capability builds its standard
// methods from, so that a capability file says its own rules only: the
// collections resources live in, the openings of Get, Create, Update and
// the other changes of one resource (parse the name or parent, check the
// resource and id, describe the caller's write, run the capability's
// closure in one mutation), a paged List over one collection, a batch Get,
// and the small helpers of validation (Refs, RefList, Indexed, Clip, ID).
//
// It sits between the capabilities and the store: it imports only aip,
// check, errs and store, never the generated messages (what is archived
// is registered by the capability that owns it, Archivable), and nothing
// below the capabilities imports it.
package resource

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// Collections: the ids resources are stored under, as they appear in their
// names ("regions/{region}/{collection}/{id}"). A capability that points at
// another's resources names their collection from here, so one spelling
// serves every package.
const (
	Partners            = "partners"
	Projects            = "projects"
	Networks            = "networks"
	Contacts            = "contacts"
	Protocols           = "protocols"
	Meetings            = "meetings"
	CalendarTokens      = "calendarTokens"
	SupportEntries      = "supportEntries"
	ClosedPeriods       = "closedPeriods"
	CapacityAssessments = "capacityAssessments"
	Surveys             = "surveys"
	MonitoringReports   = "monitoringReports"
	// Accounts and service tokens are kept in the system store (package
	// accounts), but named like every other resource.
	Accounts      = "accounts"
	ServiceTokens = "serviceTokens"
)

// Refs checks the references one request makes to single resources of
// its region (a contact's partner, a meeting's protocol), read in Tx, with
// violations recorded in V. References listed by a repeated field go
// through a RefList, which also refuses a name listed twice.
type Refs struct {
	Tx     store.ReadTx
	V      *errs.Violations
	Region string
}

// Required checks that name, at field, is an existing resource of
// collection in the region, reading it into into, and records a violation
// of field otherwise, an empty name included. It reports whether into was
// read. It reads rather than only looking the name up
// (store.ReadTx.Exists) so that a damaged record is never taken for a
// valid reference: an error other than NOT_FOUND is recorded as the
// check's failure (errs.Violations.Fail).
func (r Refs) Required(field, name, collection string, into store.Resource) bool {
	if name == "" {
		r.V.Add(field, "is required")
		return false
	}
	return r.Optional(field, name, collection, into)
}

// Optional is Required for a reference that may be left empty: an empty
// name is no violation (and into is not read).
func (r Refs) Optional(field, name, collection string, into store.Resource) bool {
	if RefID(r.V, field, name, r.Region, collection) == "" {
		return false
	}
	return RefRead(r.Tx, r.V, field, name, collection, into)
}

// RefRead is the reading half of Refs.Required, for a caller that checks the shape
// of the name itself, in its own words: it reads the resource of
// collection called name into into and reports whether it was read. A
// missing resource is recorded as a violation of field ("{kind} %q does
// not exist"), any other error as the check's failure
// (errs.Violations.Fail), so that a damaged record (DATA_LOSS) is neither
// taken for a valid reference nor called missing.
//
// An archived network or partner (Archived) read is recorded as a
// violation of field too, with reason ARCHIVED: it takes nothing new
// (ADR 30). Every check of a reference a write makes comes here, so the
// rule holds for every capability. A record that already named it keeps
// it: resource.Validate leaves out, on an update, the violations the
// stored record had at the same value; and a request whose only faults
// are such is FAILED_PRECONDITION, ARCHIVED, naming the fields
// (errs.Violations.Err). It reports true, into read, all the same.
func RefRead(tx store.ReadTx, v *errs.Violations, field, name, collection string, into store.Resource) bool {
	found, err := store.Find(tx, name, into)
	switch {
	case err != nil:
		v.Fail(err)
	case !found:
		v.Add(field, "%s %q does not exist", kindOf(collection), name)
	default:
		takesNew(v, field, name, collection, into)
	}
	return found
}

// ParentRead reads into into the parent, called name at field, that a
// Create adds a resource to (a network's capacity assessment): a missing
// parent is errs.NotFound, as a Get answers, and an archived one takes
// nothing new, as a reference does (RefRead's rule, ADR 30): it is
// FAILED_PRECONDITION, ARCHIVED, naming field.
func ParentRead(tx store.ReadTx, field, name, collection string, into store.Resource) error {
	if err := tx.Get(name, into); err != nil {
		return err
	}
	var v errs.Violations
	takesNew(&v, field, name, collection, into)
	return v.Err()
}

// takesNew records the violation of field, reason ARCHIVED, when r, the
// resource of collection called name that a write adds a reference to, is
// archived: the one rule of ADR 30, for RefRead and ParentRead.
func takesNew(v *errs.Violations, field, name, collection string, r store.Resource) {
	if Archived(r) {
		v.AddReason(field, string(errs.Archived), "%s %s is archived: it takes no new meetings, support entries, protocols, members, contacts, evaluations or signatures; make it active again first", kindOf(collection), name)
	}
}

// archivedRules holds, by message type, when a resource of that type is
// archived (Archivable). It is written by the init functions of the
// capabilities that own such resources, before any request runs, and only
// read after.
var archivedRules = map[protoreflect.FullName]func(store.Resource) bool{}

// Archivable registers when a resource of type T is archived: kept for the
// record and readable, made active again by an update, but named by
// nothing new (ADR 30). The capability that owns T calls it from an init
// function (registry: networks and partners), so the kit knows no message
// and the rule stays beside the resource's own fields; a resource of a
// type never registered is never archived. Registering a type twice
// panics.
func Archivable[T store.Resource](archived func(T) bool) {
	name := newOf[T]().ProtoReflect().Descriptor().FullName()
	if _, ok := archivedRules[name]; ok {
		panic("resource: " + string(name) + " registered as archivable twice")
	}
	archivedRules[name] = func(r store.Resource) bool {
		t, ok := r.(T)
		return ok && archived(t)
	}
}

// Archived reports whether r is archived, by the rule its type's
// capability registered (Archivable).
func Archived(r store.Resource) bool {
	rule, ok := archivedRules[r.ProtoReflect().Descriptor().FullName()]
	return ok && rule(r)
}

// RefID checks, without reading it, that name (when set) is the name of a
// resource of collection in region, as a List filter names one that need
// not exist, and records a violation of field otherwise. It returns the
// resource's id; "" when name is empty or not such a name.
func RefID(v *errs.Violations, field, name, region, collection string) string {
	if name == "" {
		return ""
	}
	r, id, err := aip.ParseName(field, name, collection)
	if err != nil || r != region {
		v.Add(field, "%q is not a %s of region %q", errs.Clip(name, errs.MaxEcho), kindOf(collection), region)
		return ""
	}
	return id
}

// CheckName checks that name (when set) is the name of a resource of
// collection in any region, and records a violation of field otherwise.
func CheckName(v *errs.Violations, field, name, collection string) {
	if name == "" {
		return
	}
	if _, _, err := aip.ParseName(field, name, collection); err != nil {
		v.Add(field, "%q is not a %s name", errs.Clip(name, errs.MaxEcho), kindOf(collection))
	}
}

// kindOf is the kind of the resources of collection: "partners" ->
// "partner".
func kindOf(collection string) string { return collection[:len(collection)-1] }

// Get is the standard Get method: it parses name (the request field
// "name") as a resource of collection, checks its region, and reads it.
// Returns errs.NotFound when it does not exist.
func Get[T store.Resource](ctx context.Context, s store.Store, collection, name string) (T, error) {
	return GetShown[T](ctx, s, collection, name, nil)
}

// GetRequest is an AIP Get request (AIP-131). One with a read_mask field
// (AIP-157) answers only the fields it names (GetAnswer).
type GetRequest interface {
	GetName() string
}

// readMasked is a read whose request has a read_mask field (AIP-157):
// GetAnswer, BatchGet and every List of the kit answer each resource with
// the fields it names, so a collection takes read masks by adding the
// field to its requests; a field the method computes from the snapshot
// rather than stores is filled by the kit too (Computed).
type readMasked interface {
	GetReadMask() *fieldmaskpb.FieldMask
}

// readMaskOf is req's read mask for resources of type T, checked against
// T (a path that names no field is refused naming read_mask); nil (every
// field) when req has none or no read_mask field.
func readMaskOf[T proto.Message](req any) (*aip.ReadMask, error) {
	r, ok := req.(readMasked)
	if !ok {
		return nil, nil
	}
	var t T
	return aip.ParseReadMask(t.ProtoReflect().Descriptor(), r.GetReadMask())
}

// Computed is a field of T that a read method fills from the snapshot it
// reads in rather than from the stored record (a project's overlap
// count). GetAnswer, BatchGet and the Lists fill it on the whole resource,
// before the read mask is applied (it may need fields the mask leaves
// out), and only when the mask answers the field: a read that does not
// ask for it does not pay for it.
type Computed[T store.Resource] struct {
	Field string // the field's proto name
	Fill  func(tx store.ReadTx, t T)
}

// answer is how a read answers each resource of type T: the computed
// fields its read mask answers filled, then the mask applied.
type answer[T store.Resource] struct {
	mask  *aip.ReadMask
	fills []func(store.ReadTx, T)
}

// answerOf is req's answer (its read mask, readMaskOf) with the fields of
// computed that the mask answers.
func answerOf[T store.Resource](req any, computed []Computed[T]) (answer[T], error) {
	mask, err := readMaskOf[T](req)
	if err != nil {
		return answer[T]{}, err
	}
	a := answer[T]{mask: mask}
	md := newOf[T]().ProtoReflect().Descriptor()
	for _, c := range computed {
		f := md.Fields().ByName(protoreflect.Name(c.Field))
		if f == nil {
			panic("resource: computed field " + c.Field + " is not a field of " + string(md.FullName()))
		}
		if mask.Answers(f) {
			a.fills = append(a.fills, c.Fill)
		}
	}
	return a, nil
}

// apply answers t, read in tx.
func (a answer[T]) apply(tx store.ReadTx, t T) {
	for _, fill := range a.fills {
		fill(tx, t)
	}
	a.mask.Apply(t)
}

// GetAnswer is the standard Get method answering req: Get of req's name,
// with the computed fields its read mask answers and the fields it names
// (answerOf), checked first.
func GetAnswer[T store.Resource](ctx context.Context, s store.Store, collection string, req GetRequest, computed ...Computed[T]) (T, error) {
	a, err := answerOf(req, computed)
	if err != nil {
		var zero T
		return zero, err
	}
	return GetShown(ctx, s, collection, req.GetName(), func(tx store.ReadTx, t T) error {
		a.apply(tx, t)
		return nil
	})
}

// GetShown is Get for a resource shown as the snapshot it was read in
// makes it (a protocol's derived state, a survey's link key for who may
// share it): show, when not nil, runs on the resource read, in the same
// snapshot, and its error is the Get's.
func GetShown[T store.Resource](ctx context.Context, s store.Store, collection, name string, show func(tx store.ReadTx, r T) error) (T, error) {
	var t T
	region, err := aip.RegionOfName("name", name, collection)
	if err != nil {
		return t, err
	}
	out := newOf[T]()
	err = s.View(ctx, region, func(tx store.ReadTx) error {
		if err := tx.Get(name, out); err != nil || show == nil {
			return err
		}
		return show(tx, out)
	})
	if err != nil {
		return t, err
	}
	return out, nil
}

// MaxBatchGet bounds the names of one batch Get: a hostile request costs
// at most a hundred reads. Its answer is also bounded in bytes, as a
// List's page is (aip.MaxPageBytes, see BatchGet): a hundred of the
// largest partners (about 33 KB each: 2,000 municipalities, 4,000
// characters of description) pass it, and so may a few networks of 500
// members and a hundred projects.
const MaxBatchGet = 100

// BatchGetRequest is an AIP-231 batch Get request: the region (parent)
// and the names of the resources to read in it.
type BatchGetRequest interface {
	GetParent() string
	GetNames() []string
}

// BatchGet is the standard batch Get method (AIP-231): it checks that req
// names 1 to MaxBatchGet resources of collection in its parent region
// (field "names[i]"), and reads them in one snapshot, in the order asked,
// a name listed twice at both places, each as req's read mask answers it,
// with the computed fields the mask answers (answerOf). All or none: a
// missing resource fails the call with errs.NotFound naming its field,
// and so does the first that would take the answer, as masked, past
// aip.MaxPageBytes (errs.BatchTooLarge), which a page would have left to
// the next one: the caller asks for the names before it, then for the
// rest. A first resource larger than that is answered alone, as Get
// answers it.
func BatchGet[T store.Resource](ctx context.Context, s store.Store, collection string, req BatchGetRequest, computed ...Computed[T]) ([]T, error) {
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return nil, err
	}
	names := req.GetNames()
	var v errs.Violations
	if check.Listed(&v, "names", len(names), MaxBatchGet, collection, "at least one "+kindOf(collection)) {
		for i, name := range names {
			if name == "" {
				v.Add(errs.Indexed("names", i), "is required")
				continue
			}
			RefID(&v, errs.Indexed("names", i), name, region, collection)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	a, err := answerOf(req, computed)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(names))
	err = s.View(ctx, region, func(tx store.ReadTx) error {
		size := 0
		for i, name := range names {
			out[i] = newOf[T]()
			if err := tx.Get(name, out[i]); err != nil {
				if e := errs.As(err); e != nil && e.Code == errs.NotFound {
					return e.Naming(errs.Indexed("names", i))
				}
				return err
			}
			a.apply(tx, out[i])
			if size += proto.Size(out[i]); i > 0 && size > aip.MaxPageBytes {
				return errs.BatchTooLarge.New("would take the answer past %d bytes: ask for the %d names before it, then for the rest",
					aip.MaxPageBytes, i).Naming(errs.Indexed("names", i))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BatchGetAnswer is the whole standard batch Get method: BatchGet's
// resources as the response Resp, whose one field (AIP-231: repeated T)
// holds them in the order asked. It fails, before any read, when Resp is
// not such a response.
func BatchGetAnswer[Resp proto.Message, T store.Resource](ctx context.Context, s store.Store, collection string, req BatchGetRequest, computed ...Computed[T]) (Resp, error) {
	var zero Resp
	desc, item := zero.ProtoReflect().Descriptor(), newOf[T]().ProtoReflect().Descriptor()
	fields := desc.Fields()
	if fields.Len() != 1 || !fields.Get(0).IsList() || fields.Get(0).Message() == nil || fields.Get(0).Message().FullName() != item.FullName() {
		return zero, fmt.Errorf("resource: %s is not a batch Get response of %s", desc.FullName(), item.FullName())
	}
	items, err := BatchGet(ctx, s, collection, req, computed...)
	if err != nil {
		return zero, err
	}
	out := zero.ProtoReflect().New()
	l := out.Mutable(fields.Get(0)).List()
	for _, it := range items {
		l.Append(protoreflect.ValueOfMessage(it.ProtoReflect()))
	}
	return out.Interface().(Resp), nil
}

// newOf returns a new, empty T (a pointer to a generated message).
func newOf[T proto.Message]() T {
	var t T
	return t.ProtoReflect().New().Interface().(T)
}

// Request is a request that writes: its request_id is the client's
// idempotency key (AIP-155).
type Request interface {
	proto.Message
	GetRequestId() string
}

// CreateRequest is an AIP Create request: its parent is
// "regions/{region}".
type CreateRequest interface {
	Request
	GetParent() string
}

// Create is the standard opening of a Create method: it checks req's
// parent region, that the resource (the request field field, e.g.
// "partner") is set, and the client-chosen id (field+"_id": id) or picks
// one, describes the caller's write with req's request_id, and runs fn as
// one mutation of the region with the new resource's id. fn learns the
// region from tx.Region().
func Create[R proto.Message](ctx context.Context, s store.Store, req CreateRequest, field string, body proto.Message, id string, fn func(tx store.WriteTx, id string) (R, error)) (R, error) {
	var zero R
	region, id, err := openCreate(req, field, body, id)
	if err != nil {
		return zero, err
	}
	return Mutate(ctx, s, region, req, func(tx store.WriteTx) (R, error) { return fn(tx, id) })
}

// CreatePrepared is Create for a resource whose copy from the request and
// whose own checks read no stored state: prepare builds and checks it from
// the region and the id before the write is queued, on the caller's
// goroutine, and only fn, the part that reads and writes the store, runs
// in the region's transaction. The region's writer runs its transactions
// one at a time, so whatever runs in one is paid by every write queued
// behind it (issue 19). prepare's violations come after those of the
// parent, id and request_id, as Create's. fn may run more than once on
// the resource prepare built (see store.Store.Update): it must only read
// it, as the store's Put stamping it again.
func CreatePrepared[R store.Resource](ctx context.Context, s store.Store, req CreateRequest, field string, body proto.Message, id string, prepare func(region, id string) (R, error), fn func(tx store.WriteTx, r R) (R, error)) (R, error) {
	var zero R
	region, id, err := openCreate(req, field, body, id)
	if err != nil {
		return zero, err
	}
	m, err := store.MutationOf(ctx, req.GetRequestId(), req)
	if err != nil {
		return zero, err
	}
	r, err := prepare(region, id)
	if err != nil {
		return zero, err
	}
	return store.Mutate(ctx, s, region, m, func(tx store.WriteTx) (R, error) { return fn(tx, r) })
}

// openCreate checks what every Create checks first: req's parent region,
// that the resource (the request field field) is set, and the
// client-chosen id (field+"_id"), or picks one.
func openCreate(req CreateRequest, field string, body proto.Message, id string) (region, newID string, err error) {
	region, err = aip.Parent(req.GetParent())
	if err != nil {
		return "", "", err
	}
	if body == nil || !body.ProtoReflect().IsValid() {
		return "", "", errs.InvalidField(field, "is required")
	}
	newID, err = aip.NewOrCheckID(field+"_id", id)
	if err != nil {
		return "", "", err
	}
	return region, newID, nil
}

// Absent refuses, with errs.AlreadyExists, a new resource r whose name a
// stored resource already has: every Create checks it before it stores r,
// naming idField, the request field of its client-chosen id (e.g.
// "partner_id"), as Taken does. It runs in the region's transaction, so it
// only looks the name up: no copy of the stored resource, no NOT_FOUND
// built to be dropped (issue 19).
//
// A damaged record at the name (one that fails its checksum) counts as
// taken: the name is refused, and the damaged record is left for the
// operator to restore, never overwritten.
func Absent(tx store.ReadTx, r store.Resource, idField string) error {
	taken, err := tx.Exists(r.GetName())
	if err != nil || !taken {
		return err
	}
	return alreadyExists(r, idField)
}

// AbsentFor is Absent for a collection whose resources not every caller
// may read (a consultant reads only their own support entries): a name
// taken by a resource the caller may not read is refused as a read of it
// would be, with mayRead's error (PERMISSION_DENIED), not ALREADY_EXISTS,
// which would tell the caller that it exists (AIP-133, AIP-211). The
// stored resource is read only when the name is taken.
func AbsentFor[T store.Resource](tx store.ReadTx, r T, idField string, mayRead func(stored T) error) error {
	taken, err := tx.Exists(r.GetName())
	if err != nil || !taken {
		return err
	}
	stored := newOf[T]()
	if err := tx.Get(r.GetName(), stored); err != nil {
		return err // a damaged record: refused, as Get refuses it
	}
	if err := mayRead(stored); err != nil {
		return err
	}
	return alreadyExists(r, idField)
}

// alreadyExists is the refusal of a new resource r whose name is taken.
func alreadyExists(r store.Resource, idField string) error {
	return Taken(errs.AlreadyExists.Reason(), idField, r.GetName()+" already exists")
}

// Taken is the refusal of a Create whose client-chosen id, the request
// field idField (e.g. "partner_id"), is taken, with reason: ALREADY_EXISTS
// or a taken identifier of the catalogue's own (USERNAME_TAKEN). message
// says by what. Every Create's refusal of a taken id is built here, so
// that on every surface it names its field, with reason as the
// violation's: a client (the web's forms) marks the field it sent and
// words the fault without knowing which Create it made. Before, only two
// Creates named the field, and each form had to say which of its fields
// an ALREADY_EXISTS was about.
func Taken(reason errs.Reason, idField, message string) error {
	return reason.With(errs.Error{
		Message:    message,
		Violations: []errs.Violation{{Field: idField, Description: "is taken: " + message, Reason: string(reason)}},
	})
}

// Mutate runs fn as one mutation of region: the caller's write, described
// with req's request_id (store.MutationOf). It opens the writes that are no
// standard Create or change of one resource (a batch, a close).
func Mutate[R proto.Message](ctx context.Context, s store.Store, region string, req Request, fn func(tx store.WriteTx) (R, error)) (R, error) {
	m, err := store.MutationOf(ctx, req.GetRequestId(), req)
	if err != nil {
		var zero R
		return zero, err
	}
	return noWrite(store.Mutate(ctx, s, region, m, func(tx store.WriteTx) (R, error) { return masked(tx, fn) }))
}

// Modify is Mutate through store.Modify: fn changes the current state of
// the resource name, refusing a stale etag.
func Modify[T store.Resource, R proto.Message](ctx context.Context, s store.Store, region string, req Request, name, etag string, fn func(tx store.WriteTx, cur T) (R, error)) (R, error) {
	m, err := store.MutationOf(ctx, req.GetRequestId(), req)
	if err != nil {
		var zero R
		return zero, err
	}
	return noWrite(store.Modify(ctx, s, region, m, name, etag, func(tx store.WriteTx, cur T) (R, error) {
		return masked(tx, func(tx store.WriteTx) (R, error) { return fn(tx, cur) })
	}))
}

// noWrite answers an update that had nothing to change (aip.Unchanged,
// whose error rolled its transaction back once the capability accepted
// the update: no revision, no change-log entry, no new etag) with the
// resource as it is.
func noWrite[R proto.Message](res R, err error) (R, error) {
	var u *aip.Unchanged
	if errors.As(err, &u) {
		if r, ok := u.Resource.(R); ok {
			return r, nil
		}
	}
	return res, err
}

// ChangeRequest is a request that changes one existing resource it names:
// its name, the etag the client read (optional) and its request_id are
// the standard fields (Delete methods, state changes).
type ChangeRequest interface {
	Request
	GetName() string
	GetEtag() string
}

// Update is the standard opening of an Update method, whose request
// carries the resource in (the request field field, e.g. "partner"): it
// checks in is set, parses its name (field+".name") as a resource of
// collection and checks its region, describes the caller's write with
// req's request_id, and runs fn through store.Modify on the current state,
// refusing a stale etag (when in's etag is set). fn learns the region from
// tx.Region().
func Update[T store.Resource, R proto.Message](ctx context.Context, s store.Store, req Request, field string, in store.Resource, collection string, fn func(tx store.WriteTx, cur T) (R, error)) (R, error) {
	if in == nil || !in.ProtoReflect().IsValid() {
		var zero R
		return zero, errs.InvalidField(field, "is required")
	}
	return modify(ctx, s, req, field+".name", in.GetName(), in.GetEtag(), collection, nil, fn)
}

// Change is the opening of the other methods that change one existing
// resource (Delete, state changes): as Update, with the name (field
// "name") and etag in the request itself.
func Change[T store.Resource, R proto.Message](ctx context.Context, s store.Store, collection string, req ChangeRequest, fn func(tx store.WriteTx, cur T) (R, error)) (R, error) {
	return modify(ctx, s, req, "name", req.GetName(), req.GetEtag(), collection, nil, fn)
}

// ChangeChecked is Change for a request with fields of its own that need
// no stored state to check (a reason, the minutes): check records their
// violations, which fail the request after its name and before its
// request_id is looked at.
func ChangeChecked[T store.Resource, R proto.Message](ctx context.Context, s store.Store, collection string, req ChangeRequest, check func(v *errs.Violations), fn func(tx store.WriteTx, cur T) (R, error)) (R, error) {
	return modify(ctx, s, req, "name", req.GetName(), req.GetEtag(), collection, check, fn)
}

// checked runs check (nil: nothing to check) and returns the violations
// it records as one error.
func checked(check func(*errs.Violations)) error {
	if check == nil {
		return nil
	}
	var v errs.Violations
	check(&v)
	return v.Err()
}

func modify[T store.Resource, R proto.Message](ctx context.Context, s store.Store, req Request, field, name, etag, collection string, check func(*errs.Violations), fn func(tx store.WriteTx, cur T) (R, error)) (R, error) {
	var zero R
	region, err := aip.RegionOfName(field, name, collection)
	if err != nil {
		return zero, err
	}
	if err := checked(check); err != nil {
		return zero, err
	}
	return Modify(ctx, s, region, req, name, etag, fn)
}

// infallible is keep as a filter that cannot fail; nil stays nil.
func infallible[T any](keep func(T) bool) func(T) (bool, error) {
	if keep == nil {
		return nil
	}
	return func(item T) (bool, error) { return keep(item), nil }
}

// list pages through what open chooses (a collection, or the resources
// an index names) within the snapshot the page is read from, in id
// order, keeping the resources open's filter accepts (nil keeps all), each
// as req's read mask answers it, with the computed fields the mask
// answers (answerOf): the filter sees the whole resource, the page's byte
// budget what is answered. It returns the page, the next page token and
// the revision the page reflects.
func list[T store.Resource](ctx context.Context, s store.Store, region string, req aip.ListRequest, open func(tx store.ReadTx) (walk[T], func(T) (bool, error), error), computed []Computed[T]) ([]T, string, int64, error) {
	page, after, err := aip.StartPage(ctx, req)
	if err != nil {
		return nil, "", 0, err
	}
	a, err := answerOf(req, computed)
	if err != nil {
		return nil, "", 0, err
	}
	var (
		out  []T
		next string
		rev  int64
	)
	err = s.View(ctx, region, func(tx store.ReadTx) error {
		rev = tx.Revision()
		items, keep, err := open(tx)
		if err != nil {
			return err
		}
		out, next, err = listIn(tx, items, after, page, keep, a)
		return err
	})
	if err != nil {
		return nil, "", 0, err
	}
	return out, next, rev, nil
}

// ListAnswer is the standard List method (AIP-132) over collection: it
// parses req's parent as a region, checks the request's own filters (check
// records their violations; nil when it has none), pages through the
// collection keeping the items keep accepts (nil keeps all), and answers
// with the standard response Resp: the page, its next page token and the
// revision it reflects. Each item has the computed fields req's read
// mask answers.
func ListAnswer[Resp proto.Message, T store.Resource](ctx context.Context, s store.Store, collection string, req aip.ListRequest, check func(v *errs.Violations), keep func(T) bool, computed ...Computed[T]) (Resp, error) {
	var zero Resp
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return zero, err
	}
	if err := checked(check); err != nil {
		return zero, err
	}
	return ListWithin[Resp](ctx, s, region, req, func(store.ReadTx) (string, func(T) (bool, error), error) { return collection, infallible(keep), nil }, computed...)
}

// ListWithin answers a List method (AIP-132) in region whose collection or
// filter depend on the snapshot the page is read from: open runs first in
// that snapshot, checks there what the list depends on (a parent that
// must exist), and returns the collection to page through and the filter
// (nil keeps all), which may read the snapshot too: an error from the
// filter (a record it reads is damaged) fails the page, as a damaged item
// of the collection does. The answer is the standard response Resp, as
// ListAnswer's.
func ListWithin[Resp proto.Message, T store.Resource](ctx context.Context, s store.Store, region string, req aip.ListRequest, open func(tx store.ReadTx) (collection string, keep func(T) (bool, error), err error), computed ...Computed[T]) (Resp, error) {
	return listAnswer[Resp](ctx, s, region, req, func(tx store.ReadTx) (walk[T], func(T) (bool, error), error) {
		collection, keep, err := open(tx)
		return inCollection[T](tx, collection), keep, err
	}, computed)
}

// ListAmong answers a List method (AIP-132) in region as ListWithin does,
// over the resources open names rather than a whole collection: the names
// an index holds for one of the list's filters (the networks that
// implement a project, from the registry's references), all of one
// collection, in id order. A page then reads those resources alone,
// however large the collection. keep still sees each, so an index naming
// more than the filter keeps costs reads, never a wrong answer; page
// tokens are ids, as the whole collection's are.
func ListAmong[Resp proto.Message, T store.Resource](ctx context.Context, s store.Store, region string, req aip.ListRequest, open func(tx store.ReadTx) (names []string, keep func(T) (bool, error), err error), computed ...Computed[T]) (Resp, error) {
	return listAnswer[Resp](ctx, s, region, req, func(tx store.ReadTx) (walk[T], func(T) (bool, error), error) {
		names, keep, err := open(tx)
		return named[T](tx, names), keep, err
	}, computed)
}

// listAnswer is list's page as the standard response Resp.
func listAnswer[Resp proto.Message, T store.Resource](ctx context.Context, s store.Store, region string, req aip.ListRequest, open func(tx store.ReadTx) (walk[T], func(T) (bool, error), error), computed []Computed[T]) (Resp, error) {
	items, next, rev, err := list(ctx, s, region, req, open, computed)
	if err != nil {
		var zero Resp
		return zero, err
	}
	return aip.ListResponse[Resp](items, next, rev)
}

// walk calls fn with each resource a List pages through whose position
// is greater than after, in position order, until fn returns false or
// fails. A position is what a page token resumes after: the resource's
// id, or inEveryParent's pair of ids.
type walk[T store.Resource] func(after string, fn func(position string, item T) (bool, error)) error

// inCollection walks collection within tx; positions are ids.
func inCollection[T store.Resource](tx store.ReadTx, collection string) walk[T] {
	return func(after string, fn func(string, T) (bool, error)) error {
		return tx.List(collection, after, func(id string, raw []byte) (bool, error) {
			item := newOf[T]()
			if err := proto.Unmarshal(raw, item); err != nil {
				return false, err
			}
			return fn(id, item)
		})
	}
}

// AnyParent is the id that stands, in a List's parent, for every parent
// of the collection (AIP-159): regions/{r}/projects/- lists the
// monitoring reports of every project of region r. It lets a client that
// reads a whole region (a mirror) list a nested collection in pages of
// the server's size instead of one List call per parent.
const AnyParent = "-"

// ListInEveryParent answers a List method (AIP-132) in region over
// collection nested in every resource of parents ("projects",
// "monitoringReports": every project's reports), keeping the items keep
// accepts (nil keeps all), in order of parent id, then id: the answer of
// a parent's id AnyParent. The answer is the standard response Resp, as
// ListAnswer's.
func ListInEveryParent[Resp proto.Message, T store.Resource](ctx context.Context, s store.Store, region string, req aip.ListRequest, parents, collection string, keep func(T) (bool, error)) (Resp, error) {
	return listAnswer[Resp](ctx, s, region, req, func(tx store.ReadTx) (walk[T], func(T) (bool, error), error) {
		return inEveryParent[T](tx, parents, collection), keep, nil
	}, nil)
}

// inEveryParent walks collection nested in every resource of parents
// within tx, parent by parent in id order. A position is store.Key(parent
// id, id), whose separator sorts before every byte of an id, so that
// positions sort as the walk goes ("p1\x00…" before "p1-a\x00…", as "p1"
// before "p1-a"; "p1/…" would not).
//
// The parents' ids are read in batches (parentIDs), each after the last
// parent walked, rather than nested in the listing of the parents (the
// store's reads are not said to nest). A page thus reads the ids of the
// parents it reaches: reading every remaining parent's id first, as it
// did, made each page cost the whole rest of the collection, and a
// listing of it quadratic (BenchmarkListInEveryParent).
func inEveryParent[T store.Resource](tx store.ReadTx, parents, collection string) walk[T] {
	return func(after string, fn func(string, T) (bool, error)) error {
		more := true
		in := func(parent, after string) error {
			return inCollection[T](tx, parents+"/"+parent+"/"+collection)(after, func(id string, item T) (bool, error) {
				ok, err := fn(store.Key(parent, id), item)
				more = ok
				return ok, err
			})
		}
		last := ""
		if after != "" {
			p, _ := store.SplitKey(after, 2)
			last = p[0]
			if err := in(last, p[1]); err != nil || !more {
				return err
			}
		}
		for n := firstParentIDs; ; n = min(2*n, maxParentIDs) {
			ids, err := parentIDs(tx, parents, last, n)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if err := in(id, ""); err != nil || !more {
					return err
				}
			}
			if len(ids) < n {
				return nil
			}
			last = ids[len(ids)-1]
		}
	}
}

// inEveryParent's batches of parents' ids: the first small, as a page
// of a few parents' children is the common case; each next one twice the
// last, so that a page crossing many parents with no children reads
// their ids in few listings; bounded, so that a batch stays a small
// allocation.
const (
	firstParentIDs = 8
	maxParentIDs   = 1024
)

// parentIDs is the ids of up to n resources of parents after the id
// after, in id order.
func parentIDs(tx store.ReadTx, parents, after string, n int) ([]string, error) {
	ids := make([]string, 0, n)
	err := tx.List(parents, after, func(id string, _ []byte) (bool, error) {
		ids = append(ids, id)
		return len(ids) < n, nil
	})
	return ids, err
}

// named walks the resources names lists, in id order, within tx: a name
// that cannot be read (an index naming a resource since gone, a damaged
// record) fails the walk.
func named[T store.Resource](tx store.ReadTx, names []string) walk[T] {
	return func(after string, fn func(string, T) (bool, error)) error {
		for _, name := range names {
			if ID(name) <= after {
				continue
			}
			item := newOf[T]()
			if err := tx.Get(name, item); err != nil {
				return err
			}
			if ok, err := fn(ID(name), item); !ok || err != nil {
				return err
			}
		}
		return nil
	}
}

// CountWithin counts the resources a ListWithin with the same open keeps,
// over the whole collection in one read that streams it: no page, token
// or answer is built, and one item is decoded at a time, each record into
// the same message (keep must not hold it past its call), so the heap a
// count keeps is one record's whatever the collection's size
// (TestCountWithinHoldsOneRecord).
func CountWithin[T store.Resource](ctx context.Context, s store.Store, region string, open func(tx store.ReadTx) (collection string, keep func(T) (bool, error), err error)) (int32, error) {
	var n int32
	err := s.View(ctx, region, func(tx store.ReadTx) error {
		collection, keep, err := open(tx)
		if err != nil {
			return err
		}
		item := newOf[T]()
		return tx.List(collection, "", func(_ string, raw []byte) (bool, error) {
			// Unmarshal resets item first: nothing of the last record stays.
			if err := proto.Unmarshal(raw, item); err != nil {
				return false, err
			}
			ok, err := keep(item)
			if ok {
				n++
			}
			return err == nil, err
		})
	})
	return n, err
}

// listIn fills page from what items walks within tx, resuming after the
// position after, each item kept as a answers it, and returns the items and the
// next page token. It reads at most the page's scan budget of items that
// keep leaves out (aip.Page.Skip): a page may then hold fewer items than
// its size, even none, with a next page token.
func listIn[T store.Resource](tx store.ReadTx, items walk[T], after string, page *aip.Page, keep func(T) (bool, error), a answer[T]) ([]T, string, error) {
	var out []T
	err := items(after, func(position string, item T) (bool, error) {
		if keep != nil {
			ok, err := keep(item)
			if err != nil {
				return false, err
			}
			if !ok {
				// Left out: read on, within the page's scan budget
				// (aip.Page.Skip), so that a filter keeping little ends
				// the page early rather than read the whole collection.
				return page.Skip(position), nil
			}
		}
		a.apply(tx, item)
		if !page.Add(item, position) {
			return false, nil
		}
		out = append(out, item)
		return true, nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, page.Next(), nil
}

// ID is the last segment of a resource name: its id.
func ID(name string) string { return name[strings.LastIndexByte(name, '/')+1:] }
