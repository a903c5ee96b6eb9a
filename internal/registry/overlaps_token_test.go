package registry

import (
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestOverlapsOfAProjectRefuseAForeignToken: a page token of ListOverlaps
// of one project that resumes in another project's overlaps was issued by
// no page of this request (its key binds it to the project filter), so it
// is refused as every List refuses a token it did not issue
// (aip.ErrForeignToken), not in words of its own.
func TestOverlapsOfAProjectRefuseAForeignToken(t *testing.T) {
	const region = "lombardia"
	s := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{region}})
	ctx := principal.With(t.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: region})
	req := &famiv1.ListOverlapsRequest{Parent: "regions/" + region, Project: aip.Name(region, resource.Projects, "p1")}
	req.PageToken = aip.EncodeToken(req, "p2\x00p3")
	_, err := New(s, nil).Overlaps().ListOverlaps(ctx, req)
	if want := aip.ErrForeignToken(); err == nil || err.Error() != want.Error() {
		t.Errorf("ListOverlaps of p1 with a token in p2's overlaps: %v, want %v", err, want)
	}
}
