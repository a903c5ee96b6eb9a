package server_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// rawCodec sends a gRPC request's bytes as they are (a *[]byte), so that
// a test can send a message that does not decode.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*[]byte))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "proto" }

// garbage is a request body no codec decodes: not JSON, and a protobuf
// field of wire type 7, which does not exist.
var garbage = []byte("\xff\xff\xff\xff{not a message")

// rawCall is one request with a body that does not decode, as one
// surface sends it, and the code it got.
type rawCall func(t *testing.T, token string) codes.Code

// rawCalls are the surfaces a body that does not decode can be sent on,
// by the surface label their calls are recorded under: Connect (JSON and
// binary), gRPC-Web, gRPC on either port, REST.
func rawCalls(ts *testServer, procedure, restPath string) map[string][]rawCall {
	post := func(contentType string, body []byte, path string) rawCall {
		return func(t *testing.T, token string) codes.Code {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.httpURL()+path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", contentType)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			res, b := fetch(t, newHTTPClient(t), req)
			if s := res.Header.Get("Grpc-Status"); s != "" { // gRPC-Web, trailers-only
				return grpcCode(t, s)
			}
			t.Logf("%s %s: %d %s", contentType, path, res.StatusCode, b)
			return codeOfHTTP(res.StatusCode)
		}
	}
	grpcOn := func(addr string) rawCall {
		return func(t *testing.T, token string) codes.Code {
			conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx := t.Context()
			if token != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
			}
			in, out := append([]byte(nil), garbage...), []byte(nil)
			err = conn.Invoke(ctx, procedure, &in, &out, grpc.ForceCodecV2(rawCodec{}))
			return status.Code(err)
		}
	}
	return map[string][]rawCall{
		"connect": {post("application/json", garbage, procedure), post("application/proto", garbage, procedure)},
		"grpcweb": {post("application/grpc-web+proto", append([]byte{0, 0, 0, 0, byte(len(garbage))}, garbage...), procedure)},
		"grpc":    {grpcOn(ts.grpcAddr()), grpcOn(strings.TrimPrefix(ts.httpURL(), "http://"))},
		"rest":    {post("application/json", garbage, restPath)},
	}
}

// grpcCode is the code of a grpc-status header.
func grpcCode(t *testing.T, s string) codes.Code {
	var c codes.Code
	if err := c.UnmarshalJSON([]byte(s)); err != nil {
		t.Fatalf("grpc-status %q: %v", s, err)
	}
	return c
}

// codeOfHTTP is the code a Connect or REST answer's HTTP status stands
// for, as far as these tests tell them apart.
func codeOfHTTP(status int) codes.Code {
	switch status {
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusOK:
		return codes.OK
	}
	return codes.Unknown
}

// TestUnauthenticatedRefusedBeforeTheBody: a call without a token, or
// with one that is not valid, to an RPC that needs one is refused
// UNAUTHENTICATED before its body is decoded, on every surface: a body
// that does not decode gets UNAUTHENTICATED, not a decoding error. Each
// refusal is counted once in the metrics, under its surface. Connect,
// gRPC-Web and gRPC (either port) decoded the body first, answering
// INVALID_ARGUMENT (or INTERNAL) to anyone, and counted nothing.
// An authenticated caller still gets the decoding error, and so does an
// anonymous caller of a public RPC (Login), whose body must be read to
// know.
func TestUnauthenticatedRefusedBeforeTheBody(t *testing.T) {
	t.Parallel()
	var buf syncbuf.Buffer
	ts := startServer(t, server.Config{MetricsAddr: "127.0.0.1:0", Logger: textLog(&buf, slog.LevelInfo)})
	calls := rawCalls(ts, famiv1.PartnerService_CreatePartner_FullMethodName, "/v1/regions/lombardia/partners")
	for surface, cs := range calls {
		for i, call := range cs {
			for _, token := range []string{"", "not-a-token"} {
				if got := call(t, token); got != codes.Unauthenticated {
					t.Errorf("%s #%d, token %q: %v, want UNAUTHENTICATED before the body", surface, i, token, got)
				}
			}
			if got := call(t, ts.token); got == codes.Unauthenticated || got == codes.OK {
				t.Errorf("%s #%d with a token: %v, want the body's decoding error", surface, i, got)
			}
		}
	}
	m := scrape(t, ts.metricsURL())
	for surface, cs := range calls {
		want := float64(2 * len(cs))
		if got, _ := sample(m, "raccordo_rpc_requests_total", `method="CreatePartner"`, `code="UNAUTHENTICATED"`, `surface="`+surface+`"`); got != want {
			t.Errorf("raccordo_rpc_requests_total CreatePartner UNAUTHENTICATED on %s: %v, want %v", surface, got, want)
		}
	}
	for surface, cs := range rawCalls(ts, famiv1.AuthService_Login_FullMethodName, "/v1/auth:login") {
		for i, call := range cs {
			if got := call(t, ""); got == codes.Unauthenticated || got == codes.OK {
				t.Errorf("Login on %s #%d without a token: %v, want the body's decoding error", surface, i, got)
			}
		}
	}
	ts.Stop()
	if n := strings.Count(buf.String(), "procedure=/fami.v1.PartnerService/CreatePartner protocol=connect peer=127.0.0.1 principal=\"\" code=UNAUTHENTICATED"); n != 4 {
		t.Errorf("%d access lines of Connect's refusals, want 4:\n%s", n, buf.String())
	}
}

// TestInprocRefusalIsCounted: a call the in-process connection refuses
// before the pipeline runs it (its messages are not of the method's
// types, which the generated clients never send) is logged and counted
// once, under its caller's surface, as every call is. It was logged
// but not counted.
func TestInprocRefusalIsCounted(t *testing.T) {
	t.Parallel()
	var buf syncbuf.Buffer
	ts := startServer(t, server.Config{MetricsAddr: "127.0.0.1:0", Logger: textLog(&buf, slog.LevelInfo)})
	ctx := withBearer(t.Context(), ts.token)
	err := ts.InProcess().Invoke(ctx, famiv1.PartnerService_GetPartner_FullMethodName,
		&famiv1.GetProjectRequest{Name: "regions/lombardia/projects/p"}, &famiv1.Partner{})
	if status.Code(err) != codes.Internal {
		t.Fatalf("a GetPartner with a GetProjectRequest: %v, want INTERNAL", err)
	}
	m := scrape(t, ts.metricsURL())
	if got, _ := sample(m, "raccordo_rpc_requests_total", `method="GetPartner"`, `code="INTERNAL"`, `surface="inproc"`); got != 1 {
		t.Errorf("raccordo_rpc_requests_total GetPartner INTERNAL on inproc: %v, want 1", got)
	}
	ts.Stop()
	if n := len(server.LogLines(buf.String(), "rpc")); n != 1 {
		t.Errorf("%d access lines, want 1:\n%s", n, buf.String())
	}
}
