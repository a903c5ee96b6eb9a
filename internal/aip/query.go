package aip

import (
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
)

// MaxQuery is the longest text a List's query filter takes (the query
// field of ListPartnersRequest, ListNetworksRequest and
// ListProjectsRequest), in characters. What the filter matches is
// namekey.Matcher's rule.
const MaxQuery = 100

// CheckQuery is the one check of a List's text query, at field "query":
// a name (check.Name) of at most MaxQuery characters. A text of accents
// and other combining marks alone ("\u0301", "´") has an empty key: it is
// a fragment of no name, yet namekey.Matcher would take it for no query
// and match every item, so the caller who meant to narrow the list would
// read the whole of it as the answer. It is refused instead, as a mature
// API refuses a filter that cannot mean what it says. A query of white
// space alone is no query, as the web's search boxes send it.
func CheckQuery(v *errs.Violations, query string) {
	check.Name(v, "query", query, false, MaxQuery)
}
