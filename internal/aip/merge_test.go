package aip_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
)

// byPosition is a region's list over records, paged by position as the
// regional lists are, with their own tokens: records are positions in
// order (descending when desc), and a record ending in "-" is one its
// filter leaves out. Like a filtered List at its scan budget, a page reads
// at most size records, so a page may end short, even empty, with a token.
func byPosition(records map[string][]string, desc bool) aip.ListFunc[string] {
	return func(region string, size int32, token string) ([]string, string, error) {
		req := &famiv1.ListPartnersRequest{Parent: "regions/" + region, PageToken: token}
		after, err := aip.DecodeToken(req)
		if err != nil {
			return nil, "", err
		}
		var out []string
		read := 0
		for _, r := range records[region] {
			if after != "" && (!desc && r <= after || desc && r >= after) {
				continue
			}
			if read == int(size) {
				return out, aip.EncodeToken(req, after), nil
			}
			read++
			after = r
			if !strings.HasSuffix(r, "-") {
				out = append(out, r)
			}
		}
		return out, "", nil
	}
}

// TestMergeAcrossPagesInOneOrder: a national list merged across regions
// answers every item once, in the one order of their positions (ties in
// region id order), whatever the page size, in both directions, with
// regions whose pages end short at what their filter leaves out.
func TestMergeAcrossPagesInOneOrder(t *testing.T) {
	records := map[string][]string{
		"abruzzo":   {"03a", "07a", "07b", "12a-", "13a", "20a"},
		"lombardia": {"01l-", "02l-", "04l", "07a", "15l"},
		"sicilia":   {"05s", "06s-", "08s-", "09s-", "10s-", "11s"},
		"veneto":    {"02v", "14v", "16v-", "17v", "18v", "19v"},
	}
	// "07a" is in two regions: both are answered.
	want := []string{"02v", "03a", "04l", "05s", "07a", "07a", "07b", "11s", "13a", "14v", "15l", "17v", "18v", "19v", "20a"}
	for _, desc := range []bool{false, true} {
		in, wantIn := records, want
		if desc {
			in = map[string][]string{}
			for r, list := range records {
				in[r] = slices.Clone(list)
				slices.Reverse(in[r])
			}
			wantIn = slices.Clone(want)
			slices.Reverse(wantIn)
		}
		for size := int32(1); size <= 16; size++ {
			var got []string
			token := ""
			for pages := 0; ; pages++ {
				if pages > 60 {
					t.Fatalf("desc %v, size %d: does not end", desc, size)
				}
				page, next, err := aip.MergeAcross(national(size, token), desc, func(s string) string { return s }, func(s string) int { return len(s) }, byPosition(in, desc))
				if err != nil {
					t.Fatalf("desc %v, size %d: %v", desc, size, err)
				}
				if len(page) > int(size) {
					t.Errorf("desc %v, size %d: a page of %d", desc, size, len(page))
				}
				got = append(got, page...)
				if token = next; token == "" {
					break
				}
			}
			if !slices.Equal(got, wantIn) {
				t.Errorf("desc %v, size %d: got %q, want %q", desc, size, got, wantIn)
			}
		}
	}
}

// TestMergeAcrossRefusesForeignTokens: a merged national token is bound to
// its request and checked, and neither Across's token nor a region's is
// taken for one.
func TestMergeAcrossRefusesForeignTokens(t *testing.T) {
	_, across, err := aip.Across(national(1, ""), regional(map[string][]string{"abruzzo": {"a1", "a2"}}))
	if err != nil || across == "" {
		t.Fatalf("Across: %q, %v", across, err)
	}
	list := byPosition(map[string][]string{"abruzzo": {"1", "2"}, "veneto": {"3"}}, false)
	_, merged, err := aip.MergeAcross(national(1, ""), false, func(s string) string { return s }, func(s string) int { return len(s) }, list)
	if err != nil || merged == "" {
		t.Fatalf("MergeAcross: %q, %v", merged, err)
	}
	other := &famiv1.ListPartnersRequest{Parent: aip.AllRegions, PageSize: 1, PageToken: merged, ShowArchived: true}
	for what, req := range map[string]*famiv1.ListPartnersRequest{
		"Across's":          national(1, across),
		"a region's":        national(1, aip.EncodeToken(national(0, ""), "1")),
		"cut short":         national(1, merged[:len(merged)-2]),
		"another request's": other,
		"not a token":       national(1, "x"),
	} {
		_, _, err := aip.MergeAcross(req, false, func(s string) string { return s }, func(s string) int { return len(s) }, list)
		if e := errs.As(err); e == nil || e.Code != errs.Invalid || len(e.Violations) != 1 || e.Violations[0].Field != "page_token" {
			t.Errorf("%s token: got %v, want INVALID_ARGUMENT on page_token", what, err)
		}
	}
}

// TestMergeAcrossRefusesAnEarlierVersionsToken: a national list that
// merges its regions walked them in region id order before (ListMeetings
// did, with Across): a token that walk issued for the very same request
// is refused as out of date, so that a client paging through a rolling
// upgrade is told to list again rather than that the server never issued
// it.
func TestMergeAcrossRefusesAnEarlierVersionsToken(t *testing.T) {
	_, across, err := aip.Across(national(1, ""), regional(map[string][]string{"abruzzo": {"a1", "a2"}}))
	if err != nil || across == "" {
		t.Fatalf("Across: %q, %v", across, err)
	}
	list := byPosition(map[string][]string{"abruzzo": {"1", "2"}}, false)
	_, _, err = aip.MergeAcross(national(1, across), false, func(s string) string { return s }, func(s string) int { return len(s) }, list)
	e := errs.As(err)
	if e == nil || e.Code != errs.Invalid || len(e.Violations) != 1 || e.Violations[0].Field != "page_token" ||
		!strings.Contains(e.Violations[0].Description, "earlier version") {
		t.Errorf("the earlier version's token of the same request: got %v, want INVALID_ARGUMENT on page_token, of an earlier version", err)
	}
	other := &famiv1.ListPartnersRequest{Parent: aip.AllRegions, PageSize: 1, PageToken: across, ShowArchived: true}
	_, _, err = aip.MergeAcross(other, false, func(s string) string { return s }, func(s string) int { return len(s) }, list)
	if e := errs.As(err); e == nil || len(e.Violations) != 1 || strings.Contains(e.Violations[0].Description, "earlier version") {
		t.Errorf("Across's token of another request: got %v, want it refused as not this request's", err)
	}
}

// TestMergeAcrossReadsAboutItsPage: a merged national page of 50 over 21
// regions of 100 items each reads (and holds) about its own size of items
// beyond each region's share of the page, not a page of each region: the
// first of every region, and what the page still lacks of a region whose
// items read it answered. Every item is answered once, in order, whether
// the regions' items interleave or follow one another.
func TestMergeAcrossReadsAboutItsPage(t *testing.T) {
	const size, each = 50, 100
	ids := aip.RegionIDs()
	for _, layout := range []string{"interleaved", "one after another"} {
		t.Run(layout, func(t *testing.T) {
			in := map[string][]string{}
			var all []string
			for i, id := range ids {
				for j := range each {
					k := j*len(ids) + i // interleaved
					if layout != "interleaved" {
						k = i*each + j
					}
					r := fmt.Sprintf("%05d", k)
					in[id] = append(in[id], r)
					all = append(all, r)
				}
			}
			slices.Sort(all)
			read := 0
			list := func(region string, n int32, token string) ([]string, string, error) {
				items, next, err := byPosition(in, false)(region, n, token)
				read += len(items)
				return items, next, err
			}
			share := (size + len(ids) - 1) / len(ids)
			var got []string
			token := ""
			for pages := 1; ; pages++ {
				if pages > len(all) {
					t.Fatal("paging does not end")
				}
				read = 0
				page, next, err := aip.MergeAcross(national(size, token), false, func(s string) string { return s }, func(s string) int { return len(s) }, list)
				if err != nil {
					t.Fatal(err)
				}
				if limit := size + len(ids)*share; read > limit {
					t.Errorf("page %d read %d items for %d answered; want at most %d", pages, read, len(page), limit)
				}
				got = append(got, page...)
				if token = next; token == "" {
					break
				}
			}
			if !slices.Equal(got, all) {
				t.Errorf("listed %d items, want the %d in order", len(got), len(all))
			}
		})
	}
}

// TestMergeAcrossTakesEachPositionOnce: a merged national page takes the
// position of each item it reads once, though it compares the first items
// of up to 21 regions for each item it answers: a position may be built
// from the item (meetings' formats its start time), and was taken twice a
// comparison, about 40 times an item answered.
func TestMergeAcrossTakesEachPositionOnce(t *testing.T) {
	const size, each = 50, 20
	ids := aip.RegionIDs()
	in := map[string][]string{}
	for i, id := range ids {
		for j := range each {
			in[id] = append(in[id], fmt.Sprintf("%05d", j*len(ids)+i))
		}
	}
	read, positions := 0, 0
	list := func(region string, n int32, token string) ([]string, string, error) {
		items, next, err := byPosition(in, false)(region, n, token)
		read += len(items)
		return items, next, err
	}
	position := func(s string) string {
		positions++
		return s
	}
	token := ""
	for pages := 1; ; pages++ {
		if pages > len(ids)*each {
			t.Fatal("paging does not end")
		}
		read, positions = 0, 0
		_, next, err := aip.MergeAcross(national(size, token), false, position, func(s string) int { return len(s) }, list)
		if err != nil {
			t.Fatal(err)
		}
		if positions > read {
			t.Errorf("page %d took %d positions of the %d items it read; want one each at most", pages, positions, read)
		}
		if token = next; token == "" {
			break
		}
	}
}
