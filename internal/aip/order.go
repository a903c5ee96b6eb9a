package aip

import (
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/internal/errs"
)

// TimeOrder is the order_by (AIP-132) of a List whose one order besides
// its default is by a time field.
type TimeOrder struct {
	// Field is the time field: "start_time".
	Field string
	// Default says that the List's default order is Field's, oldest
	// first, so that "" and Field name one order.
	Default bool
}

// OrderedRequest is a List request with an order_by.
type OrderedRequest interface {
	proto.Message
	GetOrderBy() string
}

// OrderByTime reads req's order_by by o: "" is the default, o.Field or
// "field asc" oldest first, "field desc" newest first (newestFirst);
// spaces between words aside. byField says the order is o.Field's, not
// the default (or the default is o.Field's). Anything else is a
// violation of order_by, which says what it takes.
//
// It returns req with its order_by spelt the one way of the order it
// names (req itself when it is, else a copy): "" for the default, o.Field
// oldest first (or "" when that is the default), o.Field + " desc" newest
// first. A page token is bound to its whole request (ADR 20), so that the
// token of one spelling is taken by another of the same order.
func OrderByTime[Req OrderedRequest](v *errs.Violations, req Req, o TimeOrder) (_ Req, byField, newestFirst bool) {
	var spelt string
	switch strings.Join(strings.Fields(req.GetOrderBy()), " ") {
	case "":
		byField = o.Default
	case o.Field, o.Field + " asc":
		byField = true
		if !o.Default {
			spelt = o.Field
		}
	case o.Field + " desc":
		byField, newestFirst, spelt = true, true, o.Field+" desc"
	default:
		v.Add("order_by", "orders by %[1]s only: %[2]q (oldest first) or %[3]q (newest first)", o.Field, o.Field, o.Field+" desc")
		return req, false, false
	}
	if req.GetOrderBy() != spelt {
		req = withString(req, "order_by", spelt)
	}
	return req, byField, newestFirst
}
