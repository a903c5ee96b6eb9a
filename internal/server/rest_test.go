package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/server"
)

// registrySnapshot is what "nothing was written" compares: the region's
// revision and its partners.
type registrySnapshot struct {
	revision int64
	partners []string
}

func snapshot(t *testing.T, ctx context.Context, s surface) registrySnapshot {
	t.Helper()
	res, err := s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, ShowArchived: true})
	if err != nil {
		t.Fatalf("list partners: %v", err)
	}
	return registrySnapshot{revision: res.GetRevision(), partners: names(res.GetPartners())}
}

// wantNothingWritten reports a registry that is no longer as before a
// refused request.
func wantNothingWritten(t *testing.T, ctx context.Context, s surface, before registrySnapshot) {
	t.Helper()
	if after := snapshot(t, ctx, s); !after.equal(before) {
		t.Errorf("after the refused request: got %+v, want %+v (nothing written)", after, before)
	}
}

func (a registrySnapshot) equal(b registrySnapshot) bool {
	return a.revision == b.revision && slices.Equal(a.partners, b.partners)
}

// seedPartner creates one partner so the region is not empty.
// restWithPartner starts a server of cfg with the partner udp-milano
// (seedPartner): the REST surface as raw exchanges (rs) and as a client
// (api).
func restWithPartner(t *testing.T, cfg server.Config) (ts *testServer, rs *restSurface, api surface) {
	t.Helper()
	ts = startServer(t, cfg)
	api = newSurface(t, ts, "rest")
	seedPartner(t, t.Context(), api)
	return ts, newRESTSurface(t, ts, ts.token), api
}

func seedPartner(t *testing.T, ctx context.Context, s surface) {
	t.Helper()
	_, err := s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "udp-milano", Partner: &famiv1.Partner{
		DisplayName: "Ufficio di Piano di Milano", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, FiscalCode: "80034840167"}})
	if err != nil {
		t.Fatalf("create partner: %v", err)
	}
}

// seedPartners creates lombardia's partners ids, each named by its id and
// of kind kind.
func seedPartners(t *testing.T, ctx context.Context, s surface, kind famiv1.PartnerKind, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, err := s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: id,
			Partner: &famiv1.Partner{DisplayName: id, Kind: kind}}); err != nil {
			t.Fatalf("create partner %s: %v", id, err)
		}
	}
}

// seedNetwork creates rete-milano, led by udp-milano (seedPartner), with
// partners as its other members, and returns it.
func seedNetwork(t *testing.T, ctx context.Context, s surface, partners ...string) *famiv1.Network {
	t.Helper()
	return seedNetworkLedBy(t, ctx, s, "rete-milano", "udp-milano", partners...)
}

// membersLedBy are the members of a network led by lead, then partners,
// each a lombardia partner id, in that order (one listed twice is a
// member twice, as a network stored under older rules may have).
func membersLedBy(lead string, partners ...string) []*famiv1.Member {
	members := []*famiv1.Member{{Partner: partnerName(lead), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}
	for _, p := range partners {
		members = append(members, &famiv1.Member{Partner: partnerName(p), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER})
	}
	return members
}

// seedNetworkLedBy creates lombardia's network id, named by its id, led by
// lead, with partners as its other members (each a lombardia partner id),
// and returns it.
func seedNetworkLedBy(t *testing.T, ctx context.Context, s surface, id, lead string, partners ...string) *famiv1.Network {
	t.Helper()
	n, err := s.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: id, Network: &famiv1.Network{
		DisplayName: id, LeadPartner: partnerName(lead), Members: membersLedBy(lead, partners...)}})
	if err != nil {
		t.Fatalf("create network %s: %v", id, err)
	}
	return n
}

// TestRESTDecodingErrors covers bodies only REST can send: each is refused
// with a 400 problem document naming the part of the request at fault, and
// nothing is written.
func TestRESTDecodingErrors(t *testing.T) {
	t.Parallel()
	const maxBytes = 64 << 10
	_, rs, api := restWithPartner(t, server.Config{MaxMessageBytes: maxBytes})
	ctx := t.Context()
	before := snapshot(t, ctx, api)

	tests := []struct {
		name string
		body string
		// field must be contained in one of the violations' fields.
		field string
	}{
		{"unknown enum value", `{"displayName":"CPIA 5 Milano","kind":"PARTNER_KIND_FOO"}`, "kind"},
		{"malformed JSON", `{"displayName":"CPIA 5 Milano","kind":`, "body"},
		{"unknown field", `{"displayName":"CPIA 5 Milano","kind":"PARTNER_KIND_ADULT_EDUCATION_CENTRE","fooBar":1}`, "fooBar"},
		{"body over the size limit", `{"displayName":"CPIA 5 Milano","kind":"PARTNER_KIND_ADULT_EDUCATION_CENTRE","description":"` +
			strings.Repeat("a", maxBytes+1024) + `"}`, "body"},
		// protojson says "invalid value for string field displayName",
		// which the server does not yet turn into the field's name: any
		// violation will do here.
		{"wrong JSON type", `{"displayName":42,"kind":"PARTNER_KIND_ADULT_EDUCATION_CENTRE"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"partnerId": {"cpia-milano"}}
			res, err := rs.send(ctx, http.MethodPost, "/v1/"+lombardia+"/partners", q, []byte(tt.body))
			if err != nil {
				t.Fatalf("POST: %v", err)
			}
			wantStatus, wantReason := http.StatusBadRequest, "INVALID_ARGUMENT"
			if tt.name == "body over the size limit" {
				// Not retryable (and not 429, as it once was): the
				// same body will never fit.
				wantStatus, wantReason = http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE"
			}
			if res.Status != wantStatus {
				t.Fatalf("got status %d, want %d; body %s", res.Status, wantStatus, res.Body)
			}
			e, ok := asCallError(problemError(http.MethodPost, "partners", res))
			if !ok {
				t.Fatalf("got %v, want a problem document", problemError(http.MethodPost, "partners", res))
			}
			if e.Code != codes.InvalidArgument || e.Reason != wantReason {
				t.Errorf("got code %s reason %q, want INVALID_ARGUMENT %s", upperSnake(e.Code), e.Reason, wantReason)
			}
			if !slices.ContainsFunc(e.Fields, func(f string) bool { return strings.Contains(f, tt.field) }) {
				t.Errorf("got violations of %q, want one naming %q", e.Fields, tt.field)
			}
			wantNothingWritten(t, ctx, api, before)
		})
	}
}

// TestRESTQueryErrors: a query parameter of the wrong type is refused
// naming it, as the services name the fields they check.
func TestRESTQueryErrors(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	rs := newRESTSurface(t, ts, ts.token)
	tests := []struct {
		name  string
		query url.Values
		field string
	}{
		{"page size not a number", url.Values{"pageSize": {"many"}}, "page_size"},
		{"negative page size", url.Values{"pageSize": {"-1"}}, "page_size"},
		{"unknown enum value", url.Values{"kind": {"PARTNER_KIND_FOO"}}, "kind"},
		{"page token not from the server", url.Values{"pageToken": {"bm9wZQ"}}, "page_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := rs.send(ctx, http.MethodGet, "/v1/"+lombardia+"/partners", tt.query, nil)
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			e, ok := asCallError(problemError(http.MethodGet, "partners", res))
			if !ok {
				t.Fatalf("got status %d %s, want a 400 problem document", res.Status, res.Body)
			}
			if e.HTTPStatus != http.StatusBadRequest || e.Code != codes.InvalidArgument || !slices.Equal(e.Fields, []string{tt.field}) {
				t.Errorf("got %v, want INVALID_ARGUMENT (http 400) naming %s", e, tt.field)
			}
		})
	}
}

// TestRPCUnknownEnumNumber: the RPC surfaces carry an enum number the API
// does not define; it is refused naming the field, and nothing is written.
func TestRPCUnknownEnumNumber(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"grpc", "connect", "grpcweb"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, server.Config{})
			ctx := t.Context()
			s := newSurface(t, ts, kind)
			seedPartner(t, ctx, s)
			before := snapshot(t, ctx, s)
			_, err := s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "cpia-milano", Partner: &famiv1.Partner{
				DisplayName: "CPIA 5 Milano", Kind: famiv1.PartnerKind(99)}})
			checkErr(t, "create partner with kind 99", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"partner.kind"}})
			_, err = s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, Kind: famiv1.PartnerKind(99)})
			checkErr(t, "list partners of kind 99", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"kind"}})
			wantNothingWritten(t, ctx, s, before)
		})
	}
}

// TestRESTUpdateMaskJSONNames: over REST the update mask is written with the
// fields' JSON names, as in the README's tour
// (PATCH ...?updateMask=displayName), and it must mean the same as the
// proto names the RPC surfaces use.
func TestRESTUpdateMaskJSONNames(t *testing.T) {
	t.Parallel()
	_, rs, _ := restWithPartner(t, server.Config{})
	ctx := t.Context()

	for i, mask := range []string{"display_name", "displayName"} {
		t.Run(mask, func(t *testing.T) {
			name := "Ufficio di Piano " + strings.Repeat("I", i+1)
			body := `{"displayName":"` + name + `"}`
			res, err := rs.send(ctx, http.MethodPatch, "/v1/"+partnerName("udp-milano"), url.Values{"updateMask": {mask}}, []byte(body))
			if err != nil {
				t.Fatalf("PATCH: %v", err)
			}
			if res.Status != http.StatusOK {
				t.Fatalf("PATCH ?updateMask=%s: got status %d, want 200; body %s", mask, res.Status, res.Body)
			}
			var p famiv1.Partner
			if err := protojson.Unmarshal(res.Body, &p); err != nil {
				t.Fatalf("decode %s: %v", res.Body, err)
			}
			if p.GetDisplayName() != name || p.GetFiscalCode() != "80034840167" {
				t.Errorf("got display_name %q, fiscal_code %q; want %q and the fiscal code kept", p.GetDisplayName(), p.GetFiscalCode(), name)
			}
		})
	}
}

// TestRESTInvalidUTF8 sends bytes that are not UTF-8 in the path and in a
// query parameter: each is a 400 problem naming where they were (they used
// to reach the proto encoder and come back as a 500).
func TestRESTInvalidUTF8(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	rs := newRESTSurface(t, ts, ts.token)
	for _, tt := range []struct {
		name, path, query, field string
	}{
		{"path", "/v1/" + lombardia + "/partners/%ff%fe", "", "path"},
		{"query", "/v1/" + lombardia + "/partners", "filter=%ff", "filter"},
		{"page token", "/v1/" + lombardia + "/partners", "pageToken=%c3%28", "pageToken"},
		{"download's query", "/v1/" + lombardia + "/supportEntries:export", "consultant=%ff", "consultant"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := ts.httpURL() + tt.path
			if tt.query != "" {
				u += "?" + tt.query
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			req.Header.Set("Authorization", "Bearer "+ts.token)
			hr, err := rs.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer hr.Body.Close()
			body, _ := io.ReadAll(hr.Body)
			res := &restResponse{Status: hr.StatusCode, ContentType: hr.Header.Get("Content-Type"), Header: hr.Header, Body: body}
			e, ok := asCallError(problemError(http.MethodGet, tt.path, res))
			if !ok || e.HTTPStatus != http.StatusBadRequest || !slices.Equal(e.Fields, []string{tt.field}) {
				t.Errorf("got HTTP %d %s, want 400 naming %s", hr.StatusCode, body, tt.field)
			}
		})
	}
}

// TestRESTBodyNotUTF8 sends bodies that are not UTF-8. REST refuses each
// with a 400 naming the field whose text is not (it named "body"), and the
// problem repeats none of the bytes: encoding/json's syntax error quoted
// 0xff as 'ÿ'. Nothing is written. Connect, whose JSON codec is not the
// gateway's, refuses the same body as before: INVALID_ARGUMENT.
func TestRESTBodyNotUTF8(t *testing.T) {
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	rs := newRESTSurface(t, ts, ts.token)
	path := "/v1/" + lombardia + "/partners"
	for _, tt := range []struct {
		name, body, field, detail string
	}{
		{"a field", "{\"displayName\":\"Caff\xe8\",\"kind\":\"PARTNER_KIND_OTHER\"}", "displayName", ""},
		{"a list's element", "{\"displayName\":\"Caffè\",\"municipalities\":[\"015146\",\"01\xff\"]}", "municipalities[1]", ""},
		{"outside a string", "\xff\xfe{}", "body", `invalid character '\xff'`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := rs.send(ctx, http.MethodPost, path, url.Values{"partnerId": {"caffe"}}, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			e, ok := asCallError(problemError(http.MethodPost, path, res))
			if !ok || e.HTTPStatus != http.StatusBadRequest || e.Code != codes.InvalidArgument || !slices.Equal(e.Fields, []string{tt.field}) {
				t.Errorf("got HTTP %d %s, want 400 INVALID_ARGUMENT naming %s", res.Status, res.Body, tt.field)
			}
			if strings.ContainsAny(string(res.Body), "\u00ff\u00e8\ufffd") || !strings.Contains(e.Message, tt.detail) {
				t.Errorf("the problem %s repeats the body's bytes, or lacks %q", res.Body, tt.detail)
			}
		})
	}
	if _, err := newSurface(t, ts, "grpc").GetPartner(ctx, &famiv1.GetPartnerRequest{Name: partnerName("caffe")}); err == nil {
		t.Error("a refused body made the partner")
	}

	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.httpURL()+famiv1connect.PartnerServiceCreatePartnerProcedure,
		strings.NewReader("{\"parent\":\""+lombardia+"\",\"partnerId\":\"caffe\",\"partner\":{\"displayName\":\"Caff\xe8\"}}"))
	req.Header.Set("Authorization", "Bearer "+ts.token)
	req.Header.Set("Content-Type", "application/json")
	hr, body := fetch(t, rs.hc, req)
	if hr.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"code":"invalid_argument"`) {
		t.Errorf("Connect: HTTP %d %s, want 400 invalid_argument", hr.StatusCode, body)
	}

	conn, err := grpc.NewClient(ts.grpcAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	partner := protowire.AppendTag(nil, 2, protowire.BytesType) // display_name
	partner = protowire.AppendString(partner, "Caff\xe8")
	in := protowire.AppendTag(nil, 1, protowire.BytesType) // parent
	in = protowire.AppendString(in, lombardia)
	in = protowire.AppendTag(in, 2, protowire.BytesType) // partner
	in = protowire.AppendBytes(in, partner)
	var out []byte
	grpcCtx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+ts.token)
	err = conn.Invoke(grpcCtx, famiv1.PartnerService_CreatePartner_FullMethodName, &in, &out, grpc.ForceCodecV2(rawCodec{}))
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("gRPC: %v, want INVALID_ARGUMENT", err)
	}
}

// TestRESTMethodIsTheRequests: a REST call is the one its method and path
// name in the OpenAPI document. grpc-gateway's defaults served a POST with
// a form content type as the GET of its path, and with
// X-HTTP-Method-Override: DELETE deleted the resource, while the admission
// and its metrics counted a POST.
func TestRESTMethodIsTheRequests(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	s := newSurface(t, ts, "grpc")
	seedPartner(t, ctx, s)
	partner := ts.httpURL() + "/v1/" + lombardia + "/partners/udp-milano"
	hc := newHTTPClient(t)
	for _, tt := range []struct {
		name     string
		override string
	}{
		{"form POST as a GET", ""},
		{"method override DELETE", http.MethodDelete},
		{"method override PATCH", http.MethodPatch},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, partner, strings.NewReader("displayName=Altro"))
			req.Header.Set("Authorization", "Bearer "+ts.token)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.override != "" {
				req.Header.Set("X-HTTP-Method-Override", tt.override)
			}
			res, body := fetch(t, hc, req)
			if res.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("POST %s: HTTP %d %s, want 405", partner, res.StatusCode, body)
			}
			p, err := s.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: lombardia + "/partners/udp-milano"})
			if err != nil || p.GetEtag() != "1" {
				t.Errorf("after the refused POST: %v, %v; want the partner unchanged", p, err)
			}
		})
	}
}
