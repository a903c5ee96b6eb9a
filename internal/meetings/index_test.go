package meetings

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestMonthIndex checks the month partitions directly: counts follow puts
// and deletes (a month without keys disappears), and scans honour their
// bounds and resume after a key across months.
func TestMonthIndex(t *testing.T) {
	st := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{"lombardia"}, LockTimeout: 100 * time.Millisecond})
	ix := monthIndex{keys: "test_keys", months: "test_months"}
	update := func(fn func(tx store.WriteTx) error) {
		t.Helper()
		_, err := st.Update(context.Background(), "lombardia", store.Mutation{Principal: "test"}, func(tx store.WriteTx) (proto.Message, error) {
			return &famiv1.Meeting{}, fn(tx)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	keys := []string{"2026-01-31\x00a", "2026-02-01\x00a", "2026-02-01\x00b", "2026-02-28\x00a", "2026-04-01\x00a", "2027-01-01\x00a"}
	update(func(tx store.WriteTx) error {
		for _, k := range keys {
			if err := ix.put(tx, k, "v"); err != nil {
				return err
			}
		}
		return ix.put(tx, keys[0], "again") // not counted twice
	})
	months := func() map[string]string {
		out := map[string]string{}
		st.View(context.Background(), "lombardia", func(tx store.ReadTx) error {
			tx.IndexScan(ix.months, "", func(k, v string) bool { out[k] = v; return true })
			return nil
		})
		return out
	}
	if got := months(); len(got) != 4 || got["2026-01"] != "1" || got["2026-02"] != "3" || got["2026-04"] != "1" || got["2027-01"] != "1" {
		t.Errorf("months %v", got)
	}
	scan := func(from, to, after string, limit int) []string {
		var out []string
		st.View(context.Background(), "lombardia", func(tx store.ReadTx) error {
			ix.scan(tx, from, to, after, func(k, _ string) bool {
				out = append(out, k)
				return len(out) < limit
			})
			return nil
		})
		return out
	}
	for _, tc := range []struct {
		name            string
		from, to, after string
		limit           int
		want            []string
	}{
		{"all", "", "", "", 100, keys},
		{"from", "2026-02-01\x00b", "", "", 100, keys[2:]},
		{"to (exclusive)", "", "2026-04-01", "", 100, keys[:4]},
		{"after, across a month", "", "", "2026-02-28\x00a", 100, keys[4:]},
		{"after and to", "2026-01-01", "2026-03-01", "2026-02-01\x00a", 100, keys[2:4]},
		{"stop", "", "", "", 2, keys[:2]},
		{"empty range", "2026-03-01", "2026-03-31", "", 100, nil},
	} {
		if got := scan(tc.from, tc.to, tc.after, tc.limit); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	// scanDesc: the same bounds, the last key first, resuming before a
	// key across months.
	scanDesc := func(from, to, before string, limit int) []string {
		var out []string
		st.View(context.Background(), "lombardia", func(tx store.ReadTx) error {
			ix.scanDesc(tx, from, to, before, func(k, _ string) bool {
				out = append(out, k)
				return len(out) < limit
			})
			return nil
		})
		return out
	}
	backwards := func(ks []string) []string {
		out := slices.Clone(ks)
		slices.Reverse(out)
		return out
	}
	for _, tc := range []struct {
		name             string
		from, to, before string
		limit            int
		want             []string
	}{
		{"all", "", "", "", 100, backwards(keys)},
		{"from", "2026-02-01\x00b", "", "", 100, backwards(keys[2:])},
		{"to (exclusive)", "", "2026-04-01", "", 100, backwards(keys[:4])},
		{"before, across a month", "", "", "2026-04-01\x00a", 100, backwards(keys[:4])},
		{"before and from", "2026-01-01", "2026-03-01", "2026-02-01\x00b", 100, backwards(keys[:2])},
		{"before past to", "", "2026-02-01", "2026-04-01\x00a", 100, keys[:1]},
		{"stop", "", "", "", 2, backwards(keys[4:])},
		{"empty range", "2026-03-01", "2026-03-31", "", 100, nil},
	} {
		if got := scanDesc(tc.from, tc.to, tc.before, tc.limit); !slices.Equal(got, tc.want) {
			t.Errorf("scanDesc %s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	update(func(tx store.WriteTx) error {
		for _, k := range slices.Concat(keys[1:3], []string{"2026-02-15\x00missing"}) {
			if err := ix.del(tx, k); err != nil {
				return err
			}
		}
		return nil
	})
	if got := months(); got["2026-02"] != "1" {
		t.Errorf("after deleting two of February's keys: months %v", got)
	}
	update(func(tx store.WriteTx) error {
		for _, k := range keys {
			if err := ix.del(tx, k); err != nil {
				return err
			}
		}
		return nil
	})
	if got := months(); len(got) != 0 {
		t.Errorf("after deleting every key: months %v", got)
	}
}

// TestIndexKeyBytes pins the keys and values meetings writes in its
// indexes to the bytes already on disk (parts joined by NUL): a change
// here needs a migration.
func TestIndexKeyBytes(t *testing.T) {
	mt := &famiv1.Meeting{
		Name:        "regions/lombardia/meetings/m1",
		StartTime:   timestamppb.New(time.Date(2026, 3, 9, 9, 30, 0, 0, time.UTC)),
		State:       famiv1.MeetingState(2),
		Kind:        famiv1.MeetingKind(1),
		Networks:    []string{"regions/lombardia/networks/rete-1", "regions/lombardia/networks/rete-2"},
		Facilitator: "acct:lombardia:anna",
	}
	it := &famiv1.ActionItem{Id: "i2", DueDate: "2026-03-31", Status: famiv1.ActionItemStatus(1), Owner: "regions/lombardia/partners/udp-milano"}
	for _, c := range []struct{ what, got, want string }{
		{"startKey", startKey(mt), "2026-03-09T09:30:00.000000000Z\x00m1"},
		{"itemKey", itemKey(mt, it), "2026-03-31\x00m1\x00i2"},
		{"encodeMeetingAttrs", encodeMeetingAttrs(mt), "2\x001\x00rete-1 rete-2\x00acct:lombardia:anna"},
		{"encodeItemAttrs", encodeItemAttrs(mt, it), "1\x00udp-milano\x00rete-1 rete-2"},
		{"keyID", keyID("2026-03-09T09:30:00.000000000Z\x00m1"), "m1"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.what, c.got, c.want)
		}
	}
	if due, m, i, ok := splitItemKey("2026-03-31\x00m1\x00i2"); due != "2026-03-31" || m != "m1" || i != "i2" || !ok {
		t.Errorf("splitItemKey: %q, %q, %q, %v", due, m, i, ok)
	}
	if _, _, _, ok := splitItemKey("2026-03-31\x00m1"); ok {
		t.Error("splitItemKey of two parts: ok")
	}
	if got, want := decodeMeetingAttrs("2\x001\x00rete-1 rete-2\x00acct:lombardia:anna"), (meetingAttrs{state: 2, kind: 1, networks: []string{"rete-1", "rete-2"}, facilitator: "acct:lombardia:anna"}); !reflect.DeepEqual(got, want) {
		t.Errorf("decodeMeetingAttrs: %+v, want %+v", got, want)
	}
	if got, want := decodeItemAttrs("1\x00udp-milano\x00rete-1 rete-2"), (itemAttrs{status: 1, owner: "udp-milano", networks: []string{"rete-1", "rete-2"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("decodeItemAttrs: %+v, want %+v", got, want)
	}
}
