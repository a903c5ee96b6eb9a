package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/raccordo/raccordo/internal/store"
)

// write runs fn in an Update of region by alice and fails the test if it
// fails.
func write(t testing.TB, s store.Store, region string, fn func(tx store.WriteTx) error) {
	t.Helper()
	_, err := s.Update(t.Context(), region, alice, func(tx store.WriteTx) (proto.Message, error) {
		return &emptypb.Empty{}, fn(tx)
	})
	if err != nil {
		t.Fatalf("Update(%s): %v", region, err)
	}
}

// indexPut stores entries in index in one Update.
func indexPut(t testing.TB, s store.Store, region, index string, entries ...entry) {
	t.Helper()
	write(t, s, region, func(tx store.WriteTx) error {
		for _, e := range entries {
			if err := tx.IndexPut(index, e.Key, e.Value); err != nil {
				return err
			}
		}
		return nil
	})
}

// indexGet reads one key of index.
func indexGet(t testing.TB, s store.Store, region, index, key string) (string, bool) {
	t.Helper()
	var v string
	var ok bool
	view(t, s, region, func(tx store.ReadTx) error {
		v, ok = tx.IndexGet(index, key)
		return nil
	})
	return v, ok
}

// wantIndexGet fails the test unless key of index holds value (or, when ok
// is false, is missing).
func wantIndexGet(t testing.TB, s store.Store, region, index, key, value string, ok bool) {
	t.Helper()
	if v, found := indexGet(t, s, region, index, key); v != value || found != ok {
		t.Errorf("IndexGet(%q, %q): got %q, %v, want %q, %v", index, key, v, found, value, ok)
	}
}

func testIndex(t *testing.T, open func(t *testing.T) store.Store) {
	subtests[store.Store]{
		{"PutGetDelete", indexPutGetDelete},
		{"EmptyValue", indexEmptyValue},
		{"Scan", indexScan},
		{"ScanBefore", indexScanBefore},
		{"ReadOwnWrites", indexReadOwnWrites},
		{"RollBack", indexRollBack},
		{"PerRegion", indexPerRegion},
	}.run(t, open)
}

func indexPutGetDelete(t *testing.T, s store.Store) {
	indexPut(t, s, lombardia, "by_code",
		entry{"01199250158", partnerName(lombardia, "p1")},
		entry{"80002210158", partnerName(lombardia, "p2")})
	indexPut(t, s, lombardia, "by_email", entry{"01199250158", "not the by_code value"})

	wantIndexGet(t, s, lombardia, "by_code", "01199250158", partnerName(lombardia, "p1"), true)
	wantIndexGet(t, s, lombardia, "by_code", "80002210158", partnerName(lombardia, "p2"), true)
	wantIndexGet(t, s, lombardia, "by_email", "01199250158", "not the by_code value", true)
	wantIndexGet(t, s, lombardia, "by_code", "0119925015", "", false)
	wantIndexGet(t, s, lombardia, "by_code", "011992501580", "", false)
	wantIndexGet(t, s, lombardia, "no_such_index", "01199250158", "", false)

	indexPut(t, s, lombardia, "by_code", entry{"01199250158", partnerName(lombardia, "p3")})
	wantIndexGet(t, s, lombardia, "by_code", "01199250158", partnerName(lombardia, "p3"), true)

	write(t, s, lombardia, func(tx store.WriteTx) error {
		if err := tx.IndexDelete("by_code", "01199250158"); err != nil {
			return err
		}
		if err := tx.IndexDelete("by_code", "01199250158"); err != nil {
			t.Errorf("IndexDelete of a deleted key: %v", err)
		}
		if err := tx.IndexDelete("by_code", "never-stored"); err != nil {
			t.Errorf("IndexDelete of a missing key: %v", err)
		}
		if err := tx.IndexDelete("no_such_index", "01199250158"); err != nil {
			t.Errorf("IndexDelete in a missing index: %v", err)
		}
		return nil
	})
	wantIndexGet(t, s, lombardia, "by_code", "01199250158", "", false)
	wantIndexGet(t, s, lombardia, "by_code", "80002210158", partnerName(lombardia, "p2"), true)
	wantIndexGet(t, s, lombardia, "by_email", "01199250158", "not the by_code value", true)
}

// indexEmptyValue: a key with an empty value is present: indexes used as
// sets store keys only.
func indexEmptyValue(t *testing.T, s store.Store) {
	indexPut(t, s, lombardia, "members", entry{"n1/p1", ""})
	wantIndexGet(t, s, lombardia, "members", "n1/p1", "", true)
	view(t, s, lombardia, func(tx store.ReadTx) error {
		if got, want := scan(t, tx, "members", ""), []entry{{"n1/p1", ""}}; !slices.Equal(got, want) {
			t.Errorf("IndexScan: got %v, want %v", got, want)
		}
		return nil
	})
}

// putCities stores the index the scans read, beside two whose names
// share its prefix.
func putCities(t *testing.T, s store.Store) {
	indexPut(t, s, lombardia, "by_city",
		entry{"monza/p1", "1"}, entry{"milano/p2", "2"}, entry{"mi", "3"},
		entry{"milano/p1", "4"}, entry{"milano", "5"}, entry{"m", "6"}, entry{"lecco/p9", "7"})
	indexPut(t, s, lombardia, "by_city2", entry{"milano/zz", "other index"})
	indexPut(t, s, lombardia, "by_cit", entry{"milano/aa", "other index"})
}

func indexScan(t *testing.T, s store.Store) {
	putCities(t, s)

	tests := []struct {
		prefix string
		want   []entry
	}{
		{"", []entry{{"lecco/p9", "7"}, {"m", "6"}, {"mi", "3"}, {"milano", "5"}, {"milano/p1", "4"}, {"milano/p2", "2"}, {"monza/p1", "1"}}},
		{"mi", []entry{{"mi", "3"}, {"milano", "5"}, {"milano/p1", "4"}, {"milano/p2", "2"}}},
		{"milano/", []entry{{"milano/p1", "4"}, {"milano/p2", "2"}}},
		{"milano/p2", []entry{{"milano/p2", "2"}}},
		{"milano/p3", []entry{}},
		{"n", []entry{}},
		{"a", []entry{}},
	}
	view(t, s, lombardia, func(tx store.ReadTx) error {
		for _, tt := range tests {
			if got := scan(t, tx, "by_city", tt.prefix); !slices.Equal(got, tt.want) {
				t.Errorf("IndexScan(by_city, %q): got %v, want %v", tt.prefix, got, tt.want)
			}
		}
		if got := scan(t, tx, "no_such_index", ""); len(got) != 0 {
			t.Errorf("IndexScan of a missing index: got %v, want none", got)
		}

		var got []entry
		tx.IndexScan("by_city", "m", func(k, v string) bool {
			got = append(got, entry{k, v})
			return len(got) < 2
		})
		if want := []entry{{"m", "6"}, {"mi", "3"}}; !slices.Equal(got, want) {
			t.Errorf("IndexScan stopping after two: got %v, want %v", got, want)
		}
		after := []struct {
			prefix, after string
			want          []entry
		}{
			{"mi", "", []entry{{"mi", "3"}, {"milano", "5"}, {"milano/p1", "4"}, {"milano/p2", "2"}}},
			{"mi", "a", []entry{{"mi", "3"}, {"milano", "5"}, {"milano/p1", "4"}, {"milano/p2", "2"}}},
			{"mi", "mi", []entry{{"milano", "5"}, {"milano/p1", "4"}, {"milano/p2", "2"}}},
			{"mi", "milano/p0", []entry{{"milano/p1", "4"}, {"milano/p2", "2"}}},
			{"mi", "milano/p1", []entry{{"milano/p2", "2"}}},
			{"mi", "milano/p2", []entry{}},
			{"mi", "n", []entry{}},
			{"", "milano/p2", []entry{{"monza/p1", "1"}}},
		}
		for _, tt := range after {
			got := []entry{}
			tx.IndexScanAfter("by_city", tt.prefix, tt.after, func(k, v string) bool {
				got = append(got, entry{k, v})
				return true
			})
			if !slices.Equal(got, tt.want) {
				t.Errorf("IndexScanAfter(by_city, %q, %q): got %v, want %v", tt.prefix, tt.after, got, tt.want)
			}
		}
		return nil
	})
}

func indexReadOwnWrites(t *testing.T, s store.Store) {
	indexPut(t, s, lombardia, "by_code", entry{"a", "1"}, entry{"b", "2"})
	indexPut(t, s, lombardia, "by_name", entry{"b", "2"}, entry{"d", "4"})
	write(t, s, lombardia, func(tx store.WriteTx) error {
		if err := tx.IndexPut("by_code", "c", "3"); err != nil {
			return err
		}
		if err := tx.IndexDelete("by_code", "a"); err != nil {
			return err
		}
		if v, ok := tx.IndexGet("by_code", "c"); v != "3" || !ok {
			t.Errorf("IndexGet of a key put in the same Update: got %q, %v, want %q, true", v, ok, "3")
		}
		if v, ok := tx.IndexGet("by_code", "a"); ok {
			t.Errorf("IndexGet of a key deleted in the same Update: got %q, true, want false", v)
		}
		if got, want := scan(t, tx, "by_code", ""), []entry{{"b", "2"}, {"c", "3"}}; !slices.Equal(got, want) {
			t.Errorf("IndexScan in the same Update: got %v, want %v", got, want)
		}
		// Backwards: stored keys, one replaced, and new ones around them.
		for _, e := range []entry{{"a", "1"}, {"c", "3"}, {"d", "4b"}, {"e", "5"}} {
			if err := tx.IndexPut("by_name", e.Key, e.Value); err != nil {
				return err
			}
		}
		for _, tt := range []struct {
			before string
			want   []entry
		}{
			{"", []entry{{"e", "5"}, {"d", "4b"}, {"c", "3"}, {"b", "2"}, {"a", "1"}}},
			{"d", []entry{{"c", "3"}, {"b", "2"}, {"a", "1"}}},
			{"c", []entry{{"b", "2"}, {"a", "1"}}},
		} {
			if got := scanBefore(tx, "by_name", "", tt.before); !slices.Equal(got, tt.want) {
				t.Errorf("IndexScanBefore(by_name, \"\", %q) in the same Update: got %v, want %v", tt.before, got, tt.want)
			}
		}
		return nil
	})
}

// scanBefore is every entry IndexScanBefore gives, in its order.
func scanBefore(tx store.ReadTx, index, prefix, before string) []entry {
	out := []entry{}
	tx.IndexScanBefore(index, prefix, before, func(k, v string) bool {
		out = append(out, entry{k, v})
		return true
	})
	return out
}

// indexScanBefore: the reverse scan gives the keys of its prefix before
// its position, the last first, also when they fill several of a
// backend's pages, and stops when asked.
func indexScanBefore(t *testing.T, s store.Store) {
	putCities(t, s)
	indexPut(t, s, lombardia, "bytes", entry{"\xfe", "a"}, entry{"\xff", "b"}, entry{"\xff\xff", "c"})
	many := make([]entry, 600) // more than a page of etcd's reads
	for i := range many {
		many[i] = entry{fmt.Sprintf("k%04d", i), fmt.Sprint(i)}
	}
	for chunk := range slices.Chunk(many, 100) { // within etcd's operations a transaction
		indexPut(t, s, lombardia, "many", chunk...)
	}
	mi := []entry{{"milano/p2", "2"}, {"milano/p1", "4"}, {"milano", "5"}, {"mi", "3"}}
	tests := []struct {
		index, prefix, before string
		want                  []entry
	}{
		{"by_city", "", "", []entry{{"monza/p1", "1"}, {"milano/p2", "2"}, {"milano/p1", "4"}, {"milano", "5"}, {"mi", "3"}, {"m", "6"}, {"lecco/p9", "7"}}},
		{"by_city", "mi", "", mi},
		{"by_city", "mi", "n", mi},
		{"by_city", "mi", "milano/p2", mi[1:]},
		{"by_city", "mi", "milano/p1", mi[2:]},
		{"by_city", "mi", "milano", mi[3:]},
		{"by_city", "mi", "mi", []entry{}},
		{"by_city", "mi", "a", []entry{}},
		{"by_city", "m", "mi\x00", []entry{{"mi", "3"}, {"m", "6"}}},
		{"by_city", "", "milano", []entry{{"mi", "3"}, {"m", "6"}, {"lecco/p9", "7"}}},
		{"by_city", "milano/p3", "", []entry{}},
		{"by_city", "z", "", []entry{}},
		{"by_city", "a", "", []entry{}},
		{"bytes", "\xff", "", []entry{{"\xff\xff", "c"}, {"\xff", "b"}}},
		{"bytes", "", "", []entry{{"\xff\xff", "c"}, {"\xff", "b"}, {"\xfe", "a"}}},
		{"no_such_index", "", "", []entry{}},
		{"many", "k", "k0300", slices.Collect(func(yield func(entry) bool) {
			for i := 299; i >= 0 && yield(many[i]); i-- {
			}
		})},
		{"many", "k", "", slices.Collect(func(yield func(entry) bool) {
			for i := len(many) - 1; i >= 0 && yield(many[i]); i-- {
			}
		})},
	}
	view(t, s, lombardia, func(tx store.ReadTx) error {
		for _, tt := range tests {
			if got := scanBefore(tx, tt.index, tt.prefix, tt.before); !slices.Equal(got, tt.want) {
				t.Errorf("IndexScanBefore(%s, %q, %q): got %v, want %v", tt.index, tt.prefix, tt.before, got, tt.want)
			}
		}
		var got []entry
		tx.IndexScanBefore("by_city", "mi", "", func(k, v string) bool {
			got = append(got, entry{k, v})
			return len(got) < 2
		})
		if !slices.Equal(got, mi[:2]) {
			t.Errorf("IndexScanBefore stopping after two: got %v, want %v", got, mi[:2])
		}
		return nil
	})
}

func indexRollBack(t *testing.T, s store.Store) {
	indexPut(t, s, lombardia, "by_code", entry{"a", "1"}, entry{"b", "2"})
	_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
		for _, e := range []entry{{"a", "changed"}, {"c", "3"}} {
			if err := tx.IndexPut("by_code", e.Key, e.Value); err != nil {
				return nil, err
			}
		}
		if err := tx.IndexDelete("by_code", "b"); err != nil {
			return nil, err
		}
		if err := tx.IndexPut("new_index", "x", "y"); err != nil {
			return nil, err
		}
		return nil, errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update: got %v, want %v", err, errBoom)
	}
	wantIndexGet(t, s, lombardia, "by_code", "a", "1", true)
	wantIndexGet(t, s, lombardia, "by_code", "b", "2", true)
	wantIndexGet(t, s, lombardia, "by_code", "c", "", false)
	wantIndexGet(t, s, lombardia, "new_index", "x", "", false)
	view(t, s, lombardia, func(tx store.ReadTx) error {
		if got, want := scan(t, tx, "by_code", ""), []entry{{"a", "1"}, {"b", "2"}}; !slices.Equal(got, want) {
			t.Errorf("IndexScan after a failed Update: got %v, want %v", got, want)
		}
		return nil
	})
}

func indexPerRegion(t *testing.T, s store.Store) {
	indexPut(t, s, lombardia, "by_code", entry{"a", "lombardia"})
	wantIndexGet(t, s, veneto, "by_code", "a", "", false)
	indexPut(t, s, veneto, "by_code", entry{"a", "veneto"})
	wantIndexGet(t, s, lombardia, "by_code", "a", "lombardia", true)
	wantIndexGet(t, s, veneto, "by_code", "a", "veneto", true)
}
