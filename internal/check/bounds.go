package check

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/raccordo/raccordo/internal/errs"
)

// MaxRepeated is how many elements any repeated field of a request may
// hold unless RepeatedLimits says otherwise: the largest page a List
// returns and the largest batch a batch method takes.
const MaxRepeated = 1000

// RepeatedLimits lists the repeated fields that may hold more than
// MaxRepeated elements, or must hold fewer because they nest inside another
// repeated field (their work multiplies). The domain's own, often smaller,
// limits still apply after this guard.
var RepeatedLimits = map[protoreflect.FullName]int{
	// Every municipality of the largest region (Lombardia: about 1,500).
	"fami.v1.Partner.municipalities": 2000,
	"fami.v1.Network.municipalities": 2000,
	// Nested inside repeated fields.
	"fami.v1.PartnerAttendance.roles": 20,
	"fami.v1.NetworkProject.actions":  100,
}

// Bounds checks, before any other validation, that no repeated or map
// field of a request, at any depth, holds more elements than its limit.
// Domain validators loop over repeated fields; this guard bounds their work
// for every request at once, so the cost of a request stays proportional to
// what the API allows rather than to what a client sends. The walk itself
// descends only into fields within their limit.
func Bounds(req proto.Message) error {
	if req == nil {
		return nil
	}
	if v := bounds(nil, "", req.ProtoReflect()); v != nil {
		return v.Err()
	}
	return nil
}

// limitOf is how many elements the repeated or map field fd may hold.
func limitOf(fd protoreflect.FieldDescriptor) int {
	if l, ok := RepeatedLimits[fd.FullName()]; ok {
		return l
	}
	return MaxRepeated
}

// bounds adds the violations of m's fields to v and returns it, made on
// the first violation: a request within its limits, every call's, costs
// no allocation.
func bounds(v *errs.Violations, prefix string, m protoreflect.Message) *errs.Violations {
	// A field Unmarshal or UnmarshalJSON found over its limit and left
	// undecoded.
	if field, n, limit, ok := wireRefusal(m); ok {
		return add(v, prefix+field, "lists %d elements; at most %d are allowed", n, limit)
	}
	// The fields are walked by their descriptor rather than with m.Range:
	// every call passes here, and Range's callback, and a name for every
	// populated scalar, would be allocations on each one.
	fields := m.Descriptor().Fields()
	for f := range fields.Len() {
		fd := fields.Get(f)
		if !fd.IsList() && !fd.IsMap() && fd.Message() == nil || !m.Has(fd) {
			continue
		}
		field := prefix + string(fd.Name())
		val := m.Get(fd)
		switch {
		case fd.IsList():
			l := val.List()
			if limit := limitOf(fd); l.Len() > limit {
				v = add(v, field, "lists %d elements; at most %d are allowed", l.Len(), limit)
				continue
			}
			if fd.Message() != nil {
				for i := range l.Len() {
					v = bounds(v, errs.Indexed(field, i)+".", l.Get(i).Message())
				}
			}
		case fd.IsMap():
			mp := val.Map()
			if limit := limitOf(fd); mp.Len() > limit {
				v = add(v, field, "has %d entries; at most %d are allowed", mp.Len(), limit)
				continue
			}
			if fd.MapValue().Message() != nil {
				// A variable of this branch, which the callback shares:
				// v itself would then be allocated on every call.
				inner := v
				mp.Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
					inner = bounds(inner, field+"["+k.String()+"].", mv.Message())
					return true
				})
				v = inner
			}
		default:
			v = bounds(v, field+".", val.Message())
		}
	}
	return v
}

// add adds a violation to v, made if nil, and returns it.
func add(v *errs.Violations, field, format string, args ...any) *errs.Violations {
	if v == nil {
		v = new(errs.Violations)
	}
	v.Add(field, format, args...)
	return v
}
