package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
)

// surfaceKinds are the four surfaces, in the order the tests run them.
var surfaceKinds = []string{"grpc", "connect", "grpcweb", "rest"}

// newSurface returns a client of kind for ts that sends ts's token.
func newSurface(t *testing.T, ts *testServer, kind string) surface {
	t.Helper()
	return newSurfaceAs(t, ts, kind, ts.token)
}

// newSurfaceAs returns a client of kind for ts that sends token (none when
// empty).
func newSurfaceAs(t *testing.T, ts *testServer, kind, token string) surface {
	t.Helper()
	return surfaceOf(newRPCClient(t, ts, kind, token))
}

// newSurfaceFor returns a client of kind for ts that sends a token of
// spec.
func newSurfaceFor(t *testing.T, ts *testServer, kind string, spec auth.TokenSpec) surface {
	t.Helper()
	return newSurfaceAs(t, ts, kind, ts.mintToken(spec))
}

// revision is region's revision, read by s in a one-item List of its
// partners: what a test compares to see that a call wrote nothing (or
// one change).
func (s surface) revision(t *testing.T, region string) int64 {
	t.Helper()
	return mustOK(s.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: region, PageSize: 1}))(t, "list partners").GetRevision()
}

// callError is a failed call in the same shape whatever the surface.
type callError struct {
	// Code is the gRPC code (REST: the problem document's "code").
	Code codes.Code
	// HTTPStatus is the response's status on REST, 0 on the RPC surfaces.
	HTTPStatus int
	// Message is the status message (REST: the problem's "detail").
	Message string
	// Reason is the google.rpc.ErrorInfo reason (REST: "reason").
	Reason string
	// Domain is the google.rpc.ErrorInfo domain; empty on REST.
	Domain string
	// Metadata is the google.rpc.ErrorInfo metadata (REST: "metadata").
	Metadata map[string]string
	// Fields are the google.rpc.BadRequest field violations' fields (REST:
	// the problem's violations).
	Fields []string
	// FieldReasons are the field violations' reasons, in the order of
	// Fields ("" for a violation without a reason of its own).
	FieldReasons []string
	// RetryAfter is the google.rpc.RetryInfo delay (REST: the Retry-After
	// header), 0 when the error has none.
	RetryAfter time.Duration
}

func (e *callError) Error() string {
	return fmt.Sprintf("%s (http %d, reason %s, fields %v): %s", upperSnake(e.Code), e.HTTPStatus, e.Reason, e.Fields, e.Message)
}

// asCallError returns the *callError in err's chain.
func asCallError(err error) (*callError, bool) {
	var ce *callError
	ok := errors.As(err, &ce)
	return ce, ok
}

// upperSnake spells a code as the gRPC spec does: INVALID_ARGUMENT.
func upperSnake(c codes.Code) string {
	var b strings.Builder
	for i, r := range c.String() {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// fromDetails fills the ErrorInfo and BadRequest parts of e.
func (e *callError) fromDetails(details []any) {
	for _, d := range details {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			e.Reason, e.Domain, e.Metadata = d.GetReason(), d.GetDomain(), d.GetMetadata()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				e.Fields = append(e.Fields, v.GetField())
				e.FieldReasons = append(e.FieldReasons, v.GetReason())
			}
		case *errdetails.RetryInfo:
			e.RetryAfter = d.GetRetryDelay().AsDuration()
		}
	}
}

// --- gRPC (grpc-go on the gRPC port) ---

// dialGRPC connects to ts's gRPC port; every call, unary or streaming,
// carries token, if any.
func dialGRPC(t *testing.T, ts *testServer, token string) *grpc.ClientConn {
	t.Helper()
	md := func(ctx context.Context) context.Context {
		if token == "" {
			return ctx
		}
		return withBearer(ctx, token)
	}
	conn, err := grpc.NewClient(ts.grpcAddr(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return invoker(md(ctx), method, req, reply, cc, opts...)
		}),
		grpc.WithStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			return streamer(md(ctx), desc, cc, method, opts...)
		}),
	)
	if err != nil {
		t.Fatalf("grpc.NewClient: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// grpcErr converts a grpc-go error.
func grpcErr(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("not a gRPC status: %w", err)
	}
	e := &callError{Code: st.Code(), Message: st.Message()}
	e.fromDetails(st.Details())
	return e
}

// --- Connect and gRPC-Web (connect-go on the HTTP port) ---

// newHTTPClient returns an HTTP client whose idle connections are closed
// when the test ends.
func newHTTPClient(t *testing.T) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// fetch sends req with hc and returns the response with its whole body; a
// request that gets no response fails the test.
func fetch(t testing.TB, hc *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	res, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return res, body
}

// connectErr converts a connect-go error.
func connectErr(err error) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return fmt.Errorf("not a Connect error: %w", err)
	}
	e := &callError{Code: codes.Code(ce.Code()), Message: ce.Message()}
	var details []any
	for _, d := range ce.Details() {
		v, err := d.Value()
		if err != nil {
			return fmt.Errorf("error detail %s: %w", d.Type(), err)
		}
		details = append(details, v)
	}
	e.fromDetails(details)
	return e
}

// --- REST (HTTP/JSON through grpc-gateway on the HTTP port) ---

// restSurface calls the REST mapping of proto/fami/v1/fami_http.yaml with
// protojson bodies, as a browser or curl would.
type restSurface struct {
	hc    *http.Client
	base  string
	token string
}

func newRESTSurface(t *testing.T, ts *testServer, token string) *restSurface {
	return &restSurface{hc: newHTTPClient(t), base: ts.httpURL(), token: token}
}

// restResponse is a raw REST exchange.
type restResponse struct {
	Status      int
	ContentType string
	Header      http.Header
	Body        []byte
}

// send is the one request builder of the REST surface: it adds the
// credentials, the JSON content type and headers, given as name, value
// pairs. query may be nil.
func (s *restSurface) send(ctx context.Context, method, path string, query url.Values, body []byte, headers ...string) (*restResponse, error) {
	u := s.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := s.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	return &restResponse{Status: res.StatusCode, ContentType: res.Header.Get("Content-Type"), Header: res.Header, Body: b}, nil
}

// problemDoc is the RFC 9457 problem document the REST surface answers
// errors with.
type problemDoc struct {
	Type       string            `json:"type"`
	Title      string            `json:"title"`
	Status     int               `json:"status"`
	Detail     string            `json:"detail"`
	Code       string            `json:"code"`
	Reason     string            `json:"reason"`
	Metadata   map[string]string `json:"metadata"`
	Violations []struct {
		Field       string `json:"field"`
		Description string `json:"description"`
		Reason      string `json:"reason"`
	} `json:"violations"`
}

// problemError turns a non-2xx response into a *callError, checking that
// it is a well-formed problem document consistent with its status line.
func problemError(method, path string, r *restResponse) error {
	mt, _, _ := mime.ParseMediaType(r.ContentType)
	if mt != "application/problem+json" {
		return fmt.Errorf("%s %s: status %d with Content-Type %q, want application/problem+json; body %s", method, path, r.Status, r.ContentType, r.Body)
	}
	var p problemDoc
	if err := json.Unmarshal(r.Body, &p); err != nil {
		return fmt.Errorf("%s %s: problem document: %v; body %s", method, path, err, r.Body)
	}
	if p.Status != r.Status || p.Type == "" || p.Title == "" {
		return fmt.Errorf("%s %s: problem document %s: want status %d and non-empty type and title", method, path, r.Body, r.Status)
	}
	var code codes.Code
	if err := code.UnmarshalJSON([]byte(strconv.Quote(p.Code))); err != nil {
		return fmt.Errorf("%s %s: problem code %q: %v", method, path, p.Code, err)
	}
	e := &callError{Code: code, HTTPStatus: r.Status, Message: p.Detail, Reason: p.Reason, Metadata: p.Metadata}
	for _, v := range p.Violations {
		e.Fields = append(e.Fields, v.Field)
		e.FieldReasons = append(e.FieldReasons, v.Reason)
	}
	if ra := r.Header.Get("Retry-After"); ra != "" {
		secs, err := strconv.Atoi(ra)
		if err != nil || secs < 0 {
			return fmt.Errorf("%s %s: Retry-After %q is not a number of seconds", method, path, ra)
		}
		e.RetryAfter = time.Duration(secs) * time.Second
	}
	return e
}

// call sends one REST request: body (if not nil) as protojson, the response
// decoded into out (if not nil).
func (s *restSurface) call(ctx context.Context, method, path string, query url.Values, body, out proto.Message) error {
	var b []byte
	if body != nil {
		var err error
		if b, err = protojson.Marshal(body); err != nil {
			return err
		}
	}
	r, err := s.send(ctx, method, path, query, b)
	if err != nil {
		return err
	}
	if r.Status/100 != 2 {
		return problemError(method, path, r)
	}
	if mt, _, _ := mime.ParseMediaType(r.ContentType); mt != "application/json" {
		return fmt.Errorf("%s %s: Content-Type %q, want application/json", method, path, r.ContentType)
	}
	if out == nil {
		out = &emptypb.Empty{}
	}
	if err := protojson.Unmarshal(r.Body, out); err != nil {
		return fmt.Errorf("%s %s: decode %s: %v", method, path, r.Body, err)
	}
	return nil
}

// withBearer carries token to grpc-go calls made with ctx.
func withBearer(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}
