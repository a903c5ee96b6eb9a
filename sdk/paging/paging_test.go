package paging_test

import (
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
