package meetings_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

// scanned is the number of meetings (and of action items) the scan
// budget tests store: more than a page of the default size may read
// (aip.MinScan), so that a filter keeping none of them ends its first
// page at the budget.
const scanned = aip.MinScan + 200

// listPages pages list to its end with req, setting each page token in
// req in turn (setToken), and returns the items of each page (get).
func listPages[Req any, Resp interface{ GetNextPageToken() string }](t *testing.T,
	list func(context.Context, Req) (Resp, error), ctx context.Context, req Req, setToken func(string), get func(Resp) []string) [][]string {
	t.Helper()
	var pages [][]string
	for token := ""; ; {
		setToken(token)
		res, err := list(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, get(res))
		if token = res.GetNextPageToken(); token == "" || len(pages) > scanned {
			return pages
		}
	}
}

// TestFilteredMeetingListsStopAtTheScanBudget: ListMeetings and
// ListActionItems filtered to what a big region holds none of, but one
// meeting (or item) after all the others, count the index entries their
// filter passes over against the page's scan budget (aip.Page.Skip), as
// docs/limits.md says every List does: the first page reads at most
// aip.MinScan entries and ends empty with a next page token (it read the
// whole region and answered the one at once before), and paging on
// reaches the one exactly once, in both orders.
func TestFilteredMeetingListsStopAtTheScanBudget(t *testing.T) {
	e := newEnv(t)
	c := e.consultant()
	start := at(t, "2026-03-10 10:00")
	meetingAt := func(i int) *famiv1.Meeting {
		mt := e.meeting()
		mt.StartTime = timestamppb.New(start.Add(time.Duration(i) * 5 * time.Hour))
		mt.EndTime = timestamppb.New(mt.GetStartTime().AsTime().Add(time.Hour))
		if i == scanned-1 {
			mt.Kind = famiv1.MeetingKind_MEETING_KIND_WORKSHOP
		}
		return mt
	}
	sideBySide(t, scanned, func(i int) error {
		_, err := e.svc.CreateMeeting(c, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: fmt.Sprintf("m%05d", i), Meeting: meetingAt(i)})
		return err
	})
	e.Clock.Set(start.Add(scanned * 5 * time.Hour))
	// The action items: 200 a meeting, due a day apart, all of udp-bergamo
	// but the last of the last meeting, of caritas.
	const perMeeting = 200
	for m := range scanned / perMeeting {
		var items []*famiv1.ActionItem
		for i := range perMeeting {
			owner := "udp-bergamo"
			if n := m*perMeeting + i; n == scanned-1 {
				owner = "caritas"
			}
			due := start.AddDate(0, 0, m*perMeeting+i).Format(time.DateOnly)
			items = append(items, &famiv1.ActionItem{Id: fmt.Sprintf("a%03d", i), Description: "Azione", Owner: partnerName(owner), DueDate: due})
		}
		if _, err := e.svc.RecordMinutes(c, &famiv1.RecordMinutesRequest{Name: meetingName(fmt.Sprintf("m%05d", m)), Minutes: "Verbale", ActionItems: items}); err != nil {
			t.Fatal(err)
		}
	}
	counted := &storetest.ReadCounter{Store: e.Store}
	svc := meetings.New(counted, meetings.Options{Now: e.Clock.Now})
	workshop := famiv1.MeetingKind_MEETING_KIND_WORKSHOP
	meetingIDs := func(res *famiv1.ListMeetingsResponse) []string {
		var ids []string
		for _, mt := range res.GetMeetings() {
			ids = append(ids, idOfName(mt.GetName()))
		}
		return ids
	}
	itemIDs := func(res *famiv1.ListActionItemsResponse) []string {
		var ids []string
		for _, it := range res.GetActionItems() {
			ids = append(ids, idOfName(it.GetMeeting())+"/"+it.GetActionItem().GetId())
		}
		return ids
	}
	needle := fmt.Sprintf("m%05d/a%03d", (scanned-1)/perMeeting, (scanned-1)%perMeeting)
	for _, tc := range []struct {
		name  string
		pages func() [][]string
		want  string
		first bool // the one is the first entry read: on the first page
	}{
		{"meetings oldest first", func() [][]string {
			req := &famiv1.ListMeetingsRequest{Parent: parent, Kind: workshop}
			return listPages(t, svc.ListMeetings, e.admin(), req, func(s string) { req.PageToken = s }, meetingIDs)
		}, fmt.Sprintf("m%05d", scanned-1), false},
		{"meetings newest first", func() [][]string {
			req := &famiv1.ListMeetingsRequest{Parent: parent, Kind: workshop, OrderBy: "start_time desc"}
			return listPages(t, svc.ListMeetings, e.admin(), req, func(s string) { req.PageToken = s }, meetingIDs)
		}, fmt.Sprintf("m%05d", scanned-1), true},
		{"action items", func() [][]string {
			req := &famiv1.ListActionItemsRequest{Parent: parent, Owner: partnerName("caritas")}
			return listPages(t, svc.ListActionItems, e.admin(), req, func(s string) { req.PageToken = s }, itemIDs)
		}, needle, false},
		{"action items of a partner", func() [][]string {
			req := &famiv1.ListActionItemsRequest{Parent: parent, Owner: partnerName("caritas"), Partner: partnerName("udp-bergamo")}
			return listPages(t, svc.ListActionItems, e.admin(), req, func(s string) { req.PageToken = s }, itemIDs)
		}, needle, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			counted.Since()
			pages := tc.pages()
			reads := counted.Since()
			found := slices.Concat(pages...)
			if !slices.Equal(found, []string{tc.want}) {
				t.Errorf("found %v; want %s once", found, tc.want)
			}
			// Two pages: the budget's 1,000 entries, then the rest.
			if len(pages) != 2 || !tc.first && len(pages[0]) != 0 {
				t.Errorf("pages of %v; want two, the first empty with a next page token", pages)
			}
			// Every entry is read once, and a page reads a few keys
			// besides (the months, the record answered).
			if reads > 2*scanned {
				t.Errorf("%d reads for %d pages of %d entries", reads, len(pages), scanned)
			}
		})
	}
}

// TestMeetingPagesReadFromTheirPosition: a page of ListMeetings (oldest
// first) and of ListActionItems that resumes within a month of 400 reads
// as much late in the month as early in it: it reads the month's index
// keys from its page token's position (store.ReadTx.IndexScanAfter), where
// it read them again from the month's first key, passing over those before
// it (a month's pages cost its keys squared). The pages answer every
// meeting and item once, in order.
func TestMeetingPagesReadFromTheirPosition(t *testing.T) {
	const n, size = 400, 10
	e := newEnv(t)
	c := e.consultant()
	start := at(t, "2026-03-01 08:00")
	ids := make([]string, n)
	sideBySide(t, n, func(i int) error {
		mt := e.meeting()
		mt.StartTime = timestamppb.New(start.Add(time.Duration(i) * time.Hour))
		mt.EndTime = timestamppb.New(mt.GetStartTime().AsTime().Add(30 * time.Minute))
		ids[i] = fmt.Sprintf("m%05d", i)
		_, err := e.svc.CreateMeeting(c, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: ids[i], Meeting: mt})
		return err
	})
	e.Clock.Set(start.Add(n * time.Hour))
	// The action items: n/2 of each of the first two meetings (a meeting
	// lists at most 200), due over March, the first meeting's first.
	itemIDs := make([]string, n)
	for m := range 2 {
		var items []*famiv1.ActionItem
		for i := m * n / 2; i < (m+1)*n/2; i++ {
			due := start.AddDate(0, 0, i*30/n).Format(time.DateOnly)
			items = append(items, &famiv1.ActionItem{Id: fmt.Sprintf("a%03d", i), Description: "Azione", Owner: partnerName("udp-bergamo"), DueDate: due})
			itemIDs[i] = ids[m] + "/" + items[len(items)-1].GetId()
		}
		if _, err := e.svc.RecordMinutes(c, &famiv1.RecordMinutesRequest{Name: meetingName(ids[m]), Minutes: "Verbale", ActionItems: items}); err != nil {
			t.Fatal(err)
		}
	}
	counted := &storetest.ReadCounter{Store: e.Store}
	svc := meetings.New(counted, meetings.Options{Now: e.Clock.Now})
	for _, tc := range []struct {
		name string
		want []string
		page func(token string) ([]string, string, error)
	}{
		{"meetings", ids, func(token string) ([]string, string, error) {
			res, err := svc.ListMeetings(e.admin(), &famiv1.ListMeetingsRequest{Parent: parent, PageSize: size, PageToken: token})
			var got []string
			for _, mt := range res.GetMeetings() {
				got = append(got, idOfName(mt.GetName()))
			}
			return got, res.GetNextPageToken(), err
		}},
		{"action items", itemIDs, func(token string) ([]string, string, error) {
			res, err := svc.ListActionItems(e.admin(), &famiv1.ListActionItemsRequest{Parent: parent, PageSize: size, PageToken: token})
			var got []string
			for _, it := range res.GetActionItems() {
				got = append(got, idOfName(it.GetMeeting())+"/"+it.GetActionItem().GetId())
			}
			return got, res.GetNextPageToken(), err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var found []string
			var reads []int64
			counted.Since()
			for token := ""; len(reads) <= n/size; {
				got, next, err := tc.page(token)
				if err != nil {
					t.Fatal(err)
				}
				found = append(found, got...)
				reads = append(reads, counted.Since())
				if token = next; token == "" {
					break
				}
			}
			if !slices.Equal(found, tc.want) {
				t.Errorf("the pages answered %d, want the %d in order", len(found), len(tc.want))
			}
			if len(reads) < n/size {
				t.Fatalf("%d pages, want %d", len(reads), n/size)
			}
			if last := n/size - 2; reads[1] != reads[last] {
				t.Errorf("reads of the second page and of page %d, in one month: %d and %d; want them equal", last+1, reads[1], reads[last])
			}
		})
	}
}

// TestNewestFirstPagesReadOnlyThePage: a page of ListMeetings by
// start_time desc and of ListCalendarTokens by create_time desc, in a
// region of 400 of them over two months (the tokens in one), reads the
// index back from its position (store.ReadTx.IndexScanBefore): the keys
// it answers and the one after, their records, and the month or two it
// reads in, where it read its month's keys from the first, up to 400 a
// page. The pages answer everything once, newest first.
func TestNewestFirstPagesReadOnlyThePage(t *testing.T) {
	const n, size = 400, 10
	e := newEnv(t)
	c := e.consultant()
	start := at(t, "2026-03-20 08:00")
	meetingIDs := make([]string, n)
	sideBySide(t, n, func(i int) error {
		mt := e.meeting()
		mt.StartTime = timestamppb.New(start.Add(time.Duration(i) * time.Hour))
		mt.EndTime = timestamppb.New(mt.GetStartTime().AsTime().Add(30 * time.Minute))
		meetingIDs[n-1-i] = fmt.Sprintf("m%05d", i)
		_, err := e.svc.CreateMeeting(c, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: fmt.Sprintf("m%05d", i), Meeting: mt})
		return err
	})
	tokenIDs := make([]string, n)
	for i := range n {
		e.Clock.Set(e.Clock.Now().Add(time.Minute))
		owner := e.Member(fmt.Sprintf("cpia-%02d", i%(n/meetings.MaxLiveTokens)))
		ct, err := e.svc.CreateCalendarToken(owner, &famiv1.CreateCalendarTokenRequest{Parent: parent})
		if err != nil {
			t.Fatal(err)
		}
		tokenIDs[n-1-i] = idOfName(ct.GetCalendarToken().GetName())
	}
	counted := &storetest.ReadCounter{Store: e.Store}
	svc := meetings.New(counted, meetings.Options{Now: e.Clock.Now})
	for _, tc := range []struct {
		name string
		want []string
		// each is what answering one costs: its key and its record,
		// and for a token its credential's two index keys (its state).
		each int64
		page func(token string) ([]string, string, error)
	}{
		{"meetings", meetingIDs, 2, func(token string) ([]string, string, error) {
			res, err := svc.ListMeetings(e.admin(), &famiv1.ListMeetingsRequest{Parent: parent, PageSize: size, PageToken: token, OrderBy: "start_time desc"})
			var got []string
			for _, mt := range res.GetMeetings() {
				got = append(got, idOfName(mt.GetName()))
			}
			return got, res.GetNextPageToken(), err
		}},
		{"calendar tokens", tokenIDs, 4, func(token string) ([]string, string, error) {
			res, err := svc.ListCalendarTokens(e.admin(), &famiv1.ListCalendarTokensRequest{Parent: parent, PageSize: size, PageToken: token, OrderBy: "create_time desc"})
			var got []string
			for _, ct := range res.GetCalendarTokens() {
				got = append(got, idOfName(ct.GetName()))
			}
			return got, res.GetNextPageToken(), err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var found []string
			counted.Since()
			for token, pages := "", 0; pages <= n/size; pages++ {
				got, next, err := tc.page(token)
				if err != nil {
					t.Fatal(err)
				}
				found = append(found, got...)
				// What the page answers, the key after, two months, and
				// the few keys a list reads besides (the token index's
				// marker, the key after's credential).
				if reads, most := counted.Since(), tc.each*int64(len(got))+1+2+4; reads > most {
					t.Errorf("page %d: %d reads for %d answered; want at most %d", pages+1, reads, len(got), most)
				}
				if token = next; token == "" {
					break
				}
			}
			if !slices.Equal(found, tc.want) {
				t.Errorf("the pages answered %d, want the %d newest first", len(found), len(tc.want))
			}
		})
	}
}
