package resource

import (
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/raccordo/raccordo/internal/errs"
)

// Validate checks r, the resource a write would store (the request field
// field, e.g. "partner"), with rules, which record its violations in v,
// and returns them as one error (errs.Violations.Err).
//
// For an update, stored is the resource as stored (nil for a Create). The
// rules grew stricter over time (a name of accents alone, an element
// listed twice), and a resource stored before a rule existed, or
// imported, may break it: the update is not refused for that. A violation
// the stored resource already has, at a value the update leaves as it is,
// is left out; a value the update changes is always checked, and so is
// every rule between fields whose violation stored did not have (a lead
// partner no longer among the members). So another field of such a
// resource can be edited, and the old value is refused only once it
// changes, naming its field, until it keeps the rules.
//
// The stored resource is checked only when r breaks a rule, so a valid
// update checks once, as before; one that breaks a rule checks r again
// with the stored violations left out as they are recorded
// (errs.Violations.Except), so that a check made only when nothing was
// recorded before it still runs. rules must only read: they may run three
// times.
func Validate[T proto.Message](field string, stored, r T, rules func(v *errs.Violations, r T)) error {
	var v errs.Violations
	rules(&v, r)
	err := v.Err()
	if errs.CodeOf(err) != errs.Invalid || !stored.ProtoReflect().IsValid() {
		return err
	}
	known := kept(field, stored, r, rules)
	if len(known) == 0 {
		return err
	}
	v = errs.Violations{}
	v.Except(known)
	rules(&v, r)
	return v.Err()
}

// kept are the violations rules find in stored at values r keeps as they
// are: what stored already had, which an update to r is not refused for.
// None when stored could not be judged (errs.Violations.Fail).
func kept[T proto.Message](field string, stored, r T, rules func(v *errs.Violations, r T)) []errs.Violation {
	var v errs.Violations
	rules(&v, stored)
	if errs.CodeOf(v.Err()) != errs.Invalid {
		return nil
	}
	var out []errs.Violation
	for _, x := range v.List() {
		if path, ok := strings.CutPrefix(x.Field, field+"."); ok && sameAt(stored.ProtoReflect(), r.ProtoReflect(), path) {
			out = append(out, x)
		}
	}
	return out
}

// sameAt reports whether a and b hold the same value at path, which both
// must have.
func sameAt(a, b protoreflect.Message, path string) bool {
	va, okA := valueAt(a, path)
	vb, okB := valueAt(b, path)
	return okA && okB && va.Equal(vb)
}

// valueAt is the value at path in m, a violation's field path below the
// resource: field names joined by dots, an element of a repeated field by
// its index ("display_name", "members[2].partner", errs.Indexed). It
// reports false for a path that names no field of m, or an element m has
// not got.
func valueAt(m protoreflect.Message, path string) (protoreflect.Value, bool) {
	var v protoreflect.Value
	for part := range strings.SplitSeq(path, ".") {
		if m == nil {
			return v, false // a field inside a scalar or a list
		}
		name, _, indexed := strings.Cut(part, "[")
		f := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if f == nil || f.IsMap() || (indexed && !f.IsList()) {
			return v, false
		}
		v = m.Get(f)
		if indexed {
			i, ok := errs.IndexIn(part, name)
			if !ok || i >= v.List().Len() {
				return v, false
			}
			v = v.List().Get(i)
		}
		m = nil
		if f.Message() != nil && (indexed || !f.IsList()) {
			m = v.Message()
		}
	}
	return v, true
}
