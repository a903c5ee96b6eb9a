package meetings

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

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
