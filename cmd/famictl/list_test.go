package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/sdk"
)

// TestListPaging reads every list command's listing, of more items than a
// page of --page-size 2, in the three ways famictl offers: one page (the
// default, every item in one page of 1000), page by page with
// --page-token, and whole with --all-pages, which prints one result, JSON or
// table, with all the items.
func TestListPaging(t *testing.T) {
	f := startFamid(t)
	seedListings(t, f)
	region := []string{"--region", "lombardia"}
	for _, tt := range []struct {
		cmd []string
		res proto.Message // the command's List response
	}{
		{[]string{"protocol", "list"}, &famiv1.ListProtocolsResponse{}},
		{[]string{"meeting", "list"}, &famiv1.ListMeetingsResponse{}},
		{[]string{"meeting", "actions", "list"}, &famiv1.ListActionItemsResponse{}},
		{[]string{"account", "list"}, &famiv1.ListAccountsResponse{}},
		{[]string{"service-token", "list"}, &famiv1.ListServiceTokensResponse{}},
		{[]string{"calendar", "token", "list"}, &famiv1.ListCalendarTokensResponse{}},
		{[]string{"period", "list"}, &famiv1.ListClosedPeriodsResponse{}},
		{[]string{"changes", "list"}, &famiv1.ListChangesResponse{}},
		{[]string{"report", "list"}, &famiv1.ListMonitoringReportsResponse{}},
	} {
		t.Run(strings.Join(tt.cmd, " "), func(t *testing.T) {
			f := *f
			f.t = t // f.must fails this subtest
			list := func(args ...string) (items []proto.Message, next string) {
				t.Helper()
				args = append(append(append([]string{}, tt.cmd...), region...), args...)
				out := f.must(f.admin, args...)
				// One JSON document: a second one after the first fails.
				res := tt.res.ProtoReflect().New().Interface()
				if err := protojson.Unmarshal([]byte(out), res); err != nil {
					t.Fatalf("famictl %s printed what is not one %T: %v\n%s", strings.Join(args, " "), res, err, out)
				}
				return listItems(res), res.ProtoReflect().Get(res.ProtoReflect().Descriptor().Fields().ByName("next_page_token")).String()
			}
			want, next := list()
			if len(want) < 3 || next != "" {
				t.Fatalf("one page of the default size has %d items and next_page_token %q; want at least 3 and none", len(want), next)
			}

			var paged []proto.Message
			pages := 0
			for token := ""; pages == 0 || token != ""; pages++ {
				args := []string{"--page-size", "2"}
				if token != "" {
					args = append(args, "--page-token", token)
				}
				items, next := list(args...)
				if len(items) > 2 {
					t.Fatalf("page %d of size 2 has %d items", pages+1, len(items))
				}
				paged, token = append(paged, items...), next
				if pages > len(want) {
					t.Fatalf("--page-token never ends: %d pages of 2 for %d items", pages, len(want))
				}
			}
			if pages < 2 || !equalItems(paged, want) {
				t.Errorf("%d pages of 2 with --page-token hold %d items; want the %d of one page:\ngot  %v\nwant %v", pages, len(paged), len(want), paged, want)
			}

			all, next := list("--page-size", "2", "--all-pages")
			if next != "" || !equalItems(all, want) {
				t.Errorf("--all-pages --page-size 2 printed %d items and next_page_token %q; want the %d of one page and none", len(all), next, len(want))
			}

			table := f.must(f.admin, append(append(append([]string{}, tt.cmd...), region...), "--page-size", "2", "--all-pages", "-o", "table")...)
			if rows := strings.Count(table, "\n") - 1 - strings.Count(table, "revision: "); rows != len(want) || strings.Contains(table, "next_page_token") {
				t.Errorf("--all-pages -o table has %d rows; want %d and no next_page_token:\n%s", rows, len(want), table)
			}

			if _, _, err := f.run(f.admin, "", append(append(append([]string{}, tt.cmd...), region...), "--all-pages", "--page-token", "x")...); err == nil ||
				!strings.Contains(err.Error(), "page-token") {
				t.Errorf("--all-pages with --page-token: err = %v; want it refused", err)
			}
		})
	}
}

// TestPeriodListShowReopened: --show-reopened shows the reopened periods,
// and --all, its first name, still does (deprecated, not taken by the
// list commands' --all-pages).
func TestPeriodListShowReopened(t *testing.T) {
	f := startFamid(t)
	f.must(f.admin, "period", "close", "--region", "lombardia", "--id", "q1-2026", "--from", "2026-01-01", "--to", "2026-03-31", "--reason", "Q1")
	f.must(f.admin, "period", "reopen", "regions/lombardia/closedPeriods/q1-2026", "--reason", "correzione")
	if list := f.must(f.admin, "period", "list", "--region", "lombardia", "--all-pages", "-o", "table"); strings.Contains(list, "q1-2026") {
		t.Errorf("period list --all-pages shows the reopened period:\n%s", list)
	}
	for _, flag := range []string{"--show-reopened", "--all"} {
		if list := f.must(f.admin, "period", "list", "--region", "lombardia", flag, "--all-pages", "-o", "table"); !regexpLine(list, "q1-2026", "REOPENED") {
			t.Errorf("period list %s --all-pages:\n%s", flag, list)
		}
	}
}

// TestPeriodListFromTo: --from and --to list the periods that meet those
// days alone.
func TestPeriodListFromTo(t *testing.T) {
	f := startFamid(t)
	f.must(f.admin, "period", "close", "--region", "lombardia", "--id", "q1-2026", "--from", "2026-01-01", "--to", "2026-03-31", "--reason", "Q1")
	f.must(f.admin, "period", "close", "--region", "lombardia", "--id", "q3-2026", "--from", "2026-07-01", "--to", "2026-09-30", "--reason", "Q3")
	for _, c := range []struct {
		flags []string
		want  string
	}{{[]string{"--from", "2026-03-31", "--to", "2026-06-30"}, "q1-2026"}, {[]string{"--from", "2026-04-01"}, "q3-2026"}} {
		list := f.must(f.admin, append([]string{"period", "list", "--region", "lombardia", "-o", "table"}, c.flags...)...)
		if strings.Count(list, "-2026") != 1 || !strings.Contains(list, c.want) {
			t.Errorf("period list %q: want %s alone\n%s", c.flags, c.want, list)
		}
	}
}

// TestChangesListLimit: --limit, --page-size's old name on changes list,
// still sets the size of the page.
func TestChangesListLimit(t *testing.T) {
	f := startFamid(t)
	changes := &famiv1.ListChangesResponse{}
	if err := protojson.Unmarshal([]byte(f.must(f.admin, "changes", "list", "--region", "lombardia", "--limit", "2")), changes); err != nil {
		t.Fatal(err)
	}
	if len(changes.GetChanges()) != 2 || changes.GetNextPageToken() == "" {
		t.Fatalf("changes list --limit 2 of 3 changes: %v", changes)
	}
}

// seedListings gives lombardia three or more items of every listing of
// TestListPaging: protocols, meetings and their action items, accounts,
// service and calendar tokens, closed periods, a project's monitoring
// reports (and the changes of all these).
func seedListings(t *testing.T, f *famidForTest) {
	t.Helper()
	ctx := context.Background()
	c := sdk.NewClient(nil, f.url, f.admin)
	parent := "regions/lombardia"
	start := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	for i := range 3 {
		id := fmt.Sprint("p", i)
		check(t, "protocol "+id)(c.Protocols.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: parent, ProtocolId: id, Protocol: &famiv1.Protocol{
			Network: f.network, Title: "Protocollo " + id, Body: "Le parti collaborano.", ValidFrom: "2026-01-01",
			Parties: []*famiv1.Party{{Partner: udpName, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: cpiaName, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}},
		}}))
		day := start.AddDate(0, 0, i)
		check(t, "meeting "+id)(c.Meetings.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: fmt.Sprint("m", i), Meeting: &famiv1.Meeting{
			Networks: []string{f.network}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: "Tavolo",
			StartTime: timestamppb.New(day), EndTime: timestamppb.New(day.Add(time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_IN_PERSON, Place: "Bergamo",
			InvitedPartners: []string{udpName},
		}}))
		check(t, "account "+id)(c.Auth.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: parent, AccountId: fmt.Sprint("persona", i), Password: "s3gret-Passw0rd!",
			Account: &famiv1.Account{DisplayName: "Persona " + id, Role: famiv1.Role_ROLE_CONSULTANT}}))
		check(t, "service token "+id)(c.Auth.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: parent, SystemId: fmt.Sprint("sistema", i)}))
		check(t, "calendar token "+id)(c.Meetings.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: parent, DisplayName: "calendario " + id}))
		check(t, "closed period "+id)(c.Support.ClosePeriod(ctx, &famiv1.ClosePeriodRequest{Parent: parent, ClosedPeriodId: fmt.Sprint("q", i+1, "-2025"),
			ClosedPeriod: &famiv1.ClosedPeriod{StartDate: fmt.Sprintf("2025-%02d-01", 3*i+1), EndDate: fmt.Sprintf("2025-%02d-28", 3*i+3), Reason: "rendicontato"}}))
	}
	report := monitoredProject(t, c)
	for i := range 3 {
		report(fmt.Sprint("2025-q", i+1))
	}
	meeting := parent + "/meetings/m0"
	check(t, "attendance")(c.Meetings.RecordAttendance(ctx, &famiv1.RecordAttendanceRequest{Name: meeting,
		Attendance: []*famiv1.PartnerAttendance{{Partner: udpName, Attendees: 2}}}))
	var items []*famiv1.ActionItem
	for i := range 3 {
		items = append(items, &famiv1.ActionItem{Owner: udpName, DueDate: fmt.Sprintf("2026-04-%02d", i+1), Description: fmt.Sprint("compito ", i)})
	}
	check(t, "minutes")(c.Meetings.RecordMinutes(ctx, &famiv1.RecordMinutesRequest{Name: meeting, Minutes: "Verbale.", ActionItems: items}))
}

// check fails the test, naming what, when a call that seeds data fails.
func check(t *testing.T, what string) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
}

// listItems returns the items of a List response.
func listItems(res proto.Message) []proto.Message {
	r := res.ProtoReflect()
	l := r.Get(listField(r.Descriptor())).List()
	items := make([]proto.Message, l.Len())
	for i := range items {
		items[i] = l.Get(i).Message().Interface()
	}
	return items
}

func equalItems(got, want []proto.Message) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !proto.Equal(got[i], want[i]) {
			return false
		}
	}
	return true
}
