package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/server"
)

// A Connect response is gzipped for a client that accepts it only when it
// is large enough to gain from it: one partner is sent as is, a list of
// twenty is compressed, and both decode to what was asked.
func TestConnectCompressesOnlyLargeResponses(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	client := famiv1connect.NewPartnerServiceClient(http.DefaultClient, ts.httpURL(), bearer(ts.token))
	for i := range 20 {
		_, err := client.CreatePartner(t.Context(), &famiv1.CreatePartnerRequest{
			Parent: "regions/lombardia", PartnerId: fmt.Sprintf("partner-%02d", i),
			Partner: &famiv1.Partner{DisplayName: fmt.Sprintf("Ente del terzo settore numero %d", i), Kind: famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	post := func(procedure, body string) (encoding string, n int) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, ts.httpURL()+procedure, bytes.NewBufferString(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+ts.token)
		// Set by hand, so the transport leaves the body compressed.
		req.Header.Set("Accept-Encoding", "gzip")
		res, raw := fetch(t, http.DefaultClient, req)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s %s", procedure, res.Status, raw)
		}
		return res.Header.Get("Content-Encoding"), len(raw)
	}
	if enc, n := post(famiv1connect.PartnerServiceGetPartnerProcedure, `{"name":"regions/lombardia/partners/partner-00"}`); enc != "" {
		t.Errorf("GetPartner (%d bytes) sent with Content-Encoding %q, want none below 1 KiB", n, enc)
	}
	if enc, n := post(famiv1connect.PartnerServiceListPartnersProcedure, `{"parent":"regions/lombardia","pageSize":20}`); enc != "gzip" {
		t.Errorf("ListPartners of 20 (%d bytes) sent with Content-Encoding %q, want gzip", n, enc)
	}
	// The Connect client, which accepts gzip, reads both.
	list, err := client.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: "regions/lombardia", PageSize: 20})
	if err != nil || len(list.GetPartners()) != 20 {
		t.Fatalf("ListPartners: %d partners, %v; want 20", len(list.GetPartners()), err)
	}
	if p, err := client.GetPartner(t.Context(), &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/partner-07"}); err != nil || p.GetDisplayName() != "Ente del terzo settore numero 7" {
		t.Fatalf("GetPartner: %v, %v", p, err)
	}
}
