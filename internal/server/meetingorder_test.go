package server_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestListMeetingsNewestFirst asks ListMeetings for its meetings newest
// first (order_by "start_time desc", AIP-132) on every surface: five
// meetings over three months come back last first, two a page, within
// the start bounds, and the same way with regions/-; the default order
// stays oldest first; another order is refused naming order_by, and a
// page token of one order is refused in the other.
func TestListMeetingsNewestFirst(t *testing.T) {
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		s := newSurface(t, ts, kind)
		ctx := t.Context()
		seedPartner(t, ctx, s)
		est := seedNetwork(t, ctx, s).GetName()
		now := ts.Clock.Now().Truncate(time.Hour)
		days := []int{-70, -40, -39, -10, 3} // oldest first
		for i, d := range days {
			start := now.AddDate(0, 0, d)
			mustOK(s.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: fmt.Sprintf("m%d", i), Meeting: &famiv1.Meeting{
				Networks: []string{est}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: fmt.Sprintf("Tavolo %d", i),
				StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_ONLINE,
				Link: "https://meet.example.org/t"}}))(t, fmt.Sprintf("meeting %d", i))
		}
		list := func(s surface, req *famiv1.ListMeetingsRequest) (titles []string) {
			t.Helper()
			req.PageSize = 2
			for range 5 {
				res := mustOK(s.ListMeetings(ctx, req))(t, "meetings by "+req.GetOrderBy())
				for _, m := range res.GetMeetings() {
					titles = append(titles, m.GetTitle())
				}
				if req.PageToken = res.GetNextPageToken(); req.PageToken == "" {
					break
				}
			}
			return titles
		}
		all := []string{"Tavolo 0", "Tavolo 1", "Tavolo 2", "Tavolo 3", "Tavolo 4"}
		newest := slices.Clone(all)
		slices.Reverse(newest)
		for _, c := range []struct {
			what string
			req  *famiv1.ListMeetingsRequest
			want []string
		}{
			{"the default order", &famiv1.ListMeetingsRequest{Parent: lombardia}, all},
			{"start_time", &famiv1.ListMeetingsRequest{Parent: lombardia, OrderBy: "start_time"}, all},
			{"start_time desc", &famiv1.ListMeetingsRequest{Parent: lombardia, OrderBy: "start_time desc"}, newest},
			{"start_time desc, spaced", &famiv1.ListMeetingsRequest{Parent: lombardia, OrderBy: "  start_time   desc "}, newest},
			{"start_time desc within bounds", &famiv1.ListMeetingsRequest{Parent: lombardia, OrderBy: "start_time desc",
				StartFrom: timestamppb.New(now.AddDate(0, 0, -40)), StartBefore: timestamppb.New(now)}, []string{"Tavolo 3", "Tavolo 2", "Tavolo 1"}},
		} {
			if got := list(s, c.req); !slices.Equal(got, c.want) {
				t.Errorf("meetings in %s: got %q, want %q", c.what, got, c.want)
			}
		}
		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		if got := list(ministry, &famiv1.ListMeetingsRequest{Parent: "regions/-", OrderBy: "start_time desc"}); !slices.Equal(got, newest) {
			t.Errorf("meetings of regions/- newest first: got %q, want %q", got, newest)
		}

		for _, bad := range []string{"title", "start_time desc, title", "start_time DESC", "-start_time", "start_time\x00"} {
			_, err := s.ListMeetings(ctx, &famiv1.ListMeetingsRequest{Parent: lombardia, OrderBy: bad})
			checkErr(t, "order_by "+bad, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"order_by"}})
		}
		first := mustOK(s.ListMeetings(ctx, &famiv1.ListMeetingsRequest{Parent: lombardia, PageSize: 1}))(t, "the first meeting")
		_, err := s.ListMeetings(ctx, &famiv1.ListMeetingsRequest{Parent: lombardia, PageSize: 1, OrderBy: "start_time desc", PageToken: first.GetNextPageToken()})
		checkErr(t, "a page token of the other order", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"page_token"}})
	})
}
