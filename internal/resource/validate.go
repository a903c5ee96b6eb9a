package resource

import (
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/raccordo/raccordo/internal/errs"
)

// Validate checks r, the resource a write would store (the request field
// field, e.g. "partner"), with rules, which record its violations in v,
// and returns them as one error (errs.Violations.Err). field is "" when r
// is the request itself, whose fields the violations name: a method that
// records a list the resource holds ("action_items"), with stored a
// request that would record the list as it is.
//
// For an update, stored is the resource as stored (nil for a Create). The
// rules grew stricter over time (a name of accents alone, an element
// listed twice), and a resource stored before a rule existed, or
// imported, may break it: the update is not refused for that. A violation
// the stored resource already has, at a value the update leaves as it is,
// is left out, also where an element of a list moved because one before
// it was removed or inserted (movedTo); a value the update changes is
// always checked, and so is every rule between fields whose violation
// stored did not have (a lead partner no longer among the members). So
// another field of such a resource can be edited, and the old value is
// refused only once it changes, naming its field, until it keeps the
// rules.
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
// are, each at the field path where r holds the value (movedTo): what
// stored already had, which an update to r is not refused for. None when
// stored could not be judged (errs.Violations.Fail).
func kept[T proto.Message](field string, stored, r T, rules func(v *errs.Violations, r T)) []errs.Violation {
	var v errs.Violations
	rules(&v, stored)
	if errs.CodeOf(v.Err()) != errs.Invalid {
		return nil
	}
	var out []errs.Violation
	prefix := field + "."
	if field == "" {
		prefix = ""
	}
	for _, x := range v.List() {
		path, ok := strings.CutPrefix(x.Field, prefix)
		if !ok {
			continue
		}
		if at, ok := movedTo(stored.ProtoReflect(), r.ProtoReflect(), path); ok {
			x.Field = prefix + at
			out = append(out, x)
		}
	}
	return out
}

// movedTo is the field path in b of the value a holds at path, a
// violation's field path below the resource (valueAt), when b holds the
// same value: path itself, but that an element of a list is named where b
// holds it. A list is compared by its elements, not their positions, so
// removing a network's first member does not make every member after it
// count as changed. Of b's elements equal to a's at the rest of the path,
// the one taken has as many equal ones before it as a's had: a member
// listed twice is still the second of the two, and a third one added is
// new. It reports false when b has no such element, or another value at
// path.
func movedTo(a, b protoreflect.Message, path string) (string, bool) {
	part, rest, deeper := strings.Cut(path, ".")
	name, _, indexed := strings.Cut(part, "[")
	f := a.Descriptor().Fields().ByName(protoreflect.Name(name))
	switch {
	case f == nil || f.IsMap() || (indexed && !f.IsList()):
		return "", false
	case deeper && (f.Message() == nil || (f.IsList() && !indexed)):
		return "", false // a field inside a scalar or a list
	case indexed:
		return movedElement(a.Get(f).List(), b.Get(f).List(), part, name, rest)
	case !deeper:
		return path, a.Get(f).Equal(b.Get(f))
	}
	at, ok := movedTo(a.Get(f).Message(), b.Get(f).Message(), rest)
	return part + "." + at, ok
}

// movedElement is movedTo for the element of la that part, name[i],
// names, rest the path below it ("" for the element itself): name[j] for
// the element of lb that it is, with rest as movedTo finds it there.
func movedElement(la, lb protoreflect.List, part, name, rest string) (string, bool) {
	i, ok := errs.IndexIn(part, name)
	if !ok || i >= la.Len() {
		return "", false
	}
	// at is an element's value at the rest of the path.
	at := func(l protoreflect.List, j int) (protoreflect.Value, bool) {
		if rest == "" {
			return l.Get(j), true
		}
		return valueAt(l.Get(j).Message(), rest)
	}
	want, ok := at(la, i)
	if !ok {
		return "", false
	}
	equal := func(l protoreflect.List, j int) bool {
		v, ok := at(l, j)
		return ok && v.Equal(want)
	}
	before := 0 // the elements of la before i equal to it
	for j := range i {
		if equal(la, j) {
			before++
		}
	}
	for j := range lb.Len() {
		switch {
		case !equal(lb, j):
		case before > 0:
			before--
		case rest == "":
			return errs.Indexed(name, j), true
		default:
			below, ok := movedTo(la.Get(i).Message(), lb.Get(j).Message(), rest)
			return errs.Indexed(name, j) + "." + below, ok
		}
	}
	return "", false
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
