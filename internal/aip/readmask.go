package aip

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// ReadMask is a read's field mask (AIP-157): the fields of each resource
// a Get, batch Get or List answers, checked against the resource's
// message. A nil *ReadMask answers every field.
type ReadMask struct{ keep fieldTree }

// fieldTree is what a mask keeps of a message: by field number, what it
// keeps inside that field, nil for the whole field.
type fieldTree map[protoreflect.FieldNumber]fieldTree

// ParseReadMask checks mask's paths against md, the message of the
// resources read, as update masks are checked (proto or JSON names; a path
// may name a field inside a singular message field, "create_time.seconds",
// never inside a repeated one), and refuses a path that names no field,
// naming read_mask. An unset or empty mask, or "*" alone, is nil: every
// field.
func ParseReadMask(md protoreflect.MessageDescriptor, mask *fieldmaskpb.FieldMask) (*ReadMask, error) {
	paths := mask.GetPaths()
	if len(paths) == 0 || (len(paths) == 1 && paths[0] == "*") {
		return nil, nil
	}
	keep := fieldTree{}
	for _, p := range paths {
		fields, err := resolvePath("read_mask", md, p)
		if err != nil {
			return nil, err
		}
		keep.add(fields)
	}
	return &ReadMask{keep: keep}, nil
}

// add keeps the field at the end of the path fields; a field kept whole
// stays whole whatever else a path names inside it.
func (t fieldTree) add(fields []protoreflect.FieldDescriptor) {
	for i, f := range fields {
		sub, seen := t[f.Number()]
		switch {
		case seen && sub == nil:
			return // kept whole already
		case i == len(fields)-1:
			t[f.Number()] = nil
			return
		case sub == nil:
			sub = fieldTree{}
			t[f.Number()] = sub
		}
		t = sub
	}
}

// Answers reports whether the mask answers f, a field of the resource,
// whole or in part; a nil mask answers every field.
func (r *ReadMask) Answers(f protoreflect.FieldDescriptor) bool {
	if r == nil {
		return true
	}
	_, kept := r.keep[f.Number()]
	return kept
}

// Apply clears the fields of m the mask does not keep, and the fields m
// carries that this server does not know (a record of a newer format);
// a nil mask leaves m whole.
func (r *ReadMask) Apply(m proto.Message) {
	if r != nil {
		r.keep.prune(m.ProtoReflect())
	}
}

func (t fieldTree) prune(m protoreflect.Message) {
	m.Range(func(f protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		// Range allows changes to the field it visits only.
		switch sub, kept := t[f.Number()]; {
		case !kept:
			m.Clear(f)
		case sub != nil:
			sub.prune(m.Mutable(f).Message())
		}
		return true
	})
	if len(m.GetUnknown()) > 0 {
		m.SetUnknown(nil)
	}
}
