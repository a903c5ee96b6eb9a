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
// output-only (a PATCH body holding only the etag, or a meeting's state):
// there is nothing to change, and the Update is a no-op that writes nothing
// (AIP-161 ignores output-only fields).
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
// "*" means all of them. outputOnly lists the resource's own fields that the
// server owns (a state, signatures) besides the standard ones (name, etag,
// times): a mask may name them, as grpc-gateway's mask derived from a PATCH
// body copied from a GET does, and they are ignored (AIP-161). Paths may use
// proto names (display_name) or JSON names (displayName). A path that is
// neither mutable nor output-only is refused, naming update_mask; a mask
// naming fields, only output-only ones, returns *Unchanged: it is not the
// empty mask, which means every mutable field.
func ApplyMask(dst, src proto.Message, mask *fieldmaskpb.FieldMask, mutable []string, outputOnly ...string) error {
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
		if slices.Contains(standardOutputOnly, name) || slices.Contains(outputOnly, name) {
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
