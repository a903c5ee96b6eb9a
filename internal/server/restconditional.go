package server

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/raccordo/raccordo/internal/errs"
)

// REST's conditional requests (RFC 9110, section 13), all here: the
// middleware that reads the precondition headers (conditions), the
// gateway's connection that hands If-Match to the request's etag field
// and gives an answer its ETag (conditionalConn), a read's 304
// (taggedRead), and the 412 of a precondition that failed
// (conditionFailed).
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
	// ifMatch are the entity tags If-Match names, in its order, as the
	// request's etag field holds one: the opaque tag without its quotes,
	// or a weak tag whole (W/"3"), which no etag equals, so that it fails
	// as a strong comparison says it must. anyMatch is If-Match: *.
	ifMatch  []string
	anyMatch bool
	// noneMatch is If-None-Match as sent: on a read, the tags that answer
	// 304; on a create, "*".
	noneMatch string
	// tries holds the record of a write tried with each tag of a list
	// (conditionalConn.invoke); nil for a request made once.
	tries *tries
}

// tries is what the pipeline keeps of a REST write made once per tag of
// its If-Match list: which try is the answer is known only once the
// connection stops trying (nextTag), so the pipeline hands each try's
// record here rather than writing it (pipeline.finish), the next try's
// replaces it, and the last one is written when the connection is done
// (flush), timed from the first try's start. A request is one access line
// and one count in the metrics, however many tags it was tried with, as
// on every other surface; each try's span still ends with it, so that a
// trace shows each write the store refused.
type tries struct {
	// mu orders hold and flush: through the channel (tracing on), the
	// connection's call returns when its caller's context ends, and the
	// try it left may end after the flush.
	mu      sync.Mutex
	start   time.Time
	record  func(from time.Time)
	flushed bool
	// slot is the request's place under the concurrency limit, taken by
	// its first try (entered) and held by every later one until flush:
	// a try made again is the same request, which must not be refused
	// for overload that its first try was not.
	slot    slot
	entered bool
}

// enter is a try's place under the concurrency limit s (shedder.enter):
// the first try takes the request's; a later one holds it, and is given
// a slot that releases nothing.
func (t *tries) enter(ctx context.Context, s *shedder) (slot, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.entered && !t.flushed {
		sl, err := s.enter(ctx)
		if err != nil {
			return slot{}, err
		}
		t.slot, t.entered = sl, true
	}
	return slot{}, nil
}

// hold keeps the record of a try that started at start, or writes it
// when the connection is done already.
func (t *tries) hold(start time.Time, record func(from time.Time)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.start.IsZero() {
		t.start = start
	}
	if t.flushed {
		record(t.start)
		return
	}
	t.record = record
}

// flush writes the record of the last try, if any was made, timed from
// the first try's start, and gives the request's slot back.
func (t *tries) flush() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.flushed = true
	if t.entered {
		t.slot.release()
		t.entered = false
	}
	if t.record != nil {
		t.record(t.start)
		t.record = nil
	}
}

type conditionKey struct{}

func conditionOf(ctx context.Context) *condition {
	c, _ := ctx.Value(conditionKey{}).(*condition)
	return c
}

// conditions reads a REST request's precondition headers into its
// condition, refusing with a 400 naming the header, recorded as a call of
// the RPC its route calls (refuseREST), what REST does not evaluate: one
// ignored would let a write through that its sender meant to stop. A
// request without any goes on as it came, with no context of its own.
// The route is looked up once, for both what the header may say (a
// create's If-None-Match) and the refusal's record.
func conditions(pipe *pipeline, route func(*http.Request) *restRoute, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, im := r.Header["If-Match"]
		_, inm := r.Header["If-None-Match"]
		_, ius := r.Header["If-Unmodified-Since"]
		if !im && !inm && !ius {
			next.ServeHTTP(w, r)
			return
		}
		rt := route(r)
		c, err := readCondition(r.Method, rt != nil && rt.create, r.Header)
		if err != nil {
			procedure := unrouted(r.Method)
			if rt != nil {
				procedure = rt.procedure
			}
			pipe.refuseREST(w, r, procedure, err, arrival(r.Context()))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), conditionKey{}, c)))
	})
}

// sendEtag is the advice of a refused precondition header.
const sendEtag = "send the etag the resource was read with in If-Match, or in the request's etag field (the body's \"etag\", ?etag= on a DELETE)"

// readCondition reads the precondition headers h of a request of method,
// to a standard Create (create: its route's shape, restRoute.create).
func readCondition(method string, create bool, h http.Header) (*condition, error) {
	if _, sent := h["If-Unmodified-Since"]; sent {
		return nil, errs.InvalidField("If-Unmodified-Since", "is not evaluated: an HTTP-date counts whole seconds, and a change within the second would pass it; %s", sendEtag)
	}
	c := &condition{}
	read := method == http.MethodGet || method == http.MethodHead
	if im := h.Values("If-Match"); len(im) > 0 {
		if read {
			return nil, errs.InvalidField("If-Match", "is not evaluated on a read: send If-None-Match to read only a changed resource")
		}
		tags, err := matchTags(im)
		if err != nil {
			return nil, err
		}
		if c.anyMatch = tags[0] == "*"; !c.anyMatch {
			for _, t := range tags {
				c.ifMatch = append(c.ifMatch, strongTag(t))
			}
		}
	}
	if inm := h.Values("If-None-Match"); len(inm) > 0 {
		c.noneMatch = strings.Join(inm, ",")
		if !read && (strings.TrimSpace(c.noneMatch) != "*" || !create) {
			return nil, errs.InvalidField("If-None-Match", "is evaluated on a read, and as \"*\" on a create (the name must be free), not on this write; %s", sendEtag)
		}
	}
	return c, nil
}

// maxMatchTags bounds the entity tags an If-Match may list: a write may
// be made with each of them (nextTag), and a client keeps a handful of
// representations at most.
const maxMatchTags = 16

// matchTags are the entity tags the If-Match field values vs name, in
// their order, or "*" alone (RFC 9110, section 13.1.1: "*" / 1#entity-tag;
// empty list elements are passed over, section 5.6.1). A comma separates
// tags: the API's etags, revision numbers, hold none.
func matchTags(vs []string) ([]string, error) {
	var tags []string
	for t := range strings.SplitSeq(strings.Join(vs, ","), ",") {
		switch t = strings.TrimSpace(t); {
		case t == "":
		case t != "*" && !validTag(strings.TrimPrefix(t, "W/")):
			return nil, errs.InvalidField("If-Match", "%q is not an entity tag: send the ETag the resource was read with, quotes included", errs.Clip(t, errs.MaxEcho))
		default:
			tags = append(tags, t)
		}
	}
	switch {
	case len(tags) == 0:
		return nil, errs.InvalidField("If-Match", "names no entity tag: send the ETag the resource was read with, or \"*\"")
	case len(tags) > 1 && slices.Contains(tags, "*"):
		return nil, errs.InvalidField("If-Match", "is \"*\" or a list of entity tags, not both")
	case len(tags) > maxMatchTags:
		return nil, errs.InvalidField("If-Match", "names %d entity tags, more than the %d a write is tried with: send the ETag the resource was read with", len(tags), maxMatchTags)
	}
	return tags, nil
}

// strongTag is the etag field's value of an If-Match tag: a strong tag's
// opaque part, a weak tag whole (no etag equals it).
func strongTag(tag string) string {
	if strings.HasPrefix(tag, "W/") {
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

// conditionalConn is the gateway's connection to the services: it gives
// a call whose REST request sent If-Match the tag as its etag field, so
// that the store compares it where it compares the field, in the write's
// transaction, and an answer that is the resource its request names its
// ETag (tagAnswer). Its refusals are statuses, translated here as the
// pipeline translates a service's (toStatus), for the gateway's error
// handler.
type conditionalConn struct {
	grpc.ClientConnInterface
	log *slog.Logger
}

func (c conditionalConn) Invoke(ctx context.Context, method string, req, resp any, opts ...grpc.CallOption) error {
	if err := c.invoke(ctx, method, req, resp, opts); err != nil {
		return err
	}
	tagAnswer(req, resp, opts)
	return nil
}

// invoke calls method with req, its etag field set to If-Match's tag when
// the request sent one. An If-Match of several tags holds when any of
// them is the resource's etag (RFC 9110, section 13.1.1): the call is
// made with the first, and made again with another of the list when the
// store's refusal points to it (nextTag); the store compares it in the
// new write's transaction as it would have compared it in the first. A
// refused write writes nothing, so only the last call may write; the
// pipeline records the last alone (tries).
func (c conditionalConn) invoke(ctx context.Context, method string, req, resp any, opts []grpc.CallOption) error {
	cond := conditionOf(ctx)
	if cond == nil || (len(cond.ifMatch) == 0 && !cond.anyMatch) {
		return c.ClientConnInterface.Invoke(ctx, method, req, resp, opts...)
	}
	m, ok := req.(proto.Message)
	if !ok {
		return toStatus(ctx, c.log, method, errs.Internal.New("request of %s is no message", method)).Err()
	}
	msg, f, err := etagField(m.ProtoReflect(), method, cond)
	if err != nil {
		return toStatus(ctx, c.log, method, err).Err()
	}
	if cond.anyMatch { // the write needs the resource, and answers NOT_FOUND without it
		return c.ClientConnInterface.Invoke(ctx, method, req, resp, opts...)
	}
	if len(cond.ifMatch) > 1 {
		cond.tries = &tries{}
		defer cond.tries.flush()
	}
	var tried []string
	for tag, more := cond.ifMatch[0], true; more; {
		msg.Set(f, protoreflect.ValueOfString(tag))
		err = c.ClientConnInterface.Invoke(ctx, method, req, resp, opts...)
		tried = append(tried, tag)
		tag, more = nextTag(err, cond.ifMatch, tried)
	}
	return err
}

// nextTag is the tag of the list ifMatch to make the call with again
// after err, the refusal of the call made with the last of tried: the
// current etag the store names when it refused the tag as stale
// (ETAG_MISMATCH), if the list holds it; or, when the store refused the
// request_id as another request's (REQUEST_ID_REUSED), the next tag not
// tried, because a retry's first call was recorded under the tag it was
// made with, which may be any of the list (the store's fingerprint of a
// request holds its etag). more is false when the call is not to be made
// again: err is the answer.
func nextTag(err error, ifMatch, tried []string) (tag string, more bool) {
	if err == nil {
		return "", false
	}
	d := detailsOf(status.Convert(err))
	if d.info.GetReason() == string(errs.EtagMismatch) {
		current := d.info.GetMetadata()["etag"]
		return current, slices.Contains(ifMatch, current) && !slices.Contains(tried, current)
	}
	for _, v := range d.violations {
		if v.GetField() != "request_id" || v.GetReason() != errs.RequestIDReused {
			continue
		}
		for _, t := range ifMatch {
			if !slices.Contains(tried, t) {
				return t, true
			}
		}
	}
	return "", false
}

// etagField finds req's etag field (requestEtag) and the message that
// holds it, refusing a method without one, and an etag field already set
// to another tag than If-Match's one: which of the two the client meant is
// not for the server to guess.
func etagField(req protoreflect.Message, procedure string, cond *condition) (protoreflect.Message, protoreflect.FieldDescriptor, error) {
	_, method := splitProcedure(procedure)
	resource, f := requestEtag(req.Descriptor())
	if f == nil {
		return nil, nil, errs.InvalidField("If-Match", "is not evaluated by %s, which takes no etag", method)
	}
	msg, path := req, "etag"
	if resource != nil {
		msg, path = req.Mutable(resource).Message(), resource.JSONName()+".etag"
	}
	if sent := msg.Get(f).String(); sent != "" && (cond.anyMatch || len(cond.ifMatch) != 1 || sent != cond.ifMatch[0]) {
		named := strings.Join(cond.ifMatch, ", ")
		if cond.anyMatch {
			named = "*"
		}
		var v errs.Violations
		v.Add("If-Match", "names %q, and the request's etag field %q: send one", named, sent)
		v.Add(path, "is %q, and If-Match names %q: send one", sent, named)
		return nil, nil, v.Err()
	}
	return msg, f, nil
}

// requestEtag finds the etag field of a request of type req: its own (a
// Delete, a custom method; resource nil), or in an Update (AIP-134: a
// request that names no resource nor parent of its own, but sends the
// resource, with its name) that of the resource it sends, in the field
// resource.
func requestEtag(req protoreflect.MessageDescriptor) (resource, etag protoreflect.FieldDescriptor) {
	fields := req.Fields()
	if f := fields.ByName("etag"); f != nil && f.Kind() == protoreflect.StringKind {
		return nil, f
	}
	if fields.ByName("name") != nil || fields.ByName("parent") != nil {
		return nil, nil
	}
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.Message() == nil || f.IsList() || f.IsMap() {
			continue
		}
		sent := f.Message().Fields()
		if n, e := sent.ByName("name"), sent.ByName("etag"); n != nil && n.Kind() == protoreflect.StringKind && e != nil && e.Kind() == protoreflect.StringKind {
			return f, e
		}
	}
	return nil, nil
}

// tagAnswer gives the answer resp of a REST call its entity tag, as the
// gRPC header "etag" the gateway writes as ETag (gatewayHeader), when resp
// is the resource req names: a read's, an update's or a custom method's
// resource, or the one a create made under its parent; so that a client
// can send it in the If-Match of its next write, with no read between. An
// answer that is another resource (an amendment, a new protocol) has none:
// its tag would not be of the URI the request went to.
func tagAnswer(req, resp any, opts []grpc.CallOption) {
	q, ok1 := req.(proto.Message)
	a, ok2 := resp.(proto.Message)
	if !ok1 || !ok2 {
		return
	}
	tag, ok := entityTag(a)
	if !ok || !names(q.ProtoReflect(), stringField(a.ProtoReflect(), "name")) {
		return
	}
	for _, o := range opts {
		if h, ok := o.(grpc.HeaderCallOption); ok && h.HeaderAddr != nil {
			if *h.HeaderAddr == nil {
				*h.HeaderAddr = metadata.MD{}
			}
			h.HeaderAddr.Set("etag", tag)
		}
	}
}

// names reports whether the request req names the resource called name
// (requestTarget): its own name, the name of the resource an Update sends,
// or, for a create, a name under its parent.
func names(req protoreflect.Message, name string) bool {
	field, target := requestTarget(req)
	if name == "" || target == "" {
		return false
	}
	if field == "parent" {
		return strings.HasPrefix(name, target+"/")
	}
	return name == target
}

// taggedRead is the gateway's forward response option: the answer to a
// REST GET (reads) that carries an ETag (tagAnswer) is 304 Not Modified,
// without a body, when If-None-Match names it or is "*" (weak comparison,
// RFC 9110, section 13.1.2). The gateway's write of the body after a 304
// fails with http.ErrBodyNotAllowed, which it ignores. A server stream (a
// REST watch) calls it with nil before its first message: no answer of a
// stream is tagged.
func taggedRead(reads func(procedure string) bool) func(context.Context, http.ResponseWriter, proto.Message) error {
	return func(ctx context.Context, w http.ResponseWriter, m proto.Message) error {
		c := conditionOf(ctx)
		if m == nil || c == nil || c.noneMatch == "" {
			return nil
		}
		tag := w.Header().Get("ETag")
		if procedure, _ := runtime.RPCMethod(ctx); tag == "" || !reads(procedure) {
			return nil
		}
		if noneMatchNames(c.noneMatch, tag) {
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
	if (len(c.ifMatch) > 0 && p.Reason == string(errs.EtagMismatch)) ||
		(c.noneMatch != "" && p.Reason == string(errs.AlreadyExists.Reason())) {
		p.Status, p.Title = http.StatusPreconditionFailed, http.StatusText(http.StatusPreconditionFailed)
	}
	return p
}
