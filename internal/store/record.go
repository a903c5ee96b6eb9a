package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
)

// The helpers below are shared by the implementations, so that every
// backend stores byte-identical resources, changes and request records
// (a region copied from one backend to another compares equal).

// Marshal is the encoding of every stored record: deterministic protobuf.
var Marshal = proto.MarshalOptions{Deterministic: true}

// ResourceKey turns a resource name of region into its key within the
// region, "{collection}/{id}", or for a nested resource
// "{collection}/{id}/{child collection}/{child id}" and so on. Returns errs.Invalid (field name) for a name
// outside region or of another shape.
func ResourceKey(region, name string) (string, error) {
	rest, ok := strings.CutPrefix(name, "regions/"+region+"/")
	if !ok || strings.Count(rest, "/")%2 != 1 || strings.Contains(rest, "//") || strings.HasPrefix(rest, "/") || strings.HasSuffix(rest, "/") {
		return "", errs.InvalidField("name", "%q is not a resource of region %q", name, region)
	}
	return rest, nil
}

// Stamp sets the store-owned fields of a resource: its etag (the revision
// of its last change), create_time and update_time.
func Stamp(r Resource, rev int64, created, updated *timestamppb.Timestamp) error {
	m := r.ProtoReflect()
	fields := m.Descriptor().Fields()
	etag, ct, ut := fields.ByName("etag"), fields.ByName("create_time"), fields.ByName("update_time")
	if etag == nil || ct == nil || ut == nil {
		return fmt.Errorf("store: %s lacks etag, create_time or update_time", m.Descriptor().FullName())
	}
	m.Set(etag, protoreflect.ValueOfString(fmt.Sprintf("%d", rev)))
	m.Set(ct, protoreflect.ValueOfMessage(created.ProtoReflect()))
	m.Set(ut, protoreflect.ValueOfMessage(updated.ProtoReflect()))
	return nil
}

// CreateTime returns the create_time of the stored bytes old of a resource
// of r's type, or now when there is none (a create).
func CreateTime(r Resource, old []byte, now time.Time) (*timestamppb.Timestamp, error) {
	created := timestamppb.New(now)
	if old == nil {
		return created, nil
	}
	prev := r.ProtoReflect().New().Interface()
	if err := Decode(r.GetName(), old, prev); err != nil {
		return nil, err
	}
	m := prev.ProtoReflect()
	f := m.Descriptor().Fields().ByName("create_time")
	if f == nil || !m.Has(f) {
		return created, nil
	}
	if ts, ok := m.Get(f).Message().Interface().(*timestamppb.Timestamp); ok {
		return ts, nil
	}
	return created, nil
}

// Decode reads v, the stored encoding of the resource called name, into
// into.
func Decode(name string, v []byte, into proto.Message) error {
	if err := proto.Unmarshal(v, into); err != nil {
		return fmt.Errorf("store: decode %s: %w", name, err)
	}
	return nil
}

// Encode stamps r for a write at revision rev and time now (see Stamp),
// keeping the create_time of its stored bytes old (nil for a create), and
// returns the bytes to store.
func Encode(r Resource, old []byte, rev int64, now time.Time) ([]byte, error) {
	created, err := CreateTime(r, old, now)
	if err != nil {
		return nil, err
	}
	if err := Stamp(r, rev, created, timestamppb.New(now)); err != nil {
		return nil, err
	}
	v, err := Marshal.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("store: encode %s: %w", r.GetName(), err)
	}
	return v, nil
}

// PutChange is the change recording r (already stamped) at rev; encoded
// is r's stored encoding (Marshal's), which the change carries as is, so
// a write encodes the resource once. m names its author.
func PutChange(rev int64, now time.Time, op famiv1.ChangeOperation, m Mutation, r Resource, encoded []byte) *famiv1.Change {
	typ := TypeOf(r)
	return &famiv1.Change{
		Revision:             rev,
		Time:                 timestamppb.New(now),
		Operation:            op,
		ResourceName:         r.GetName(),
		ResourceType:         typ,
		Resource:             &anypb.Any{TypeUrl: anyURLPrefix + typ, Value: encoded},
		Principal:            m.Principal,
		PrincipalDisplayName: m.DisplayName,
	}
}

// anyURLPrefix is what anypb.MarshalFrom puts before a type's full name.
const anyURLPrefix = "type.googleapis.com/"

// DeleteChange is the change recording the deletion of name at rev; last
// is its stored bytes and typ its full type name; m names its author.
func DeleteChange(rev int64, now time.Time, m Mutation, name, typ string, last []byte) *famiv1.Change {
	return &famiv1.Change{
		Revision:             rev,
		Time:                 timestamppb.New(now),
		Operation:            famiv1.ChangeOperation_CHANGE_OPERATION_DELETE,
		ResourceName:         name,
		ResourceType:         typ,
		Resource:             &anypb.Any{TypeUrl: anyURLPrefix + typ, Value: bytes.Clone(last)},
		Principal:            m.Principal,
		PrincipalDisplayName: m.DisplayName,
	}
}

// TypeOf is the full protobuf type name of r.
func TypeOf(r Resource) string { return string(r.ProtoReflect().Descriptor().FullName()) }

// RequestKey is the key of the request record of m, or "" when m has no
// request id.
func RequestKey(m Mutation) string {
	if m.RequestID == "" {
		return ""
	}
	return Key(m.Principal, m.RequestID)
}

// EncodeRequest is the request record of a first attempt: the SHA-256 of
// the request's fingerprint (32 bytes, so fingerprints of any length
// compare alike), the time of the attempt (8 bytes, Unix nanoseconds), the
// result as an Any.
func EncodeRequest(fp []byte, now time.Time, res proto.Message) ([]byte, error) {
	a := new(anypb.Any)
	if err := anypb.MarshalFrom(a, res, Marshal); err != nil {
		return nil, err
	}
	ab, err := Marshal.Marshal(a)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(fp)
	buf := make([]byte, 0, len(sum)+8+len(ab))
	buf = append(buf, sum[:]...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(now.UnixNano()))
	return append(buf, ab...), nil
}

// ReplayRequest returns the result recorded in rec for a retry with
// fingerprint fp, or errs.Invalid (field request_id, reason
// errs.RequestIDReused) when the retry is a different request.
func ReplayRequest(rec, fp []byte) (proto.Message, error) {
	const n = sha256.Size
	if len(rec) < n+8 {
		return nil, errors.New("store: corrupt request record")
	}
	if sum := sha256.Sum256(fp); !bytes.Equal(rec[:n], sum[:]) {
		var v errs.Violations
		v.AddReason("request_id", errs.RequestIDReused, "was already used for a different request")
		return nil, v.Err()
	}
	a := new(anypb.Any)
	if err := proto.Unmarshal(rec[n+8:], a); err != nil {
		return nil, fmt.Errorf("store: request record: %w", err)
	}
	return a.UnmarshalNew()
}

// Record is one stored key of a region in a backend-neutral form: the unit
// of a copy of a region from one backend to another. Table is one of the
// Table constants; Index names the index of a TableIndexes record.
type Record struct {
	Table, Index string
	Key, Value   []byte
}

// The tables of a region, as named in a region file (a backup).
const (
	// TableMeta holds "revision" and "compacted" (8-byte big-endian).
	TableMeta = "meta"
	// TableResources maps "{collection}/{id}" to a resource.
	TableResources = "resources"
	// TableChanges maps a big-endian revision to its fami.v1.Change.
	TableChanges = "changes"
	// TableRequests maps RequestKey to a request record.
	TableRequests = "requests"
	// TableRequestTimes orders the request records by age.
	TableRequestTimes = "request_times"
	// TableIndexes holds the secondary indexes.
	TableIndexes = "indexes"
	// TableTypes maps a resource name to its protobuf type.
	TableTypes = "types"
)
