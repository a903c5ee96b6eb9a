package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/server"
)

// TestConnectJSONRefusesUnknownNames: a Connect call with a JSON body (as
// curl or a browser sends it) that names an unknown field or enum value is
// refused naming it, as REST refuses it. Connect's JSON codec dropped
// them: a misspelt field was lost without a word, and an unknown state
// was read as unset, so "archive this network" with a wrong name answered
// OK and left it active.
func TestConnectJSONRefusesUnknownNames(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	s := newSurface(t, ts, "grpc")
	seedPartners(t, t.Context(), s, famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, "udp")
	n := seedNetworkLedBy(t, t.Context(), s, "rete", "udp")
	for _, tc := range []struct {
		name, procedure, body, unknown string
	}{
		{"unknown enum name", famiv1connect.NetworkServiceUpdateNetworkProcedure,
			`{"network":{"name":"` + n.GetName() + `","state":"NETWORK_STATE_CLOSED"},"updateMask":"state"}`, "NETWORK_STATE_CLOSED"},
		{"misspelt field", famiv1connect.PartnerServiceCreatePartnerProcedure,
			`{"parent":"` + lombardia + `","partnerId":"coop","partner":{"displayName":"Coop","kind":"PARTNER_KIND_THIRD_SECTOR","descripton":"x"}}`, "descripton"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.httpURL()+tc.procedure, bytes.NewReader([]byte(tc.body)))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+ts.token)
			res, got := fetch(t, http.DefaultClient, req)
			var answer struct{ Code, Message string }
			if err := json.Unmarshal(got, &answer); err != nil {
				t.Fatalf("status %d, body %q: %v", res.StatusCode, got, err)
			}
			if res.StatusCode != http.StatusBadRequest || answer.Code != "invalid_argument" || !strings.Contains(answer.Message, tc.unknown) {
				t.Errorf("got status %d, code %q, message %q; want 400, invalid_argument naming %s", res.StatusCode, answer.Code, answer.Message, tc.unknown)
			}
		})
	}
	if got := mustOK(s.GetNetwork(t.Context(), &famiv1.GetNetworkRequest{Name: n.GetName()}))(t, "get network"); got.GetEtag() != n.GetEtag() {
		t.Errorf("the refused update wrote the network: etag %s, want %s", got.GetEtag(), n.GetEtag())
	}
	if _, err := s.GetPartner(t.Context(), &famiv1.GetPartnerRequest{Name: partnerName("coop")}); err == nil {
		t.Errorf("the refused create made the partner")
	}
}

// TestStreamDecodeErrorsNameTheField: a Watch whose request Connect or
// gRPC-Web cannot decode is INVALID_ARGUMENT with a BadRequest naming the
// field, as on REST and gRPC. It was INTERNAL ("internal error"), logged
// as a server fault: the pipeline's stream interceptor did not know
// connect-go's own refusal of the message. (A unary call's decode error
// never reaches the pipeline: docs/errors.md.)
func TestStreamDecodeErrorsNameTheField(t *testing.T) {
	t.Parallel()
	const maxBytes = 4 << 10
	ts := startServer(t, server.Config{MaxMessageBytes: maxBytes})
	misspelt := []byte(`{"parent":"` + lombardia + `","sinceRevison":"0"}`)
	tooLarge := []byte(`{"parent":"` + lombardia + `","resourceTypes":["` + strings.Repeat("x", maxBytes) + `"]}`)
	for _, tc := range []struct {
		name, contentType string
		body              []byte
		field             string
	}{
		{"connect json", "application/connect+json", misspelt, "sinceRevison"},
		{"connect proto", "application/connect+proto", []byte{0xff, 0xff, 0xff}, "body"},
		{"grpc-web json", "application/grpc-web+json", misspelt, "sinceRevison"},
		{"connect json over the size limit", "application/connect+json", tooLarge, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := binary.BigEndian.AppendUint32([]byte{0}, uint32(len(tc.body)))
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.httpURL()+famiv1connect.SyncServiceWatchProcedure, bytes.NewReader(append(env, tc.body...)))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tc.contentType)
			req.Header.Set("Authorization", "Bearer "+ts.token)
			res, got := fetch(t, http.DefaultClient, req)
			st := streamStatus(t, tc.contentType, res.Header, got)
			var fields []string
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					for _, v := range br.GetFieldViolations() {
						fields = append(fields, v.GetField())
					}
				}
			}
			if tc.field == "" {
				if st.Code() != codes.ResourceExhausted {
					t.Errorf("got %s %q, want RESOURCE_EXHAUSTED", st.Code(), st.Message())
				}
				return
			}
			if st.Code() != codes.InvalidArgument || !slices.Equal(fields, []string{tc.field}) {
				t.Errorf("got %s %q naming %q, want INVALID_ARGUMENT naming %s", st.Code(), st.Message(), fields, tc.field)
			}
		})
	}
}

// streamStatus reads the status a Connect or gRPC-Web stream ended with
// from its body (or, for a gRPC-Web answer of trailers only, its header).
func streamStatus(t *testing.T, contentType string, header http.Header, body []byte) *status.Status {
	t.Helper()
	unpad := func(s string) []byte {
		b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			t.Fatalf("base64 %q: %v", s, err)
		}
		return b
	}
	if strings.HasPrefix(contentType, "application/grpc-web") {
		_, trailers := grpcWebFrames(t, body)
		if len(trailers) == 0 {
			trailers = header
		}
		code, err := strconv.Atoi(trailers.Get("grpc-status"))
		if err != nil {
			t.Fatalf("trailers %v: %v", trailers, err)
		}
		sp := &spb.Status{Code: int32(code), Message: trailers.Get("grpc-message")}
		if bin := trailers.Get("grpc-status-details-bin"); bin != "" {
			if err := proto.Unmarshal(unpad(bin), sp); err != nil {
				t.Fatalf("trailers %v: %v", trailers, err)
			}
		}
		return status.FromProto(sp)
	}
	var end []byte
	for len(body) >= 5 {
		n := binary.BigEndian.Uint32(body[1:5])
		if body[0]&0x02 != 0 {
			end = body[5 : 5+n]
		}
		body = body[5+n:]
	}
	var answer struct {
		Error struct {
			Code, Message string
			Details       []struct{ Type, Value string }
		}
	}
	if err := json.Unmarshal(end, &answer); err != nil {
		t.Fatalf("end of stream %q: %v", end, err)
	}
	var code codes.Code
	if err := code.UnmarshalJSON([]byte(`"` + strings.ToUpper(answer.Error.Code) + `"`)); err != nil {
		t.Fatalf("code %q: %v", answer.Error.Code, err)
	}
	sp := &spb.Status{Code: int32(code), Message: answer.Error.Message}
	for _, d := range answer.Error.Details {
		sp.Details = append(sp.Details, &anypb.Any{TypeUrl: "type.googleapis.com/" + d.Type, Value: unpad(d.Value)})
	}
	return status.FromProto(sp)
}
