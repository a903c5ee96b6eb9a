package aip_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
)

// large is the size of the items of the tests of a national page's bytes:
// three fit in aip.MaxPageBytes, four do not.
const large = 600 << 10

// withinPageBytes fails t unless a page of items of the sizes given is
// within aip.MaxPageBytes, or is one item alone.
func withinPageBytes(t *testing.T, page int, sizes []int) {
	t.Helper()
	total := 0
	for _, n := range sizes {
		total += n
	}
	if len(sizes) > 1 && total > aip.MaxPageBytes {
		t.Fatalf("page %d: %d items of %d bytes, past MaxPageBytes (%d)", page, len(sizes), total, aip.MaxPageBytes)
	}
}

// TestAcrossPageWithinMaxPageBytes: every region holds two partners of
// 600 kB, so each region's list ends within its own page; the national
// page (of 50) still stops at aip.MaxPageBytes as a whole, with three,
// and its pages list every partner once, in region order.
func TestAcrossPageWithinMaxPageBytes(t *testing.T) {
	big := strings.Repeat("x", large)
	regional := func(ctx context.Context, r *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error) {
		region, err := aip.Parent(r.GetParent())
		if err != nil {
			return nil, err
		}
		page, after, err := aip.StartPage(ctx, r)
		if err != nil {
			return nil, err
		}
		res := &famiv1.ListPartnersResponse{}
		for _, id := range []string{"p1", "p2"} {
			if id <= after {
				continue
			}
			p := &famiv1.Partner{Name: aip.Name(region, "partners", id), DisplayName: big}
			if !page.Add(p, id) {
				break
			}
			res.Partners = append(res.Partners, p)
		}
		res.NextPageToken = page.Next()
		return res, nil
	}
	req := &famiv1.ListPartnersRequest{Parent: aip.AllRegions, PageSize: 50}
	var got, want []string
	for _, region := range aip.RegionIDs() {
		want = append(want, aip.Name(region, "partners", "p1"), aip.Name(region, "partners", "p2"))
	}
	for pages := 1; ; pages++ {
		if pages > 2*len(want) {
			t.Fatal("paging does not end")
		}
		res, err := aip.ListAllRegions(context.Background(), req, regional)
		if err != nil {
			t.Fatal(err)
		}
		var sizes []int
		for _, p := range res.GetPartners() {
			got = append(got, p.GetName())
			sizes = append(sizes, proto.Size(p))
		}
		withinPageBytes(t, pages, sizes)
		if res.GetNextPageToken() == "" {
			break
		}
		req.PageToken = res.GetNextPageToken()
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("listed %d partners:\n%v\nwant %d:\n%v", len(got), got, len(want), want)
	}
}

// TestMergeAcrossPageWithinMaxPageBytes: records of 600 kB in three
// regions, merged in both orders: every national page (of 50) is within
// aip.MaxPageBytes, and its pages list every record once, in order.
func TestMergeAcrossPageWithinMaxPageBytes(t *testing.T) {
	record := func(i int) string { return fmt.Sprintf("%02d", i) + strings.Repeat("x", large) }
	in := map[string][]string{}
	var all []string
	for i, region := range []string{"abruzzo", "lombardia", "veneto"} {
		for j := range 4 {
			r := record(3*j + i)
			in[region] = append(in[region], r)
			all = append(all, r)
		}
	}
	for _, desc := range []bool{false, true} {
		want := sortedPositions(all, desc)
		records := in
		if desc {
			records = map[string][]string{}
			for r, list := range in {
				records[r] = slices.Clone(list)
				slices.Reverse(records[r])
			}
		}
		var got []string
		token := ""
		for pages := 1; ; pages++ {
			if pages > 2*len(all) {
				t.Fatalf("desc %v: paging does not end", desc)
			}
			page, next, err := aip.MergeAcross(national(50, token), desc, func(s string) string { return s }, func(s string) int { return len(s) }, byPosition(records, desc))
			if err != nil {
				t.Fatalf("desc %v: %v", desc, err)
			}
			var sizes []int
			for _, r := range page {
				got = append(got, r[:2])
				sizes = append(sizes, len(r))
			}
			withinPageBytes(t, pages, sizes)
			if next == "" {
				break
			}
			token = next
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("desc %v: listed %v, want %v", desc, got, want)
		}
	}
}

// sortedPositions is the two-digit positions of records, in order,
// descending when desc.
func sortedPositions(records []string, desc bool) []string {
	var out []string
	for _, r := range records {
		out = append(out, r[:2])
	}
	slices.Sort(out)
	if desc {
		slices.Reverse(out)
	}
	return out
}
