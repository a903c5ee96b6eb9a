package registry

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestOverlapsPageWithinItsScanBudget: ListOverlaps over a whole region,
// filtered by a fund that one pair of projects among 3,000 has (half the
// others overlap in pairs of another fund, half overlap nothing), reads at
// most its page's scan budget (aip.MinScan for a page of 50) of projects
// and overlaps a page: pages short of their size, even empty, with a next
// page token, and paging on finds the pair, once each way round. Before,
// one page read every project of the region.
func TestOverlapsPageWithinItsScanBudget(t *testing.T) {
	const region, n = "lombardia", 3 * aip.MinScan
	s := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{region}})
	ctx := principal.With(t.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: region})
	_, err := s.Update(ctx, region, store.Mutation{Principal: "test:admin"}, func(tx store.WriteTx) (proto.Message, error) {
		for i := 1; i <= n; i++ {
			p := &famiv1.Project{
				Name: aip.Name(region, resource.Projects, fmt.Sprintf("p%05d", i)), Code: fmt.Sprintf("P-%05d", i), Title: "Progetto",
				Fund: famiv1.Fund_FUND_FSE_PLUS, StartDate: "2024-01-01", EndDate: "2025-12-31",
				// The first half overlap in pairs of another fund, the
				// second half are alone on their municipality, but the
				// pair the filter keeps.
				Municipalities: []string{fmt.Sprintf("%06d", i)},
			}
			if i <= n/2 {
				p.Municipalities = []string{fmt.Sprintf("%06d", (i+1)/2)}
			}
			if i == 2500 || i == 2501 {
				p.Fund, p.Municipalities = famiv1.Fund_FUND_FESR, []string{"015146"}
			}
			if err := putProject(tx, nil, p); err != nil {
				return nil, err
			}
		}
		return &famiv1.Project{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := New(s, nil).Overlaps()
	var found []string
	sizes, token := []int{}, ""
	for {
		res, err := svc.ListOverlaps(ctx, &famiv1.ListOverlapsRequest{Parent: "regions/" + region, Fund: famiv1.Fund_FUND_FESR, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(res.GetOverlaps()))
		for _, o := range res.GetOverlaps() {
			found = append(found, resource.ID(o.GetProject().GetProject())+"/"+resource.ID(o.GetOther().GetProject()))
		}
		if token = res.GetNextPageToken(); token == "" || len(sizes) > n {
			break
		}
	}
	// 3,000 projects at 1,000 a page: the pair on the third page.
	if fmt.Sprint(found) != "[p02500/p02501 p02501/p02500]" || len(sizes) < 3 || len(sizes) > 4 || sizes[0] != 0 || sizes[1] != 0 || sizes[2] != 2 {
		t.Errorf("pages of %v overlaps, found %v; want the pair both ways alone on the third of 3 or 4 pages", sizes, found)
	}
}
