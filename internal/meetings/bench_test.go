package meetings_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/fakeclock"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

// benchHeld is the number of meetings held in the benchmark's region:
// three years of a region the size of Lombardia, every past meeting held.
const benchHeld = 1500

// BenchmarkCountHeld counts a region's meetings held (real bbolt file, the
// real service) the two ways the dashboard did and does: list=every held
// meeting listed a page at a time, as the dashboard read them, and
// index=CountMeetings, from the meetings' index. Their ratio is the
// dashboard's saving on its meetings held.
//
//	go test -run '^$' -bench BenchmarkCountHeld -benchmem -count 6 ./internal/meetings/
func BenchmarkCountHeld(b *testing.B) {
	svc, ctx := seedHeld(b)
	held := famiv1.MeetingState_MEETING_STATE_HELD
	b.Run("count=list", func(b *testing.B) {
		for b.Loop() {
			n := 0
			err := aip.Each(ctx, svc.ListMeetings, &famiv1.ListMeetingsRequest{Parent: parent, State: held}, func(res *famiv1.ListMeetingsResponse) error {
				n += len(res.GetMeetings())
				return nil
			})
			if err != nil || n != benchHeld {
				b.Fatalf("listed %d meetings held, %v; want %d", n, err, benchHeld)
			}
		}
	})
	b.Run("count=index", func(b *testing.B) {
		for b.Loop() {
			if n, err := svc.CountMeetings(ctx, lombardia, held); err != nil || n != benchHeld {
				b.Fatalf("counted %d meetings held, %v; want %d", n, err, benchHeld)
			}
		}
	})
}

// seedHeld writes benchHeld meetings of one network, each with its
// attendance recorded (held), and returns the service and an admin's
// context. The writes run side by side so that the store commits them in
// groups.
func seedHeld(b *testing.B) (*meetings.Service, context.Context) {
	b.Helper()
	st, ctx, clock := benchRegion(b)
	start := time.Date(2023, 1, 2, 10, 0, 0, 0, rome)
	clock.Set(start.Add(-time.Hour))
	svc := meetings.New(st, meetings.Options{Now: clock.Now})
	at := func(i int) time.Time { return start.Add(time.Duration(i) * 17 * time.Hour) }
	createMeetings(b, svc, ctx, benchHeld, at)
	clock.Set(at(benchHeld))
	udp := partnerName("udp-bergamo")
	sideBySide(b, benchHeld, func(i int) error {
		_, err := svc.RecordAttendance(ctx, &famiv1.RecordAttendanceRequest{Name: meetingName(fmt.Sprintf("m%04d", i)),
			Attendance: []*famiv1.PartnerAttendance{{Partner: udp, Attendees: 2}}})
		return err
	})
	return svc, ctx
}

// benchRegion is a real bbolt file whose region holds the partner
// udp-bergamo and its network rete-bergamo, an admin's context, and the
// clock for the services on it to read.
func benchRegion(b *testing.B) (store.Store, context.Context, *fakeclock.Clock) {
	b.Helper()
	st := bolttest.Open(b, b.TempDir(), bolt.Options{Regions: []string{lombardia}})
	ctx := principal.With(b.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: lombardia, DisplayName: "Admin"})
	reg := registry.New(st, nil)
	udp := partnerName("udp-bergamo")
	if _, err := reg.Partners().CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: parent, PartnerId: "udp-bergamo",
		Partner: &famiv1.Partner{DisplayName: "UdP Bergamo", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}); err != nil {
		b.Fatal(err)
	}
	if _, err := reg.Networks().CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: parent, NetworkId: "rete-bergamo", Network: &famiv1.Network{
		DisplayName: "Rete Bergamo", LeadPartner: udp, Members: []*famiv1.Member{{Partner: udp, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}}); err != nil {
		b.Fatal(err)
	}
	return st, ctx, &fakeclock.Clock{}
}

// createMeetings creates the meetings m0000 to m{n-1} of rete-bergamo, the
// i-th starting at at(i), side by side so that the store commits them in
// groups.
func createMeetings(b *testing.B, svc *meetings.Service, ctx context.Context, n int, at func(i int) time.Time) {
	b.Helper()
	sideBySide(b, n, func(i int) error {
		_, err := svc.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: fmt.Sprintf("m%04d", i), Meeting: &famiv1.Meeting{
			Networks: []string{networkName("rete-bergamo")}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: "Tavolo",
			StartTime: timestamppb.New(at(i)), EndTime: timestamppb.New(at(i).Add(2 * time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_IN_PERSON, Place: "Bergamo"}})
		return err
	})
}

// BenchmarkListAMonthOfMeetings pages through the 2,000 meetings of one
// month, 50 a page, oldest first and newest first, on a real bbolt file:
// each page reading the month's index keys from its position (now), and,
// as the baseline in the same run, from the month's first key (before;
// newest first, held and given back last first). Both answer the same
// pages; reads/op counts the keys and records read (storetest.ReadCounter).
//
//	go test -run '^$' -bench BenchmarkListAMonthOfMeetings -benchtime 5x ./internal/meetings/
func BenchmarkListAMonthOfMeetings(b *testing.B) {
	const n = 2000
	st, ctx, clock := benchRegion(b)
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, rome)
	clock.Set(start.Add(-time.Hour))
	opts := meetings.Options{Now: clock.Now}
	createMeetings(b, meetings.New(st, opts), ctx, n, func(i int) time.Time { return start.Add(time.Duration(i) * 20 * time.Minute) })
	listAll := func(svc *meetings.Service, orderBy string) (names []string) {
		req := &famiv1.ListMeetingsRequest{Parent: parent, PageSize: 50, OrderBy: orderBy} // aip.Each would ask for the largest pages
		for {
			res, err := svc.ListMeetings(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			for _, mt := range res.GetMeetings() {
				names = append(names, mt.GetName())
			}
			if req.PageToken = res.GetNextPageToken(); req.PageToken == "" {
				return names
			}
		}
	}
	counted := &storetest.ReadCounter{Store: st}
	now, before := meetings.New(counted, opts), meetings.New(storetest.ScanFromStart{Store: counted}, opts)
	for _, order := range []struct{ name, orderBy string }{{"oldest", ""}, {"newest", "start_time desc"}} {
		if got, want := listAll(now, order.orderBy), listAll(before, order.orderBy); !slices.Equal(got, want) || len(got) != n {
			b.Fatalf("%s first: %d meetings, want the baseline's %d (%d)", order.name, len(got), len(want), n)
		}
		for _, bc := range []struct {
			name string
			svc  *meetings.Service
		}{{"before", before}, {"now", now}} {
			b.Run(order.name+"/"+bc.name, func(b *testing.B) {
				counted.Since()
				for b.Loop() {
					listAll(bc.svc, order.orderBy)
				}
				b.ReportMetric(float64(counted.Since())/float64(b.N), "reads/op")
			})
		}
	}
}

// sideBySide calls write with 0 to n-1 from 64 goroutines, so that the
// store commits the writes in groups, and stops tb at the first error.
func sideBySide(tb testing.TB, n int, write func(i int) error) {
	tb.Helper()
	const writers = 64
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				if err := write(i); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		tb.Fatal(err)
	}
}

// benchTokens is the number of calendar tokens in the benchmark's region:
// 100 users holding the 20 live ones each may (MaxLiveTokens).
const benchTokens = 100 * meetings.MaxLiveTokens

// tokenRegion is the calendar tokens' benchmarks' service, on a real
// bbolt file whose region holds benchTokens, and user(i), the consultant
// u{i}; users 0 to 99 hold the tokens.
func tokenRegion(b *testing.B) (*meetings.Service, func(i int) context.Context) {
	st := bolttest.Open(b, b.TempDir(), bolt.Options{Regions: []string{lombardia}})
	clock := &fakeclock.Clock{}
	clock.Set(time.Date(2026, 3, 2, 10, 0, 0, 0, rome))
	svc := meetings.New(st, meetings.Options{Now: clock.Now})
	user := func(i int) context.Context {
		return principal.With(b.Context(), principal.Principal{Subject: fmt.Sprintf("acct:lombardia:u%05d", i), Role: principal.Consultant, Region: lombardia})
	}
	sideBySide(b, benchTokens, func(i int) error {
		_, err := svc.CreateCalendarToken(user(i%100), &famiv1.CreateCalendarTokenRequest{Parent: parent})
		return err
	})
	return svc, user
}

// BenchmarkListCalendarTokens reads the first page of a region's calendar
// tokens (real bbolt file, the real service): order=name, the stored
// order, which reads until the page is full or its scan budget is spent,
// against order=newest, which reads the index by creation time and the
// tokens it answers, for the region admin (every token) and for a user
// holding 20.
//
//	go test -run '^$' -bench BenchmarkListCalendarTokens -benchmem -count 6 ./internal/meetings/
func BenchmarkListCalendarTokens(b *testing.B) {
	svc, user := tokenRegion(b)
	admin := principal.With(b.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: lombardia})
	for _, c := range []struct {
		name    string
		ctx     context.Context
		orderBy string
		want    int
	}{
		{"admin/order=name", admin, "", 50},
		{"admin/order=newest", admin, "create_time desc", 50},
		{"user/order=name", user(7), "", meetings.MaxLiveTokens},
		{"user/order=newest", user(7), "create_time desc", meetings.MaxLiveTokens},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				res, err := svc.ListCalendarTokens(c.ctx, &famiv1.ListCalendarTokensRequest{Parent: parent, PageSize: 50, OrderBy: c.orderBy})
				// A user's page may end at its scan budget (aip.Page.Skip)
				// before it holds their 20, with a next page token.
				if n := len(res.GetCalendarTokens()); err != nil || n > c.want || (n < c.want && res.GetNextPageToken() == "") {
					b.Fatalf("listed %d tokens, next page %q, %v; want %d, or fewer and a next page", n, res.GetNextPageToken(), err, c.want)
				}
			}
		})
	}
}

// BenchmarkCreateCalendarToken creates a calendar token in a region that
// holds benchTokens (real bbolt file, the real service), each for an owner
// holding none: a create reads every token of the region, for its owner's
// limit and to mend the index by creation. The region grows by one token
// a create, so a fixed count keeps it near benchTokens:
//
//	go test -run '^$' -bench BenchmarkCreateCalendarToken -benchmem -benchtime 200x -count 6 ./internal/meetings/
func BenchmarkCreateCalendarToken(b *testing.B) {
	svc, user := tokenRegion(b)
	i := 100
	for b.Loop() {
		if _, err := svc.CreateCalendarToken(user(i), &famiv1.CreateCalendarTokenRequest{Parent: parent}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkFilteredMeetings lists a region's benchHeld meetings held
// (real bbolt file, the real service) filtered by a kind none of them has:
// page=first is one call of the default page, which reads at most its
// scan budget of index entries (aip.MinScan) and ends with a next page
// token; page=every reads every page of the default size to the
// listing's end, as a client does.
//
//	go test -run '^$' -bench BenchmarkFilteredMeetings -benchmem -count 6 ./internal/meetings/
func BenchmarkFilteredMeetings(b *testing.B) {
	svc, ctx := seedHeld(b)
	req := &famiv1.ListMeetingsRequest{Parent: parent, Kind: famiv1.MeetingKind_MEETING_KIND_WORKSHOP}
	b.Run("page=first", func(b *testing.B) {
		for b.Loop() {
			if res, err := svc.ListMeetings(ctx, req); err != nil || len(res.GetMeetings()) != 0 {
				b.Fatalf("listed %d workshops, %v; want none", len(res.GetMeetings()), err)
			}
		}
	})
	b.Run("page=every", func(b *testing.B) {
		for b.Loop() {
			req := proto.CloneOf(req)
			for {
				res, err := svc.ListMeetings(ctx, req)
				if err != nil || len(res.GetMeetings()) != 0 {
					b.Fatalf("listed %d workshops, %v; want none", len(res.GetMeetings()), err)
				}
				if req.PageToken = res.GetNextPageToken(); req.PageToken == "" {
					break
				}
			}
		}
	})
}

// nationalEach is the number of meetings of each region in
// BenchmarkNationalMeetings.
const nationalEach = 200

// BenchmarkNationalMeetings lists the meetings of regions/- (real bbolt
// files, the real service, the ministry) over the 21 regions of
// nationalEach meetings each, their start times interleaved: page=first
// is the first national page of the default size (and its token's
// length), page=every every page to the listing's end.
//
//	go test -run '^$' -bench BenchmarkNationalMeetings -benchmem -count 6 ./internal/meetings/
func BenchmarkNationalMeetings(b *testing.B) {
	ids := aip.RegionIDs()
	st := bolttest.Open(b, b.TempDir(), bolt.Options{Regions: ids})
	clock := &fakeclock.Clock{}
	start := time.Date(2025, 1, 2, 10, 0, 0, 0, rome)
	clock.Set(start)
	reg := registry.New(st, nil)
	svc := meetings.New(st, meetings.Options{Now: clock.Now})
	admin := func(region string) context.Context {
		return principal.With(b.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: region, DisplayName: "Admin"})
	}
	for _, region := range ids {
		ctx, p := admin(region), "regions/"+region
		udp := p + "/partners/udp"
		if _, err := reg.Partners().CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: p, PartnerId: "udp",
			Partner: &famiv1.Partner{DisplayName: "UdP", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}); err != nil {
			b.Fatal(err)
		}
		if _, err := reg.Networks().CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: p, NetworkId: "rete", Network: &famiv1.Network{
			DisplayName: "Rete", LeadPartner: udp, Members: []*famiv1.Member{{Partner: udp, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}}); err != nil {
			b.Fatal(err)
		}
	}
	sideBySide(b, len(ids)*nationalEach, func(i int) error {
		region := ids[i%len(ids)]
		at := start.Add(time.Duration(i) * time.Hour)
		_, err := svc.CreateMeeting(admin(region), &famiv1.CreateMeetingRequest{Parent: "regions/" + region, MeetingId: fmt.Sprintf("m%05d", i), Meeting: &famiv1.Meeting{
			Networks: []string{"regions/" + region + "/networks/rete"}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: "Tavolo",
			StartTime: timestamppb.New(at), EndTime: timestamppb.New(at.Add(time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_IN_PERSON, Place: "Sala"}})
		return err
	})
	ctx := principal.With(b.Context(), principal.Principal{Subject: "test:ministry", Role: principal.Ministry, DisplayName: "Ministero"})
	req := &famiv1.ListMeetingsRequest{Parent: aip.AllRegions}
	b.Run("page=first", func(b *testing.B) {
		token := 0
		for b.Loop() {
			res, err := svc.ListMeetings(ctx, req)
			if err != nil || len(res.GetMeetings()) != aip.DefaultPageSize {
				b.Fatalf("listed %d meetings, %v; want %d", len(res.GetMeetings()), err, aip.DefaultPageSize)
			}
			token = len(res.GetNextPageToken())
		}
		b.ReportMetric(float64(token), "token-bytes")
	})
	b.Run("page=every", func(b *testing.B) {
		for b.Loop() {
			req, n := proto.CloneOf(req), 0
			for {
				res, err := svc.ListMeetings(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				n += len(res.GetMeetings())
				if req.PageToken = res.GetNextPageToken(); req.PageToken == "" {
					break
				}
			}
			if n != len(ids)*nationalEach {
				b.Fatalf("listed %d meetings; want %d", n, len(ids)*nationalEach)
			}
		}
	})
}
