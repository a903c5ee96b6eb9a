package dashboard_test

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/dashboard"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/monitoring"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/protocols"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/storetest"
	"github.com/raccordo/raccordo/internal/support"
)

// The region BenchmarkRegionCounts counts: benchPartners partners, every
// tenth archived, and these many networks and protocols, half of the
// protocols in force.
const (
	benchNetworks  = 2000
	benchProtocols = 2000
)

// BenchmarkRegionCounts summarizes one region (real bbolt file, the real
// services) whose figures are counts: its partners by kind, networks and
// protocols in force. It stands alone, so that it can be copied onto an
// older tree for a before/after ratio (docs/benchmarks.md).
//
//	go test -run '^$' -bench BenchmarkRegionCounts -benchmem -count 6 ./internal/dashboard/
func BenchmarkRegionCounts(b *testing.B) {
	st, err := bolt.Open(b.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
	if err != nil {
		b.Fatalf("bolt.Open: %v", err)
	}
	b.Cleanup(func() { st.Close() })
	seedCounted(b, st)
	reg := registry.New(st, nil)
	d := dashboard.New(dashboard.Sources{
		Partners: reg.Partners(), Networks: reg.Networks(), Protocols: protocols.New(st, protocols.Options{}),
		Meetings: meetings.New(st, meetings.Options{}), Support: support.New(st, support.Options{}), Monitoring: monitoring.New(st, monitoring.Options{}),
	})
	ctx := principal.With(b.Context(), principal.Principal{Subject: "test:ministry", Role: principal.Ministry})
	req := &famiv1.SummarizeRegionsRequest{Name: "regions/lombardia", Period: "2026-q3"}
	want := &famiv1.RegionSummary{Partners: benchPartners - benchPartners/10, Networks: benchNetworks, ProtocolsInForce: benchProtocols / 2}
	for b.Loop() {
		res, err := d.SummarizeRegions(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		t := res.GetTotals()
		if got := (&famiv1.RegionSummary{Partners: t.GetPartners(), Networks: t.GetNetworks(), ProtocolsInForce: t.GetProtocolsInForce()}); !proto.Equal(got, want) {
			b.Fatalf("counted %v, want %v", got, want)
		}
	}
}

// seedCounted writes BenchmarkRegionCounts's region, a thousand records an
// Update.
func seedCounted(b *testing.B, st store.Store) {
	const region = "lombardia"
	kinds := []famiv1.PartnerKind{famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR, famiv1.PartnerKind_PARTNER_KIND_MUNICIPALITY, famiv1.PartnerKind_PARTNER_KIND_OTHER}
	party := storetest.BenchPartner(region, 1).GetName()
	body := strings.Repeat("Articolo. ", 200)
	record := func(i int64) store.Resource {
		switch {
		case i < benchPartners:
			p := storetest.BenchPartner(region, i)
			p.Kind, p.Archived = kinds[i%3], i%10 == 0
			return p
		case i < benchPartners+benchNetworks:
			return &famiv1.Network{Name: fmt.Sprintf("regions/%s/networks/n%06d", region, i), DisplayName: "Rete"}
		}
		p := &famiv1.Protocol{Name: fmt.Sprintf("regions/%s/protocols/p%06d", region, i), Network: "regions/" + region + "/networks/n1",
			Title: "Protocollo", Body: body, ValidFrom: "2020-01-01", Parties: []*famiv1.Party{{Partner: party}}}
		if i%2 == 0 { // in force: its text frozen and signed by its party
			p.ContentHash = "frozen"
			p.Signatures = []*famiv1.Signature{{Party: party, Signer: "bench"}}
		}
		return p
	}
	for first := int64(0); first < benchPartners+benchNetworks+benchProtocols; first += 1000 {
		_, err := st.Update(b.Context(), region, store.Mutation{Principal: "bench"}, func(tx store.WriteTx) (proto.Message, error) {
			for i := first; i < first+1000; i++ {
				if err := tx.Put(record(i)); err != nil {
					return nil, err
				}
			}
			return &famiv1.Partner{}, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
