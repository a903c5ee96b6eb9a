package aip

import (
	"strings"

	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/namekey"
)

// MaxQuery is the longest text a List's query filter takes (the query
// field of ListPartnersRequest, ListNetworksRequest and
// ListProjectsRequest), in characters. What the filter matches is
// namekey.Matcher's rule.
const MaxQuery = 100

// CheckQuery is the one check of a List's text query, at field "query":
// at most MaxQuery characters, none a control or invisible one, and, when
// it is more than white space, something a name's key keeps. A text of
// accents and other combining marks alone ("\u0301", "´") has an empty
// key: it is a fragment of no name, yet Matcher would take it for no query
// and match every item, so the caller who meant to narrow the list would
// read the whole of it as the answer. It is refused instead, as a mature
// API refuses a filter that cannot mean what it says. A query of white
// space alone is no query, as the web's search boxes send it.
func CheckQuery(v *errs.Violations, query string) {
	before := v.Len()
	check.Text(v, "query", query, false, MaxQuery, false)
	if v.Len() == before && strings.TrimSpace(query) != "" && namekey.Of(query) == "" {
		v.Add("query", "has no letter, digit or sign to search for: accents and other combining marks alone are ignored in names")
	}
}
