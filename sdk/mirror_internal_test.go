package sdk

import (
	"context"
	"testing"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestListerOf: a Lister asks for a region's page with the standard
// fields set and its own filters kept, and answers the page's items, next
// token and revision.
func TestListerOf(t *testing.T) {
	filters := &famiv1.ListClosedPeriodsRequest{ShowReopened: true}
	var asked *famiv1.ListClosedPeriodsRequest
	list := listerOf(func(_ context.Context, req *famiv1.ListClosedPeriodsRequest) (*famiv1.ListClosedPeriodsResponse, error) {
		asked = req
		return &famiv1.ListClosedPeriodsResponse{ClosedPeriods: []*famiv1.ClosedPeriod{{Name: "regions/veneto/closedPeriods/2026-q1"}},
			NextPageToken: "next", Revision: 7}, nil
	}, filters, (*famiv1.ListClosedPeriodsResponse).GetClosedPeriods)

	items, next, rev, err := list(t.Context(), "veneto", "tok")
	if err != nil {
		t.Fatal(err)
	}
	want := &famiv1.ListClosedPeriodsRequest{Parent: "regions/veneto", PageSize: listPageSize, PageToken: "tok", ShowReopened: true}
	if !proto.Equal(asked, want) {
		t.Errorf("asked %v, want %v", asked, want)
	}
	if !proto.Equal(filters, &famiv1.ListClosedPeriodsRequest{ShowReopened: true}) {
		t.Errorf("the filters became %v: each page must ask with a copy", filters)
	}
	if len(items) != 1 || items[0].GetName() != "regions/veneto/closedPeriods/2026-q1" || next != "next" || rev != 7 {
		t.Errorf("got %v, %q, %d; want the one period, \"next\", 7", items, next, rev)
	}
}
