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
// PATCH body does when the body carries the etag) ignores them (AIP-161).
var standardOutputOnly = []string{"name", "etag", "create_time", "update_time"}

// Unchanged is ApplyMask's answer to a mask that names fields, all of them
// output-only (a PATCH body holding only the etag): there is nothing to
// change, and the Update is a no-op that writes nothing (AIP-161 ignores
// output-only fields; WithoutOutputOnly's noop is the same answer).
// Resource is dst, still the current state. resource.Mutate and
// resource.Modify, which every Update goes through, answer it with
// Resource and no write, since the error rolls the transaction back; an
// opening that does not would refuse the request with Err, naming
// update_mask.
type Unchanged struct {
	Resource proto.Message
	Err      error
}

func (u *Unchanged) Error() string { return u.Err.Error() }
func (u *Unchanged) Unwrap() error { return u.Err }

// ApplyMask copies the fields named by mask from src to dst (AIP-134).
// mutable lists the top-level fields a client may change; an empty mask or
// "*" means all of them. Paths may use proto names (display_name) or JSON
// names (displayName). A path that is neither mutable nor a standard
// output-only field is refused, naming update_mask; a mask naming only
// standard output-only fields returns *Unchanged.
func ApplyMask(dst, src proto.Message, mask *fieldmaskpb.FieldMask, mutable []string) error {
	paths := mask.GetPaths()
	if len(paths) == 0 || (len(paths) == 1 && paths[0] == "*") {
		paths = mutable
	}
	d, s := dst.ProtoReflect(), src.ProtoReflect()
	fields := d.Descriptor().Fields()
	applied := false
	for _, p := range paths {
		f := fields.ByName(protoreflect.Name(p))
		if f == nil {
			f = fields.ByJSONName(p)
		}
		if f == nil {
			return errs.InvalidField("update_mask", "%q is not a field of %s", errs.Clip(p, errs.MaxEcho), d.Descriptor().Name())
		}
		name := string(f.Name())
		if slices.Contains(standardOutputOnly, name) {
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
		applied = true
	}
	if !applied {
		return &Unchanged{Resource: dst, Err: errs.InvalidField("update_mask", "names only output-only fields (%s): nothing to update",
			errs.Clip(strings.Join(paths, ", "), errs.MaxEcho))}
	}
	return nil
}

// WithoutOutputOnly drops from mask the fields of resource m that a client
// cannot set: the standard ones and outputOnly (a state, signatures),
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
		if f != nil && (slices.Contains(outputOnly, string(f.Name())) || slices.Contains(standardOutputOnly, string(f.Name()))) {
			continue
		}
		out.Paths = append(out.Paths, path)
	}
	return out, len(out.Paths) == 0
}
