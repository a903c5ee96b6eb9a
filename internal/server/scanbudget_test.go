package server_test

import (
	"fmt"
	"slices"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/sdk/paging"
)

// TestFilteredListPagesWithinItsScanBudget: ListPartners filtered by a
// display name that one partner among 3,000 has answers, on every
// surface, pages of at most the scan budget's reads (aip.MinScan records
// for a page of 50): empty pages with a next page token until the one it
// keeps, found by paging on; the number of pages shows the bound.
func TestFilteredListPagesWithinItsScanBudget(t *testing.T) {
	const n = 3 * aip.MinScan
	ts := startServer(t, server.Config{}).storedDirectly(func(tx store.WriteTx) error {
		for i := 1; i <= n; i++ {
			id := fmt.Sprintf("p%05d", i)
			p := &famiv1.Partner{Name: aip.Name("lombardia", resource.Partners, id), DisplayName: "Partner " + id}
			if err := tx.Put(p); err != nil {
				return err
			}
		}
		return nil
	})
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			s := newSurface(t, ts, kind)
			var found, sizes []int
			token := ""
			for page := 0; ; page++ {
				res, err := s.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: lombardia, DisplayName: "Partner p02500", PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(res.GetPartners()))
				if len(res.GetPartners()) > 0 {
					found = append(found, page)
				}
				if token = res.GetNextPageToken(); token == "" || page > n {
					break
				}
			}
			// 3,000 records at 1,000 a page: the needle on the third page,
			// then one empty last page (the budget ran out on the last
			// record).
			if len(found) != 1 || found[0] != 2 || len(sizes) < 3 || len(sizes) > 4 || sizes[0] != 0 || sizes[1] != 0 {
				t.Errorf("pages of %v items, the partner on pages %v; want it alone on the third of 3 or 4 pages", sizes, found)
			}
		})
	}
	// The SDK's paging loop reads on across the empty pages.
	s := newSurface(t, ts, "grpc")
	req := &famiv1.ListPartnersRequest{Parent: lombardia, DisplayName: "Partner p02500"}
	var found []string
	err := paging.Walk(t.Context(), func(token string) (string, error) {
		res, err := s.ListPartners(t.Context(), paging.Page(req, lombardia, 50, token))
		for _, p := range res.GetPartners() {
			found = append(found, resource.ID(p.GetName()))
		}
		return res.GetNextPageToken(), err
	})
	if err != nil || len(found) != 1 || found[0] != "p02500" {
		t.Errorf("paging.Walk found %v, %v; want p02500", found, err)
	}
}

// TestNationalPageWithinOneScanBudget: a national ListPartners
// (regions/-) filtered by a display name that one partner has, the last
// of Calabria's 700 after Abruzzo's and Basilicata's 700 each, reads one
// page's scan budget (aip.MinScan records for a page of 50) across the
// regions, not one per region: each region's 700 are within a budget of
// their own, and the first page would otherwise read all 2,100 and
// answer the partner at once. Each page ends where the budget did, with
// a token that resumes there, in the same region or the next.
func TestNationalPageWithinOneScanBudget(t *testing.T) {
	const perRegion = 700
	regions := []string{"abruzzo", "basilicata", "calabria"}
	ts := startServer(t, server.Config{})
	for _, region := range regions {
		ts = &testServer{Server: ts.StoredDirectly(t, region, func(tx store.WriteTx) error {
			for i := 1; i <= perRegion; i++ {
				id := fmt.Sprintf("p%05d", i)
				p := &famiv1.Partner{Name: aip.Name(region, resource.Partners, id), DisplayName: region + " " + id}
				if err := tx.Put(p); err != nil {
					return err
				}
			}
			return nil
		}), t: t, token: ts.token}
	}
	needle := fmt.Sprintf("calabria p%05d", perRegion)
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			s := newSurfaceFor(t, ts, kind, ministrySpec)
			var sizes []int
			var found []string
			token := ""
			for page := 0; ; page++ {
				res, err := s.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: aip.AllRegions, DisplayName: needle, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(res.GetPartners()))
				for _, p := range res.GetPartners() {
					found = append(found, p.GetDisplayName())
				}
				if token = res.GetNextPageToken(); token == "" || page > len(regions)*perRegion {
					break
				}
			}
			// 1,000 reads a page: Abruzzo's 700 and Basilicata's first
			// 300; Basilicata's last 400 and Calabria's first 600; the
			// last 100, the partner among them.
			if want := []int{0, 0, 1}; !slices.Equal(sizes, want) || len(found) != 1 || found[0] != needle {
				t.Errorf("pages of %v items, found %v; want pages of %v and %q", sizes, found, want, needle)
			}
		})
	}
}
