// Package paging asks for one page of a standard List method (AIP-132,
// AIP-158): a copy of the caller's request, keeping its filters, with the
// page's parent, page_size and page_token set. The server asks each
// region for its page of a national list with it, and the SDK's Mirror
// lists a region. Walk is the one loop that reads a listing page after
// page, for the server's readers and the SDK's alike.
//
// It imports nothing but protobuf, so both the server and code outside
// this module can use it.
package paging

import (
	"context"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Page returns a copy of req, a standard List request, asking for the
// page of parent's items of at most size from token (the first page when
// token is empty); req's other fields are kept. It panics when req lacks
// a string parent, an int32 page_size or a string page_token.
func Page[Req proto.Message](req Req, parent string, size int32, token string) Req {
	r := proto.CloneOf(req)
	m := r.ProtoReflect()
	fields := m.Descriptor().Fields()
	m.Set(fields.ByName("parent"), protoreflect.ValueOfString(parent))
	m.Set(fields.ByName("page_size"), protoreflect.ValueOfInt32(size))
	m.Set(fields.ByName("page_token"), protoreflect.ValueOfString(token))
	return r
}

// Walk reads a listing as its client does (AIP-158): it calls page with
// each page token in turn, from the first page ("") until a page answers
// no next page token or fails, or ctx is done before the next page is
// asked. A page is handled before the next is asked, and nothing of it is
// kept here, so a caller that does not keep the pages holds one at a time.
func Walk(ctx context.Context, page func(pageToken string) (next string, err error)) error {
	token := ""
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		next, err := page(token)
		if err != nil || next == "" {
			return err
		}
		token = next
	}
}
