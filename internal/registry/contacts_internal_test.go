package registry

import (
	"testing"

	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestStaleRefsGrantNoContacts: a network member's contact read trusts
// the refs index only to find candidate networks; a stale entry naming a
// network the partner is not in leaks none of its partners' contacts, and
// one naming a network since gone does not fail the read. Before, the
// first granted the network's partners and the second failed with
// NOT_FOUND.
func TestStaleRefsGrantNoContacts(t *testing.T) {
	s := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
	const p, n = "regions/lombardia/partners/", "regions/lombardia/networks/"
	_, err := store.Mutate(t.Context(), s, "lombardia", store.Mutation{Principal: "test:admin"}, func(tx store.WriteTx) (*emptypb.Empty, error) {
		for _, net := range []*famiv1.Network{
			{Name: n + "mia", LeadPartner: p + "udp", Members: []*famiv1.Member{{Partner: p + "udp"}, {Partner: p + "cpia"}}},
			{Name: n + "altrui", LeadPartner: p + "ets", Members: []*famiv1.Member{{Partner: p + "ets"}}},
		} {
			if err := tx.Put(net); err != nil {
				return nil, err
			}
		}
		for _, ref := range []string{n + "mia", n + "altrui", n + "sparita"} { // the last two stale
			if err := tx.IndexPut(indexRefs, p+"udp\x00"+ref, ""); err != nil {
				return nil, err
			}
		}
		return &emptypb.Empty{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		seen, err := readableStaff(tx, principal.Principal{Role: principal.NetworkMember, Partner: p + "udp"})
		if err != nil {
			t.Fatalf("readableStaff with stale entries: %v", err)
		}
		want := map[string]bool{p + "udp": true, p + "cpia": true}
		if len(seen) != len(want) || !seen[p+"udp"] || !seen[p+"cpia"] {
			t.Errorf("readable staff %v, want %v", seen, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
