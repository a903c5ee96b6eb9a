package resource

import (
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// RefList checks the references to resources of one collection that a
// request lists, in one list or in several that may not name the same
// resource twice (a protocol's network and its additional networks): each
// must be a required reference (Refs.Required) to an existing R of the
// collection in the region, and not one listed before. The violations go
// to the Violations it was made with.
type RefList[R store.Resource] struct {
	refs       Refs
	collection string
	seen       check.Set[string]
	// Twice words the violation of a name listed again, given the name;
	// "%s is listed twice" unless set.
	Twice string
}

// NewRefList returns the RefList of the references to collection that a
// request for region lists, read in tx, with violations recorded in v.
func NewRefList[R store.Resource](tx store.ReadTx, v *errs.Violations, region, collection string) *RefList[R] {
	return &RefList[R]{refs: Refs{Tx: tx, V: v, Region: region}, collection: collection, seen: check.Set[string]{}, Twice: "%s is listed twice"}
}

// Check checks the reference name listed at field. It reports whether
// name is a valid reference listed for the first time.
func (l *RefList[R]) Check(field, name string) bool {
	if !l.refs.Required(field, name, l.collection, newOf[R]()) {
		return false
	}
	if l.seen.Again(name) {
		l.refs.V.Add(field, l.Twice, name)
		return false
	}
	return true
}

// CheckAll checks the references a repeated field lists, each at its own
// path ("field[i]").
func (l *RefList[R]) CheckAll(field string, names []string) {
	for i, name := range names {
		l.Check(errs.Indexed(field, i), name)
	}
}
