package store_test

import (
	"slices"
	"testing"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// The keys below are spelled out byte by byte, as the capabilities wrote
// them before Key existed: the indexes on disk hold these bytes, so any
// change here is a migration.

func TestKey(t *testing.T) {
	for _, c := range []struct {
		parts     []string
		key, pref string
	}{
		{[]string{"a"}, "a", "a\x00"},
		{[]string{"2026-03-09", "m1"}, "2026-03-09\x00m1", "2026-03-09\x00m1\x00"},
		{[]string{"2026-03-31", "m1", "i2"}, "2026-03-31\x00m1\x00i2", "2026-03-31\x00m1\x00i2\x00"},
		{[]string{"2", "1", "rete-1 rete-2", "acct:lombardia:x"}, "2\x001\x00rete-1 rete-2\x00acct:lombardia:x", "2\x001\x00rete-1 rete-2\x00acct:lombardia:x\x00"},
		{[]string{"tok", "3", ""}, "tok\x003\x00", "tok\x003\x00\x00"},
		{[]string{"", ""}, "\x00", "\x00\x00"},
	} {
		if got := store.Key(c.parts...); got != c.key {
			t.Errorf("Key(%q) = %q, want %q", c.parts, got, c.key)
		}
		if got := store.KeyPrefix(c.parts...); got != c.pref {
			t.Errorf("KeyPrefix(%q) = %q, want %q", c.parts, got, c.pref)
		}
		if got, ok := store.SplitKey(c.key, len(c.parts)); !ok || !slices.Equal(got, c.parts) {
			t.Errorf("SplitKey(%q, %d) = %q, %v; want %q, true", c.key, len(c.parts), got, ok, c.parts)
		}
	}
}

func TestSplitKey(t *testing.T) {
	for _, c := range []struct {
		key  string
		n    int
		want []string
		ok   bool
	}{
		// The last part keeps the rest, separators included.
		{"2026-03-31\x00m1\x00i2", 2, []string{"2026-03-31", "m1\x00i2"}, true},
		// A feed token's value written before tokens were bound: two parts.
		{"tok\x003", 3, []string{"tok", "3", ""}, false},
		{"no separator", 2, []string{"no separator", ""}, false},
		{"", 2, []string{"", ""}, false},
	} {
		if got, ok := store.SplitKey(c.key, c.n); ok != c.ok || !slices.Equal(got, c.want) {
			t.Errorf("SplitKey(%q, %d) = %q, %v; want %q, %v", c.key, c.n, got, ok, c.want, c.ok)
		}
	}
}

// TestKeyOnDisk writes composite keys and values through the store and
// reads them back from the region file with bbolt itself: the bytes on
// disk are the parts joined by NUL, and a KeyPrefix scan finds the keys
// under their first part only.
func TestKeyOnDisk(t *testing.T) {
	dir := t.TempDir()
	s, err := bolt.Open(dir, bolt.Options{Regions: []string{"lombardia"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Update(t.Context(), "lombardia", store.Mutation{Principal: "t"}, func(tx store.WriteTx) (proto.Message, error) {
		for _, k := range [][]string{{"015146", "p1"}, {"015146", "p2"}, {"0151460", "p3"}} {
			if err := tx.IndexPut("territory", store.Key(k...), store.Key("2021-01-01", "2023-06-30")); err != nil {
				return nil, err
			}
		}
		return &emptypb.Empty{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var scanned []string
	err = s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		tx.IndexScan("territory", store.KeyPrefix("015146"), func(k, _ string) bool {
			scanned = append(scanned, k)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"015146\x00p1", "015146\x00p2"}; !slices.Equal(scanned, want) {
		t.Errorf("scan of KeyPrefix(015146): %q, want %q", scanned, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	bolttest.Check(t, bolt.RegionFile(dir, "lombardia"))
	db, err := bbolt.Open(bolt.RegionFile(dir, "lombardia"), 0o400, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var onDisk []string
	err = db.View(func(btx *bbolt.Tx) error {
		return btx.Bucket([]byte(store.TableIndexes)).Bucket([]byte("territory")).ForEach(func(k, v []byte) error {
			onDisk = append(onDisk, string(k)+" = "+string(v))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"015146\x00p1 = 2021-01-01\x002023-06-30",
		"015146\x00p2 = 2021-01-01\x002023-06-30",
		"0151460\x00p3 = 2021-01-01\x002023-06-30",
	}
	if !slices.Equal(onDisk, want) {
		t.Errorf("on disk: %q, want %q", onDisk, want)
	}
}

func TestRequestKey(t *testing.T) {
	if got, want := store.RequestKey(store.Mutation{Principal: "acct:lombardia:anna", RequestID: "r-1"}), "acct:lombardia:anna\x00r-1"; got != want {
		t.Errorf("RequestKey = %q, want %q", got, want)
	}
	if got := store.RequestKey(store.Mutation{Principal: "acct:lombardia:anna"}); got != "" {
		t.Errorf("RequestKey without a request id = %q, want \"\"", got)
	}
}
