package aip

import (
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

// NewOrCheckID validates a client-chosen id, or picks one when it is empty.
func NewOrCheckID(field, id string) (string, error) {
	if id == "" {
		return NewID(), nil
	}
	return id, CheckID(field, id)
}
