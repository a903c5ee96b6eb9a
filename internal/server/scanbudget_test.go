package server_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/sdk/paging"
)

// TestFilteredListPagesWithinItsScanBudget: ListPartners filtered by a
// display name that one partner among 3,000 has answers, on every
// surface, pages of at most the scan budget's reads (aip.MinScan records
// for a page of 50): empty pages with a next page token until the one it
// keeps, found by paging on; the number of pages shows the bound.
func TestFilteredListPagesWithinItsScanBudget(t *testing.T) {
	t.Parallel()
	const n = 3 * aip.MinScan
	ts := startServer(t, server.Config{}).storedDirectly(func(tx store.WriteTx) error {
		for i := 1; i <= n; i++ {
			id := fmt.Sprintf("p%05d", i)
			p := &famiv1.Partner{Name: aip.Name("lombardia", resource.Partners, id), DisplayName: "Partner " + id}
			if err := tx.Put(p); err != nil {
				return err
			}
		}
		return nil
	})
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			s := newSurface(t, ts, kind)
			var found, sizes []int
			token := ""
			for page := 0; ; page++ {
				res, err := s.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: lombardia, DisplayName: "Partner p02500", PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(res.GetPartners()))
				if len(res.GetPartners()) > 0 {
					found = append(found, page)
				}
				if token = res.GetNextPageToken(); token == "" || page > n {
					break
				}
			}
			// 3,000 records at 1,000 a page: the needle on the third page,
			// then one empty last page (the budget ran out on the last
			// record).
			if len(found) != 1 || found[0] != 2 || len(sizes) < 3 || len(sizes) > 4 || sizes[0] != 0 || sizes[1] != 0 {
				t.Errorf("pages of %v items, the partner on pages %v; want it alone on the third of 3 or 4 pages", sizes, found)
			}
		})
	}
	// The SDK's paging loop reads on across the empty pages.
	s := newSurface(t, ts, "grpc")
	req := &famiv1.ListPartnersRequest{Parent: lombardia, DisplayName: "Partner p02500"}
	var found []string
	err := paging.Walk(t.Context(), func(token string) (string, error) {
		res, err := s.ListPartners(t.Context(), paging.Page(req, lombardia, 50, token))
		for _, p := range res.GetPartners() {
			found = append(found, resource.ID(p.GetName()))
		}
		return res.GetNextPageToken(), err
	})
	if err != nil || len(found) != 1 || found[0] != "p02500" {
		t.Errorf("paging.Walk found %v, %v; want p02500", found, err)
	}
}

// TestNationalPageWithinOneScanBudget: a national ListPartners
// (regions/-) filtered by a display name that one partner has, the last
// of Calabria's 700 after Abruzzo's and Basilicata's 700 each, reads one
// page's scan budget (aip.MinScan records for a page of 50) across the
// regions, not one per region: each region's 700 are within a budget of
// their own, and the first page would otherwise read all 2,100 and
// answer the partner at once. Each page ends where the budget did, with
// a token that resumes there, in the same region or the next.
func TestNationalPageWithinOneScanBudget(t *testing.T) {
	t.Parallel()
	const perRegion = 700
	regions := []string{"abruzzo", "basilicata", "calabria"}
	ts := startServer(t, server.Config{})
	for _, region := range regions {
		ts = &testServer{Server: ts.StoredDirectly(t, region, func(tx store.WriteTx) error {
			for i := 1; i <= perRegion; i++ {
				id := fmt.Sprintf("p%05d", i)
				p := &famiv1.Partner{Name: aip.Name(region, resource.Partners, id), DisplayName: region + " " + id}
				if err := tx.Put(p); err != nil {
					return err
				}
			}
			return nil
		}), t: t, token: ts.token}
	}
	needle := fmt.Sprintf("calabria p%05d", perRegion)
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			s := newSurfaceFor(t, ts, kind, ministrySpec)
			var sizes []int
			var found []string
			token := ""
			for page := 0; ; page++ {
				res, err := s.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: aip.AllRegions, DisplayName: needle, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(res.GetPartners()))
				for _, p := range res.GetPartners() {
					found = append(found, p.GetDisplayName())
				}
				if token = res.GetNextPageToken(); token == "" || page > len(regions)*perRegion {
					break
				}
			}
			// 1,000 reads a page: Abruzzo's 700 and Basilicata's first
			// 300; Basilicata's last 400 and Calabria's first 600; the
			// last 100, the partner among them.
			if want := []int{0, 0, 1}; !slices.Equal(sizes, want) || len(found) != 1 || found[0] != needle {
				t.Errorf("pages of %v items, found %v; want pages of %v and %q", sizes, found, want, needle)
			}
		})
	}
}

// TestFilteredMeetingListsPageWithinTheirScanBudget: ListMeetings (of a
// region and of regions/-) and ListActionItems filtered to what one
// meeting (or item) among more than aip.MinScan has, the last, answer on
// every surface a first page that ends at the scan budget, empty, with a
// next page token, and paging on reaches the one exactly once: the index
// entries their filters pass over count against the budget as every
// List's do.
func TestFilteredMeetingListsPageWithinTheirScanBudget(t *testing.T) {
	t.Parallel()
	const n, perMeeting = aip.MinScan + 200, 200
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	admin := newSurface(t, ts, "grpc")
	seedPartner(t, ctx, admin)
	seedPartners(t, ctx, admin, famiv1.PartnerKind_PARTNER_KIND_OTHER, "caritas")
	net := seedNetwork(t, ctx, admin, "caritas").GetName()
	first := ts.Clock.Now().Truncate(time.Hour).Add(-n * 5 * time.Hour)
	workshop := famiv1.MeetingKind_MEETING_KIND_WORKSHOP
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < n; i += 16 {
				start := first.Add(time.Duration(i) * 5 * time.Hour)
				kind := famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE
				if i == n-1 {
					kind = workshop
				}
				if _, err := admin.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: fmt.Sprintf("m%05d", i), Meeting: &famiv1.Meeting{
					Networks: []string{net}, Kind: kind, Title: "Tavolo", StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(time.Hour)),
					Mode: famiv1.MeetingMode_MEETING_MODE_ONLINE, Link: "https://meet.example.org/t"}}); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	// 200 action items a meeting, all of udp-milano but the last, of
	// caritas.
	for m := range n / perMeeting {
		var items []*famiv1.ActionItem
		for i := range perMeeting {
			owner := "udp-milano"
			if m*perMeeting+i == n-1 {
				owner = "caritas"
			}
			due := first.AddDate(0, 0, m*perMeeting+i).Format(time.DateOnly)
			items = append(items, &famiv1.ActionItem{Id: fmt.Sprintf("a%03d", i), Description: "Azione", Owner: partnerName(owner), DueDate: due})
		}
		mustOK(admin.RecordMinutes(ctx, &famiv1.RecordMinutesRequest{Name: lombardia + fmt.Sprintf("/meetings/m%05d", m), Minutes: "Verbale", ActionItems: items}))(t, "minutes")
	}
	lastMeeting := fmt.Sprintf("m%05d", n-1)
	lastItem := fmt.Sprintf("m%05d/a%03d", (n-1)/perMeeting, (n-1)%perMeeting)
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			s, ministry := newSurface(t, ts, kind), newSurfaceFor(t, ts, kind, ministrySpec)
			for _, c := range []struct {
				what string
				page func(token string) ([]string, string)
				want string
			}{
				{"meetings", func(token string) ([]string, string) {
					res := mustOK(s.ListMeetings(ctx, &famiv1.ListMeetingsRequest{Parent: lombardia, Kind: workshop, PageToken: token}))(t, "meetings")
					return meetingIDs(res.GetMeetings()), res.GetNextPageToken()
				}, lastMeeting},
				{"meetings of regions/-", func(token string) ([]string, string) {
					res := mustOK(ministry.ListMeetings(ctx, &famiv1.ListMeetingsRequest{Parent: aip.AllRegions, Kind: workshop, PageToken: token}))(t, "national meetings")
					return meetingIDs(res.GetMeetings()), res.GetNextPageToken()
				}, lastMeeting},
				{"action items", func(token string) ([]string, string) {
					res := mustOK(s.ListActionItems(ctx, &famiv1.ListActionItemsRequest{Parent: lombardia, Owner: partnerName("caritas"), PageToken: token}))(t, "action items")
					var ids []string
					for _, it := range res.GetActionItems() {
						ids = append(ids, resource.ID(it.GetMeeting())+"/"+it.GetActionItem().GetId())
					}
					return ids, res.GetNextPageToken()
				}, lastItem},
			} {
				var pages [][]string
				for token := ""; ; {
					var ids []string
					ids, token = c.page(token)
					pages = append(pages, ids)
					if token == "" || len(pages) > n {
						break
					}
				}
				// The budget's 1,000 entries, then the rest.
				if len(pages) != 2 || len(pages[0]) != 0 || !slices.Equal(pages[1], []string{c.want}) {
					t.Errorf("%s: pages of %v; want two, the first empty with a next page token, the second [%s]", c.what, pages, c.want)
				}
			}
		})
	}
}

// meetingIDs are the ids of meetings.
func meetingIDs(meetings []*famiv1.Meeting) []string {
	var ids []string
	for _, m := range meetings {
		ids = append(ids, resource.ID(m.GetName()))
	}
	return ids
}
