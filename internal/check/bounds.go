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
	var v errs.Violations
	bounds(&v, "", req.ProtoReflect())
	return v.Err()
}

// limitOf is how many elements the repeated or map field fd may hold.
func limitOf(fd protoreflect.FieldDescriptor) int {
	if l, ok := RepeatedLimits[fd.FullName()]; ok {
		return l
	}
	return MaxRepeated
}

func bounds(v *errs.Violations, prefix string, m protoreflect.Message) {
	// A field Unmarshal or UnmarshalJSON found over its limit and left
	// undecoded.
	if field, n, limit, ok := wireRefusal(m); ok {
		v.Add(prefix+field, "lists %d elements; at most %d are allowed", n, limit)
		return
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
				v.Add(field, "lists %d elements; at most %d are allowed", l.Len(), limit)
				continue
			}
			if fd.Message() != nil {
				for i := range l.Len() {
					bounds(v, errs.Indexed(field, i)+".", l.Get(i).Message())
				}
			}
		case fd.IsMap():
			mp := val.Map()
			if limit := limitOf(fd); mp.Len() > limit {
				v.Add(field, "has %d entries; at most %d are allowed", mp.Len(), limit)
				continue
			}
			if fd.MapValue().Message() != nil {
				mp.Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
					bounds(v, field+"["+k.String()+"].", mv.Message())
					return true
				})
			}
		default:
			bounds(v, field+".", val.Message())
		}
	}
}
