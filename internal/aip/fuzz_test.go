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
