package resource

import (
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// Refs checks the references a repeated field lists: each, at its own
// path ("field[i]"), a required Ref to an existing T of collection in
// region, and none listed twice. seen holds the names listed so far, which
// may include names the request lists elsewhere; twice words the violation
// of a name listed again, given the name ("%s is listed twice").
func Refs[T any, P interface {
	*T
	store.Resource
}](tx store.ReadTx, v *errs.Violations, field string, names []string, region, collection string, seen check.Set[string], twice string) {
	for i, name := range names {
		f := errs.Indexed(field, i)
		if !Ref(tx, v, f, name, region, collection, P(new(T)), true) {
			continue
		}
		if seen.Again(name) {
			v.Add(f, twice, name)
		}
	}
}
