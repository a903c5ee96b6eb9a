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
	"github.com/raccordo/raccordo/sdk/paging"
)

// benchPartners is how many partners BenchmarkPartnerByName's region
// holds: about ten times the largest region's today.
const benchPartners = 20_000

// benchPartnerName is partner i's display name: a third plain, a third in
// capitals, a third with accents, as a region's names are.
func benchPartnerName(i int) string {
	switch i % 3 {
	case 0:
		return fmt.Sprintf("Comune di Bergamo %05d", i)
	case 1:
		return fmt.Sprintf("CPIA  %05d", i)
	}
	return fmt.Sprintf("Società Cooperativa Città %05d", i)
}

// BenchmarkPartnerByName reads one partner of benchPartners by its display
// name, typed as a person types it: ListPartners' exact display_name
// filter, which scans the collection (every page of the default size, and
// one page, which its scan budget bounds), against GetPartner by resource
// name, the one read an index of name keys would bring it close to.
func BenchmarkPartnerByName(b *testing.B) {
	const region = "lombardia"
	s := bolttest.Open(b, b.TempDir(), bolt.Options{Regions: []string{region}})
	ctx := principal.With(b.Context(), principal.Principal{Subject: "bench", Role: principal.Ministry})
	for from := 0; from < benchPartners; from += 1000 {
		_, err := s.Update(ctx, region, store.Mutation{Principal: "bench"}, func(tx store.WriteTx) (proto.Message, error) {
			for i := from; i < from+1000; i++ {
				p := &famiv1.Partner{Name: aip.Name(region, resource.Partners, fmt.Sprintf("p%05d", i)), DisplayName: benchPartnerName(i),
					Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}
				if err := tx.Put(p); err != nil {
					return nil, err
				}
			}
			return &famiv1.Partner{}, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	svc := New(s, nil).Partners()
	const target = 12_346 // "CPIA  12346"
	want := aip.Name(region, resource.Partners, fmt.Sprintf("p%05d", target))
	byName := &famiv1.ListPartnersRequest{Parent: "regions/" + region, DisplayName: "cpia 12346"}
	// Every page of the default size: the filter's scan budget (20 times
	// the page, at least aip.MinScan records) ends a page short of the
	// target, so a client pages on (paging.Walk) to find it.
	everyPage := func() ([]*famiv1.Partner, error) {
		var found []*famiv1.Partner
		err := paging.Walk(ctx, func(token string) (string, error) {
			res, err := svc.ListPartners(ctx, paging.Page(byName, byName.GetParent(), 0, token))
			found = append(found, res.GetPartners()...)
			return res.GetNextPageToken(), err
		})
		return found, err
	}
	if found, err := everyPage(); err != nil || len(found) != 1 || found[0].GetName() != want {
		b.Fatalf("partners called %q: %v, %v; want %s alone", byName.GetDisplayName(), found, err, want)
	}
	b.Run("display_name", func(b *testing.B) {
		for b.Loop() {
			if _, err := everyPage(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("display_name_one_page", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.ListPartners(ctx, byName); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: want}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
