package server_test

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	goical "github.com/emersion/go-ical"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// feedPath is the .ics URL path of a feed request.
func feedPath(req *famiv1.ExportMeetingCalendarRequest) string {
	switch {
	case req.GetNetwork() != "":
		return "/v1/" + req.GetNetwork() + "/meetings.ics"
	case req.GetFacilitator() != "":
		return "/v1/" + req.GetParent() + "/facilitators/" + url.PathEscape(req.GetFacilitator()) + "/meetings.ics"
	}
	return "/v1/" + req.GetParent() + "/meetings.ics"
}

// calendarResponse checks a feed download's status, media type and file
// name and returns it as an ExportMeetingCalendarResponse.
func calendarResponse(method, path string, res *restResponse) (*famiv1.ExportMeetingCalendarResponse, error) {
	if res.Status != http.StatusOK {
		return nil, problemError(method, path, res)
	}
	mt, params, err := mime.ParseMediaType(res.ContentType)
	if err != nil || mt != "text/calendar" || params["charset"] != "utf-8" {
		return nil, fmt.Errorf("%s %s: Content-Type %q, want text/calendar; charset=utf-8", method, path, res.ContentType)
	}
	_, disp, err := mime.ParseMediaType(res.Header.Get("Content-Disposition"))
	if err != nil || !strings.HasSuffix(disp["filename"], ".ics") {
		return nil, fmt.Errorf("%s %s: Content-Disposition %q names no .ics file", method, path, res.Header.Get("Content-Disposition"))
	}
	body := string(res.Body)
	return &famiv1.ExportMeetingCalendarResponse{ContentType: res.ContentType, Filename: disp["filename"], Calendar: body,
		Events: int32(strings.Count(body, "\r\nBEGIN:VEVENT\r\n"))}, nil
}

// --- reading feeds back ---

// readFeed parses a feed with github.com/arran4/golang-ical (the library
// that wrote it) and with github.com/emersion/go-ical (an independent
// one), checks that both read the same events and returns, by UID, each
// event's STATUS and start.
func readFeed(t *testing.T, what, feed string) map[string]string {
	t.Helper()
	for i, line := range strings.Split(strings.TrimSuffix(feed, "\r\n"), "\r\n") {
		if len(line) > 75 || strings.ContainsAny(line, "\r\n") {
			t.Errorf("%s: line %d is not a folded content line: %q", what, i+1, line)
		}
	}
	a, err := ics.ParseCalendar(strings.NewReader(feed))
	if err != nil {
		t.Fatalf("%s: golang-ical: %v", what, err)
	}
	fromA := map[string]string{}
	for _, e := range a.Events() {
		start, err := e.GetStartAt()
		if err != nil {
			t.Errorf("%s: golang-ical: DTSTART of %s: %v", what, e.Id(), err)
		}
		fromA[e.Id()] = e.GetProperty(ics.ComponentPropertyStatus).Value + " " + start.UTC().Format(time.RFC3339)
	}
	b, err := goical.NewDecoder(strings.NewReader(feed)).Decode()
	if err != nil {
		t.Fatalf("%s: go-ical: %v", what, err)
	}
	fromB := map[string]string{}
	for _, e := range b.Events() {
		uid, _ := e.Props.Text(goical.PropUID)
		st, _ := e.Status()
		start, err := e.DateTimeStart(time.UTC)
		if err != nil {
			t.Errorf("%s: go-ical: DTSTART of %s: %v", what, uid, err)
		}
		if tz := e.Props.Get(goical.PropDateTimeStart).Params.Get(goical.ParamTimezoneID); tz != "Europe/Rome" {
			t.Errorf("%s: %s: DTSTART TZID %q, want Europe/Rome", what, uid, tz)
		}
		fromB[uid] = string(st) + " " + start.UTC().Format(time.RFC3339)
	}
	if fmt.Sprint(fromA) != fmt.Sprint(fromB) {
		t.Errorf("%s: golang-ical reads %v, go-ical %v", what, fromA, fromB)
	}
	return fromB
}

// uidsOf lists the UIDs of a feed, sorted, with their status.
func uidsOf(events map[string]string) []string {
	var out []string
	for uid, v := range events {
		out = append(out, uid+" "+strings.Fields(v)[0])
	}
	slices.Sort(out)
	return out
}

// --- the scenario ---

func meetingName(id string) string { return lombardia + "/meetings/" + id }

// TestMeetingsEverySurface runs the meetings of issue 7 through grpc-go,
// Connect, gRPC-Web and REST, each against its own fresh server, and
// requires the four transcripts to be identical: schedule, invite, record
// attendance and minutes with two action items, close one, list the
// overdue ones, cancel another meeting; the refusals, naming the field;
// the calendars, read back with two parsers, through a feed token too;
// another region's meetings and feeds out of reach; a revoked feed token
// refused.
func TestMeetingsEverySurface(t *testing.T) {
	t.Parallel()
	onEverySurface(t, server.Config{}, rendered(meetingSummary), false, func(on *onSurface) {
		(&meetingScenario{on}).run()
	})
}

type meetingScenario struct{ *onSurface }

// meetingSummary is what the transcript keeps of a meeting: everything
// but times, which differ between servers and runs.
func meetingSummary(m *famiv1.Meeting) string {
	var att, items []string
	for _, a := range m.GetAttendance() {
		att = append(att, fmt.Sprintf("%s=%d", a.GetPartner(), a.GetAttendees()))
	}
	for _, it := range m.GetActionItems() {
		items = append(items, fmt.Sprintf("%s:%s:%s", it.GetId(), it.GetOwner(), it.GetStatus()))
	}
	return fmt.Sprintf("%s %s seq=%d etag=%s title=%q invited=%q attendance=%q items=%q facilitator=%s cancelled=%q",
		m.GetName(), m.GetState(), m.GetSequence(), m.GetEtag(), m.GetTitle(), m.GetInvitedPartners(), att, items, m.GetFacilitator(), m.GetCancellation().GetReason())
}

// ok checks that a step succeeded and records its result:
// sc.ok(step)(client.Call(...)).
func (sc *meetingScenario) ok(step string) func(*famiv1.Meeting, error) *famiv1.Meeting {
	return succeeded[*famiv1.Meeting](sc.transcript, step)
}

// getFeed fetches a .ics URL with plain HTTP, as a calendar client does:
// no Authorization header (unless auth is set), the feed token in the
// query (unless empty).
func (sc *meetingScenario) getFeed(path, token, auth, ifNoneMatch string) *restResponse {
	sc.t.Helper()
	u := sc.ts.httpURL() + path
	if token != "" {
		u += "?token=" + url.QueryEscape(token)
	}
	req, err := http.NewRequestWithContext(sc.ctx, http.MethodGet, u, nil)
	if err != nil {
		sc.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	res, body := fetch(sc.t, newHTTPClient(sc.t), req)
	return &restResponse{Status: res.StatusCode, ContentType: res.Header.Get("Content-Type"), Header: res.Header, Body: body}
}

// feedFails checks a refused feed download: a problem document with
// status and reason.
func (sc *meetingScenario) feedFails(step string, res *restResponse, status int, reason string) {
	sc.t.Helper()
	err := problemError(http.MethodGet, "feed", res)
	e, ok := asCallError(err)
	if !ok || e.HTTPStatus != status || e.Reason != reason {
		sc.t.Errorf("%s: got %v (status %d), want status %d reason %s", step, err, res.Status, status, reason)
	}
	sc.record("%s: http=%d reason=%s", step, res.Status, reason)
}

func (sc *meetingScenario) run() {
	t, ctx := sc.t, sc.ctx
	reg := newSurface(t, sc.ts, sc.kind) // region_admin of lombardia
	for _, p := range []string{"udp-milano", "cpia-milano", "cpi-milano", "caritas"} {
		if _, err := reg.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: p,
			Partner: &famiv1.Partner{DisplayName: "Partner " + p, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}); err != nil {
			t.Fatalf("create partner %s: %v", p, err)
		}
	}
	for id, other := range map[string]string{"rete-milano": "cpia-milano", "rete-sud": "cpi-milano"} {
		seedNetworkLedBy(t, ctx, reg, id, "udp-milano", other)
	}
	// Veneto has a network and a meeting of its own.
	venetoAdminToken := sc.ts.mintToken(regionAdminSpec("veneto"))
	venetoReg := newSurfaceAs(t, sc.ts, sc.kind, venetoAdminToken)
	mustOK(venetoReg.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: "regions/veneto", PartnerId: "udp-padova",
		Partner: &famiv1.Partner{DisplayName: "UdP Padova", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}}))(t, "veneto partner")
	mustOK(venetoReg.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: "regions/veneto", NetworkId: "rete-padova", Network: &famiv1.Network{
		DisplayName: "Rete Padova", LeadPartner: "regions/veneto/partners/udp-padova",
		Members: []*famiv1.Member{{Partner: "regions/veneto/partners/udp-padova", Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}}))(t, "veneto network")

	consultant := sc.as(auth.TokenSpec{Subject: "acct:lombardia:mrossi", Role: principal.Consultant, Region: "lombardia", Name: "Mario Rossi"})
	staff := sc.as(auth.TokenSpec{Subject: "test:staff:cpia-milano", Role: principal.NetworkMember, Region: "lombardia", Partner: partnerName("cpia-milano")})
	venetoAdmin := newSurfaceAs(t, sc.ts, sc.kind, venetoAdminToken)

	// Times: yesterday's table took place; next week's is ahead.
	now := sc.ts.Clock.Now().In(italy)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, italy)
	yesterday := today.AddDate(0, 0, -1)
	nextWeek := today.AddDate(0, 0, 7)
	span := func(day time.Time, from, to int) (*timestamppb.Timestamp, *timestamppb.Timestamp) {
		return timestamppb.New(day.Add(time.Duration(from) * time.Hour)), timestamppb.New(day.Add(time.Duration(to) * time.Hour))
	}
	table := &famiv1.Meeting{
		Networks:        []string{networkName("rete-milano")},
		Kind:            famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE,
		Title:           "Tavolo di coordinamento della rete di Milano",
		Mode:            famiv1.MeetingMode_MEETING_MODE_HYBRID,
		Place:           "Sala Alessi, Palazzo Marino",
		Link:            "https://meet.example.org/tavolo-milano",
		Agenda:          []*famiv1.AgendaItem{{Title: "Protocollo UdP-CPIA", DurationMinutes: 45}, {Title: "Calendario dei corsi L2"}},
		InvitedPartners: []string{partnerName("udp-milano"), partnerName("cpia-milano")},
	}
	table.StartTime, table.EndTime = span(yesterday, 10, 12)

	// Refusals name the field at fault, and nothing is written.
	bad := proto.CloneOf(table)
	bad.EndTime = timestamppb.New(bad.GetStartTime().AsTime().Add(-time.Hour))
	_, err := consultant.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: "bad", Meeting: bad})
	sc.fails("schedule with the end before the start", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"meeting.end_time"}}, "not after start_time")
	bad = proto.CloneOf(table)
	bad.InvitedPartners = append(bad.InvitedPartners, partnerName("nessuno"))
	_, err = consultant.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: "bad", Meeting: bad})
	sc.fails("invite a partner that does not exist", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"meeting.invited_partners[2]"}}, "does not exist")
	bad = proto.CloneOf(table)
	bad.Networks = append(bad.Networks, "regions/veneto/networks/rete-padova")
	_, err = consultant.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: "bad", Meeting: bad})
	sc.fails("schedule with a network of another region", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"meeting.networks[1]"}}, `region "lombardia"`)
	bad = proto.CloneOf(table)
	bad.Mode, bad.Link = famiv1.MeetingMode_MEETING_MODE_ONLINE, "meet.example.org"
	_, err = consultant.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: "bad", Meeting: bad})
	sc.fails("an online meeting without a URL", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"meeting.link"}}, "not a URL")

	// Schedule (the consultant facilitates), then invite one more partner.
	m := sc.ok("schedule yesterday's table")(consultant.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: "tavolo-milano", Meeting: table}))
	m = sc.ok("invite caritas")(consultant.UpdateMeeting(ctx, &famiv1.UpdateMeetingRequest{
		Meeting:    &famiv1.Meeting{Name: m.GetName(), InvitedPartners: append(table.InvitedPartners, partnerName("caritas")), Etag: m.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"invited_partners"}}}))
	next := proto.CloneOf(table)
	next.Title = "Tavolo della settimana prossima"
	next.StartTime, next.EndTime = span(nextWeek, 15, 17)
	n := sc.ok("the CPIA's staff schedule next week's table")(staff.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: "tavolo-prossimo", Meeting: next}))
	south := proto.CloneOf(table)
	south.Networks, south.InvitedPartners, south.Title = []string{networkName("rete-sud")}, nil, "Focus sul progetto, rete sud"
	south.Kind = famiv1.MeetingKind_MEETING_KIND_PROJECT_FOCUS
	south.StartTime, south.EndTime = span(nextWeek, 9, 10)
	_, err = staff.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: "focus-sud", Meeting: south})
	sc.fails("the CPIA's staff schedule for a network it is not in", err, wantErr{codes.PermissionDenied, "NOT_NETWORK_MEMBER", nil}, "rete-sud")
	sc.ok("the region schedules it")(reg2meetings(sc).CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: "focus-sud", Meeting: south}))

	// Attendance: not before the start; by partner and role, never names.
	att := []*famiv1.PartnerAttendance{
		{Partner: partnerName("udp-milano"), Attendees: 3, Roles: []*famiv1.AttendeeCount{
			{Role: famiv1.AttendeeRole_ATTENDEE_ROLE_UDP_MANAGER, Count: 1}, {Role: famiv1.AttendeeRole_ATTENDEE_ROLE_SOCIAL_WORKER, Count: 2}}},
		{Partner: partnerName("cpia-milano"), Attendees: 2, Roles: []*famiv1.AttendeeCount{{Role: famiv1.AttendeeRole_ATTENDEE_ROLE_TEACHER, Count: 2}}},
		{Partner: partnerName("caritas"), Attendees: 1, Roles: []*famiv1.AttendeeCount{{Role: famiv1.AttendeeRole_ATTENDEE_ROLE_CULTURAL_MEDIATOR, Count: 1}}},
	}
	_, err = consultant.RecordAttendance(ctx, &famiv1.RecordAttendanceRequest{Name: n.GetName(), Attendance: att})
	sc.fails("record attendance before the meeting starts", err, wantErr{codes.FailedPrecondition, "MEETING_NOT_STARTED", []string{"attendance"}}, "once it has started")
	m = sc.ok("record yesterday's attendance")(consultant.RecordAttendance(ctx, &famiv1.RecordAttendanceRequest{Name: m.GetName(), Attendance: att, Etag: m.GetEtag()}))

	// Minutes with two action items, both due yesterday: overdue today.
	due := yesterday.Format("2006-01-02")
	m = sc.ok("record the minutes")(consultant.RecordMinutes(ctx, &famiv1.RecordMinutesRequest{Name: m.GetName(),
		Minutes: "Verbale del tavolo.\nSi concorda la bozza del protocollo UdP-CPIA.",
		ActionItems: []*famiv1.ActionItem{
			{Id: "bozza-protocollo", Description: "Inviare la bozza del protocollo", Owner: partnerName("udp-milano"), DueDate: due},
			{Id: "calendario-l2", Description: "Pubblicare il calendario dei corsi L2", Owner: partnerName("cpia-milano"), DueDate: due},
		}}))
	m = sc.ok("the CPIA closes its action item")(staff.UpdateActionItem(ctx, &famiv1.UpdateActionItemRequest{Name: m.GetName(),
		ActionItemId: "calendario-l2", Status: famiv1.ActionItemStatus_ACTION_ITEM_STATUS_DONE, Note: "Pubblicato sul sito"}))
	items, err := consultant.ListActionItems(ctx, &famiv1.ListActionItemsRequest{Parent: lombardia, OverdueOnly: true})
	if err != nil {
		t.Fatalf("list overdue action items: %v", err)
	}
	var overdue []string
	for _, it := range items.GetActionItems() {
		overdue = append(overdue, fmt.Sprintf("%s/%s overdue=%v", it.GetMeeting(), it.GetActionItem().GetId(), it.GetOverdue()))
	}
	if want := []string{meetingName("tavolo-milano") + "/bozza-protocollo overdue=true"}; !slices.Equal(overdue, want) {
		t.Errorf("overdue action items: got %q, want %q", overdue, want)
	}
	sc.record("list overdue action items: %q", overdue)

	// Cancel next week's; then its minutes are refused.
	_, err = consultant.CancelMeeting(ctx, &famiv1.CancelMeetingRequest{Name: m.GetName(), Reason: "Troppo tardi"})
	sc.fails("cancel a meeting that was held", err, wantErr{codes.FailedPrecondition, "MEETING_HELD", nil}, "no longer be cancelled")
	n = sc.ok("cancel next week's table")(consultant.CancelMeeting(ctx, &famiv1.CancelMeetingRequest{Name: n.GetName(), Reason: "Sala non disponibile", Etag: n.GetEtag()}))
	_, err = consultant.RecordMinutes(ctx, &famiv1.RecordMinutesRequest{Name: n.GetName(), Minutes: "Verbale"})
	sc.fails("record minutes for a cancelled meeting", err, wantErr{codes.FailedPrecondition, "MEETING_CANCELLED", []string{"minutes"}}, "cancelled")

	// Lists and summaries.
	list, err := staff.ListMeetings(ctx, &famiv1.ListMeetingsRequest{Parent: lombardia, Network: networkName("rete-milano")})
	if err != nil || !slices.Equal(names(list.GetMeetings()), []string{meetingName("tavolo-milano"), meetingName("tavolo-prossimo")}) {
		t.Errorf("list rete-milano's meetings by start time: %v, %v", names(list.GetMeetings()), err)
	}
	sc.record("list rete-milano's meetings: %q", names(list.GetMeetings()))
	sum, err := consultant.SummarizeAttendance(ctx, &famiv1.SummarizeAttendanceRequest{Parent: lombardia})
	if err != nil {
		t.Fatalf("summarize attendance: %v", err)
	}
	tot := sum.GetTotals()
	if len(sum.GetGroups()) != 1 || tot.GetMeetingsHeld() != 1 || tot.GetAttendances() != 6 || tot.GetDistinctPartners() != 3 {
		t.Errorf("attendance summary: %v", sum)
	}
	sc.record("summarize attendance: groups=%d held=%d attendances=%d partners=%d", len(sum.GetGroups()), tot.GetMeetingsHeld(), tot.GetAttendances(), tot.GetDistinctPartners())

	// Calendars: exactly the region's, or the network's, meetings.
	feeds := map[string]*famiv1.ExportMeetingCalendarRequest{
		"region":      {Parent: lombardia},
		"rete-milano": {Parent: lombardia, Network: networkName("rete-milano")},
		"facilitator": {Parent: lombardia, Facilitator: "acct:lombardia:mrossi"},
	}
	want := map[string][]string{
		"region": {"focus-sud@regions.lombardia.raccordo CONFIRMED", "tavolo-milano@regions.lombardia.raccordo CONFIRMED",
			"tavolo-prossimo@regions.lombardia.raccordo CANCELLED"},
		"rete-milano": {"tavolo-milano@regions.lombardia.raccordo CONFIRMED", "tavolo-prossimo@regions.lombardia.raccordo CANCELLED"},
		"facilitator": {"tavolo-milano@regions.lombardia.raccordo CONFIRMED"},
	}
	var region string
	for _, feed := range []string{"region", "rete-milano", "facilitator"} {
		res, err := consultant.ExportMeetingCalendar(ctx, feeds[feed])
		if err != nil {
			t.Fatalf("export the %s calendar: %v", feed, err)
		}
		events := readFeed(t, feed, res.GetCalendar())
		if got := uidsOf(events); !slices.Equal(got, want[feed]) || int(res.GetEvents()) != len(got) {
			t.Errorf("the %s calendar: got %q (%d events), want %q", feed, got, res.GetEvents(), want[feed])
		}
		if feed == "region" {
			region = res.GetCalendar()
			if got := events["tavolo-milano@regions.lombardia.raccordo"]; got != "CONFIRMED "+table.GetStartTime().AsTime().UTC().Format(time.RFC3339) {
				t.Errorf("yesterday's table in the feed: %q", got)
			}
		}
		sc.record("the %s calendar: %s %q", feed, res.GetContentType(), uidsOf(events))
	}

	// A feed token: created, used without a header, listed, revoked.
	tok, err := consultant.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia, DisplayName: "Thunderbird"})
	if err != nil {
		t.Fatalf("create a feed token: %v", err)
	}
	sc.record("create a feed token: owner=%s role=%s", tok.GetCalendarToken().GetOwner(), tok.GetCalendarToken().GetOwnerRole())
	res := sc.getFeed("/v1/regions/lombardia/meetings.ics", tok.GetToken(), "", "")
	cal, err := calendarResponse(http.MethodGet, "feed", res)
	if err != nil {
		t.Fatalf("the region feed with a token: %v", err)
	}
	if cal.GetCalendar() != region {
		t.Errorf("the feed with a token differs from the one the RPC returned")
	}
	sc.record("the region feed with a feed token: %d %q", res.Status, uidsOf(readFeed(t, "token feed", cal.GetCalendar())))
	if etag := res.Header.Get("ETag"); etag == "" {
		t.Error("the feed has no ETag")
	} else if again := sc.getFeed("/v1/regions/lombardia/meetings.ics", tok.GetToken(), "", etag); again.Status != http.StatusNotModified || len(again.Body) != 0 {
		t.Errorf("the feed again with If-None-Match: status %d, %d bytes; want 304 and none", again.Status, len(again.Body))
	}
	res = sc.getFeed("/v1/regions/lombardia/networks/rete-sud/meetings.ics", tok.GetToken(), "", "")
	if cal, err := calendarResponse(http.MethodGet, "feed", res); err != nil || cal.GetEvents() != 1 {
		t.Errorf("rete-sud's feed with a token: %v, %v", cal, err)
	}
	res = sc.getFeed("/v1/regions/lombardia/facilitators/"+url.PathEscape("acct:lombardia:mrossi")+"/meetings.ics", tok.GetToken(), "", "")
	if cal, err := calendarResponse(http.MethodGet, "feed", res); err != nil || cal.GetEvents() != 1 {
		t.Errorf("the facilitator's feed with a token: %v, %v", cal, err)
	}
	sc.feedFails("a feed token and an Authorization header", sc.getFeed("/v1/regions/lombardia/meetings.ics", tok.GetToken(), sc.ts.token, ""), http.StatusBadRequest, "INVALID_ARGUMENT")
	sc.feedFails("no credentials at all", sc.getFeed("/v1/regions/lombardia/meetings.ics", "", "", ""), http.StatusUnauthorized, "TOKEN_REQUIRED")
	tokens, err := consultant.ListCalendarTokens(ctx, &famiv1.ListCalendarTokensRequest{Parent: lombardia})
	if err != nil || len(tokens.GetCalendarTokens()) != 1 || strings.Contains(brief(tokens), tok.GetToken()) {
		t.Errorf("list feed tokens: %v, %v", tokens, err)
	}

	// Another region's meetings and feeds are out of reach.
	vm := mustOK(venetoAdmin.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: "regions/veneto", MeetingId: "tavolo-padova", Meeting: &famiv1.Meeting{
		Networks: []string{"regions/veneto/networks/rete-padova"}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: "Tavolo di Padova",
		StartTime: table.StartTime, EndTime: table.EndTime, Mode: famiv1.MeetingMode_MEETING_MODE_IN_PERSON, Place: "Padova"}}))(t, "veneto meeting")
	_, err = consultant.GetMeeting(ctx, &famiv1.GetMeetingRequest{Name: vm.GetName()})
	sc.fails("Lombardia's consultant reads a Veneto meeting", err, wantErr{codes.PermissionDenied, "OUTSIDE_REGION", nil}, "veneto")
	_, err = consultant.ListMeetings(ctx, &famiv1.ListMeetingsRequest{Parent: "regions/veneto"})
	sc.fails("Lombardia's consultant lists Veneto's meetings", err, wantErr{codes.PermissionDenied, "OUTSIDE_REGION", nil}, "veneto")
	_, err = consultant.ExportMeetingCalendar(ctx, &famiv1.ExportMeetingCalendarRequest{Parent: "regions/veneto"})
	sc.fails("Lombardia's consultant exports Veneto's calendar", err, wantErr{codes.PermissionDenied, "OUTSIDE_REGION", nil}, "veneto")
	sc.feedFails("Lombardia's feed token on Veneto's feed", sc.getFeed("/v1/regions/veneto/meetings.ics", tok.GetToken(), "", ""), http.StatusUnauthorized, "INVALID_CALENDAR_TOKEN")
	venetoTok, err := venetoAdmin.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: "regions/veneto"})
	if err != nil {
		t.Fatal(err)
	}
	res = sc.getFeed("/v1/regions/veneto/meetings.ics", venetoTok.GetToken(), "", "")
	if cal, err := calendarResponse(http.MethodGet, "feed", res); err != nil || !strings.Contains(cal.GetCalendar(), "UID:tavolo-padova@regions.veneto.raccordo\r\n") || strings.Contains(cal.GetCalendar(), "lombardia") {
		t.Errorf("Veneto's feed with Veneto's token: %v, %v", cal, err)
	}

	// A revoked token is refused at once.
	r, err := consultant.RevokeCalendarToken(ctx, &famiv1.RevokeCalendarTokenRequest{Name: tok.GetCalendarToken().GetName()})
	if err != nil || r.GetRevokeTime() == nil {
		t.Fatalf("revoke the feed token: %v, %v", r, err)
	}
	sc.record("revoke the feed token: revoked_by=%s", r.GetRevokedBy())
	sc.feedFails("the revoked feed token", sc.getFeed("/v1/regions/lombardia/meetings.ics", tok.GetToken(), "", ""), http.StatusUnauthorized, "INVALID_CALENDAR_TOKEN")
	sc.feedFails("a made-up feed token", sc.getFeed("/v1/regions/lombardia/meetings.ics", "rcal_"+strings.Repeat("A", 43), "", ""), http.StatusUnauthorized, "INVALID_CALENDAR_TOKEN")

	// Held and cancelled meetings stay on record; a scheduled one goes.
	_, err = consultant.DeleteMeeting(ctx, &famiv1.DeleteMeetingRequest{Name: m.GetName()})
	sc.fails("delete a held meeting", err, wantErr{codes.FailedPrecondition, "MEETING_NOT_SCHEDULED", nil}, "stay on record")
	if _, err := consultant.DeleteMeeting(ctx, &famiv1.DeleteMeetingRequest{Name: meetingName("focus-sud")}); err != nil {
		t.Errorf("delete a scheduled meeting: %v", err)
	}
	_, err = consultant.GetMeeting(ctx, &famiv1.GetMeetingRequest{Name: meetingName("focus-sud")})
	sc.fails("get the deleted focus", err, wantErr{codes.NotFound, "NOT_FOUND", nil})
	final := sc.ok("get yesterday's table at the end")(staff.GetMeeting(ctx, &famiv1.GetMeetingRequest{Name: m.GetName()}))
	if final.GetState() != famiv1.MeetingState_MEETING_STATE_HELD || final.GetMinutes() == "" || len(final.GetActionItems()) != 2 {
		t.Errorf("yesterday's table at the end: %s", meetingSummary(final))
	}
}

// reg2meetings is a MeetingService client of the scenario's region admin.
func reg2meetings(sc *meetingScenario) surface {
	return newSurfaceAs(sc.t, sc.ts, sc.kind, sc.ts.token)
}

// italy is where the scenario's days begin.
var italy = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err)
	}
	return loc
}()

// --- the rights matrix (rights_test.go, meetingMatrixCases) ---

// meetingMatrix is the MeetingService side of one surface's matrixEnv:
// clients by role and by region admin, and the meeting fixtures of both
// regions. It is built on the first meeting cell of the env (cells of one
// env run one at a time).
type meetingMatrix struct {
	as     map[string]surface
	admins map[string]surface
	fx     map[string]*meetingFixtures
}

// meetingFixtures are the meetings of one region the matrix reads or is
// refused access to. held is a HELD meeting of the fixture network (its
// partners attended, its minutes have action item "item-1");
// elsewhere a HELD meeting of otherNetwork, a network led by the fixture
// member without the fixture lead (the network member's partner);
// scheduled a SCHEDULED meeting of the fixture network; token a feed
// token of the region admin.
type meetingFixtures struct {
	third, otherNetwork        string
	held, elsewhere, scheduled string
	token                      string
}

var meetingMatrices perEnv[*meetingMatrix]

// meetingSpec is the token spec of a matrix role, the same principal the
// env's other clients call as.
func (e *matrixEnv) meetingSpec(role string) auth.TokenSpec {
	spec := auth.TokenSpec{Subject: e.subjects[role], Region: ownRegion}
	switch role {
	case roleMinistry:
		spec.Role, spec.Region = principal.Ministry, ""
	case roleRegionAdmin:
		spec.Role = principal.RegionAdmin
	case roleConsultant:
		spec.Role = principal.Consultant
	case roleNetworkMember:
		spec.Role, spec.Partner = principal.NetworkMember, e.fx[ownRegion].lead
	case roleRegionalSystem:
		spec.Role = principal.RegionalSystem
	}
	return spec
}

// matrixMeeting is a meeting of network on a past day, so that attendance
// and minutes can be recorded.
func matrixMeeting(network, id string) *famiv1.Meeting {
	start := time.Date(2024, 3, 1, 10, 0, 0, 0, italy)
	return &famiv1.Meeting{Networks: []string{network}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE,
		Title: "Meeting " + id + " " + secretMarker, StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(2 * time.Hour)),
		Mode: famiv1.MeetingMode_MEETING_MODE_IN_PERSON, Place: "Room " + secretMarker}
}

// matrixMeetingsFrom is where the matrix's feeds start: before every
// fixture (older than a feed's default year).
var matrixMeetingsFrom = timestamppb.New(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))

// newMatrixMeeting creates, as region's admin, a meeting of network; with
// attendance (HELD) when held; with minutes and action item "item-1"
// (owned by owner) when minutes.
func (mm *meetingMatrix) newMatrixMeeting(ctx context.Context, region, id, network string, held, minutes bool, owner string, att ...*famiv1.PartnerAttendance) (*famiv1.Meeting, error) {
	admin := mm.admins[region]
	m, err := admin.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: "regions/" + region, MeetingId: id, Meeting: matrixMeeting(network, id)})
	if err != nil || (!held && !minutes) {
		return m, err
	}
	if held {
		if m, err = admin.RecordAttendance(ctx, &famiv1.RecordAttendanceRequest{Name: m.GetName(), Attendance: att}); err != nil {
			return nil, err
		}
	}
	if minutes {
		m, err = admin.RecordMinutes(ctx, &famiv1.RecordMinutesRequest{Name: m.GetName(), Minutes: "Minutes " + secretMarker,
			ActionItems: []*famiv1.ActionItem{{Id: "item-1", Description: "Action " + secretMarker, Owner: owner, DueDate: "2024-03-31"}}})
	}
	return m, err
}

// meetings returns the env's meetingMatrix, building it on first use.
func (c *matrixCall) meetings() *meetingMatrix {
	c.t.Helper()
	return meetingMatrices.get(c.env, c.newMeetingMatrix)
}

func (c *matrixCall) newMeetingMatrix(*testing.T) *meetingMatrix {
	e := c.env
	mm := &meetingMatrix{as: c.roleSurfaces(), admins: e.admins, fx: map[string]*meetingFixtures{}}
	ctx := c.ctx
	for _, region := range []string{ownRegion, foreignRegion} {
		fx, mfx, parent := e.fx[region], &meetingFixtures{}, "regions/"+region
		mfx.third = mustOK(e.newPartner(ctx, e.admins[region], parent, "fx-meeting-third"))(c.t, "meeting fixture partner").GetName()
		mfx.otherNetwork = mustOK(e.newNetwork(ctx, e.admins[region], parent, "fx-meeting-network", fx.member, mfx.third))(c.t, "meeting fixture network").GetName()
		both := []*famiv1.PartnerAttendance{{Partner: fx.lead, Attendees: 2}, {Partner: fx.member, Attendees: 1}}
		mfx.held = mustOK(mm.newMatrixMeeting(ctx, region, "fx-held", fx.network, true, true, fx.lead, both...))(c.t, "meeting fixture").GetName()
		mfx.elsewhere = mustOK(mm.newMatrixMeeting(ctx, region, "fx-elsewhere", mfx.otherNetwork, true, false, "",
			&famiv1.PartnerAttendance{Partner: fx.member, Attendees: 4}))(c.t, "meeting fixture").GetName()
		mfx.scheduled = mustOK(mm.newMatrixMeeting(ctx, region, "fx-scheduled", fx.network, false, false, ""))(c.t, "meeting fixture").GetName()
		mfx.token = mustOK(mm.admins[region].CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: parent, DisplayName: "Token " + secretMarker}))(c.t, "feed token fixture").GetCalendarToken().GetName()
		mm.fx[region] = mfx
	}
	return mm
}

// mtg calls MeetingService as the cell's role; mfx are the meeting
// fixtures of the cell's region.
func (c *matrixCall) mtg() surface          { return c.meetings().as[c.role] }
func (c *matrixCall) mfx() *meetingFixtures { return c.meetings().fx[c.region] }

// newMeeting makes the cell's meeting: a fresh one of the fixture network
// (so the network member's partner is a member) when the README allows
// the call, HELD with action item "item-1" when minutes; a fixture in the
// same state otherwise (a refused call must write nothing).
func (c *matrixCall) newMeeting(minutes bool) {
	c.t.Helper()
	mm := c.meetings()
	if !c.allowed {
		c.target = mm.fx[c.region].scheduled
		if minutes {
			c.target = mm.fx[c.region].held
		}
		return
	}
	m := mustOK(mm.newMatrixMeeting(c.ctx, c.region, c.id, c.fx.network, false, minutes, c.fx.lead))(c.t, "create meeting "+c.id)
	c.target = m.GetName()
}

// TestMeetingDaysAreItalys: a meeting's times are in range (2014 to 2100)
// by the day they fall on in Italy, as every day of the services is
// counted: one at 00:30 on 1 January 2014 in Rome (23:30 UTC the day
// before) is taken, one ending at midnight on 1 January 2101 in Rome
// (23:00 UTC on 31 December 2100) is refused naming meeting.end_time.
// Both were judged by their UTC day, the other way round.
func TestMeetingDaysAreItalys(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		network := seedEveryType(t, ts)["fami.v1.Network"]
		s := newSurface(t, ts, kind)
		at := func(id string, start time.Time) error {
			mt := matrixMeeting(network, id)
			mt.StartTime, mt.EndTime = timestamppb.New(start), timestamppb.New(start.Add(time.Hour))
			_, err := s.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: id, Meeting: mt})
			return err
		}
		if err := at("capodanno-2014", time.Date(2014, 1, 1, 0, 30, 0, 0, italy)); err != nil {
			t.Errorf("a meeting at 00:30 on 1 January 2014 in Rome: %v", err)
		}
		checkErr(t, "a meeting ending at midnight on 1 January 2101 in Rome", at("capodanno-2101", time.Date(2100, 12, 31, 23, 0, 0, 0, italy)),
			wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"meeting.end_time"}})
	})
}
