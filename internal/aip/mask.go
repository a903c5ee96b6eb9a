package aip

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/raccordo/raccordo/internal/errs"
)

// standardOutputOnly are the standard fields every resource has that a client
// cannot set; a mask naming them (as grpc-gateway's mask derived from a
// PATCH body does when the body carries the etag) ignores them (AIP-203).
var standardOutputOnly = []string{"name", "etag", "create_time", "update_time"}

// Unchanged is ApplyMask's answer to a mask that names fields, all of them
// output-only (a PATCH body holding only the etag, or a meeting's state):
// there is nothing to change, and the Update is a no-op that writes nothing
// (AIP-203 ignores output-only fields).
// Resource is dst, still the current state. Every Update applies its
// mask with resource.ApplyMask, which lets the update run on, its checks
// included, and then answers Resource with no write (the error rolls the
// transaction back): a caller the update would refuse is refused alike.
// Outside it the no-op refuses the request with Err, naming update_mask.
type Unchanged struct {
	Resource proto.Message
	Err      error
}

func (u *Unchanged) Error() string { return u.Err.Error() }
func (u *Unchanged) Unwrap() error { return u.Err }

// ApplyMask copies the fields named by mask from src to dst (AIP-134).
// mutable lists the top-level fields a client may change; an empty mask or
// "*" means all of them. outputOnly lists the resource's own fields that the
// server owns (a state, signatures) besides the standard ones (name, etag,
// times): a mask may name them, as grpc-gateway's mask derived from a PATCH
// body copied from a GET does, and they are ignored (AIP-203), as is any
// path below them ("review.reviewer"). Paths may use proto names
// (display_name) or JSON names (displayName), and may name a field inside a
// mutable message field ("programme.measure"), which alone is copied, as
// grpc-gateway derives such paths from a body's nested objects. A path that
// is neither mutable nor output-only is refused, naming update_mask; a mask
// naming fields, only output-only ones, returns *Unchanged: it is not the
// empty mask, which means every mutable field.
func ApplyMask(dst, src proto.Message, mask *fieldmaskpb.FieldMask, mutable []string, outputOnly ...string) error {
	paths := mask.GetPaths()
	if len(paths) == 0 || (len(paths) == 1 && paths[0] == "*") {
		paths = mutable
	}
	d, s := dst.ProtoReflect(), src.ProtoReflect()
	applied := false
	for _, p := range paths {
		top, _, _ := strings.Cut(p, ".")
		if f := fieldOf(d.Descriptor(), top); f != nil &&
			(slices.Contains(standardOutputOnly, string(f.Name())) || slices.Contains(outputOnly, string(f.Name()))) {
			continue // whatever the path selects inside it
		}
		fields, err := resolvePath("update_mask", d.Descriptor(), p)
		if err != nil {
			return err
		}
		if name := string(fields[0].Name()); !slices.Contains(mutable, name) {
			return errs.InvalidField("update_mask", "%q is not a field that can be updated (updatable: %v)", errs.Clip(p, errs.MaxEcho), mutable)
		}
		copyPath(d, s, fields)
		applied = true
	}
	if !applied {
		return &Unchanged{Resource: dst, Err: errs.InvalidField("update_mask", "names only output-only fields (%s): nothing to update",
			errs.Clip(strings.Join(paths, ", "), errs.MaxEcho))}
	}
	return nil
}

// resolvePath returns the fields a path of the mask field (update_mask,
// read_mask) walks from a message of type md, the top-level one first.
// Only the last may be repeated or a map: a path cannot select inside one
// (google.protobuf.FieldMask).
func resolvePath(field string, md protoreflect.MessageDescriptor, path string) ([]protoreflect.FieldDescriptor, error) {
	var fields []protoreflect.FieldDescriptor
	for part := range strings.SplitSeq(path, ".") {
		if n := len(fields); n > 0 {
			last := fields[n-1]
			if last.Message() == nil || last.IsList() || last.IsMap() {
				return nil, errs.InvalidField(field, "%q selects inside %s, which is not a single message",
					errs.Clip(path, errs.MaxEcho), last.Name())
			}
			md = last.Message()
		}
		f := fieldOf(md, part)
		if f == nil {
			return nil, errs.InvalidField(field, "%q is not a field of %s", errs.Clip(path, errs.MaxEcho), md.Name())
		}
		fields = append(fields, f)
	}
	return fields, nil
}

// fieldOf is md's field of the proto or JSON name name, nil if none.
func fieldOf(md protoreflect.MessageDescriptor, name string) protoreflect.FieldDescriptor {
	if f := md.Fields().ByName(protoreflect.Name(name)); f != nil {
		return f
	}
	return md.Fields().ByJSONName(name)
}

// copyPath sets the field at the end of fields in d to its value in s, or
// clears it when s does not set it; an unset message on the way in d is
// made only to hold a value.
func copyPath(d, s protoreflect.Message, fields []protoreflect.FieldDescriptor) {
	outer, leaf := fields[:len(fields)-1], fields[len(fields)-1]
	for _, f := range outer {
		s = s.Get(f).Message()
	}
	if s.Has(leaf) {
		for _, f := range outer {
			d = d.Mutable(f).Message()
		}
		d.Set(leaf, s.Get(leaf))
		return
	}
	for _, f := range outer {
		if !d.Has(f) {
			return
		}
		d = d.Mutable(f).Message()
	}
	d.Clear(leaf)
}
