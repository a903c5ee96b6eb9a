package server

import (
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/raccordo/raccordo/internal/errs"
)

// A REST call's query parameters are checked against the ones it has, and
// any other is refused naming it (UNKNOWN_QUERY_PARAMETER): grpc-gateway's
// query parser ignores a key that names no field, or a field the path or
// the body sets, and a route whose body is the whole request never reads
// its query, so a misspelt filter or update mask used to answer as if it
// had not been sent. The gateway's routes take the parameters the
// generated OpenAPI document lists for them (restRouter.checkQuery, on
// the route the gateway matched), the downloads the fields of their
// request that their path does not set (queryRequest). Either refusal is
// recorded as a call of the route's RPC (pipeline.refuseREST).

// readQuery parses a REST request's raw query whole, or refuses it naming
// "query": r.URL.Query() drops what it cannot read without a word (a pair
// with a semicolon, a bad escape), and every pair past net/url's limit of
// 10,000, so a parameter could go unseen. A value that is not UTF-8 is
// refused naming its parameter, a key naming "query": the gateway would
// copy the bytes into proto string fields, which cannot hold them, and
// fail with a 500.
func readQuery(raw string) (url.Values, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, errs.InvalidField("query", "%v", err)
	}
	for k, vs := range q {
		field := ""
		if !utf8.ValidString(k) {
			field = "query"
		} else if slices.ContainsFunc(vs, func(v string) bool { return !utf8.ValidString(v) }) {
			field = k
		}
		if field != "" {
			return nil, errs.InvalidField(field, "is not valid UTF-8")
		}
	}
	return q, nil
}

// queryField is the field a query parameter names in a request of type md,
// as a dotted path of proto names ("page_size"), read as the gateway's
// query parser reads it: each dotted segment a field's proto or JSON name,
// every one but the last a singular message. ok is false for a key that
// names no field.
func queryField(md protoreflect.MessageDescriptor, key string) (path string, ok bool) {
	var b strings.Builder
	for seg := range strings.SplitSeq(key, ".") {
		if md == nil {
			return "", false // a segment after a scalar or a repeated field
		}
		fields := md.Fields()
		f := fields.ByTextName(seg)
		if f == nil {
			f = fields.ByJSONName(seg)
		}
		if f == nil {
			return "", false
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(string(f.Name()))
		md = nil
		if f.Message() != nil && !f.IsList() && !f.IsMap() {
			md = f.Message()
		}
	}
	return b.String(), true
}

// unknownQuery returns an UNKNOWN_QUERY_PARAMETER error naming every key
// of q that known refuses, in order, or nil when it accepts them all.
// takes lists the parameters the call has, for the message.
func unknownQuery(q url.Values, known func(key string) bool, takes []string) error {
	var unknown []string
	for k := range q {
		if !known(k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	has := "it has none"
	if len(takes) > 0 {
		has = "it has " + strings.Join(takes, ", ")
	}
	desc := "is not a query parameter of this call (" + has + ")"
	var v errs.Violations
	for _, k := range unknown {
		v.AddReason(errs.Clip(k, errs.MaxEcho), string(errs.UnknownQueryParameter), "%s", desc)
	}
	list := v.List()
	return errs.UnknownQueryParameter.With(errs.Error{
		Message:        "unknown query parameter " + list[0].Field + ": " + desc,
		Violations:     list,
		MoreViolations: v.Len() - len(list),
	})
}
