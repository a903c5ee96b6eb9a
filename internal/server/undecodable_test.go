package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestUndecodableBodyIsCounted: an authenticated caller's request whose
// body does not decode is refused INVALID_ARGUMENT and recorded as every
// refused call is, on every surface: one access line (naming the caller,
// REST's too), one pipeline span and the metrics, under its surface. Connect (JSON and
// binary), gRPC-Web and gRPC on either port refused it before the
// pipeline ran (gRPC on its own port with INTERNAL), and recorded
// nothing.
func TestUndecodableBodyIsCounted(t *testing.T) {
	t.Parallel()
	rs := startRecording(t, server.Config{})
	procedure := famiv1.PartnerService_CreatePartner_FullMethodName
	calls := rawCalls(rs.testServer, procedure, "/v1/regions/lombardia/partners")
	for surface, cs := range calls {
		for i, call := range cs {
			since := rs.mark()
			if got := call(t, rs.token); got != codes.InvalidArgument {
				t.Errorf("%s #%d: %v, want INVALID_ARGUMENT", surface, i, got)
			}
			line := rs.recordedOnce(t, since, surface, procedure, surface, "INVALID_ARGUMENT")
			if line != "" && strings.Contains(line, `principal=""`) {
				t.Errorf("%s #%d: %q names no principal, want the caller", surface, i, line)
			}
		}
	}
	m := scrape(t, rs.metricsURL())
	for surface, cs := range calls {
		wantCounted(t, m, float64(len(cs)), "fami.v1.PartnerService", "CreatePartner", "INVALID_ARGUMENT", surface)
	}
}

// TestUndecodableBodyCarriesDetails: the refusal of a unary request whose
// body does not decode carries its details, a BadRequest naming the
// field, on Connect with either codec and on gRPC. The body is not UTF-8
// (garbage), and the JSON decoder's words echo its bytes: a proto string
// must be UTF-8, so the details did not marshal, and Connect JSON's answer
// went out without any, while the proto codecs', whose words echo
// nothing, had them.
func TestUndecodableBodyCarriesDetails(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	procedure := famiv1.PartnerService_CreatePartner_FullMethodName
	for _, contentType := range []string{"application/json", "application/proto"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.httpURL()+procedure, bytes.NewReader(garbage))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", "Bearer "+ts.token)
		res, b := fetch(t, newHTTPClient(t), req)
		var body struct {
			Details []struct{ Type, Value string }
		}
		if err := json.Unmarshal(b, &body); err != nil || res.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s: %d %s (%v)", contentType, res.StatusCode, b, err)
		}
		var fields []string
		for _, d := range body.Details {
			raw, err := base64.RawStdEncoding.DecodeString(d.Value)
			var br errdetails.BadRequest
			if d.Type == "google.rpc.BadRequest" && err == nil && proto.Unmarshal(raw, &br) == nil {
				for _, v := range br.GetFieldViolations() {
					fields = append(fields, v.GetField())
				}
			}
		}
		if len(fields) != 1 || fields[0] != "body" {
			t.Errorf("%s: the BadRequest names %q, want [body]\n%s", contentType, fields, b)
		}
	}

	conn, err := grpc.NewClient(ts.grpcAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+ts.token)
	in, out := append([]byte(nil), garbage...), []byte(nil)
	st := status.Convert(conn.Invoke(ctx, procedure, &in, &out, grpc.ForceCodecV2(rawCodec{})))
	var fields []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	if len(fields) != 1 || fields[0] != "body" {
		t.Errorf("gRPC: the BadRequest names %q, want [body] (%v)", fields, st)
	}
}

// TestRESTRefusalNamesTheCheckedCaller: a REST request refused before the
// pipeline ran, after its token was checked (a query parameter the call
// does not have, ADR 35; a body that does not decode), names its caller
// on the access line, as every refusal after the token does on the other
// surfaces; one refused for its token names none.
func TestRESTRefusalNamesTheCheckedCaller(t *testing.T) {
	t.Parallel()
	rs := startRecording(t, server.Config{})
	procedure := famiv1.PartnerService_ListPartners_FullMethodName
	for _, tc := range []struct {
		token, code, principal string
	}{
		{rs.token, "INVALID_ARGUMENT", adminSubject},
		{"not-a-token", "UNAUTHENTICATED", `""`},
	} {
		since := rs.mark()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rs.httpURL()+"/v1/regions/lombardia/partners?no_such_field=1", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tc.token)
		if res, b := fetch(t, newHTTPClient(t), req); res.StatusCode/100 != 4 {
			t.Fatalf("%s: %d %s, want a refusal", tc.code, res.StatusCode, b)
		}
		line := rs.recordedOnce(t, since, tc.code, procedure, "rest", tc.code)
		if want := " principal=" + tc.principal + " code=" + tc.code; !strings.Contains(line, want) {
			t.Errorf("%q lacks %q", line, want)
		}
	}
}
