package aip_test

import (
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
)

// FuzzPageToken: any string given as the page token of a request is either
// refused as INVALID_ARGUMENT naming page_token, or decodes to a position
// that encodes back to it for that request; a token accepted is accepted
// with another page_size, and refused for a request of another parent,
// another filter or another method; and every position round-trips.
func FuzzPageToken(f *testing.F) {
	req := &famiv1.ListPartnersRequest{Parent: "regions/veneto"}
	for _, s := range []string{"", "cA", aip.EncodeToken(req, "p001"), aip.EncodeToken(req, "2024-01-01\x00abc"), aip.EncodeToken(req, "p001") + "\n",
		aip.EncodeToken(&famiv1.ListNetworksRequest{Parent: "regions/veneto"}, "p001"), "cHAwMDE", "bm9wZQ", "%%%", "cA==", "\xff\xfe"} {
		f.Add(s, "regions/veneto")
	}
	f.Fuzz(func(t *testing.T, token, parent string) {
		req := &famiv1.ListPartnersRequest{Parent: parent, PageToken: token}
		pos, err := aip.DecodeToken(req)
		if err != nil {
			if e := errs.As(err); e == nil || e.Code != errs.Invalid || len(e.Violations) != 1 || e.Violations[0].Field != "page_token" {
				t.Fatalf("token %q refused with %v, want INVALID_ARGUMENT on page_token", token, err)
			}
			return
		}
		if token == "" {
			return
		}
		if back := aip.EncodeToken(req, pos); back != token {
			t.Errorf("token %q decodes to %q, which encodes to %q", token, pos, back)
		}
		resized := &famiv1.ListPartnersRequest{Parent: parent, PageSize: 7, PageToken: token}
		if got, err := aip.DecodeToken(resized); err != nil || got != pos {
			t.Errorf("token %q with another page_size: %q, %v; want %q", token, got, err, pos)
		}
		for _, other := range []aip.PagedRequest{
			&famiv1.ListPartnersRequest{Parent: parent + "x", PageToken: token},
			&famiv1.ListPartnersRequest{Parent: parent, ShowArchived: true, PageToken: token},
			&famiv1.ListNetworksRequest{Parent: parent, PageToken: token},
		} {
			if _, err := aip.DecodeToken(other); errs.CodeOf(err) != errs.Invalid {
				t.Errorf("token %q of %v accepted for %v: %v", token, req, other, err)
			}
		}
		back, err := aip.DecodeToken(&famiv1.ListPartnersRequest{Parent: parent, PageToken: aip.EncodeToken(req, pos)})
		if err != nil || back != pos {
			t.Errorf("position %q does not round-trip: %q, %v", pos, back, err)
		}
	})
}

// FuzzAcrossToken: any string given as the page token of a list across
// every region is either refused as INVALID_ARGUMENT before any region is
// listed, or is the very token the server issues to resume in a known
// region at the position it passes on; and a name built from a hostile id
// (a web page's path value) names nothing but that id of that collection
// in that region.
func FuzzAcrossToken(f *testing.F) {
	for _, s := range []string{"", "bmxvbWJhcmRpYS8", "bmxvbWJhcmRpYS9jQQ", "bmxvbWJhcmRpYS9jQQ\n", "bmxvbWJhcmRpYS9jQR", "bnZlbmV0by8",
		"bmF0bGFudGlzLw", "cA", "x/../../veneto/partners/p1", "%2F..%2Fveneto", "p1\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		type call struct{ region, token string }
		var calls []call
		req := &famiv1.ListPartnersRequest{Parent: aip.AllRegions, PageSize: 1, PageToken: token}
		_, _, err := aip.Across(req, func(region string, _ int32, pageToken string) ([]int, string, error) {
			calls = append(calls, call{region, pageToken})
			return nil, "", nil
		})
		switch {
		case err != nil && len(calls) > 0:
			t.Fatalf("token %q refused (%v) after listing %v", token, err, calls)
		case err != nil:
		case len(calls) == 0:
			t.Fatalf("token %q accepted but listed no region", token)
		case token != "" && aip.EncodeAcross(req, calls[0].region, calls[0].token) != token:
			t.Fatalf("token %q accepted as %v, which the server spells %q", token, calls[0], aip.EncodeAcross(req, calls[0].region, calls[0].token))
		}
		name := aip.Name("lombardia", "partners", token)
		region, id, err := aip.ParseName("name", name, "partners")
		if err == nil && (region != "lombardia" || id != token) {
			t.Fatalf("id %q names %q: region %q, id %q", token, name, region, id)
		}
		if _, _, err := aip.ParseName("name", name, "networks"); err == nil {
			t.Fatalf("id %q names a network: %q", token, name)
		}
	})
}
