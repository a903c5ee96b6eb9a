package paging_test

import (
	"errors"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/sdk/paging"
)

func TestPage(t *testing.T) {
	req := &famiv1.ListPartnersRequest{Parent: "regions/-", PageSize: 5, PageToken: "old", ShowArchived: true}
	got := paging.Page(req, "regions/veneto", 1000, "tok")
	want := &famiv1.ListPartnersRequest{Parent: "regions/veneto", PageSize: 1000, PageToken: "tok", ShowArchived: true}
	if !proto.Equal(got, want) {
		t.Errorf("Page = %v, want %v", got, want)
	}
	if req.GetParent() != "regions/-" || req.GetPageSize() != 5 || req.GetPageToken() != "old" {
		t.Errorf("Page changed the request it copies: %v", req)
	}
}

// TestWalk reads a listing of three pages to its end, each page asked
// with the previous page's token, and stops at the first failing page.
func TestWalk(t *testing.T) {
	got, asked, err := walkListing(t, listing{"": {[]string{"a", "b"}, "t1"}, "t1": {[]string{"c"}, "t2"}, "t2": {[]string{"d"}, ""}})
	if err != nil || !slices.Equal(got, []string{"a", "b", "c", "d"}) || !slices.Equal(asked, []string{"", "t1", "t2"}) {
		t.Errorf("got %v, %v after asking %q", got, err, asked)
	}

	boom := errors.New("boom")
	asked = nil
	err = paging.Walk(t.Context(), func(token string) (string, error) {
		asked = append(asked, token)
		if token == "t1" {
			return "t2", boom
		}
		return "t1", nil
	})
	if !errors.Is(err, boom) || !slices.Equal(asked, []string{"", "t1"}) {
		t.Errorf("a failing page: got %v after asking %q; want boom after \"\", t1", err, asked)
	}
}

// TestWalkAcrossEmptyPages: a page may hold fewer items than asked, even
// none, and still have a next page token (AIP-158: a server's filtered
// List ends a page at its scan budget), so Walk reads on past empty pages
// until a page has no token.
func TestWalkAcrossEmptyPages(t *testing.T) {
	got, asked, err := walkListing(t, listing{"": {nil, "t1"}, "t1": {nil, "t2"}, "t2": {[]string{"found"}, "t3"}, "t3": {nil, ""}})
	if err != nil || !slices.Equal(got, []string{"found"}) || !slices.Equal(asked, []string{"", "t1", "t2", "t3"}) {
		t.Errorf("got %v, %v after asking %q; want found after every page", got, err, asked)
	}
}

// listing is a listing's pages by the token that asks for each: its items
// and its next page token.
type listing map[string]struct {
	items []string
	next  string
}

// walkListing walks l with paging.Walk: the items read, the tokens asked
// in turn and Walk's error.
func walkListing(t *testing.T, l listing) (got, asked []string, err error) {
	err = paging.Walk(t.Context(), func(token string) (string, error) {
		asked = append(asked, token)
		p := l[token]
		got = append(got, p.items...)
		return p.next, nil
	})
	return got, asked, err
}
