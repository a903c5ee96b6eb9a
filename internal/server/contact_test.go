package server_test

import (
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestOperatorsCountedOnceEverySurface is the support report's "31
// personalised meetings with 24 operators" (Feb - Oct 2021), on each
// surface: 31 support entries that name their contacts summarise to 24
// distinct operators, exactly; an entry that names none keeps its counts
// and makes the figure no longer exact; deleting a contact on request keeps
// the counts.
func TestOperatorsCountedOnceEverySurface(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		contacts := newSurfaceAs(t, ts, kind, ts.token)
		consultant := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:consultant", Role: principal.Consultant, Region: "lombardia"})
		admin := newSurfaceAs(t, ts, kind, ts.token)

		seedPartners(t, ctx, s, famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, "udp-milano", "cpia-milano")
		seedNetwork(t, ctx, s)
		var names []string
		for i := range 24 {
			c, err := contacts.CreateContact(ctx, &famiv1.CreateContactRequest{Parent: lombardia, ContactId: fmt.Sprintf("op-%02d", i), Contact: &famiv1.Contact{
				DisplayName: fmt.Sprintf("Operatore %02d", i), Role: famiv1.SupportOperatorRole(1 + i%6), Partner: partnerName([]string{"udp-milano", "cpia-milano"}[i%2]),
				Email: fmt.Sprintf("op%02d@comune.milano.it", i)}})
			if err != nil {
				t.Fatalf("create contact: %v", err)
			}
			names = append(names, c.GetName())
		}

		// 31 personalised meetings, February to October 2021, each with
		// one or two operators: 24 people in all.
		for i := range 31 {
			e := &famiv1.SupportEntry{Network: networkName("rete-milano"), Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_NETWORK_ACCOMPANIMENT,
				Date: fmt.Sprintf("2021-%02d-%02d", 2+i/4, 1+i%4*7), DurationMinutes: 60, Mode: famiv1.SupportMode_SUPPORT_MODE_IN_PERSON,
				Contacts: []string{names[i%24]}}
			if i%3 == 0 {
				e.Contacts = append(e.Contacts, names[(i+5)%24])
			}
			e.OperatorsReached = []*famiv1.OperatorsReached{{Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_SOCIAL_WORKER, Count: int32(len(e.Contacts))}}
			if _, err := consultant.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: lombardia, SupportEntry: e}); err != nil {
				t.Fatalf("log entry %d: %v", i, err)
			}
		}
		totals := func(step string) *famiv1.SupportSummaryGroup {
			t.Helper()
			sum, err := admin.SummarizeSupportEntries(ctx, &famiv1.SummarizeSupportEntriesRequest{Parent: lombardia, StartDate: "2021-02-01", EndDate: "2021-10-31"})
			if err != nil {
				t.Fatalf("%s: summarize: %v", step, err)
			}
			return sum.GetTotals()
		}
		if got := totals("31 meetings"); got.GetEntries() != 31 || got.GetDistinctContacts() != 24 || got.GetEntriesNamingContacts() != 31 || got.GetOperatorsReached() != 42 {
			t.Errorf("31 meetings: got %d entries, %d distinct contacts, %d naming, %d operators reached; want 31, 24, 31, 42 (11 entries name two)",
				got.GetEntries(), got.GetDistinctContacts(), got.GetEntriesNamingContacts(), got.GetOperatorsReached())
		}

		// An entry naming nobody: its operators stay counts, and the
		// summary says the distinct figure no longer covers every entry.
		if _, err := consultant.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: lombardia, SupportEntry: &famiv1.SupportEntry{
			Network: networkName("rete-milano"), Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP, Date: "2021-10-20", DurationMinutes: 120,
			Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE, OperatorsReached: []*famiv1.OperatorsReached{{Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_TEACHER, Count: 3}}}}); err != nil {
			t.Fatalf("log an entry without contacts: %v", err)
		}
		if got := totals("an entry without contacts"); got.GetEntries() != 32 || got.GetDistinctContacts() != 24 || got.GetEntriesNamingContacts() != 31 {
			t.Errorf("with an entry naming nobody: got %d entries, %d distinct, %d naming; want 32, 24, 31", got.GetEntries(), got.GetDistinctContacts(), got.GetEntriesNamingContacts())
		}

		// Deleted on request: the person's data go, the counts stay, and
		// the id is never given out again.
		if _, err := contacts.DeleteContact(ctx, &famiv1.DeleteContactRequest{Name: names[3]}); err != nil {
			t.Fatalf("delete a contact: %v", err)
		}
		_, err := contacts.GetContact(ctx, &famiv1.GetContactRequest{Name: names[3]})
		checkErr(t, "get a deleted contact", err, wantErr{codes.NotFound, "NOT_FOUND", nil})
		if got := totals("a contact deleted"); got.GetDistinctContacts() != 24 {
			t.Errorf("after a deletion: %d distinct contacts, want 24", got.GetDistinctContacts())
		}
		_, err = contacts.CreateContact(ctx, &famiv1.CreateContactRequest{Parent: lombardia, ContactId: "op-03", Contact: &famiv1.Contact{
			DisplayName: "Someone else", Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_TEACHER, Partner: partnerName("udp-milano")}})
		checkErr(t, "reuse a deleted contact's id", err, wantErr{codes.AlreadyExists, "ALREADY_EXISTS", []string{"contact_id"}})

		// Naming contacts: each of the region, existing, once.
		_, err = consultant.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: lombardia, SupportEntry: &famiv1.SupportEntry{
			Network: networkName("rete-milano"), Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP, Date: "2021-10-21", DurationMinutes: 60,
			Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE, Contacts: []string{names[0], names[0], names[3], "regions/veneto/contacts/x"}}})
		checkErr(t, "name bad contacts", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{
			"support_entry.contacts[1]", "support_entry.contacts[2]", "support_entry.contacts[3]"}})

		// Meeting attendance names contacts too: two meetings, five
		// named attendances, four people.
		meetings := newSurfaceAs(t, ts, kind, ts.token)
		for i, att := range [][]*famiv1.PartnerAttendance{
			{{Partner: partnerName("udp-milano"), Attendees: 3, Contacts: []string{names[0], names[2]}}, {Partner: partnerName("cpia-milano"), Attendees: 1, Contacts: []string{names[1]}}},
			{{Partner: partnerName("udp-milano"), Attendees: 2, Contacts: []string{names[0], names[4]}}},
		} {
			mt, err := meetings.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: fmt.Sprintf("tavolo-%d", i), Meeting: matrixMeeting(networkName("rete-milano"), "tavolo")})
			if err != nil {
				t.Fatalf("create meeting: %v", err)
			}
			if _, err := meetings.RecordAttendance(ctx, &famiv1.RecordAttendanceRequest{Name: mt.GetName(), Attendance: att}); err != nil {
				t.Fatalf("record attendance: %v", err)
			}
		}
		att, err := meetings.SummarizeAttendance(ctx, &famiv1.SummarizeAttendanceRequest{Parent: lombardia})
		if err != nil {
			t.Fatalf("summarize attendance: %v", err)
		}
		if tot := att.GetTotals(); tot.GetAttendances() != 6 || tot.GetNamedAttendances() != 5 || tot.GetDistinctContacts() != 4 {
			t.Errorf("attendance totals: %d attendances, %d named, %d distinct contacts; want 6, 5, 4", tot.GetAttendances(), tot.GetNamedAttendances(), tot.GetDistinctContacts())
		}
		mt, err := meetings.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: "tavolo-x", Meeting: matrixMeeting(networkName("rete-milano"), "tavolo")})
		if err != nil {
			t.Fatalf("create meeting: %v", err)
		}
		_, err = meetings.RecordAttendance(ctx, &famiv1.RecordAttendanceRequest{Name: mt.GetName(), Attendance: []*famiv1.PartnerAttendance{
			{Partner: partnerName("udp-milano"), Attendees: 2, Contacts: []string{names[1], names[0]}},
			{Partner: partnerName("cpia-milano"), Attendees: 1, Contacts: []string{names[0], names[5]}},
		}})
		checkErr(t, "attendance naming another partner's staff", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{
			"attendance[0].contacts[0]", "attendance[1].contacts"}})

		// Professional data stay in the region: not even the ministry
		// lists contacts; network staff of the region do.
		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		_, err = ministry.ListContacts(ctx, &famiv1.ListContactsRequest{Parent: lombardia})
		checkErr(t, "the ministry lists contacts", err, wantErr{codes.PermissionDenied, "ROLE_NOT_ALLOWED", nil})
		staff := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:staff", Role: principal.NetworkMember, Region: "lombardia", Partner: partnerName("udp-milano")})
		list, err := staff.ListContacts(ctx, &famiv1.ListContactsRequest{Parent: lombardia, Partner: partnerName("udp-milano")})
		if err != nil || len(list.GetContacts()) != 12 {
			t.Errorf("network staff list udp-milano's contacts: %v, got %d, want 12", err, len(list.GetContacts()))
		}
	})
}
