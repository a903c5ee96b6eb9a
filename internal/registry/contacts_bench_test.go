package registry

import (
	"fmt"
	"maps"
	"slices"
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

// benchNetworks is how many networks BenchmarkContactReadByANetworkMember's
// region holds, five partners each: about sixty times Lombardia's 33.
const benchNetworks = 2000

// BenchmarkContactReadByANetworkMember reads one contact as the staff of a
// partner that is a member of two of benchNetworks networks: through the
// refs index, reading those two networks alone (readableStaff, now), and,
// as the baseline in the same run, reading every network of the region to
// find them (everyNetworksStaff, the code before).
func BenchmarkContactReadByANetworkMember(b *testing.B) {
	const region = "lombardia"
	s := bolttest.Open(b, b.TempDir(), bolt.Options{Regions: []string{region}})
	partner := func(i int) string { return aip.Name(region, resource.Partners, fmt.Sprintf("p%05d", i)) }
	for from := 0; from < benchNetworks; from += 500 {
		_, err := s.Update(b.Context(), region, store.Mutation{Principal: "bench"}, func(tx store.WriteTx) (proto.Message, error) {
			for i := from; i < from+500; i++ {
				n := &famiv1.Network{Name: aip.Name(region, resource.Networks, fmt.Sprintf("n%05d", i)), DisplayName: "Rete",
					LeadPartner: partner(5*i + 1), State: famiv1.NetworkState_NETWORK_STATE_ACTIVE}
				for j := range 5 {
					n.Members = append(n.Members, &famiv1.Member{Partner: partner(5*i + 1 + j), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER})
				}
				n.Members[0].Role = famiv1.MemberRole_MEMBER_ROLE_LEAD
				if i == 7 || i == 1500 { // the reader's partner, p00000, is a member of these two
					n.Members[4].Partner = partner(0)
				}
				if err := setRefs(tx, n.GetName(), nil, networkRefs(n)); err != nil {
					return nil, err
				}
				if err := tx.Put(n); err != nil {
					return nil, err
				}
			}
			if from == 0 {
				c := &famiv1.Contact{Name: aip.Name(region, resource.Contacts, "rossi"), DisplayName: "Mario Rossi", Partner: partner(5*1500 + 3)}
				return c, tx.Put(c)
			}
			return &famiv1.Contact{}, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	who := principal.Principal{Subject: "bench", Role: principal.NetworkMember, Region: region, Partner: partner(0)}
	ctx := principal.With(b.Context(), who)
	svc := New(s, nil).Contacts()
	name := aip.Name(region, resource.Contacts, "rossi")
	if _, err := svc.GetContact(ctx, &famiv1.GetContactRequest{Name: name}); err != nil {
		b.Fatalf("the contact of a partner of the reader's network: %v", err)
	}
	var want map[string]bool
	if err := s.View(b.Context(), region, func(tx store.ReadTx) error {
		var err error
		want, err = everyNetworksStaff(tx, who)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	b.Run("member's networks (index)", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.GetContact(ctx, &famiv1.GetContactRequest{Name: name}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("every network (before)", func(b *testing.B) {
		for b.Loop() {
			err := s.View(b.Context(), region, func(tx store.ReadTx) error {
				c := &famiv1.Contact{}
				if err := tx.Get(name, c); err != nil {
					return err
				}
				seen, err := everyNetworksStaff(tx, who)
				if err == nil && !seen[c.GetPartner()] {
					b.Fatalf("%s: not readable", name)
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	if err := s.View(b.Context(), region, func(tx store.ReadTx) error {
		got, err := readableStaff(tx, who)
		if err == nil && !maps.Equal(got, want) {
			b.Errorf("readableStaff: %d partners, want the %d of a read of every network", len(got), len(want))
		}
		return err
	}); err != nil {
		b.Fatal(err)
	}
}

// everyNetworksStaff is readableStaff as it was, the benchmark's baseline:
// it read every network of the region to find the reader's.
func everyNetworksStaff(tx store.ReadTx, who principal.Principal) (map[string]bool, error) {
	seen := map[string]bool{who.Partner: true}
	err := tx.List(resource.Networks, "", func(id string, raw []byte) (bool, error) {
		n := &famiv1.Network{}
		if err := store.Decode(id, raw, n); err != nil {
			return false, err
		}
		partners := []string{n.GetLeadPartner()}
		for _, m := range n.GetMembers() {
			partners = append(partners, m.GetPartner())
		}
		if slices.Contains(partners, who.Partner) {
			for _, p := range partners {
				seen[p] = true
			}
		}
		return true, nil
	})
	return seen, err
}
