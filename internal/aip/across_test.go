package aip_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
)

// national is a ListPartners request of every region for a page of size
// after token.
func national(size int32, token string) *famiv1.ListPartnersRequest {
	return &famiv1.ListPartnersRequest{Parent: aip.AllRegions, PageSize: size, PageToken: token}
}

// regional is a region's list over items, paged by position as the
// regional lists are.
func regional(items map[string][]string) aip.ListFunc[string] {
	return func(region string, size int32, token string) ([]string, string, error) {
		all := items[region]
		from := 0
		if token != "" {
			from, _ = strconv.Atoi(token)
		}
		to := min(from+int(size), len(all))
		next := ""
		if to < len(all) {
			next = strconv.Itoa(to)
		}
		return all[from:to], next, nil
	}
}

func TestAcrossPagesConsistently(t *testing.T) {
	items := map[string][]string{
		"abruzzo":   {"a1", "a2", "a3"},
		"lombardia": {"l1"},
		"sicilia":   {"s1", "s2"},
		"veneto":    {"v1", "v2", "v3", "v4"},
	}
	var want []string
	for _, r := range aip.RegionIDs() {
		want = append(want, items[r]...)
	}
	for size := int32(1); size <= 12; size++ {
		var got []string
		token := ""
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatalf("size %d: does not end", size)
			}
			page, next, err := aip.Across(national(size, token), regional(items))
			if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			if len(page) > int(size) {
				t.Errorf("size %d: a page of %d", size, len(page))
			}
			got = append(got, page...)
			if token = next; token == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("size %d: got %q, want %q", size, got, want)
		}
	}
}

func TestAcrossRefusesForeignTokens(t *testing.T) {
	for _, token := range []string{"x", aip.EncodeToken(national(0, ""), "a1"), "bnZlbmV0bw"} {
		_, _, err := aip.Across(national(10, token), regional(nil))
		if e := errs.As(err); e == nil || e.Code != errs.Invalid || len(e.Violations) != 1 || e.Violations[0].Field != "page_token" {
			t.Errorf("token %q: got %v, want INVALID_ARGUMENT on page_token", token, err)
		}
	}
}

func TestInRegionOf(t *testing.T) {
	const network = "regions/veneto/networks/n1"
	for _, tc := range []struct {
		parent, network, want string
		fails                 bool
		code                  errs.Code
	}{
		{aip.AllRegions, network, "regions/veneto", false, 0},
		{aip.AllRegions, "", aip.AllRegions, false, 0},
		{"regions/lombardia", network, "regions/lombardia", false, 0},
		{aip.AllRegions, "regions/veneto/partners/p1", "", true, errs.Invalid},
		{aip.AllRegions, "regions/atlantide/networks/n1", "", true, errs.NotFound},
	} {
		req := &famiv1.ListMeetingsRequest{Parent: tc.parent, Network: tc.network, PageSize: 7}
		got, err := aip.InRegionOf(req, "network", req.GetNetwork(), "networks")
		if tc.fails {
			if errs.CodeOf(err) != tc.code {
				t.Errorf("%s %s: got %v, want %v", tc.parent, tc.network, err, tc.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", tc.parent, tc.network, err)
			continue
		}
		if got.GetParent() != tc.want || got.GetNetwork() != tc.network || got.GetPageSize() != 7 {
			t.Errorf("%s %s: got %v, want parent %s and the rest unchanged", tc.parent, tc.network, got, tc.want)
		}
		if req.GetParent() != tc.parent {
			t.Errorf("the request itself was changed: %v", req)
		}
	}
}

func TestListAllRegions(t *testing.T) {
	// Every region has the partners p1..p3: a national page of 4 spans
	// two regions, and the pages together list every region's partners
	// once, in region order.
	regional := func(_ context.Context, r *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error) {
		region, err := aip.Parent(r.GetParent())
		if err != nil {
			return nil, err
		}
		from := 0
		if r.GetPageToken() != "" {
			from, _ = strconv.Atoi(r.GetPageToken())
		}
		res := &famiv1.ListPartnersResponse{Revision: 9}
		for i := from; i < 3 && len(res.Partners) < int(r.GetPageSize()); i++ {
			res.Partners = append(res.Partners, &famiv1.Partner{Name: aip.Name(region, "partners", "p"+strconv.Itoa(i+1))})
			if i+1 < 3 {
				res.NextPageToken = strconv.Itoa(i + 1)
			} else {
				res.NextPageToken = ""
			}
		}
		return res, nil
	}
	req := &famiv1.ListPartnersRequest{Parent: aip.AllRegions, PageSize: 4}
	var got []string
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		res, err := aip.ListAllRegions(context.Background(), req, regional)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.GetPartners()) > 4 || res.GetRevision() != 0 {
			t.Fatalf("page of %d, revision %d: want at most 4 and no revision", len(res.GetPartners()), res.GetRevision())
		}
		for _, p := range res.GetPartners() {
			got = append(got, p.GetName())
		}
		if res.GetNextPageToken() == "" {
			break
		}
		req.PageToken = res.GetNextPageToken()
	}
	if want := 3 * len(aip.RegionIDs()); len(got) != want || got[0] != "regions/"+aip.RegionIDs()[0]+"/partners/p1" {
		t.Errorf("got %d partners starting %v, want %d starting with the first region's p1", len(got), got[:1], want)
	}
	seen := map[string]bool{}
	for _, n := range got {
		if seen[n] {
			t.Errorf("%s listed twice", n)
		}
		seen[n] = true
	}
}

// TestForAllRegions: a regional parent is left to the method; the parent
// regions/- is answered through the method, once per region with that
// region's parent.
func TestForAllRegions(t *testing.T) {
	var parents []string
	list := func(_ context.Context, r *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error) {
		parents = append(parents, r.GetParent())
		return &famiv1.ListPartnersResponse{Partners: []*famiv1.Partner{{Name: r.GetParent() + "/partners/p1"}}}, nil
	}
	if _, ok, err := aip.ForAllRegions(t.Context(), &famiv1.ListPartnersRequest{Parent: "regions/lombardia"}, list); ok || err != nil || len(parents) != 0 {
		t.Fatalf("regional parent: ok %v, err %v, calls %v", ok, err, parents)
	}
	res, ok, err := aip.ForAllRegions(t.Context(), &famiv1.ListPartnersRequest{Parent: aip.AllRegions, PageSize: 1000}, list)
	if !ok || err != nil {
		t.Fatalf("regions/-: ok %v, err %v", ok, err)
	}
	if n := len(aip.RegionIDs()); len(res.GetPartners()) != n || len(parents) != n || parents[0] != "regions/"+aip.RegionIDs()[0] {
		t.Errorf("got %d partners from calls %v, want one per region (%d)", len(res.GetPartners()), parents, n)
	}
}

// TestOpenList: a regional parent is the method's to answer, in its
// region; a filter naming another region's resource narrows regions/- to
// that region; regions/- without it is answered region by region; a bad
// parent or filter answers with its error.
func TestOpenList(t *testing.T) {
	var parents []string
	list := func(_ context.Context, r *famiv1.ListMeetingsRequest) (*famiv1.ListMeetingsResponse, error) {
		parents = append(parents, r.GetParent())
		return &famiv1.ListMeetingsResponse{Meetings: []*famiv1.Meeting{{Name: r.GetParent() + "/meetings/m1"}}}, nil
	}
	open := func(parent, network string) (string, *famiv1.ListMeetingsResponse, bool, error) {
		parents = nil
		req := &famiv1.ListMeetingsRequest{Parent: parent, Network: network, PageSize: 1000}
		return aip.OpenList(t.Context(), req, list, aip.Narrow{Field: "network", Name: req.GetNetwork(), Collection: "networks"})
	}
	for _, tc := range []struct{ parent, network, region string }{
		{"regions/lombardia", "", "lombardia"},
		{"regions/lombardia", "regions/veneto/networks/n1", "lombardia"},
		{aip.AllRegions, "regions/veneto/networks/n1", "veneto"},
	} {
		region, res, done, err := open(tc.parent, tc.network)
		if region != tc.region || res != nil || done || err != nil || len(parents) != 0 {
			t.Errorf("%s %q: got %q, %v, done %v, err %v, calls %v; want %q to answer", tc.parent, tc.network, region, res, done, err, parents, tc.region)
		}
	}
	region, res, done, err := open(aip.AllRegions, "")
	if n := len(aip.RegionIDs()); region != "" || !done || err != nil || len(res.GetMeetings()) != n || len(parents) != n {
		t.Errorf("regions/-: got %q, %d meetings, done %v, err %v, calls %v; want one per region (%d)", region, len(res.GetMeetings()), done, err, parents, n)
	}
	for _, tc := range []struct {
		parent, network string
		code            errs.Code
	}{
		{"regions/atlantide", "", errs.NotFound},
		{"lombardia", "", errs.Invalid},
		{aip.AllRegions, "regions/veneto/partners/p1", errs.Invalid},
	} {
		region, res, done, err := open(tc.parent, tc.network)
		if region != "" || res != nil || !done || errs.CodeOf(err) != tc.code || len(parents) != 0 {
			t.Errorf("%s %q: got %q, %v, done %v, err %v, calls %v; want %v", tc.parent, tc.network, region, res, done, err, parents, tc.code)
		}
	}
}

// TestListAllRegionsWithoutARegion: a region whose list fails with
// DATA_LOSS is passed over and named unreachable on the page where it was
// met, and recorded for the call's log; any other error, or any error once
// the caller's context is done, fails the page.
func TestListAllRegionsWithoutARegion(t *testing.T) {
	failing := func(err error) func(context.Context, *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error) {
		return func(_ context.Context, r *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error) {
			if r.GetParent() == "regions/lombardia" {
				return nil, err
			}
			return &famiv1.ListPartnersResponse{Partners: []*famiv1.Partner{{Name: r.GetParent() + "/partners/p1"}}}, nil
		}
	}
	damaged := errs.RecordCorrupt.New("the stored record of regions/lombardia/partners/p1 is damaged")
	ctx, left := aip.TrackUnreachable(context.Background())
	res, err := aip.ListAllRegions(ctx, &famiv1.ListPartnersRequest{Parent: aip.AllRegions, PageSize: 100}, failing(damaged))
	if err != nil {
		t.Fatal(err)
	}
	if want := len(aip.RegionIDs()) - 1; len(res.GetPartners()) != want || !slices.Equal(res.GetUnreachable(), []string{"regions/lombardia"}) {
		t.Errorf("got %d partners, unreachable %q; want %d and regions/lombardia", len(res.GetPartners()), res.GetUnreachable(), want)
	}
	if regions, err := left(); !slices.Equal(regions, []string{"regions/lombardia"}) || !errors.Is(err, damaged) {
		t.Errorf("recorded %q, %v; want regions/lombardia and its error", regions, err)
	}

	for _, tc := range []struct {
		what string
		err  error
		ctx  func() context.Context
	}{
		{"invalid", errs.InvalidField("filter", "bad"), context.Background},
		{"unavailable", errs.Unavailable.New("the store is closed"), context.Background},
		{"data loss after the caller left", damaged, func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}},
	} {
		if _, err := aip.ListAllRegions(tc.ctx(), &famiv1.ListPartnersRequest{Parent: aip.AllRegions}, failing(tc.err)); !errors.Is(err, tc.err) {
			t.Errorf("%s: got %v, want the region's error", tc.what, err)
		}
	}
}
