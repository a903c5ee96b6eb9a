package aip

import (
	"slices"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/territory"
)

// Region checks that id is one of the 21 regions and autonomous provinces;
// errs.NotFound otherwise.
func Region(id string) (string, error) {
	if _, ok := territory.LookupRegion(id); !ok {
		return "", errs.NotFoundf("region %q not found", id)
	}
	return id, nil
}

// Parent parses a request's parent, "regions/{region}", and checks the
// region exists.
func Parent(parent string) (string, error) {
	r, err := ParseRegion("parent", parent)
	if err != nil {
		return "", err
	}
	return Region(r)
}

// RegionOfName parses "regions/{region}/{collection}/{id}" from the request
// field named field and checks the region exists; it returns the region.
func RegionOfName(field, name, collection string) (string, error) {
	r, _, err := ParseName(field, name, collection)
	if err != nil {
		return "", err
	}
	return Region(r)
}

// reservedIDs are the words the web application's addresses put where a
// resource's id stands (/partner/nuovo, /reti/nuova, /incontri/calendario):
// its routes take them first, so a resource with one of them as its id
// would have no page. No new resource may take them, in any collection,
// so that the rule is one to document and the web may add such a page to
// any of its lists.
var reservedIDs = []string{"calendario", "nuova", "nuovo"}

// ReservedID reports whether id is a word no new resource may take as its
// id (reservedIDs).
func ReservedID(id string) bool { return slices.Contains(reservedIDs, id) }

// NewOrCheckID validates a client-chosen id of a new resource
// (CheckNewID), or picks one when it is empty.
func NewOrCheckID(field, id string) (string, error) {
	if id == "" {
		return NewID(), nil
	}
	return id, CheckNewID(field, id)
}

// CheckNewID validates the client-chosen id of a new resource: CheckID's
// form, and not a word the web's addresses use (ReservedID), which is
// refused with the reason errs.IDReserved.
func CheckNewID(field, id string) error {
	if ReservedID(id) {
		var v errs.Violations
		v.AddReason(field, errs.IDReserved, "%q is reserved: the web application's pages use it, choose another id", id)
		return v.Err()
	}
	return CheckID(field, id)
}
