package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store"
)

// pageBytesRegions are the regions of the national pages of large items:
// each holds two, of about 600 kB, so each region's list ends within its
// own page of aip.MaxPageBytes while the six together are 3.6 MB.
var pageBytesRegions = []string{"abruzzo", "lombardia", "veneto"}

// TestNationalPagesWithinMaxPageBytes: a national ListPartners (regions
// walked in id order, aip.Across) and a national ListMeetings (regions
// merged by start time, aip.MergeAcross) of items of about 600 kB each,
// two per region, answer pages of at most aip.MaxPageBytes as a whole,
// each of three items, and reach every item exactly once; before, the
// first page held all six.
func TestNationalPagesWithinMaxPageBytes(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	big := strings.Repeat("€", 200_000) // 600 kB: the most minutes hold
	var partners []string
	meetings := make([]string, 2*len(pageBytesRegions)) // in time order
	start := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	for i, region := range pageBytesRegions {
		ts = &testServer{Server: ts.StoredDirectly(t, region, func(tx store.WriteTx) error {
			for _, id := range []string{"p1", "p2"} {
				p := &famiv1.Partner{Name: aip.Name(region, resource.Partners, id), DisplayName: big}
				partners = append(partners, p.GetName())
				if err := tx.Put(p); err != nil {
					return err
				}
			}
			return nil
		}), t: t, token: ts.token}
		s := newSurfaceFor(t, ts, "grpc", regionAdminSpec(region))
		parent := "regions/" + region
		mustOK(s.CreateNetwork(t.Context(), &famiv1.CreateNetworkRequest{Parent: parent, NetworkId: "rete", Network: &famiv1.Network{
			DisplayName: "Rete", LeadPartner: parent + "/partners/p1",
			Members: []*famiv1.Member{{Partner: parent + "/partners/p1", Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}}))(t, "network of "+region)
		for j := range 2 {
			// Interleaved in time across the regions: the merged order is
			// not the regions' order.
			hour := len(pageBytesRegions)*j + i
			at := start.Add(time.Duration(hour) * time.Hour)
			m := mustOK(s.CreateMeeting(t.Context(), &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: fmt.Sprintf("m%d", j), Meeting: &famiv1.Meeting{
				Networks: []string{parent + "/networks/rete"}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: "Tavolo",
				StartTime: timestamppb.New(at), EndTime: timestamppb.New(at.Add(time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_ONLINE,
				Link: "https://meet.example.org/t"}}))(t, "meeting of "+region)
			mustOK(s.RecordMinutes(t.Context(), &famiv1.RecordMinutesRequest{Name: m.GetName(), Minutes: big}))(t, "minutes of "+region)
			meetings[hour] = m.GetName()
		}
	}
	s := newSurfaceFor(t, ts, "grpc", ministrySpec)
	t.Run("ListPartners", func(t *testing.T) {
		nationalPagesOf(t, partners, func(token string) ([]*famiv1.Partner, string, error) {
			res, err := s.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: aip.AllRegions, PageToken: token})
			return res.GetPartners(), res.GetNextPageToken(), err
		})
	})
	t.Run("ListMeetings", func(t *testing.T) {
		nationalPagesOf(t, meetings, func(token string) ([]*famiv1.Meeting, string, error) {
			res, err := s.ListMeetings(t.Context(), &famiv1.ListMeetingsRequest{Parent: aip.AllRegions, PageToken: token})
			return res.GetMeetings(), res.GetNextPageToken(), err
		})
	})
}

// nationalPagesOf pages a national list of the six items of
// TestNationalPagesWithinMaxPageBytes through list, from its first page to
// its last: it fails t unless the pages are of three items each, within
// aip.MaxPageBytes, and list the items named want, in that order.
func nationalPagesOf[T interface {
	proto.Message
	GetName() string
}](t *testing.T, want []string, list func(token string) ([]T, string, error)) {
	t.Helper()
	var got []string
	var sizes []int
	token := ""
	for page := 1; ; page++ {
		items, next, err := list(token)
		if err != nil {
			t.Fatal(err)
		}
		bytes := 0
		for _, m := range items {
			got = append(got, m.GetName())
			bytes += proto.Size(m)
		}
		if len(items) > 1 && bytes > aip.MaxPageBytes {
			t.Errorf("page %d: %d items of %d bytes, past aip.MaxPageBytes (%d)", page, len(items), bytes, aip.MaxPageBytes)
		}
		sizes = append(sizes, len(items))
		if token = next; token == "" || page > 20 {
			break
		}
	}
	if !slices.Equal(got, want) || !slices.Equal(sizes, []int{3, 3}) {
		t.Errorf("pages of %v items: %q; want pages of [3 3]: %q", sizes, got, want)
	}
}
