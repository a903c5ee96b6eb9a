package server_test

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/reflect/protoregistry"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/sdk/paging"
)

// listCall is one List method called with a request; its page_size and
// page_token are set by the test.
type listCall struct {
	method string // a famiv1connect ...Procedure
	req    aip.ListRequest
}

// page calls c on s for a page of size from token and returns its
// next_page_token.
func (c listCall) page(t *testing.T, s surface, size int32, token string) (string, error) {
	t.Helper()
	md, err := methodOf(c.method)
	if err != nil {
		t.Fatal(err)
	}
	out, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	if err != nil {
		t.Fatal(err)
	}
	res := out.New().Interface()
	if err := s.c.Invoke(t.Context(), c.method, paging.Page(c.req, c.req.GetParent(), size, token), res); err != nil {
		return "", err
	}
	return fieldValue(res, "next_page_token"), nil
}

// TestPageTokenBoundToRequest: a page token is valid only for the request
// it answered, except for page_size (AIP-158). Reused with another parent
// (another region, another network), another filter, another date range
// or consultant, on another List method, or in a national list of another
// method or filter, it is refused with INVALID_ARGUMENT naming page_token,
// on every surface; a token of the format before tokens were bound is
// refused as out of date. Each reuse was accepted before tokens were bound,
// and paged the other request from the first request's position. The same
// token with another page_size still serves.
func TestPageTokenBoundToRequest(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	names := seedEveryType(t, ts)
	rete := names["fami.v1.Network"]
	admin := newSurface(t, ts, "grpc")
	consultant := newSurfaceFor(t, ts, "grpc", auth.TokenSpec{Subject: "test:seed:consultant", Role: principal.Consultant, Region: ownRegion})
	veneto := newSurfaceFor(t, ts, "grpc", regionAdminSpec("veneto"))
	// Each first request below lists at least two items, so that a page of
	// one has a next page token.
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	must(consultant.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: lombardia, SupportEntryId: "ore-due",
		SupportEntry: matrixEntry(rete, "2020-01-16", 30)}))
	seedNetworkLedBy(t, ctx, admin, "rete-due", "udp")
	must(consultant.CreateCapacityAssessment(ctx, &famiv1.CreateCapacityAssessmentRequest{Parent: rete, CapacityAssessmentId: "governance",
		CapacityAssessment: &famiv1.CapacityAssessment{DisplayName: "Governance", T0: 1, T0Date: "2024-02-10"}}))
	for _, id := range []string{"v1", "v2"} {
		must(veneto.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: "regions/veneto", PartnerId: id,
			Partner: &famiv1.Partner{DisplayName: id, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}))
	}

	const (
		partners    = famiv1connect.PartnerServiceListPartnersProcedure
		networks    = famiv1connect.NetworkServiceListNetworksProcedure
		entries     = famiv1connect.SupportServiceListSupportEntriesProcedure
		export      = famiv1connect.SupportServiceExportSupportEntriesProcedure
		assessments = famiv1connect.EvaluationServiceListCapacityAssessmentsProcedure
		changes     = famiv1connect.SyncServiceListChangesProcedure
	)
	const (
		anotherRequest = "was issued for another request"
		outOfDate      = "earlier version"
	)
	seedConsultant := "test:seed:consultant"
	tests := []struct {
		name     string
		ministry bool // called as the ministry, else as Lombardia's admin
		// first issues the token (a page of one); none for a forged one.
		first listCall
		token string // the token when there is no first call
		reuse listCall
		want  string // in the refusal's message
		// wantREST replaces want over REST, where it differs: REST's
		// export is the CSV file, which takes no page token at all.
		wantREST string
	}{
		{name: "another region", ministry: true,
			first: listCall{partners, &famiv1.ListPartnersRequest{Parent: lombardia}},
			reuse: listCall{partners, &famiv1.ListPartnersRequest{Parent: "regions/veneto"}}, want: anotherRequest},
		{name: "another method",
			first: listCall{partners, &famiv1.ListPartnersRequest{Parent: lombardia}},
			reuse: listCall{networks, &famiv1.ListNetworksRequest{Parent: lombardia}}, want: anotherRequest},
		{name: "another filter",
			first: listCall{partners, &famiv1.ListPartnersRequest{Parent: lombardia}},
			reuse: listCall{partners, &famiv1.ListPartnersRequest{Parent: lombardia, ShowArchived: true}}, want: anotherRequest},
		{name: "another network",
			first: listCall{assessments, &famiv1.ListCapacityAssessmentsRequest{Parent: rete}},
			reuse: listCall{assessments, &famiv1.ListCapacityAssessmentsRequest{Parent: networkName("rete-due")}}, want: anotherRequest},
		{name: "another consultant",
			first: listCall{entries, &famiv1.ListSupportEntriesRequest{Parent: lombardia, Consultant: seedConsultant}},
			reuse: listCall{entries, &famiv1.ListSupportEntriesRequest{Parent: lombardia, Consultant: "test:other"}}, want: anotherRequest},
		{name: "another date range",
			first: listCall{entries, &famiv1.ListSupportEntriesRequest{Parent: lombardia, StartDate: "2020-01-01"}},
			reuse: listCall{entries, &famiv1.ListSupportEntriesRequest{Parent: lombardia, StartDate: "2020-01-01", EndDate: "2020-12-31"}}, want: anotherRequest},
		{name: "list token on the export",
			first: listCall{entries, &famiv1.ListSupportEntriesRequest{Parent: lombardia}},
			reuse: listCall{export, &famiv1.ExportSupportEntriesRequest{Parent: lombardia}}, want: anotherRequest,
			wantREST: "is not taken by a CSV file"},
		{name: "change feed of other types",
			first: listCall{changes, &famiv1.ListChangesRequest{Parent: lombardia}},
			reuse: listCall{changes, &famiv1.ListChangesRequest{Parent: lombardia, ResourceTypes: []string{"fami.v1.Partner"}}}, want: anotherRequest},
		{name: "national list of another filter", ministry: true,
			first: listCall{partners, &famiv1.ListPartnersRequest{Parent: aip.AllRegions}},
			reuse: listCall{partners, &famiv1.ListPartnersRequest{Parent: aip.AllRegions, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}, want: anotherRequest},
		{name: "national list of another method", ministry: true,
			first: listCall{partners, &famiv1.ListPartnersRequest{Parent: aip.AllRegions}},
			reuse: listCall{networks, &famiv1.ListNetworksRequest{Parent: aip.AllRegions}}, want: anotherRequest},
		{name: "token of the unbound format",
			token: base64.RawURLEncoding.EncodeToString([]byte("pudp")),
			reuse: listCall{partners, &famiv1.ListPartnersRequest{Parent: lombardia}}, want: outOfDate},
	}
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			adminOn, ministryOn := newSurface(t, ts, kind), newSurfaceFor(t, ts, kind, ministrySpec)
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					s := adminOn
					if tc.ministry {
						s = ministryOn
					}
					token := tc.token
					if tc.first.method != "" {
						var err error
						if token, err = tc.first.page(t, s, 1, ""); err != nil || token == "" {
							t.Fatalf("first page: token %q, %v; want a next page", token, err)
						}
						// Only page_size may change from one page to the next.
						if _, err := tc.first.page(t, s, 2, token); err != nil {
							t.Fatalf("the same request with another page_size: %v", err)
						}
					}
					want := tc.want
					if kind == "rest" && tc.wantREST != "" {
						want = tc.wantREST
					}
					_, err := tc.reuse.page(t, s, 1, token)
					ce, ok := asCallError(err)
					if !ok || ce.Code != codes.InvalidArgument || !slices.Contains(ce.Fields, "page_token") || !strings.Contains(ce.Message, want) {
						t.Fatalf("token reused: got %v, want INVALID_ARGUMENT naming page_token (%q)", err, want)
					}
					if kind == "rest" && ce.HTTPStatus != 400 {
						t.Errorf("REST status %d, want 400", ce.HTTPStatus)
					}
				})
			}
		})
	}
}

// TestPageTokenCutShortIsRefused: a page token cut short (copied in part,
// clipped by a log) is refused naming page_token on every surface, for a
// region's list and for regions/-. Before tokens ended with a check, a
// token one to three characters short was taken, and the list resumed
// after a prefix of the position it was issued at.
func TestPageTokenCutShortIsRefused(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		admin := newSurface(t, ts, kind)
		seedPartners(t, ctx, admin, famiv1.PartnerKind_PARTNER_KIND_OTHER, "udp-milano", "cpia-milano", "cpi-milano")
		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		for _, c := range []struct {
			who  surface
			what string
			call listCall
		}{
			{admin, "lombardia", listCall{famiv1connect.PartnerServiceListPartnersProcedure, &famiv1.ListPartnersRequest{Parent: lombardia}}},
			{ministry, "regions/-", listCall{famiv1connect.PartnerServiceListPartnersProcedure, &famiv1.ListPartnersRequest{Parent: aip.AllRegions}}},
		} {
			token, err := c.call.page(t, c.who, 1, "")
			if err != nil || token == "" {
				t.Fatalf("the first page of %s: token %q, %v", c.what, token, err)
			}
			for cut := 1; cut <= 3; cut++ {
				_, err := c.call.page(t, c.who, 1, token[:len(token)-cut])
				checkErr(t, fmt.Sprintf("%s's token %d characters short", c.what, cut), err,
					wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"page_token"}})
			}
		}
	})
}
