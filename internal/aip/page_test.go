package aip_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
)

// partners is a ListPartners request of Veneto for a page of size after
// token.
func partners(size int32, token string) *famiv1.ListPartnersRequest {
	return &famiv1.ListPartnersRequest{Parent: "regions/veneto", PageSize: size, PageToken: token}
}

func TestStartPage(t *testing.T) {
	page, after, err := aip.StartPage(context.Background(), partners(2, aip.EncodeToken(partners(0, ""), "p07")))
	if err != nil || after != "p07" {
		t.Fatalf("got %q, %v; want p07", after, err)
	}
	for i, want := range []bool{true, true, false} {
		if got := page.Take(&famiv1.Partner{}); got != want {
			t.Errorf("a page of 2, item %d: Take = %v, want %v (%d taken)", i+1, got, want, page.Len())
		}
	}
	if _, after, err := aip.StartPage(context.Background(), partners(0, "")); err != nil || after != "" {
		t.Errorf("first page: got %q, %v", after, err)
	}
	for _, tc := range []struct {
		size  int32
		token string
		field string
	}{
		{-1, "", "page_size"},
		{10, "forged", "page_token"},
	} {
		_, _, err := aip.StartPage(context.Background(), partners(tc.size, tc.token))
		if e := errs.As(err); e == nil || e.Code != errs.Invalid || len(e.Violations) != 1 || e.Violations[0].Field != tc.field {
			t.Errorf("%d %q: got %v, want INVALID_ARGUMENT on %s", tc.size, tc.token, err, tc.field)
		}
	}
}

// TestPageTokenCutShortOrChanged: a token cut short, or with one
// character changed, is refused naming page_token. Before tokens ended
// with a check, most such tokens decoded to another position (a prefix of
// the real one), and the List resumed where no page had ended. A token of
// the format before the check is refused as out of date.
func TestPageTokenCutShortOrChanged(t *testing.T) {
	req := partners(0, "")
	token := aip.EncodeToken(req, "regions/veneto/partners/p07")
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var bad []string
	for n := 1; n < len(token); n++ {
		bad = append(bad, token[:n])
	}
	for i := range token {
		next := alphabet[(strings.IndexByte(alphabet, token[i])+1)%len(alphabet)]
		bad = append(bad, token[:i]+string(next)+token[i+1:])
	}
	for _, b := range bad {
		_, err := aip.DecodeToken(partners(0, b))
		if e := errs.As(err); e == nil || e.Code != errs.Invalid || len(e.Violations) != 1 || e.Violations[0].Field != "page_token" {
			t.Errorf("token %q, altered from %q: got %v, want INVALID_ARGUMENT on page_token", b, token, err)
		}
	}
	_, err := aip.DecodeToken(partners(0, aip.TokenWithoutCheck(req, "regions/veneto/partners/p07")))
	if err == nil || !strings.Contains(err.Error(), "earlier version") {
		t.Errorf("a token without a check: got %v, want it refused as of an earlier version", err)
	}
}

// TestPageAdd: a page of 2 adds two items, refuses the third and resumes
// after the second's position; a listing that ends within the page has no
// next page.
func TestPageAdd(t *testing.T) {
	page, _, err := aip.StartPage(context.Background(), partners(2, ""))
	if err != nil {
		t.Fatal(err)
	}
	if page.Next() != "" {
		t.Errorf("empty page: next %q, want none", page.Next())
	}
	if !page.Add(&famiv1.Partner{}, "p01") || !page.Add(&famiv1.Partner{}, "p02") || page.Next() != "" {
		t.Fatalf("a page of 2 refused one of two items, or has a next page %q before it is over", page.Next())
	}
	if page.Add(&famiv1.Partner{}, "p03") || page.Len() != 2 {
		t.Fatalf("a page of 2 added a third item (%d)", page.Len())
	}
	if after, err := aip.DecodeToken(partners(5, page.Next())); err != nil || after != "p02" {
		t.Errorf("next page resumes after %q (%v), want p02", after, err)
	}
}

// TestEachStops: a walk stops at the first error, of the list or of the
// visitor, asking no page after it, and asks no page once its context is
// cancelled, even of a list that does not look at the context itself.
func TestEachStops(t *testing.T) {
	boom := errors.New("boom")
	// walk walks an endless listing that fails at page failAt (1-based; 0
	// never), visiting each page with visit (its 1-based number), and
	// returns how many pages it asked and the error.
	walk := func(ctx context.Context, failAt int, visit func(page int) error) (int, error) {
		asked := 0
		err := aip.Each(ctx, func(context.Context, *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error) {
			asked++
			if asked == failAt {
				return nil, boom
			}
			return &famiv1.ListPartnersResponse{Partners: []*famiv1.Partner{{Name: "a"}}, NextPageToken: fmt.Sprint("t", asked)}, nil
		}, &famiv1.ListPartnersRequest{Parent: "regions/lombardia"}, func(*famiv1.ListPartnersResponse) error {
			return visit(asked)
		})
		return asked, err
	}
	none := func(int) error { return nil }
	check := func(t *testing.T, err error, asked int, want error, wantAsked int) {
		t.Helper()
		if !errors.Is(err, want) || asked != wantAsked {
			t.Errorf("got %v after %d pages; want %v after %d", err, asked, want, wantAsked)
		}
	}

	t.Run("list fails", func(t *testing.T) {
		asked, err := walk(t.Context(), 3, none)
		check(t, err, asked, boom, 3)
	})
	t.Run("visitor fails", func(t *testing.T) {
		asked, err := walk(t.Context(), 0, func(page int) error {
			if page == 2 {
				return boom
			}
			return nil
		})
		check(t, err, asked, boom, 2)
	})
	t.Run("cancelled before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		asked, err := walk(ctx, 0, none)
		check(t, err, asked, context.Canceled, 0)
	})
	t.Run("cancelled during the walk", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		asked, err := walk(ctx, 0, func(page int) error {
			if page == 4 {
				cancel()
			}
			return nil
		})
		check(t, err, asked, context.Canceled, 4)
	})
}

// TestListAll lists every page of a request in pages of the largest size,
// keeping the request's parent and filters, and stops at a failing page.
func TestListAll(t *testing.T) {
	req := &famiv1.ListPartnersRequest{Parent: "regions/lombardia", ShowArchived: true, PageSize: 3, PageToken: "stale"}
	var asked []*famiv1.ListPartnersRequest
	list := func(_ context.Context, r *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error) {
		asked = append(asked, r)
		if r.GetPageToken() == "" {
			return &famiv1.ListPartnersResponse{Partners: []*famiv1.Partner{{Name: "a"}, {Name: "b"}}, NextPageToken: "t1"}, nil
		}
		return &famiv1.ListPartnersResponse{Partners: []*famiv1.Partner{{Name: "c"}}}, nil
	}
	got, err := aip.ListAll(t.Context(), list, req, (*famiv1.ListPartnersResponse).GetPartners)
	if err != nil || len(got) != 3 || got[2].GetName() != "c" {
		t.Fatalf("got %v, %v; want a, b, c", got, err)
	}
	for i, want := range []string{"", "t1"} {
		if r := asked[i]; r.GetParent() != "regions/lombardia" || !r.GetShowArchived() || r.GetPageSize() != aip.MaxPageSize || r.GetPageToken() != want {
			t.Errorf("page %d asked %v; want lombardia's archived partners in pages of %d from %q", i, r, aip.MaxPageSize, want)
		}
	}

	boom := errors.New("boom")
	got, err = aip.ListAll(t.Context(), func(context.Context, *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error) {
		return nil, boom
	}, req, (*famiv1.ListPartnersResponse).GetPartners)
	if !errors.Is(err, boom) || got != nil {
		t.Errorf("a failing page: got %v, %v; want nil, boom", got, err)
	}
}

func TestListResponse(t *testing.T) {
	items := []*famiv1.Partner{{Name: "regions/lombardia/partners/a"}, {Name: "regions/lombardia/partners/b"}}
	res, err := aip.ListResponse[*famiv1.ListPartnersResponse](items, "next", 7)
	if err != nil || len(res.GetPartners()) != 2 || res.GetPartners()[1] != items[1] || res.GetNextPageToken() != "next" || res.GetRevision() != 7 {
		t.Errorf("got %v, %v", res, err)
	}
	if _, err := aip.ListResponse[*famiv1.ListNetworksResponse](items, "", 0); err == nil {
		t.Error("partners built into a ListNetworksResponse")
	}
	if _, err := aip.ListResponse[*famiv1.Partner](items, "", 0); err == nil {
		t.Error("a Partner built as a List response")
	}
}

// TestPageSkip: a page reads on past items its filter leaves out until its
// scan budget (ScanPerItem times its size, at least MinScan) is read; it
// then ends, empty here, with a next page token resuming after the last
// item read.
func TestPageSkip(t *testing.T) {
	page, _, err := aip.StartPage(context.Background(), partners(2, ""))
	if err != nil {
		t.Fatal(err)
	}
	if !page.Add(&famiv1.Partner{}, "p0000") {
		t.Fatal("an empty page refused an item")
	}
	for i := 1; i < aip.MinScan-1; i++ {
		if !page.Skip(fmt.Sprintf("p%04d", i)) {
			t.Fatalf("the page stopped after reading %d items, before its budget of %d", i+1, aip.MinScan)
		}
	}
	if page.Next() != "" {
		t.Errorf("a page within its budget has a next page %q", page.Next())
	}
	if page.Skip("p0999") {
		t.Fatalf("the page read on past its budget of %d", aip.MinScan)
	}
	if after, err := aip.DecodeToken(partners(5, page.Next())); err != nil || after != "p0999" || page.Len() != 1 {
		t.Errorf("next page resumes after %q (%v) with %d items, want p0999 with 1", after, err, page.Len())
	}
}
