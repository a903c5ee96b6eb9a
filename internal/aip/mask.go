package aip

import (
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/raccordo/raccordo/internal/errs"
)

// outputOnly are the standard fields every resource has that a client
// cannot set; a mask naming them (as grpc-gateway's mask derived from a
// PATCH body does when the body carries the etag) ignores them (AIP-161).
var outputOnly = []string{"name", "etag", "create_time", "update_time"}

// ApplyMask copies the fields named by mask from src to dst (AIP-134).
// mutable lists the top-level fields a client may change; an empty mask or
// "*" means all of them. Paths may use proto names (display_name) or JSON
// names (displayName). A path that is neither mutable nor a standard
// output-only field is refused, naming update_mask.
func ApplyMask(dst, src proto.Message, mask *fieldmaskpb.FieldMask, mutable []string) error {
	paths := mask.GetPaths()
	if len(paths) == 0 || (len(paths) == 1 && paths[0] == "*") {
		paths = mutable
	}
	d, s := dst.ProtoReflect(), src.ProtoReflect()
	fields := d.Descriptor().Fields()
	for _, p := range paths {
		f := fields.ByName(protoreflect.Name(p))
		if f == nil {
			f = fields.ByJSONName(p)
		}
		if f == nil {
			return errs.InvalidField("update_mask", "%q is not a field of %s", errs.Clip(p, errs.MaxEcho), d.Descriptor().Name())
		}
		name := string(f.Name())
		if slices.Contains(outputOnly, name) {
			continue
		}
		if !slices.Contains(mutable, name) {
			return errs.InvalidField("update_mask", "%q is not a field that can be updated (updatable: %v)", errs.Clip(p, errs.MaxEcho), mutable)
		}
		if s.Has(f) {
			d.Set(f, s.Get(f))
		} else {
			d.Clear(f)
		}
	}
	return nil
}

// WithoutOutputOnly drops from mask the fields of resource m that a client
// cannot set besides the standard ones (outputOnly: a state, signatures),
// for an Update whose mask grpc-gateway derived from a PATCH body copied
// from a GET (AIP-161). noop is true when the mask named fields and only
// output-only ones: nothing to change.
func WithoutOutputOnly(mask *fieldmaskpb.FieldMask, m proto.Message, outputOnly []string) (_ *fieldmaskpb.FieldMask, noop bool) {
	if len(mask.GetPaths()) == 0 {
		return mask, false
	}
	fields := m.ProtoReflect().Descriptor().Fields()
	out := &fieldmaskpb.FieldMask{}
	for _, path := range mask.GetPaths() {
		f := fields.ByName(protoreflect.Name(path))
		if f == nil {
			f = fields.ByJSONName(path)
		}
		if f != nil && slices.Contains(outputOnly, string(f.Name())) {
			continue
		}
		out.Paths = append(out.Paths, path)
	}
	return out, len(out.Paths) == 0
}
