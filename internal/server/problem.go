package server

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
)

// problem is an RFC 9457 problem document, the REST error format the
// Italian interoperability guidelines (AgID ModI) ask for, extended with the
// gRPC code, the ErrorInfo reason and the field violations.
type problem struct {
	Type       string            `json:"type"`
	Title      string            `json:"title"`
	Status     int               `json:"status"`
	Detail     string            `json:"detail,omitempty"`
	Code       string            `json:"code"`
	Reason     string            `json:"reason,omitempty"`
	Violations []violation       `json:"violations,omitempty"`
	Metadata   map[string]string `json:"metadata,omitempty"`
}

// httpStatus is the HTTP status of an error with a gRPC code and an
// ErrorInfo reason: the reason's status in the catalogue of reasons
// (internal/errs/reasons.go), or the gateway's mapping of the code. gRPC has
// a single FAILED_PRECONDITION for "the system is not in a state for this
// request", which the gateway maps to 400; but most of those refusals are
// state conflicts (RFC 9110, 409 Conflict): the request is well formed and
// the resource's current state refuses it, so the caller must look at the
// resource, not at its request. The catalogue says which. gRPC and Connect
// callers see the code, unchanged.
func httpStatus(code codes.Code, reason string) int {
	if e, ok := errs.Lookup(errs.Reason(reason)); ok {
		return e.HTTPStatus
	}
	return runtime.HTTPStatusFromCode(code)
}

// problemType is the type URI of the problem documents of a reason.
func problemType(reason string) string {
	return "urn:raccordo:problem:" + strings.ToLower(strings.ReplaceAll(reason, "_", "-"))
}

// violation is a field violation: its reason, when it has one of its own
// (TEXT_INVISIBLE_CHARACTER), is BadRequest.FieldViolation.reason, for a
// client to say in its own words what is wrong.
type violation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
	Reason      string `json:"reason,omitempty"`
}

// problemFromStatus builds the problem document of a gRPC status, and
// the Retry-After it is answered with (its RetryInfo's, in seconds; 0 for
// none).
func problemFromStatus(st *status.Status) (p problem, retryAfter int) {
	code := st.Code()
	d := detailsOf(st)
	p = problem{
		Type:   "about:blank",
		Detail: st.Message(),
		Code:   code.String(),
	}
	if d.info != nil {
		p.Reason, p.Metadata, p.Type = d.info.GetReason(), d.info.GetMetadata(), problemType(d.info.GetReason())
	}
	for _, v := range d.violations {
		p.Violations = append(p.Violations, violation{Field: v.GetField(), Description: v.GetDescription(), Reason: v.GetReason()})
	}
	p.Status = httpStatus(code, p.Reason)
	p.Title = http.StatusText(p.Status)
	p.Code = upperSnake(code)
	// The gateway reports its own decoding failures (malformed JSON,
	// unknown fields or enum values, a body over the limit, bad query
	// parameters) as bare INVALID_ARGUMENTs: name the part of the request.
	if code == codes.InvalidArgument && len(p.Violations) == 0 {
		field := "body"
		p.Reason = string(errs.Invalid.Reason())
		if bodyTooLarge(p.Detail) {
			// 413, not a retryable status: the same body will never fit.
			p.Detail = "the request body is larger than the server accepts"
			p.Reason = string(errs.BodyTooLarge)
			p.Status = httpStatus(code, p.Reason)
			p.Title, p.Type = http.StatusText(p.Status), problemType(p.Reason)
		} else {
			field = decodeErrorField(p.Detail)
		}
		p.Violations = []violation{{Field: field, Description: p.Detail}}
	}
	return p, d.retryAfter
}

// writeStatusProblem answers with the problem document of st.
func writeStatusProblem(w http.ResponseWriter, st *status.Status) {
	p, retryAfter := problemFromStatus(st)
	writeProblem(w, p, retryAfter)
}

// writeProblem answers with the problem document p. Cache-Control:
// no-store and X-Content-Type-Options: nosniff are already set: every
// answer of the HTTP listener has them (privateByDefault).
func writeProblem(w http.ResponseWriter, p problem, retryAfter int) {
	w.Header().Set("Content-Type", "application/problem+json")
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="raccordo"`)
	}
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// restMarshaler is the gateway's JSON marshaler, except for the error that
// ends a server stream (a REST watch): grpc-gateway writes it as
// {"error": google.rpc.Status}; here it is the problem document every other
// REST error is. Refused before the first change, the whole answer is that
// document (Content-Type application/problem+json); cut short later, the
// stream's last line is.
type restMarshaler struct{ *runtime.JSONPb }

func (m restMarshaler) ContentType(v any) string {
	if _, ok := streamError(v); ok {
		return "application/problem+json"
	}
	return m.JSONPb.ContentType(v)
}

// restJSONRoom is the starting size of the JSON of a REST response whose
// protobuf encoding is n bytes (proto.Size): 2.5 times n, at least 512
// bytes. A page of changes is 2.1 times its encoding as JSON: a buffer
// that size holds it without growing, where growing from 512 bytes by
// append's factor (1.25 past 256 kB) allocated and copied it about five
// times over.
func restJSONRoom(n int) int { return max(512, n*5/2) }

func (m restMarshaler) Marshal(v any) ([]byte, error) {
	if st, ok := streamError(v); ok {
		p, _ := problemFromStatus(status.FromProto(st)) // its Retry-After went out as a header (grpcStream)
		return json.Marshal(p)
	}
	if msg, ok := v.(proto.Message); ok {
		// What JSONPb.Marshal writes for a message, without copying it
		// into a bytes.Buffer of its own first, into a buffer sized to
		// hold it.
		return m.MarshalAppend(make([]byte, 0, restJSONRoom(proto.Size(msg))), msg)
	}
	return m.JSONPb.Marshal(v)
}

// NewDecoder decodes a request body as the gateway's JSONPb does, but with
// check.UnmarshalJSON: an array over its field's limit is counted, not
// decoded, and refused by the pipeline naming the field. A body that is
// not UTF-8 is refused naming the field whose text is not
// (errBodyNotUTF8), and no refusal repeats its bytes (bodySyntaxError).
func (m restMarshaler) NewDecoder(r io.Reader) runtime.Decoder {
	d := json.NewDecoder(r)
	return runtime.DecoderFunc(func(v any) error {
		msg := bodyMessage(v)
		if msg == nil {
			return bodySyntaxError(runtime.DecoderWrapper{Decoder: d, UnmarshalOptions: m.UnmarshalOptions}.Decode(v))
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return bodySyntaxError(err)
		}
		if !utf8.Valid(raw) {
			return errBodyNotUTF8(raw)
		}
		return check.UnmarshalJSON(raw, msg, m.UnmarshalOptions)
	})
}

// bodyMessage is the message a body decodes into: v itself, or, for a body
// mapped to a message field of the request (body: "network"), the message
// v points to, allocated if nil. Anything else is nil.
func bodyMessage(v any) proto.Message {
	if msg, ok := v.(proto.Message); ok {
		return msg
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Pointer ||
		!rv.Type().Elem().Implements(reflect.TypeFor[proto.Message]()) {
		return nil
	}
	if rv.Elem().IsNil() {
		rv.Elem().Set(reflect.New(rv.Type().Elem().Elem()))
	}
	return rv.Elem().Interface().(proto.Message)
}

// streamError recognises grpc-gateway's stream error chunk.
func streamError(v any) (*spb.Status, bool) {
	chunk, ok := v.(map[string]proto.Message)
	if !ok || len(chunk) != 1 {
		return nil, false
	}
	st, ok := chunk["error"].(*spb.Status)
	return st, ok
}

// problemStatus makes the status line of a gateway problem document the
// document's own "status". grpc-gateway writes a refused stream's status
// line from the gRPC code alone, before the body, where problemFromStatus
// applied the reason table (REVISION_COMPACTED is 410, not 400). Every
// problem document is written whole, in one Write.
func problemStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pw := &problemWriter{ResponseWriter: w}
		next.ServeHTTP(pw, r)
		if pw.held != 0 {
			w.WriteHeader(pw.held)
		}
	})
}

type problemWriter struct {
	http.ResponseWriter
	// held is the status of a problem document not written yet.
	held int
}

func (p *problemWriter) WriteHeader(code int) {
	if code >= 400 && strings.HasPrefix(p.Header().Get("Content-Type"), "application/problem+json") {
		p.held = code
		return
	}
	p.ResponseWriter.WriteHeader(code)
}

func (p *problemWriter) Write(b []byte) (int, error) {
	if p.held != 0 {
		var doc struct {
			Status int `json:"status"`
		}
		if json.Unmarshal(b, &doc) == nil && doc.Status >= 400 && doc.Status <= 599 {
			p.held = doc.Status
		}
		p.ResponseWriter.WriteHeader(p.held)
		p.held = 0
	}
	return p.ResponseWriter.Write(b)
}

func (p *problemWriter) Flush() { http.NewResponseController(p.ResponseWriter).Flush() }

func (p *problemWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// routingProblem is the answer to a request that no REST route matches,
// given the status the gateway's router chose for it (restRouter.routingError).
func routingProblem(r *http.Request, httpStatus int) problem {
	p := problem{Type: "about:blank", Status: httpStatus, Title: http.StatusText(httpStatus)}
	switch httpStatus {
	case http.StatusMethodNotAllowed:
		p.Code, p.Detail = "UNIMPLEMENTED", r.Method+" is not allowed on "+r.URL.Path
	case http.StatusBadRequest:
		p.Code, p.Detail = "INVALID_ARGUMENT", "the request path is malformed"
	default:
		p.Status, p.Title = http.StatusNotFound, http.StatusText(http.StatusNotFound)
		p.Code, p.Detail = "NOT_FOUND", "no API route for "+r.URL.Path
	}
	return p
}

// upperSnake renders a gRPC code as in the gRPC spec: INVALID_ARGUMENT.
func upperSnake(c codes.Code) string {
	switch c {
	case codes.OK:
		return "OK"
	case codes.Canceled:
		return "CANCELLED" // the gRPC spec's spelling
	}
	s := c.String()
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// decodeErrorField finds the field a gateway decoding error is about:
// protojson says `unknown field "x"` or `enum field x:`, the query parser
// `parsing field "x"` (`parsing list "x"` for a repeated field), a body
// that is not UTF-8 `in field "x"` (errBodyNotUTF8). It falls back to
// "body".
func decodeErrorField(msg string) string {
	for _, marker := range []string{`in field "`, `unknown field "`, `parsing field "`, `parsing list "`, `enum field `, `for field `, ` field `} {
		if _, rest, ok := strings.Cut(msg, marker); ok {
			end := strings.IndexAny(rest, `": `)
			if end > 0 {
				return rest[:end]
			}
		}
	}
	return "body"
}

// bodyTooLarge reports whether a gateway's decoding failure, its message,
// is the body's limit (http.MaxBytesReader's error): 413, refused before
// authentication as the limit is a transport's (refusalOf), never a 400.
func bodyTooLarge(message string) bool {
	return strings.Contains(message, "request body too large")
}
