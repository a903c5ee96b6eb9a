package aip_test

import (
	"testing"

	"github.com/raccordo/raccordo/internal/aip"
)

// FuzzPageToken: any string given as a page token is either refused as
// INVALID_ARGUMENT or decodes to a position that encodes back to it; and
// every position round-trips.
func FuzzPageToken(f *testing.F) {
	for _, s := range []string{"", "cA", aip.EncodeToken("p001"), aip.EncodeToken("2024-01-01\x00abc"), "bm9wZQ", "%%%", "cA==", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		pos, err := aip.DecodeToken(token)
		if err != nil {
			return
		}
		if token != "" && aip.EncodeToken(pos) != token {
			t.Errorf("token %q decodes to %q, which encodes to %q", token, pos, aip.EncodeToken(pos))
		}
		if pos != "" {
			back, err := aip.DecodeToken(aip.EncodeToken(pos))
			if err != nil || back != pos {
				t.Errorf("position %q does not round-trip: %q, %v", pos, back, err)
			}
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
		_, _, err := aip.Across(1, token, func(region string, _ int32, pageToken string) ([]int, string, error) {
			calls = append(calls, call{region, pageToken})
			return nil, "", nil
		})
		switch {
		case err != nil && len(calls) > 0:
			t.Fatalf("token %q refused (%v) after listing %v", token, err, calls)
		case err != nil:
		case len(calls) == 0:
			t.Fatalf("token %q accepted but listed no region", token)
		case token != "" && aip.EncodeAcross(calls[0].region, calls[0].token) != token:
			t.Fatalf("token %q accepted as %v, which the server spells %q", token, calls[0], aip.EncodeAcross(calls[0].region, calls[0].token))
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
