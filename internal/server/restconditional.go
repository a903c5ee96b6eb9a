package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/raccordo/raccordo/internal/errs"
)

// REST's conditional requests (RFC 9110, section 13), all here: the
// middleware that reads the precondition headers (conditions), the
// gateway's connection that hands If-Match to the request's etag field
// (conditionalConn), the ETag of a read and its 304 (taggedRead), and the
// 412 of a precondition that failed (conditionFailed).
//
// The entity tag is the resource's etag (AIP-154), quoted, and strong:
// If-Match compares strongly (section 13.1.1), so a weak tag handed out by
// a GET could never guard the write that follows it. It is the revision
// of the resource's last change, and the JSON a URI answers is made from
// the stored resource alone by the server that answers it, so the same
// tag means the same bytes. A read mask is in the query, and the query is
// part of the URI a tag is scoped to: the same tag on a masked read names
// that URI's representation.
//
// If-Match on a write is the request's etag field said as a header, and
// the store compares it as it compares the field: a stale one is refused
// with the field's reason, ETAG_MISMATCH, and code, ABORTED (so gRPC,
// logs and metrics see one refusal), answered 412 Precondition Failed
// rather than the field's 409, because HTTP says a failed precondition is
// 412 and a client that sent the header reads that status. An etag sent in
// the body or query stays 409 (ADR 0026). If-None-Match: * on a create is
// what a create already requires, a name nobody holds: its ALREADY_EXISTS
// is answered 412 likewise.
//
// If-Unmodified-Since is refused, 400 naming it: HTTP-dates count whole
// seconds, and two changes within one second would both pass a date read
// after the first, which is the lost update the header is sent to stop.
// The etag, a revision, has no such blind spot.

// condition is what a REST request's precondition headers ask, kept in
// its context for the gateway's connection, the ETag writer and the
// error handler.
type condition struct {
	// ifMatch is the entity tag If-Match names, as the request's etag
	// field holds it: the opaque tag without its quotes, or a weak tag
	// whole (W/"3"), which no etag equals, so that it fails as a strong
	// comparison says it must. anyMatch is If-Match: *.
	ifMatch  string
	anyMatch bool
	// noneMatch is If-None-Match as sent: on a read, the tags that answer
	// 304; on a create, "*".
	noneMatch string
}

type conditionKey struct{}

func conditionOf(ctx context.Context) *condition {
	c, _ := ctx.Value(conditionKey{}).(*condition)
	return c
}

// conditions reads a REST request's precondition headers into its
// condition, refusing with a 400 naming the header, recorded as a call of
// the RPC procedure names (refuseREST), what REST does not evaluate: one
// ignored would let a write through that its sender meant to stop. A
// request without any goes on as it came, with no context of its own.
func conditions(pipe *pipeline, procedure func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, im := r.Header["If-Match"]
		_, inm := r.Header["If-None-Match"]
		_, ius := r.Header["If-Unmodified-Since"]
		if !im && !inm && !ius {
			next.ServeHTTP(w, r)
			return
		}
		c, err := readCondition(r.Method, procedure(r), r.Header)
		if err != nil {
			pipe.refuseREST(w, r, procedure(r), err, arrival(r.Context()))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), conditionKey{}, c)))
	})
}

// sendEtag is the advice of a refused precondition header.
const sendEtag = "send the etag the resource was read with in If-Match, or in the request's etag field (the body's \"etag\", ?etag= on a DELETE)"

// readCondition reads the precondition headers h of a request of method
// calling procedure.
func readCondition(method, procedure string, h http.Header) (*condition, error) {
	if _, sent := h["If-Unmodified-Since"]; sent {
		return nil, errs.InvalidField("If-Unmodified-Since", "is not evaluated: an HTTP-date counts whole seconds, and a change within the second would pass it; %s", sendEtag)
	}
	c := &condition{}
	read := method == http.MethodGet || method == http.MethodHead
	if im := h.Values("If-Match"); len(im) > 0 {
		if read {
			return nil, errs.InvalidField("If-Match", "is not evaluated on a read: send If-None-Match to read only a changed resource")
		}
		tag, err := oneTag(im)
		if err != nil {
			return nil, err
		}
		c.anyMatch, c.ifMatch = tag == "*", strongTag(tag)
	}
	if inm := h.Values("If-None-Match"); len(inm) > 0 {
		c.noneMatch = strings.Join(inm, ",")
		if !read && (strings.TrimSpace(c.noneMatch) != "*" || !isCreate(procedure)) {
			return nil, errs.InvalidField("If-None-Match", "is evaluated on a read, and as \"*\" on a create (the name must be free), not on this write; %s", sendEtag)
		}
	}
	return c, nil
}

// oneTag is the one entity tag, or "*", that the If-Match field values
// vs name: the request's etag field holds one. A comma separates tags
// (the API's etags, revision numbers, hold none).
func oneTag(vs []string) (string, error) {
	tag := strings.TrimSpace(strings.Join(vs, ","))
	switch {
	case strings.Contains(tag, ","):
		return "", errs.InvalidField("If-Match", "names several entity tags; send the one the resource was read with")
	case tag != "*" && !validTag(strings.TrimPrefix(tag, "W/")):
		return "", errs.InvalidField("If-Match", "%q is not an entity tag: send the ETag the resource was read with, quotes included", tag)
	}
	return tag, nil
}

// strongTag is the etag field's value of an If-Match tag: a strong tag's
// opaque part, a weak tag whole (no etag equals it), "" for "*".
func strongTag(tag string) string {
	switch {
	case tag == "*":
		return ""
	case strings.HasPrefix(tag, "W/"):
		return tag
	}
	return tag[1 : len(tag)-1]
}

// validTag reports whether t is a quoted opaque tag (RFC 9110, section
// 8.8.3: DQUOTE *etagc DQUOTE).
func validTag(t string) bool {
	return len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' && etagChars(t[1:len(t)-1])
}

// etagChars reports whether s is made of etagc, the characters an
// entity tag's opaque part may hold: no control, space or quote.
func etagChars(s string) bool {
	for i := range len(s) {
		if b := s[i]; b < 0x21 || b == '"' || b == 0x7f {
			return false
		}
	}
	return true
}

// isCreate reports whether procedure is a standard Create method
// (AIP-133), which answers ALREADY_EXISTS when its name is taken.
func isCreate(procedure string) bool {
	_, method := splitProcedure(procedure)
	return strings.HasPrefix(method, "Create")
}

// conditionalConn is the gateway's connection to the services: it gives
// a call whose REST request sent If-Match the tag as its etag field, so
// that the store compares it where it compares the field, in the write's
// transaction. Its refusals are statuses, translated here as the
// pipeline translates a service's (toStatus), for the gateway's error
// handler.
type conditionalConn struct {
	grpc.ClientConnInterface
	log *slog.Logger
}

func (c conditionalConn) Invoke(ctx context.Context, method string, req, resp any, opts ...grpc.CallOption) error {
	if cond := conditionOf(ctx); cond != nil && (cond.ifMatch != "" || cond.anyMatch) {
		m, ok := req.(proto.Message)
		if !ok {
			return toStatus(ctx, c.log, method, errs.Internal.New("request of %s is no message", method)).Err()
		}
		if err := setEtag(m.ProtoReflect(), method, cond); err != nil {
			return toStatus(ctx, c.log, method, err).Err()
		}
	}
	return c.ClientConnInterface.Invoke(ctx, method, req, resp, opts...)
}

// setEtag sets req's etag field (requestEtag) to the If-Match of cond,
// refusing a method without one, and an etag field already set to
// another tag: which of the two the client meant is not for the server to
// guess.
func setEtag(req protoreflect.Message, procedure string, cond *condition) error {
	_, method := splitProcedure(procedure)
	resource, f := requestEtag(req.Descriptor(), method)
	if f == nil {
		return errs.InvalidField("If-Match", "is not evaluated by %s, which takes no etag", method)
	}
	if cond.anyMatch { // the write needs the resource, and answers NOT_FOUND without it
		return nil
	}
	msg, path := req, "etag"
	if resource != nil {
		msg, path = req.Mutable(resource).Message(), resource.JSONName()+".etag"
	}
	if sent := msg.Get(f).String(); sent != "" && sent != cond.ifMatch {
		var v errs.Violations
		v.Add("If-Match", "names %q, and the request's etag field %q: send one", cond.ifMatch, sent)
		v.Add(path, "is %q, and If-Match names %q: send one", sent, cond.ifMatch)
		return v.Err()
	}
	msg.Set(f, protoreflect.ValueOfString(cond.ifMatch))
	return nil
}

// requestEtag finds the etag field of a request of type req to method
// (UpdatePartner): its own (a Delete, a custom method; resource nil), or
// in an Update (AIP-134) that of the resource it sends, in the field
// resource.
func requestEtag(req protoreflect.MessageDescriptor, method string) (resource, etag protoreflect.FieldDescriptor) {
	fields := req.Fields()
	if f := fields.ByName("etag"); f != nil && f.Kind() == protoreflect.StringKind {
		return nil, f
	}
	if !strings.HasPrefix(method, "Update") {
		return nil, nil
	}
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.Message() == nil || f.IsList() || f.IsMap() {
			continue
		}
		if e := f.Message().Fields().ByName("etag"); e != nil && e.Kind() == protoreflect.StringKind {
			return f, e
		}
	}
	return nil, nil
}

// taggedRead is the gateway's forward response option: the answer to a
// REST GET (reads) whose message has an etag carries it as its ETag, and
// is 304 Not Modified, without a body, when If-None-Match names it or is
// "*" (weak comparison, RFC 9110, section 13.1.2). The gateway's write of
// the body after a 304 fails with http.ErrBodyNotAllowed, which it
// ignores. A server stream (a REST watch) calls it with nil before its
// first message: no answer of a stream is tagged.
func taggedRead(reads func(procedure string) bool) func(context.Context, http.ResponseWriter, proto.Message) error {
	return func(ctx context.Context, w http.ResponseWriter, m proto.Message) error {
		if m == nil {
			return nil
		}
		tag, ok := entityTag(m)
		if !ok {
			return nil
		}
		if procedure, _ := runtime.RPCMethod(ctx); !reads(procedure) {
			return nil
		}
		w.Header().Set("ETag", tag)
		if c := conditionOf(ctx); c != nil && c.noneMatch != "" && noneMatchNames(c.noneMatch, tag) {
			w.Header().Del("Content-Type")
			w.WriteHeader(http.StatusNotModified)
		}
		return nil
	}
}

// entityTag is the strong entity tag of an answer's etag field, when it
// has one that an entity tag can hold.
func entityTag(m proto.Message) (string, bool) {
	r := m.ProtoReflect()
	f := r.Descriptor().Fields().ByName("etag")
	if f == nil || f.Kind() != protoreflect.StringKind {
		return "", false
	}
	etag := r.Get(f).String()
	if etag == "" || !etagChars(etag) {
		return "", false
	}
	return `"` + etag + `"`, true
}

// noneMatchNames reports whether the If-None-Match list names tag, by
// weak comparison (a W/ prefix on either side is not compared), or is *.
func noneMatchNames(list, tag string) bool {
	for t := range strings.SplitSeq(list, ",") {
		if t = strings.TrimSpace(t); t == "*" || strings.TrimPrefix(t, "W/") == tag {
			return true
		}
	}
	return false
}

// conditionFailed makes p, the problem of a call the pipeline ran, the
// 412 Precondition Failed of a precondition header that stopped it: a
// stale If-Match (ETAG_MISMATCH) or a create's If-None-Match: * whose name
// is taken (ALREADY_EXISTS). The reason and code stay the store's.
func conditionFailed(ctx context.Context, p problem) problem {
	c := conditionOf(ctx)
	if c == nil {
		return p
	}
	if (c.ifMatch != "" && p.Reason == string(errs.EtagMismatch)) ||
		(c.noneMatch != "" && p.Reason == string(errs.AlreadyExists.Reason())) {
		p.Status, p.Title = http.StatusPreconditionFailed, http.StatusText(http.StatusPreconditionFailed)
	}
	return p
}
