package meetings_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"
	goical "github.com/emersion/go-ical"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/errs/errstest"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/principal"
)

// feedEvent is what a test reads back of a VEVENT, whichever parser read
// it.
type feedEvent struct {
	uid, summary, status, location, tzid string
	start, end                           time.Time
	sequence                             string
}

// parseFeed reads a feed with both parsers (github.com/arran4/golang-ical,
// which wrote it, and github.com/emersion/go-ical, an independent one),
// checks the framing RFC 5545 asks for and that both read the same events,
// and returns them by UID.
func parseFeed(t *testing.T, feed string) map[string]feedEvent {
	t.Helper()
	if !strings.HasPrefix(feed, "BEGIN:VCALENDAR\r\n") || !strings.HasSuffix(feed, "END:VCALENDAR\r\n") {
		t.Fatalf("feed does not begin and end as a VCALENDAR with CRLF:\n%s", feed)
	}
	for i, line := range strings.Split(strings.TrimSuffix(feed, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d is %d octets long (RFC 5545 folds at 75): %q", i+1, len(line), line)
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i+1, line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("line %d is not UTF-8 (folded inside a character?): %q", i+1, line)
		}
	}

	a, err := ics.ParseCalendar(strings.NewReader(feed))
	if err != nil {
		t.Fatalf("golang-ical cannot parse the feed: %v", err)
	}
	fromA := map[string]feedEvent{}
	for _, e := range a.Events() {
		ev := feedEvent{uid: e.Id()}
		if p := e.GetProperty(ics.ComponentPropertySummary); p != nil {
			ev.summary = ics.FromText(p.Value)
		}
		if p := e.GetProperty(ics.ComponentPropertyStatus); p != nil {
			ev.status = p.Value
		}
		if p := e.GetProperty(ics.ComponentPropertyLocation); p != nil {
			ev.location = ics.FromText(p.Value)
		}
		if p := e.GetProperty(ics.ComponentPropertySequence); p != nil {
			ev.sequence = p.Value
		}
		if p := e.GetProperty(ics.ComponentPropertyDtStart); p != nil && len(p.ICalParameters["TZID"]) == 1 {
			ev.tzid = p.ICalParameters["TZID"][0]
		}
		if ev.start, err = e.GetStartAt(); err != nil {
			t.Errorf("golang-ical: DTSTART of %s: %v", ev.uid, err)
		}
		if ev.end, err = e.GetEndAt(); err != nil {
			t.Errorf("golang-ical: DTEND of %s: %v", ev.uid, err)
		}
		fromA[ev.uid] = ev
	}
	if tzs := a.Timezones(); len(tzs) != 1 || tzs[0].GetProperty(ics.ComponentPropertyTzid).Value != "Europe/Rome" {
		t.Errorf("want one VTIMEZONE, Europe/Rome; got %d", len(tzs))
	}

	b, err := goical.NewDecoder(strings.NewReader(feed)).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot parse the feed: %v", err)
	}
	var buf bytes.Buffer
	if err := goical.NewEncoder(&buf).Encode(b); err != nil {
		t.Errorf("go-ical finds the feed invalid (it validates before encoding): %v", err)
	}
	fromB := map[string]feedEvent{}
	for _, e := range b.Events() {
		ev := feedEvent{tzid: e.Props.Get(goical.PropDateTimeStart).Params.Get(goical.ParamTimezoneID)}
		ev.uid, _ = e.Props.Text(goical.PropUID)
		ev.summary, _ = e.Props.Text(goical.PropSummary)
		ev.location, _ = e.Props.Text(goical.PropLocation)
		if st, err := e.Status(); err == nil {
			ev.status = string(st)
		}
		ev.sequence = e.Props.Get(goical.PropSequence).Value
		if ev.start, err = e.DateTimeStart(time.UTC); err != nil {
			t.Errorf("go-ical: DTSTART of %s: %v", ev.uid, err)
		}
		if ev.end, err = e.DateTimeEnd(time.UTC); err != nil {
			t.Errorf("go-ical: DTEND of %s: %v", ev.uid, err)
		}
		for _, p := range []string{goical.PropDateTimeStamp, goical.PropUID, goical.PropDateTimeStart} {
			if e.Props.Get(p) == nil {
				t.Errorf("event %s lacks %s", ev.uid, p)
			}
		}
		fromB[ev.uid] = ev
	}
	if len(fromA) != len(fromB) {
		t.Errorf("golang-ical reads %d events, go-ical %d", len(fromA), len(fromB))
	}
	for uid, ea := range fromA {
		eb := fromB[uid]
		if !ea.start.Equal(eb.start) || !ea.end.Equal(eb.end) {
			t.Errorf("%s: golang-ical reads %v-%v, go-ical %v-%v", uid, ea.start, ea.end, eb.start, eb.end)
		}
		ea.start, ea.end, eb.start, eb.end = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if ea != eb {
			t.Errorf("%s: golang-ical reads %+v, go-ical %+v", uid, ea, eb)
		}
	}
	return fromB
}

func uids(events map[string]feedEvent) []string {
	var out []string
	for uid := range events {
		out = append(out, uid)
	}
	slices.Sort(out)
	return out
}

func TestCalendarFeeds(t *testing.T) {
	e := newEnv(t)
	c := e.consultant()
	e.Clock.Set(at(t, "2026-03-02 10:00"))

	// In winter (CET), with every character TEXT escapes, and a
	// description long enough to fold, accents included.
	a := e.meeting()
	a.Title = `Tavolo; UdP, CPIA \ CPI: "verbale"`
	a.Description = strings.Repeat("Perché l'integrazione è un lavoro di rete, ", 8) + "\r\nSeconda riga;\nterza, con virgola"
	ma := e.create(c, "tavolo-marzo", a)
	// In summer (CEST), across both networks, online.
	b := e.meeting()
	b.Networks = []string{networkName("rete-bergamo"), networkName("rete-dalmine")}
	b.StartTime, b.EndTime = ts(t, "2026-07-01 17:30"), ts(t, "2026-07-01 19:00")
	b.Mode, b.Place, b.Link = famiv1.MeetingMode_MEETING_MODE_ONLINE, "", "https://meet.example.org/r?id=1&x=a,b;c"
	b.Facilitator, b.FacilitatorDisplayName = "acct:lombardia:lverdi", "Lucia Verdi"
	mb := e.create(c, "focus-luglio", b)
	// rete-dalmine only, cancelled.
	d := e.meeting()
	d.Networks, d.InvitedPartners = []string{networkName("rete-dalmine")}, nil
	d.StartTime, d.EndTime = ts(t, "2026-03-04 09:00"), ts(t, "2026-03-04 10:00")
	md := e.create(c, "dalmine-annullato", d)
	if _, err := e.svc.CancelMeeting(c, &famiv1.CancelMeetingRequest{Name: md.GetName(), Reason: "Sciopero"}); err != nil {
		t.Fatal(err)
	}
	// More than a year ago: out of the default window.
	old := e.meeting()
	old.StartTime, old.EndTime = ts(t, "2025-02-01 10:00"), ts(t, "2025-02-01 11:00")
	e.create(c, "vecchio", old)

	export := func(req *famiv1.ExportMeetingCalendarRequest) (*famiv1.ExportMeetingCalendarResponse, map[string]feedEvent) {
		t.Helper()
		req.Parent = parent
		res, err := e.svc.ExportMeetingCalendar(e.admin(), req)
		if err != nil {
			t.Fatal(err)
		}
		if res.GetContentType() != "text/calendar; charset=utf-8" {
			t.Errorf("content type %q", res.GetContentType())
		}
		events := parseFeed(t, res.GetCalendar())
		if int(res.GetEvents()) != len(events) {
			t.Errorf("events = %d, the feed has %d", res.GetEvents(), len(events))
		}
		return res, events
	}

	res, events := export(&famiv1.ExportMeetingCalendarRequest{})
	if got, want := uids(events), []string{"dalmine-annullato@regions.lombardia.raccordo", "focus-luglio@regions.lombardia.raccordo", "tavolo-marzo@regions.lombardia.raccordo"}; !slices.Equal(got, want) {
		t.Errorf("region feed: %v, want %v", got, want)
	}
	for _, line := range []string{"VERSION:2.0", "METHOD:PUBLISH", "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-WR-TIMEZONE:Europe/Rome",
		"X-LIC-LOCATION:Europe/Rome", "NAME:Raccordo - Lombardia: meetings", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"} {
		if !strings.Contains(res.GetCalendar(), "\r\n"+line+"\r\n") {
			t.Errorf("the region feed lacks the line %q", line)
		}
	}
	if res.GetFilename() != "lombardia-meetings.ics" {
		t.Errorf("filename %q", res.GetFilename())
	}
	ea := events[meetings.UID(ma.GetName())]
	if ea.summary != a.Title || ea.status != "CONFIRMED" || ea.sequence != "0" || ea.tzid != "Europe/Rome" || ea.location != a.Place {
		t.Errorf("winter meeting: %+v", ea)
	}
	if !ea.start.Equal(ma.GetStartTime().AsTime()) || !ea.end.Equal(ma.GetEndTime().AsTime()) {
		t.Errorf("winter meeting at %v-%v, want %v-%v", ea.start, ea.end, ma.GetStartTime().AsTime(), ma.GetEndTime().AsTime())
	}
	if !strings.Contains(res.GetCalendar(), "DTSTART;TZID=Europe/Rome:20260310T100000\r\n") {
		t.Errorf("the winter meeting's DTSTART is not 10:00 local time:\n%s", res.GetCalendar())
	}
	eb := events[meetings.UID(mb.GetName())]
	if !strings.Contains(res.GetCalendar(), "DTSTART;TZID=Europe/Rome:20260701T173000\r\n") || !eb.start.Equal(mb.GetStartTime().AsTime()) {
		t.Errorf("the summer meeting's DTSTART: %+v", eb)
	}
	if eb.location != b.Link {
		t.Errorf("online meeting's location %q, want its link", eb.location)
	}
	if ed := events[meetings.UID(md.GetName())]; ed.status != "CANCELLED" || ed.sequence != "1" {
		t.Errorf("cancelled meeting: %+v", ed)
	}
	// The description round-trips (line ends as LF).
	cal, err := goical.NewDecoder(strings.NewReader(res.GetCalendar())).Decode()
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range cal.Events() {
		if uid, _ := ev.Props.Text(goical.PropUID); uid == meetings.UID(ma.GetName()) {
			desc, _ := ev.Props.Text(goical.PropDescription)
			if want := strings.ReplaceAll(a.Description, "\r\n", "\n"); !strings.Contains(desc, want) || !strings.Contains(desc, "Rete bergamo") {
				t.Errorf("description %q does not hold %q and the network's name", desc, want)
			}
		}
	}

	// A change raises SEQUENCE and changes the feed; nothing else moves.
	if _, err := e.svc.UpdateMeeting(c, &famiv1.UpdateMeetingRequest{Meeting: &famiv1.Meeting{Name: ma.GetName(),
		StartTime: ts(t, "2026-03-10 11:00"), EndTime: ts(t, "2026-03-10 13:00")}, UpdateMask: mask("start_time", "end_time")}); err != nil {
		t.Fatal(err)
	}
	res2, events := export(&famiv1.ExportMeetingCalendarRequest{})
	if ea := events[meetings.UID(ma.GetName())]; ea.sequence != "1" || !ea.start.Equal(at(t, "2026-03-10 11:00")) {
		t.Errorf("after the change: %+v", ea)
	}
	res3, _ := export(&famiv1.ExportMeetingCalendarRequest{})
	if res2.GetCalendar() != res3.GetCalendar() {
		t.Error("two exports of the same data differ")
	}

	// Per network: exactly the network's meetings.
	res, events = export(&famiv1.ExportMeetingCalendarRequest{Network: networkName("rete-dalmine")})
	if got, want := uids(events), []string{"dalmine-annullato@regions.lombardia.raccordo", "focus-luglio@regions.lombardia.raccordo"}; !slices.Equal(got, want) {
		t.Errorf("rete-dalmine feed: %v, want %v", got, want)
	}
	if !strings.Contains(res.GetCalendar(), "X-WR-CALNAME:Raccordo - Rete dalmine: meetings\r\n") {
		t.Errorf("rete-dalmine feed's name:\n%s", res.GetCalendar())
	}
	// Per facilitator.
	_, events = export(&famiv1.ExportMeetingCalendarRequest{Facilitator: "acct:lombardia:lverdi"})
	if got, want := uids(events), []string{"focus-luglio@regions.lombardia.raccordo"}; !slices.Equal(got, want) {
		t.Errorf("facilitator feed: %v, want %v", got, want)
	}
	// An older start.
	_, events = export(&famiv1.ExportMeetingCalendarRequest{StartFrom: timestamppb.New(at(t, "2025-01-01 00:00"))})
	if len(events) != 4 {
		t.Errorf("feed from 2025: %v", uids(events))
	}

	_, err = e.svc.ExportMeetingCalendar(e.admin(), &famiv1.ExportMeetingCalendarRequest{Parent: parent, Network: networkName("nessuna")})
	errstest.Want(t, "the feed of a network that does not exist", err, errs.NotFound, "NOT_FOUND")
	_, err = e.svc.ExportMeetingCalendar(e.admin(), &famiv1.ExportMeetingCalendarRequest{Parent: parent, Network: "regions/veneto/networks/rete-padova"})
	errstest.Want(t, "the feed of another region's network", err, errs.Invalid, "INVALID_ARGUMENT", "network")
}

// TestRomeTimezoneRule checks the VTIMEZONE the feeds carry (summer time
// from the last Sunday of March, 01:00 UTC, to the last Sunday of October,
// 01:00 UTC) against Go's zone database for every year meetings can have
// until the database's rules run out of known history.
func TestRomeTimezoneRule(t *testing.T) {
	lastSunday := func(year int, month time.Month) time.Time {
		d := time.Date(year, month+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
		for d.Weekday() != time.Sunday {
			d = d.AddDate(0, 0, -1)
		}
		return d.Add(time.Hour) // 01:00 UTC
	}
	offset := func(t time.Time) int {
		_, off := t.In(rome).Zone()
		return off / 3600
	}
	for year := 2014; year <= 2037; year++ {
		spring, autumn := lastSunday(year, time.March), lastSunday(year, time.October)
		if offset(spring.Add(-time.Second)) != 1 || offset(spring) != 2 || offset(autumn.Add(-time.Second)) != 2 || offset(autumn) != 1 {
			t.Errorf("%d: Europe/Rome does not switch at %v and %v", year, spring, autumn)
		}
	}
}

// TestCalendarRepeatedAutumnHour: on the last Sunday of October Rome's
// clocks go from 03:00 back to 02:00, so 02:00-03:00 happens twice. A local
// time with TZID=Europe/Rome names the first one only (RFC 5545 3.3.5), so
// meetings in that hour must come out unambiguous: both parsers must read
// the instant stored and the duration, for a meeting in the first 02:30,
// one in the second 02:30, and one across the change.
func TestCalendarRepeatedAutumnHour(t *testing.T) {
	e := newEnv(t)
	c := e.consultant()
	e.Clock.Set(at(t, "2026-10-01 10:00"))
	utc := func(s string) *timestamppb.Timestamp {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return timestamppb.New(tm)
	}
	cases := []struct {
		id, start, end, wantLocal string
	}{
		{"prima-ora", "2026-10-25T00:30:00Z", "2026-10-25T00:50:00Z", "02:30 CEST"},  // the first 02:30 (UTC+2)
		{"seconda-ora", "2026-10-25T01:30:00Z", "2026-10-25T01:50:00Z", "02:30 CET"}, // the second 02:30 (UTC+1)
		{"a-cavallo", "2026-10-25T00:15:00Z", "2026-10-25T01:45:00Z", "02:15 CEST"},  // 90 minutes, 02:15 to the second 02:45
		{"dopo", "2026-10-25T02:30:00Z", "2026-10-25T03:30:00Z", "03:30 CET"},        // unambiguous: stays in local time
	}
	for _, tc := range cases {
		m := e.meeting()
		m.StartTime, m.EndTime = utc(tc.start), utc(tc.end)
		e.create(c, tc.id, m)
	}
	res, err := e.svc.ExportMeetingCalendar(e.admin(), &famiv1.ExportMeetingCalendarRequest{Parent: parent})
	if err != nil {
		t.Fatal(err)
	}
	events := parseFeed(t, res.GetCalendar()) // both parsers, and they agree
	rome, _ := time.LoadLocation("Europe/Rome")
	for _, tc := range cases {
		ev, ok := events[meetings.UID(meetingName(tc.id))]
		if !ok {
			t.Errorf("%s: not in the feed", tc.id)
			continue
		}
		start, end := utc(tc.start).AsTime(), utc(tc.end).AsTime()
		if !ev.start.Equal(start) || ev.end.Sub(ev.start) != end.Sub(start) {
			t.Errorf("%s: read %v (%v), want %v (%v)", tc.id, ev.start, ev.end.Sub(ev.start), start, end.Sub(start))
		}
		if got := ev.start.In(rome).Format("15:04 MST"); got != tc.wantLocal {
			t.Errorf("%s: starts at %s in Rome, want %s", tc.id, got, tc.wantLocal)
		}
	}
	if !strings.Contains(res.GetCalendar(), "DTSTART;TZID=Europe/Rome:20261025T033000\r\n") {
		t.Errorf("a meeting outside the repeated hour is not in local time:\n%s", res.GetCalendar())
	}
	if !strings.Contains(res.GetCalendar(), "DTSTART:20261025T013000Z\r\n") {
		t.Errorf("the meeting at the second 02:30 is not in UTC:\n%s", res.GetCalendar())
	}

	// A third, non-Go reader: Python's icalendar (Debian's
	// python3-icalendar; .ci/run installs it and sets
	// RACCORDO_REQUIRE_PYTHON_ICALENDAR so CI cannot skip this).
	py := pythonICalendar(t, res.GetCalendar())
	for _, tc := range cases {
		start, end := utc(tc.start).AsTime(), utc(tc.end).AsTime()
		got, ok := py[meetings.UID(meetingName(tc.id))]
		if !ok || !got.start.Equal(start) || got.duration != end.Sub(start) {
			t.Errorf("%s: Python icalendar reads %v (%v), want %v (%v)", tc.id, got.start, got.duration, start, end.Sub(start))
		}
	}
}

// pythonEvent is what Python's icalendar reads of a VEVENT.
type pythonEvent struct {
	start    time.Time
	duration time.Duration
}

// pythonICalendar reads a feed with Python's icalendar package and returns
// each event's start (as an instant) and duration, by UID. It skips the
// test when the package is missing, unless
// RACCORDO_REQUIRE_PYTHON_ICALENDAR is set.
func pythonICalendar(t *testing.T, feed string) map[string]pythonEvent {
	t.Helper()
	const script = `
import datetime, sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
for ev in cal.walk("VEVENT"):
    s, e = ev.decoded("DTSTART"), ev.decoded("DTEND")
    print(str(ev["UID"]), s.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), int((e - s).total_seconds()))
`
	// Debian's package is for the system's Python, which may not be the
	// first python3 on PATH (pyenv).
	python := ""
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import icalendar").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		if os.Getenv("RACCORDO_REQUIRE_PYTHON_ICALENDAR") != "" {
			t.Fatal("Python's icalendar is required but no python3 imports it")
		}
		t.Skip("Python's icalendar is not installed (apt-get install python3-icalendar)")
	}
	file := filepath.Join(t.TempDir(), "feed.ics")
	if err := os.WriteFile(file, []byte(feed), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, "-c", script, file).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 icalendar: %v\n%s", err, out)
	}
	events := map[string]pythonEvent{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var uid, start string
		var seconds int64
		if _, err := fmt.Sscan(line, &uid, &start, &seconds); err != nil {
			t.Fatalf("python3 printed %q: %v", line, err)
		}
		st, err := time.Parse(time.RFC3339, start)
		if err != nil {
			t.Fatal(err)
		}
		events[uid] = pythonEvent{start: st, duration: time.Duration(seconds) * time.Second}
	}
	return events
}

// TestCalendarFacilitatorLine: a meeting's description names its
// facilitator by display name, and leaves the line out where the
// facilitator has none rather than write the subject.
func TestCalendarFacilitatorLine(t *testing.T) {
	e := newEnv(t)
	e.Clock.Set(at(t, "2026-03-02 10:00"))
	named := e.create(e.consultant(), "con-nome", e.meeting()) // Mario Rossi
	// A service token's caller: a subject and no display name.
	unnamed := e.create(e.As(principal.Principal{Subject: "svc:importer", Role: principal.RegionAdmin, Region: lombardia}), "senza-nome", e.meeting())
	if unnamed.GetFacilitatorDisplayName() != "" {
		t.Fatalf("the member's meeting has facilitator name %q, want none", unnamed.GetFacilitatorDisplayName())
	}
	res, err := e.svc.ExportMeetingCalendar(e.admin(), &famiv1.ExportMeetingCalendarRequest{Parent: parent})
	if err != nil {
		t.Fatal(err)
	}
	// Unfolded (RFC 5545 3.1); the description's newlines are escaped as \n.
	feed := strings.ReplaceAll(res.GetCalendar(), "\r\n ", "")
	if !strings.Contains(feed, `\nFacilitator: Mario Rossi\n`) {
		t.Errorf("the feed does not name %s's facilitator:\n%s", named.GetName(), feed)
	}
	if strings.Count(feed, "Facilitator:") != 1 || strings.Contains(feed, unnamed.GetFacilitator()) {
		t.Errorf("the feed writes a facilitator line for %s, or its subject %q:\n%s", unnamed.GetName(), unnamed.GetFacilitator(), feed)
	}
}

// TestCalendarFeedBounded: a feed that would hold more than 10,000
// meetings (maxCalendarEvents) is refused as a request its caller fixes,
// INVALID_ARGUMENT with the reason CALENDAR_TOO_LARGE naming start_from,
// and a later start_from that leaves 10,000 is answered. It was
// FAILED_PRECONDITION, the code of a state the caller cannot change by
// asking otherwise (AIP-193).
func TestCalendarFeedBounded(t *testing.T) {
	const most = 10_000
	e := newEnv(t)
	ctx := e.admin()
	first := at(t, "2026-03-02 10:00")
	start := func(i int) time.Time { return first.Add(time.Duration(i) * time.Hour) }
	sideBySide(t, most+1, func(i int) error {
		m := e.meeting()
		m.StartTime, m.EndTime = timestamppb.New(start(i)), timestamppb.New(start(i).Add(30*time.Minute))
		_, err := e.svc.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: fmt.Sprintf("m%05d", i), Meeting: m})
		return err
	})
	_, err := e.svc.ExportMeetingCalendar(ctx, &famiv1.ExportMeetingCalendarRequest{Parent: parent, StartFrom: timestamppb.New(first)})
	errstest.Want(t, "a feed of 10,001 meetings", err, errs.Invalid, errs.CalendarTooLarge, "start_from")
	res, err := e.svc.ExportMeetingCalendar(ctx, &famiv1.ExportMeetingCalendarRequest{Parent: parent, StartFrom: timestamppb.New(start(1))})
	if err != nil || res.GetEvents() != most {
		t.Errorf("a feed of the 10,000 meetings from the second on: %d events, %v", res.GetEvents(), err)
	}
}
