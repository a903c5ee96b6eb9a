package resource

import (
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// Refs checks the references a repeated field lists, each at its own path
// ("field[i]") with RefOnce.
func Refs[T any, P interface {
	*T
	store.Resource
}](tx store.ReadTx, v *errs.Violations, field string, names []string, region, collection string, seen check.Set[string], twice string) {
	for i, name := range names {
		RefOnce[T, P](tx, v, errs.Indexed(field, i), name, region, collection, seen, twice)
	}
}

// RefOnce checks one of the references a list holds: a required Ref to an
// existing T of collection in region, and not one listed before. seen
// holds the names listed so far, which may include names the request lists
// elsewhere; twice words the violation of a name listed again, given the
// name ("%s is listed twice"). It reports whether name is a valid
// reference listed for the first time.
func RefOnce[T any, P interface {
	*T
	store.Resource
}](tx store.ReadTx, v *errs.Violations, field, name, region, collection string, seen check.Set[string], twice string) bool {
	if !Ref(tx, v, field, name, region, collection, P(new(T)), true) {
		return false
	}
	if seen.Again(name) {
		v.Add(field, twice, name)
		return false
	}
	return true
}
