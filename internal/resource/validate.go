package resource

import (
	"slices"
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
// is left out (kept), wherever in its lists the value now is; a value the
// update changes is always checked, and so is every rule between fields
// whose violation stored did not have (a lead partner no longer among the
// members). So another field of such a resource can be edited, and the
// old value is refused only once it changes, naming its field, until it
// keeps the rules.
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
	if !judged(err) || !stored.ProtoReflect().IsValid() {
		return err
	}
	known := kept(field, stored, r, v.List(), rules)
	if len(known) == 0 {
		return err
	}
	v = errs.Violations{}
	v.Except(known)
	rules(&v, r)
	return v.Err()
}

// kept are the violations of found, those rules recorded in r, that
// stored already had: what an update to r is not refused for. None when
// stored could not be judged (errs.Violations.Fail).
//
// A violation is matched by what it is (a fault): the rule's words, the
// field it names with the indexes of its lists left out, and the value r
// holds there. Not by its place: a list is compared by its elements, so
// removing a network's first member does not make the member listed twice
// after it new, and a fault inside an element of a list (an action a
// network project lists twice, a contact two attendance lines name) is
// the same fault when an element before it is inserted or changed. Each
// stored fault excuses one of r's, in r's order: of equal faults the later
// is new, so a member listed a third time is refused, naming the third.
func kept[T proto.Message](field string, stored, r T, found []errs.Violation, rules func(v *errs.Violations, r T)) []errs.Violation {
	var v errs.Violations
	rules(&v, stored)
	if !judged(v.Err()) {
		return nil
	}
	var had []fault
	for _, x := range v.List() {
		if f, ok := faultOf(field, stored.ProtoReflect(), x); ok {
			had = append(had, f)
		}
	}
	var out []errs.Violation
	for _, x := range found {
		f, ok := faultOf(field, r.ProtoReflect(), x)
		if !ok {
			continue
		}
		if i := slices.IndexFunc(had, f.equal); i >= 0 {
			had = slices.Delete(had, i, i+1)
			out = append(out, x)
		}
	}
	return out
}

// judged reports whether err, from errs.Violations.Err, lists violations:
// the request was judged and found at fault, invalid or refused by the
// state (a reference to an archived network, FAILED_PRECONDITION with its
// fields), rather than passed or not judged at all (errs.Violations.Fail).
func judged(err error) bool {
	e := errs.As(err)
	return e != nil && len(e.Violations) > 0
}

// fault is what a violation is, whatever its place in the lists: the
// field it names without the indexes (shape), its description and the
// value there.
type fault struct {
	shape, description string
	value              protoreflect.Value
}

// equal reports whether g is the fault f is: at the same field of the
// same list, in the same words, at the same value.
func (f fault) equal(g fault) bool {
	return f.shape == g.shape && f.description == g.description && f.value.Equal(g.value)
}

// faultOf is the fault x is in m, whose fields the violations name below
// field (the whole of a violation's path when field is ""). It reports
// false for a violation of another field (the request's update_mask) or a
// path naming no value of m (valueAt).
func faultOf(field string, m protoreflect.Message, x errs.Violation) (fault, bool) {
	path := x.Field
	if field != "" {
		var ok bool
		if path, ok = strings.CutPrefix(path, field+"."); !ok {
			return fault{}, false
		}
	}
	value, ok := valueAt(m, path)
	return fault{shape: unindexed(path), description: x.Description, value: value}, ok
}

// unindexed is path without the indexes of its elements:
// "members[2].partner" is "members[].partner".
func unindexed(path string) string {
	var b strings.Builder
	for {
		before, after, found := strings.Cut(path, "[")
		b.WriteString(before)
		if !found {
			return b.String()
		}
		b.WriteString("[]")
		_, path, _ = strings.Cut(after, "]")
	}
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
