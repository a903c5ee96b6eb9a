package aip

// MaxQuery is the longest text a List's query filter takes (the query
// field of ListPartnersRequest and ListProjectsRequest), in characters.
// What the filter matches is namekey.Matcher's rule.
const MaxQuery = 100
