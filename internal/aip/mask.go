package aip

import (
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/raccordo/raccordo/internal/errs"
)

// ApplyMask copies the fields named by mask from src to dst (AIP-134).
// mutable lists the top-level fields a client may change; an empty mask or
// "*" means all of them. A path outside mutable is refused, naming
// update_mask, so a client never believes it changed an output-only field.
func ApplyMask(dst, src proto.Message, mask *fieldmaskpb.FieldMask, mutable []string) error {
	paths := mask.GetPaths()
	if len(paths) == 0 || (len(paths) == 1 && paths[0] == "*") {
		paths = mutable
	}
	d, s := dst.ProtoReflect(), src.ProtoReflect()
	fields := d.Descriptor().Fields()
	for _, p := range paths {
		if !slices.Contains(mutable, p) {
			return errs.InvalidField("update_mask", "%q is not a field that can be updated (updatable: %v)", clip(p), mutable)
		}
		f := fields.ByName(protoreflect.Name(p))
		if f == nil {
			return errs.InvalidField("update_mask", "%q is not a field of %s", p, d.Descriptor().Name())
		}
		if s.Has(f) {
			d.Set(f, s.Get(f))
		} else {
			d.Clear(f)
		}
	}
	return nil
}
