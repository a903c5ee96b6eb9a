package feed

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/sharedmsg"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
)

// TestTailSharesResponses checks what the live watchers of a region share:
// one response, encoded once, for the watchers after the same revision
// with the same filter, and a response of its own for any other place or
// filter, each holding exactly the changes for it.
func TestTailSharesResponses(t *testing.T) {
	s, err := bolt.Open(t.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	put := func(m store.Resource) {
		t.Helper()
		if _, err := s.Update(t.Context(), "lombardia", store.Mutation{Principal: "test"}, func(tx store.WriteTx) (proto.Message, error) {
			return m, tx.Put(m)
		}); err != nil {
			t.Fatal(err)
		}
	}
	put(&famiv1.Partner{Name: "regions/lombardia/partners/a", DisplayName: "a", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER})
	put(&famiv1.Network{Name: "regions/lombardia/networks/n", DisplayName: "n"})
	put(&famiv1.Partner{Name: "regions/lombardia/partners/b", DisplayName: "b", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER})

	svc := New(s, Options{})
	networks := []string{"fami.v1.Network"}
	sig := s.Changed("lombardia")
	at := func(rev int64, types []string, sig <-chan struct{}) *sharedmsg.Message {
		t.Helper()
		res, upTo, _, ok, err := svc.fromTail(context.Background(), "lombardia", rev, types, sig)
		if err != nil || !ok {
			t.Fatalf("fromTail(%d, %v) = ok %v, %v; want the tail", rev, types, ok, err)
		}
		if res == nil {
			return nil
		}
		shared := res.(*sharedmsg.Message)
		if got := shared.Message.(*famiv1.WatchResponse).GetRevision(); got != upTo {
			t.Errorf("fromTail(%d, %v): response revision %d, want %d", rev, types, got, upTo)
		}
		return shared
	}
	revisions := func(m *sharedmsg.Message) []int64 {
		t.Helper()
		// What goes on the wire: the bytes encoded once.
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var res famiv1.WatchResponse
		if err := proto.Unmarshal(b, &res); err != nil {
			t.Fatal(err)
		}
		var revs []int64
		for _, ch := range res.GetChanges() {
			revs = append(revs, ch.GetRevision())
		}
		return revs
	}

	all := at(0, nil, sig)
	if again := at(0, nil, sig); again != all {
		t.Error("two watchers after the same revision without a filter got different responses, want one shared")
	}
	nets := at(0, networks, sig)
	if again := at(0, slices.Clone(networks), sig); again != nets {
		t.Error("two watchers with the same filter got different responses, want one shared")
	}
	later := at(1, nil, sig)
	for _, c := range []struct {
		name string
		got  *sharedmsg.Message
		want []int64
	}{
		{"after 0, every type", all, []int64{1, 2, 3}},
		{"after 0, networks", nets, []int64{2}},
		{"after 1, every type", later, []int64{2, 3}},
	} {
		if got := revisions(c.got); !slices.Equal(got, c.want) {
			t.Errorf("%s: revisions %v, want %v", c.name, got, c.want)
		}
	}
	if nets == all || later == all {
		t.Error("watchers at other places or with other filters share a response")
	}
	if none := at(2, networks, sig); none != nil {
		t.Errorf("after 2, networks: got %v, want nothing", none.Message)
	}

	// A commit makes a new tail: its responses hold the new change.
	put(&famiv1.Network{Name: "regions/lombardia/networks/m", DisplayName: "m"})
	<-sig // the commit signal closes once the writer has answered
	next := s.Changed("lombardia")
	if got := revisions(at(0, networks, next)); !slices.Equal(got, []int64{2, 4}) {
		t.Errorf("after the commit, networks after 0: revisions %v, want [2 4]", got)
	}
}

// TestWatchesSpreadOverTheInterval checks that the watches' phases share
// the coalescing interval evenly, however many watches there are, so that
// a region's watchers never all read at once, and that a watch's next slot
// is always within one interval.
func TestWatchesSpreadOverTheInterval(t *testing.T) {
	svc := New(nil, Options{Coalesce: 10 * time.Millisecond})
	for _, n := range []int{10, 37, 500, 1000} {
		svc.watches.Store(0)
		per := map[time.Duration]int{}
		for range n {
			p := svc.phase()
			if p < 0 || p >= svc.coalesce || p%(svc.coalesce/phases) != 0 {
				t.Fatalf("phase %v, want one of %d steps of %v", p, phases, svc.coalesce)
			}
			if wait := svc.slot(p); wait < 0 || wait >= svc.coalesce {
				t.Fatalf("slot(%v) = %v, want within [0, %v)", p, wait, svc.coalesce)
			}
			per[p]++
		}
		least, most := n, 0
		for step := range phases {
			c := per[time.Duration(step)*svc.coalesce/phases]
			least, most = min(least, c), max(most, c)
		}
		// The golden ratio's sequence is the most even there is: the
		// counts differ by a few at most.
		if most-least > 2 {
			t.Errorf("%d watches: %d to %d per phase, want an even share (%v)", n, least, most, per)
		}
	}
}
