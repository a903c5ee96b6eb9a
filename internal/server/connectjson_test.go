package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

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
	ts := startServer(t, server.Config{})
	s := newSurface(t, ts, "grpc")
	mustOK(s.CreatePartner(t.Context(), &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "udp",
		Partner: &famiv1.Partner{DisplayName: "UdP", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}}))(t, "partner")
	n := mustOK(s.CreateNetwork(t.Context(), &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "rete", Network: &famiv1.Network{
		DisplayName: "Rete", LeadPartner: partnerName("udp"), Members: []*famiv1.Member{{Partner: partnerName("udp"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}}))(t, "network")
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
