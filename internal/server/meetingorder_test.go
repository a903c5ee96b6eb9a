package server_test

import (
	"fmt"
	"slices"
	"strings"
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
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		s := newSurface(t, ts, kind)
		ctx := t.Context()
		seedPartner(t, ctx, s)
		est := seedNetwork(t, ctx, s).GetName()
		now := ts.Clock.Now().Truncate(time.Hour)
		seedTables(t, s, est, now, -70, -40, -39, -10, 3) // oldest first
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

// seedTables creates in lombardia, through s, an online coordination
// table of the network est ("Tavolo i", meeting "mi") an hour long on
// each of days, counted from now.
func seedTables(t *testing.T, s surface, est string, now time.Time, days ...int) {
	t.Helper()
	for i, d := range days {
		start := now.AddDate(0, 0, d)
		mustOK(s.CreateMeeting(t.Context(), &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: fmt.Sprintf("m%d", i), Meeting: &famiv1.Meeting{
			Networks: []string{est}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: fmt.Sprintf("Tavolo %d", i),
			StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_ONLINE,
			Link: "https://meet.example.org/t"}}))(t, fmt.Sprintf("meeting %d", i))
	}
}

// TestListMeetingsNationallyByTime lists the meetings of regions/- on
// every surface, with meetings of three regions interleaved in time (two
// at the same instant): oldest first by default and with "start_time",
// newest first with "start_time desc", the one order across regions
// (meetings of the same instant and id in region id order), whatever the
// page size; a national page
// token of one order is refused in the other.
func TestListMeetingsNationallyByTime(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		now := ts.Clock.Now().Truncate(time.Hour)
		// Days from now of each region's meetings, each titled by its
		// region and day.
		days := map[string][]int{"abruzzo": {-30, -5, 9}, "lombardia": {-20, -5, 2, 12}, "veneto": {-40, -1, 5}}
		type meeting struct {
			day    int
			region string
			title  string
		}
		var all []meeting
		for region, ds := range days {
			s := newSurfaceFor(t, ts, kind, regionAdminSpec(region))
			parent := "regions/" + region
			lead := parent + "/partners/udp"
			mustOK(s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: parent, PartnerId: "udp",
				Partner: &famiv1.Partner{DisplayName: "UdP " + region, Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}}))(t, region+" partner")
			net := mustOK(s.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: parent, NetworkId: "rete", Network: &famiv1.Network{
				DisplayName: "Rete " + region, LeadPartner: lead, Members: []*famiv1.Member{{Partner: lead, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}}))(t, region+" network")
			for i, d := range ds {
				start := now.AddDate(0, 0, d)
				title := fmt.Sprintf("%s %d", region, d)
				mustOK(s.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: fmt.Sprintf("m%d", i), Meeting: &famiv1.Meeting{
					Networks: []string{net.GetName()}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: title,
					StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_ONLINE,
					Link: "https://meet.example.org/t"}}))(t, title)
				all = append(all, meeting{d, region, title})
			}
		}
		slices.SortFunc(all, func(a, b meeting) int {
			if a.day != b.day {
				return a.day - b.day
			}
			return strings.Compare(a.region, b.region)
		})
		var oldest []string
		for _, m := range all {
			oldest = append(oldest, m.title)
		}
		// Newest first, the meetings of the same instant and id (m1) still
		// in region id order: abruzzo -5 before lombardia -5.
		newest := slices.Clone(oldest)
		slices.Reverse(newest)
		i := slices.Index(newest, "abruzzo -5")
		newest[i-1], newest[i] = newest[i], newest[i-1]

		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		list := func(req *famiv1.ListMeetingsRequest) (titles []string) {
			t.Helper()
			for range 20 {
				res := mustOK(ministry.ListMeetings(ctx, req))(t, "meetings of regions/- by "+req.GetOrderBy())
				if len(res.GetMeetings()) > int(req.GetPageSize()) {
					t.Errorf("page size %d: a page of %d", req.GetPageSize(), len(res.GetMeetings()))
				}
				for _, m := range res.GetMeetings() {
					titles = append(titles, m.GetTitle())
				}
				if req.PageToken = res.GetNextPageToken(); req.PageToken == "" {
					break
				}
			}
			return titles
		}
		for size := int32(1); size <= 3; size++ {
			for _, c := range []struct {
				orderBy string
				want    []string
			}{{"", oldest}, {"start_time", oldest}, {"start_time desc", newest}} {
				if got := list(&famiv1.ListMeetingsRequest{Parent: "regions/-", PageSize: size, OrderBy: c.orderBy}); !slices.Equal(got, c.want) {
					t.Errorf("meetings of regions/- by %q, %d a page: got %q, want %q", c.orderBy, size, got, c.want)
				}
			}
		}
		first := mustOK(ministry.ListMeetings(ctx, &famiv1.ListMeetingsRequest{Parent: "regions/-", PageSize: 2}))(t, "the first national page")
		_, err := ministry.ListMeetings(ctx, &famiv1.ListMeetingsRequest{Parent: "regions/-", PageSize: 2, OrderBy: "start_time desc", PageToken: first.GetNextPageToken()})
		checkErr(t, "a national page token of the other order", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"page_token"}})
	})
}
