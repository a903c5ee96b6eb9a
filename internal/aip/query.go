package aip

import (
	"slices"
	"strings"
)

// MaxQuery is the longest text a List's query filter takes (the query
// field of ListPartnersRequest and ListProjectsRequest), in characters.
const MaxQuery = 100

// Matcher is the one meaning of a text query, a List's query filter and
// the web's search boxes alike: an item matches when any of its fields
// contains query, ignoring case; every item matches an empty query.
func Matcher(query string) func(fields ...string) bool {
	if query == "" {
		return func(...string) bool { return true }
	}
	lq := strings.ToLower(query)
	return func(fields ...string) bool {
		return slices.ContainsFunc(fields, func(f string) bool { return strings.Contains(strings.ToLower(f), lq) })
	}
}

// NameKey is the one meaning of two names being the same name, a List's
// display_name filter and the web's typed names alike: the same text once
// case is ignored and white space is read as single spaces between words.
func NameKey(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), " ")) }
