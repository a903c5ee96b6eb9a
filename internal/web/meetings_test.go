package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

func TestMeetingScheduleAttendanceMinutesAndFeed(t *testing.T) {
	f := startFamid(t)
	b, _, udp, cpia := f.annaInBergamo(t)

	// Held ten days ago, so its attendance and minutes can be recorded.
	day := f.Clock.Now().In(rome()).AddDate(0, 0, -10)
	form := url.Values{"csrf": {b.csrf("/incontri/nuovo")}, "networks": {"regions/lombardia/networks/rete-bergamo"},
		"kind": {"MEETING_KIND_COORDINATION_TABLE"}, "title": {"Tavolo di coordinamento di novembre"}, "day": {day.Format("02/01/2006")},
		"start_time": {"10:00"}, "end_time": {"09:00"}, "mode": {"MEETING_MODE_IN_PERSON"}, "place": {"Bergamo, via Roma 1"}}
	res, page := b.do("POST", "/incontri", form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-end_time-err"`) || !strings.Contains(page, "Tavolo di coordinamento di novembre") {
		t.Fatalf("end before start: status %d; want 422 with the error at end_time and the input kept", res.StatusCode)
	}
	form.Set("end_time", "12:00")
	res, _ = b.do("POST", "/incontri", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("schedule: status %d", res.StatusCode)
	}
	path := strings.Split(res.Header.Get("Location"), "?")[0]

	res, page = b.do("POST", path+"/presenze", url.Values{"csrf": {b.csrf(path)}, "att." + udp: {"3"}, "att." + udp + ".ATTENDEE_ROLE_TEACHER": {"5"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `role="alert"`) || !strings.Contains(page, `name="att.`+udp+`.ATTENDEE_ROLE_TEACHER" value="5"`) {
		t.Errorf("roles adding up to more than the attendees: status %d; want 422 keeping the input", res.StatusCode)
	}
	res, _ = b.do("POST", path+"/presenze", url.Values{"csrf": {b.csrf(path)}, "att." + udp: {"3"}, "att." + cpia: {"0"},
		"att." + udp + ".ATTENDEE_ROLE_TEACHER": {"2"}, "att." + udp + ".ATTENDEE_ROLE_CULTURAL_MEDIATOR": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("attendance: status %d", res.StatusCode)
	}
	due := day.AddDate(0, 0, 2).Format("02/01/2006")
	res, _ = b.do("POST", path+"/verbale", url.Values{"csrf": {b.csrf(path)}, "minutes": {"Il tavolo ha condiviso il calendario dei corsi."},
		"ai.0.description": {"Inviare il calendario dei corsi"}, "ai.0.owner": {cpia}, "ai.0.due_date": {due}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("minutes: status %d", res.StatusCode)
	}
	_, page = b.do("GET", path, nil)
	for _, want := range []string{"Ufficio di Piano di Bergamo: 3 (1 Mediatori culturali, 2 Docenti)", "CPIA Bergamo: 0", "Il tavolo ha condiviso", `class="overdue">Inviare il calendario dei corsi`, "Scaduta"} {
		if !strings.Contains(page, want) {
			t.Errorf("meeting page lacks %q", want)
		}
	}
	_, page = b.do("GET", "/incontri", nil)
	if !strings.Contains(page, "Azioni scadute") || !strings.Contains(page, "Inviare il calendario dei corsi") {
		t.Errorf("the meetings page does not list the overdue action item")
	}

	// A scheduled meeting can be cancelled, with a reason.
	form.Set("csrf", b.csrf("/incontri/nuovo"))
	form.Set("day", f.Clock.Now().In(rome()).AddDate(0, 0, 10).Format("02/01/2006"))
	res, _ = b.do("POST", "/incontri", form)
	next := strings.Split(res.Header.Get("Location"), "?")[0]
	res, page = b.do("POST", next+"/annulla", url.Values{"csrf": {b.csrf(next)}, "conferma": {"1"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-reason-err"`) {
		t.Errorf("cancel without a reason: status %d; want 422 with the error at the reason", res.StatusCode)
	}
	_, page = b.do("GET", next, nil)
	etag := regexp.MustCompile(`action="/incontri/[^"]+/annulla"[^>]*>.*?name="etag" value="([^"]+)"`).FindStringSubmatch(strings.ReplaceAll(page, "\n", " "))
	if etag == nil {
		t.Fatalf("no cancel form on a scheduled meeting")
	}
	if res, _ = b.do("POST", next+"/annulla", url.Values{"csrf": {b.csrf(next)}, "etag": {etag[1]}, "reason": {"Sciopero dei trasporti"}, "conferma": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: status %d", res.StatusCode)
	}
	if _, page = b.do("GET", next, nil); !strings.Contains(page, "Sciopero dei trasporti") || strings.Contains(page, "/annulla") {
		t.Errorf("the cancelled meeting does not show why, or can be cancelled again")
	}

	// The calendar link works without a session, with the feed token.
	_, page = b.do("POST", "/incontri/calendario", url.Values{"csrf": {b.csrf("/incontri")}})
	m := regexp.MustCompile(`id="feed-url">([^<]+)<`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no feed address shown")
	}
	feed := strings.ReplaceAll(m[1], "&amp;", "&")
	res, err := http.Get(feed)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body := new(strings.Builder)
	if _, err := io.Copy(body, res.Body); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.Contains(body.String(), "BEGIN:VCALENDAR") || !strings.Contains(body.String(), "Tavolo di coordinamento di novembre") {
		t.Errorf("feed %s: status %d, body %.200q", feed, res.StatusCode, body.String())
	}
}

// TestCalendarTokenLimitOnThePage: a user's 21st live calendar address
// is refused as the state of their tokens (TOO_MANY_TOKENS). It comes
// back on the meetings page, the button's page, with the limit and what
// to do said beside the button; it went to the error page (400).
func TestCalendarTokenLimitOnThePage(t *testing.T) {
	f := startFamid(t)
	b, _, _, _ := f.annaInBergamo(t)
	for i := range 20 {
		if res, _ := b.do("POST", "/incontri/calendario", url.Values{"csrf": {b.csrf("/incontri")}}); res.StatusCode != http.StatusOK {
			t.Fatalf("calendar address %d: status %d", i+1, res.StatusCode)
		}
	}
	res, page := b.do("POST", "/incontri/calendario", url.Values{"csrf": {b.csrf("/incontri")}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("the 21st calendar address: status %d, want 422 with the meetings page again", res.StatusCode)
	}
	for _, want := range []string{"Hai già 20 indirizzi del calendario attivi", "famictl calendar token revoke", `action="/incontri/calendario"`, "Prossimi incontri"} {
		if !strings.Contains(page, want) {
			t.Errorf("the refused calendar address's page lacks %q", want)
		}
	}
	if strings.Contains(page, `id="feed-url"`) {
		t.Error("the refused calendar address's page shows an address")
	}
}

// TestStaleMeetingFormReloadsMeetingPage: an attendance or minutes form
// saved after someone else changed the meeting is refused as stale, and
// its "Ricarica" link opens the meeting's page, which the form is on, not
// the address the form posted to (POST only, which would not be found).
func TestStaleMeetingFormReloadsMeetingPage(t *testing.T) {
	f := startFamid(t)
	b, network, udp, cpia := f.annaInBergamo(t)
	start := f.Clock.Now().AddDate(0, 0, -10)
	meetings := famiv1.NewMeetingServiceClient(f.conn)
	m, err := meetings.CreateMeeting(f.admin("lombardia"), &famiv1.CreateMeetingRequest{Parent: "regions/lombardia",
		Meeting: &famiv1.Meeting{Networks: []string{network}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: "Tavolo di coordinamento",
			StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(2 * time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_IN_PERSON, Place: "Bergamo"}})
	if err != nil {
		t.Fatal(err)
	}
	path := "/incontri/" + lastID(m.GetName())
	reload := `<a href="` + path + `">Ricarica la versione attuale</a>`

	for _, tc := range []struct {
		form   string
		typed  func(url.Values)
		change func() error
	}{
		{"/presenze", func(v url.Values) { v.Set("att."+udp, "3") }, func() error {
			_, err := meetings.RecordAttendance(f.admin("lombardia"), &famiv1.RecordAttendanceRequest{Name: m.GetName(),
				Attendance: []*famiv1.PartnerAttendance{{Partner: cpia, Attendees: 2}}})
			return err
		}},
		{"/verbale", func(v url.Values) { v.Set("minutes", "Il tavolo ha condiviso il calendario.") }, func() error {
			_, err := meetings.RecordMinutes(f.admin("lombardia"), &famiv1.RecordMinutesRequest{Name: m.GetName(), Minutes: "Verbale della regione."})
			return err
		}},
	} {
		t.Run(tc.form, func(t *testing.T) {
			_, page := b.do("GET", path, nil)
			form := formValues(t, page, path+tc.form)
			tc.typed(form)
			if err := tc.change(); err != nil {
				t.Fatal(err)
			}
			res, page := b.do("POST", path+tc.form, form)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("stale %s: status %d, want 422", tc.form, res.StatusCode)
			}
			if !strings.Contains(page, reload) {
				t.Errorf("the stale %s page has no link %s", tc.form, reload)
			}
			if res, _ := b.do("GET", path, nil); res.StatusCode != http.StatusOK {
				t.Errorf("the reload link's page answers %d", res.StatusCode)
			}
		})
	}
}
