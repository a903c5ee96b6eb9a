package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
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

type violation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

// problemFromStatus builds the problem document of a gRPC status.
func problemFromStatus(st *status.Status) problem {
	code := st.Code()
	p := problem{
		Type:   "about:blank",
		Status: runtime.HTTPStatusFromCode(code),
		Detail: st.Message(),
		Code:   code.String(),
	}
	p.Title = http.StatusText(p.Status)
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			p.Reason = d.GetReason()
			p.Metadata = d.GetMetadata()
			p.Type = "urn:raccordo:problem:" + strings.ToLower(strings.ReplaceAll(d.GetReason(), "_", "-"))
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				p.Violations = append(p.Violations, violation{Field: v.GetField(), Description: v.GetDescription()})
			}
		}
	}
	p.Code = upperSnake(code)
	// The gateway reports its own decoding failures (malformed JSON,
	// unknown fields or enum values, a body over the limit, bad query
	// parameters) as bare INVALID_ARGUMENTs: name the part of the request.
	if code == codes.InvalidArgument && len(p.Violations) == 0 {
		field := "body"
		p.Reason = "INVALID_ARGUMENT"
		if strings.Contains(p.Detail, "request body too large") {
			// 413, not a retryable status: the same body will never fit.
			p.Detail = "the request body is larger than the server accepts"
			p.Status, p.Reason = http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE"
			p.Title, p.Type = http.StatusText(p.Status), "urn:raccordo:problem:body-too-large"
		} else {
			field = decodeErrorField(p.Detail)
		}
		p.Violations = []violation{{Field: field, Description: p.Detail}}
	}
	return p
}

func writeProblem(w http.ResponseWriter, p problem, retryAfter int) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="raccordo"`)
	}
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// gatewayError is the gateway's error handler: every REST error, whether
// from a service or from the gateway itself, becomes a problem document.
func gatewayError(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, _ *http.Request, err error) {
	st := status.Convert(err)
	writeProblem(w, problemFromStatus(st), retryInfo(st))
}

// routingError answers requests that match no REST route.
func routingError(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
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
	writeProblem(w, p, 0)
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
// `parsing field "x"`. It falls back to "body".
func decodeErrorField(msg string) string {
	for _, marker := range []string{`unknown field "`, `parsing field "`, `enum field `, `for field `, ` field `} {
		if _, rest, ok := strings.Cut(msg, marker); ok {
			end := strings.IndexAny(rest, `": `)
			if end > 0 {
				return rest[:end]
			}
		}
	}
	return "body"
}
