package web_test

import (
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store"
)

func TestMeetingScheduleAttendanceMinutesAndFeed(t *testing.T) {
	t.Parallel()
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
	_, page = b.do("POST", "/incontri/calendario", url.Values{"csrf": {b.csrf("/incontri/calendario")}})
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
// back on the calendar page, the button's page, with the limit and what
// to do said beside the button (revoke one of those listed below it);
// it went to the error page (400). The page comes back as it was sent
// from, its query kept (here a list's position, which a page of more
// than 50 addresses carries): it came back to its first view, and its
// links led to the button's address. The button was on the meetings
// page, whose archive's query this test kept, until the addresses got a
// page of their own (calendarPath).
func TestCalendarTokenLimitOnThePage(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	b, _, _, _ := f.annaInBergamo(t)
	for i := range 20 {
		if res, _ := b.do("POST", "/incontri/calendario", url.Values{"csrf": {b.csrf("/incontri/calendario")}}); res.StatusCode != http.StatusOK {
			t.Fatalf("calendar address %d: status %d", i+1, res.StatusCode)
		}
	}
	_, page := b.do("GET", "/incontri/calendario?cal_da=50&ok=calendar_revoked", nil)
	action := regexp.MustCompile(`<form method="post" action="(/incontri/calendario[^"]*)"`).FindStringSubmatch(page)
	if action == nil || action[1] != "/incontri/calendario?cal_da=50" {
		t.Fatalf("the calendar button posts to %q, want /incontri/calendario?cal_da=50 (its query, not its notice)", action)
	}
	res, page := b.do("POST", action[1], url.Values{"csrf": {b.csrf("/incontri/calendario")}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("the 21st calendar address: status %d, want 422 with the calendar page again", res.StatusCode)
	}
	for _, want := range []string{"Hai già 20 indirizzi del calendario attivi", "revocane uno che non usi più (qui sotto, «Revoca l&#39;indirizzo»)",
		`action="/incontri/calendario?cal_da=50"`, "<h1>Calendario degli incontri</h1>", `<a href="/incontri">← Incontri delle reti</a>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the refused calendar address's page lacks %q", want)
		}
	}
	if n := strings.Count(page, `/revoca?cal_da=50" class="inline"`); n != 20 {
		t.Errorf("the refused calendar address's page offers to revoke %d addresses, want the 20 live ones", n)
	}
	if strings.Contains(page, `id="feed-url"`) || strings.Contains(page, "famictl") {
		t.Error("the refused calendar address's page shows an address, or sends the user to famictl")
	}
}

// TestStaleMeetingFormReloadsMeetingPage: an attendance or minutes form
// saved after someone else changed the meeting is refused as stale, and
// its "Ricarica" link opens the meeting's page, which the form is on, not
// the address the form posted to (POST only, which would not be found).
func TestStaleMeetingFormReloadsMeetingPage(t *testing.T) {
	t.Parallel()
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

// TestBrowserRevokeCalendarAddress: a calendar address created on the
// calendar page, which the meetings page links to, is listed there, live, with a button that revokes it once
// the dialog is answered yes (answered no, its feed still answers);
// revoked, the list says since when and offers it no more, and its feed
// answers a revoked token's refusal (401, INVALID_CALENDAR_TOKEN). axe
// finds nothing serious, and on a 390 px phone the list is cards. Before,
// the page had no list, and its text sent the user to famictl. The
// addresses were on the meetings page until they got a page of their own
// (calendarPath), which this test now reaches by the meetings page's link.
func TestBrowserRevokeCalendarAddress(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	f.annaInBergamo(t)
	b := newBrowser(t, f)
	b.signIn("anna@lombardia")
	b.run("open the calendar page", chromedp.Navigate(f.url("/incontri")), chromedp.WaitVisible(chromedp.CSS(`a[href="/incontri/calendario"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/incontri/calendario"]`)), chromedp.WaitVisible(chromedp.CSS(`form[action^="/incontri/calendario"] button`)))
	b.run("create a calendar address",
		chromedp.Click(chromedp.CSS(`form[action^="/incontri/calendario"] button`)), chromedp.WaitVisible(chromedp.CSS("#feed-url")))
	feed := b.text("#feed-url")
	var body string
	answer := func() int {
		res, err := http.Get(feed)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
		return res.StatusCode
	}
	list := "#feeds-title + .table-wrap"
	b.wantText(list, "Attivo, scade il")
	b.check("calendario-creato")
	// The page's notice, not the address shown once, says it is done.
	notice := "main > .container > .alert.success"
	askedFirst(b, "revoke", chromedp.Click(chromedp.CSS(`form[action^="/calendario/"] button`)), "Revocare l'indirizzo del calendario?",
		answer, http.StatusOK, notice, http.StatusUnauthorized)
	if !strings.Contains(body, "INVALID_CALENDAR_TOKEN") {
		t.Errorf("the revoked address's feed answers %.300q, want the refusal of a revoked token", body)
	}
	b.wantText(notice, "Indirizzo del calendario revocato.")
	// Revoked, it is listed apart from the live ones, which are none.
	list = "#ended-feeds-title + .table-wrap"
	b.wantText(list, "Revocato il")
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#feeds-title').length`)); err != nil || n != 0 {
		t.Errorf("the live addresses are still listed (%d headings, %v), though the only one is revoked", n, err)
	}
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('form[action^="/calendario/"]').length`)); err != nil || n != 0 {
		t.Errorf("the revoked address is offered for revocation again (%d forms, %v)", n, err)
	}
	b.run("open at 390 px", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(list)))
	for _, problem := range b.cardProblems() {
		t.Errorf("the calendar addresses at 390 px: %s", problem)
	}
	b.check("calendario-revocato-390")
	b.run("reset viewport", chromedp.EmulateReset())
}

// TestCalendarAddressesLiveNewestFirst: the calendar page (on the meetings
// page until it got its own, calendarPath) lists the live
// calendar addresses newest first, and the revoked and expired ones apart,
// newest first too, with no revoke button. Before, one list held them
// all in id order (random), so the address just made could be anywhere,
// among the dead ones.
func TestCalendarAddressesLiveNewestFirst(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	meetings := famiv1.NewMeetingServiceClient(f.conn)
	names := map[string]string{}
	// A machine token's calendar tokens expire with it, in an hour: Scade
	// expires, the others, made by the next one, are live.
	for _, label := range []string{"Scade", "Primo", "Revocato", "Secondo", "Terzo"} {
		res, err := meetings.CreateCalendarToken(f.admin("lombardia"), &famiv1.CreateCalendarTokenRequest{Parent: "regions/lombardia", DisplayName: label})
		if err != nil {
			t.Fatal(err)
		}
		names[label] = res.GetCalendarToken().GetName()
		f.Clock.Advance(time.Minute)
		if label == "Scade" {
			f.Clock.Advance(50 * time.Minute)
		}
	}
	if _, err := meetings.RevokeCalendarToken(f.admin("lombardia"), &famiv1.RevokeCalendarTokenRequest{Name: names["Revocato"]}); err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(10 * time.Minute)
	admin := f.client(t)
	admin.signIn("admin@lombardia")
	_, page := admin.do("GET", "/incontri/calendario", nil)
	live, ended, ok := strings.Cut(page, `id="ended-feeds-title"`)
	if !ok {
		t.Fatal("the calendar page lists no revoked or expired address apart")
	}
	label := regexp.MustCompile(`<td data-label="Nome">([^<]+)</td>`)
	labels := func(html string) (got []string) {
		for _, m := range label.FindAllStringSubmatch(html, -1) {
			got = append(got, m[1])
		}
		return got
	}
	if got, want := labels(live), []string{"Terzo", "Secondo", "Primo"}; !slices.Equal(got, want) {
		t.Errorf("the live addresses: %q, want %q", got, want)
	}
	if got, want := labels(ended), []string{"Revocato", "Scade"}; !slices.Equal(got, want) {
		t.Errorf("the ended addresses: %q, want %q", got, want)
	}
	if strings.Contains(ended, "/revoca") || !strings.Contains(ended, "Revocato il") || !strings.Contains(ended, "Scaduto il") {
		t.Errorf("the ended addresses offer a revocation, or do not say revoked and expired since when: %.2000s", ended)
	}
	if n := strings.Count(live, `action="/calendario/`); n != 3 {
		t.Errorf("the live addresses offer %d revocations, want 3", n)
	}
}

// TestCalendarAddressesByRights: the calendar page (on the meetings page
// until it got its own, calendarPath) lists the calendar
// addresses the API lists to the user, with a revoke button for each
// live one: a network member's own; every one of the region for its
// admin, with its owner named, who may revoke them. Another user sees
// none of them, and a revocation forged by them is refused as a page not
// found (NOT_OWN_TOKEN hides whether the address exists), the address
// still live.
func TestCalendarAddressesByRights(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	anna, _, _, _ := f.annaInBergamo(t)
	if res, _ := anna.do("POST", "/incontri/calendario", url.Values{"csrf": {anna.csrf("/incontri/calendario")}}); res.StatusCode != http.StatusOK {
		t.Fatalf("calendar address: status %d", res.StatusCode)
	}
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	f.account("lombardia", "mrossi", "Mario Rossi", famiv1.Role_ROLE_CONSULTANT, "")
	admin, mario := f.client(t), f.client(t)
	admin.signIn("admin@lombardia")
	mario.signIn("mrossi@lombardia")
	revoke := regexp.MustCompile(`action="(/calendario/[^/"]+/revoca)"`)

	_, page := anna.do("GET", "/incontri/calendario", nil)
	if m := revoke.FindAllStringSubmatch(page, -1); len(m) != 1 || strings.Contains(page, ">Titolare</th>") {
		t.Errorf("Anna's page offers to revoke %d addresses, with owners named %v; want her one, no owner column", len(m), strings.Contains(page, ">Titolare</th>"))
	}
	_, page = admin.do("GET", "/incontri/calendario", nil)
	m := revoke.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, ">Titolare</th>") || !strings.Contains(page, `<td data-label="Titolare">Anna Bianchi</td>`) {
		t.Fatal("the region admin's page does not list Anna's address, with her name, to revoke")
	}
	live := func() bool {
		listed, err := famiv1.NewMeetingServiceClient(f.conn).ListCalendarTokens(f.admin("lombardia"), &famiv1.ListCalendarTokensRequest{Parent: "regions/lombardia"})
		if err != nil {
			t.Fatal(err)
		}
		return listed.GetCalendarTokens()[0].GetRevokeTime() == nil
	}
	_, page = mario.do("GET", "/incontri/calendario", nil)
	if strings.Contains(page, "Indirizzi del calendario") || revoke.MatchString(page) {
		t.Error("another user's calendar page lists Anna's calendar address")
	}
	if res, _ := mario.do("POST", m[1], url.Values{"csrf": {mario.csrf("/incontri/calendario")}, "conferma": {"1"}}); res.StatusCode != http.StatusNotFound || !live() {
		t.Errorf("another user's revocation: status %d, live %v; want 404 and the address live", res.StatusCode, live())
	}
	res, _ := admin.do("POST", m[1], url.Values{"csrf": {admin.csrf("/incontri/calendario")}, "conferma": {"1"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/incontri/calendario" || live() {
		t.Errorf("the admin's revocation: status %d to %q, live %v; want 303 to the page's notice and the address revoked", res.StatusCode, res.Header.Get("Location"), live())
	}
}

// TestMeetingRecordsStoredUnderOlderRules: a meeting whose attendance (counts
// by role adding up to more than the attendees) and action item (due
// before the meeting, which has since moved later) were stored before
// the rules refused them (straight to the region's file) records, through
// its page's forms, another partner's attendance and new minutes: each
// form sends the stored values back as they are, which the service
// forgives, and both are saved.
func TestMeetingRecordsStoredUnderOlderRules(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	_, network, udp, cpia := f.annaInBergamo(t)
	day := f.Clock.Now().In(rome()).AddDate(0, 0, -10)
	m, err := f.onlineMeeting("tavolo", network, "Tavolo di coordinamento", day)
	if err != nil {
		t.Fatal(err)
	}
	f = f.storedDirectly(func(tx store.WriteTx) error {
		stored := &famiv1.Meeting{}
		if err := tx.Get(m.GetName(), stored); err != nil {
			return err
		}
		stored.State = famiv1.MeetingState_MEETING_STATE_HELD
		stored.Attendance = []*famiv1.PartnerAttendance{{Partner: udp, Attendees: 2,
			Roles: []*famiv1.AttendeeCount{{Role: famiv1.AttendeeRole_ATTENDEE_ROLE_TEACHER, Count: 5}}}}
		stored.ActionItems = []*famiv1.ActionItem{{Id: "calendario", Description: "Inviare il calendario", Owner: cpia,
			DueDate: day.AddDate(0, 0, -3).Format(time.DateOnly), Status: famiv1.ActionItemStatus_ACTION_ITEM_STATUS_OPEN}}
		return tx.Put(stored)
	})
	b := f.client(t)
	b.signIn("anna@lombardia")
	path := "/incontri/" + lastID(m.GetName())
	if _, page := b.do("GET", path, nil); !strings.Contains(page, `name="att.`+udp+`.ATTENDEE_ROLE_TEACHER" value="5"`) {
		t.Errorf("the attendance form does not show the counts by role as stored")
	}

	res, _ := b.do("POST", path+"/presenze", url.Values{"csrf": {b.csrf(path)}, "att." + udp: {"2"}, "att." + udp + ".ATTENDEE_ROLE_TEACHER": {"5"},
		"att." + cpia: {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("another partner's attendance beside one stored under older rules: status %d, want 303", res.StatusCode)
	}
	res, _ = b.do("POST", path+"/verbale", url.Values{"csrf": {b.csrf(path)}, "minutes": {"Il tavolo ha condiviso il calendario."}})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("minutes beside an action item stored under older rules: status %d, want 303", res.StatusCode)
	}
	got, err := famiv1.NewMeetingServiceClient(f.conn).GetMeeting(f.admin("lombardia"), &famiv1.GetMeetingRequest{Name: m.GetName()})
	if err != nil || len(got.GetAttendance()) != 2 || got.GetMinutes() != "Il tavolo ha condiviso il calendario." || len(got.GetActionItems()) != 1 {
		t.Errorf("the meeting after its forms: %v, %v; want both partners' attendance, the minutes and the stored item", got, err)
	}
}

// TestAttendanceFormKeepsNamedContacts: the attendance form counts each
// partner's attendees and does not name them; saved again (another
// partner's attendance added), it keeps the contacts recorded through the
// API by name for a partner it sends. Before, the save erased them.
// TestAttendanceFormKeepsGuests: the attendance a save sends replaces the
// meeting's whole, so the form has a row for a partner whose attendance
// was recorded though it is no member of the meeting's networks (a guest
// recorded through the API, or a member who left since), filled with its
// line. The form had rows for the networks' members alone, and a save
// for one of them erased the guest's line.
func TestAttendanceFormKeepsGuests(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	b, network, udp, _ := f.annaInBergamo(t)
	prefettura := f.partner("lombardia", "prefettura-bergamo", "Prefettura di Bergamo")
	m := f.pastTable(network)
	ctx := f.admin("lombardia")
	meetings := famiv1.NewMeetingServiceClient(f.conn)
	if _, err := meetings.RecordAttendance(ctx, &famiv1.RecordAttendanceRequest{Name: m.GetName(), Attendance: []*famiv1.PartnerAttendance{
		{Partner: prefettura, Attendees: 1}}}); err != nil {
		t.Fatal(err)
	}
	path := "/incontri/" + lastID(m.GetName())
	page := b.wantPage(path, http.StatusOK)
	if !strings.Contains(page, `name="att.`+prefettura+`" value="1"`) {
		t.Fatalf("the attendance form has no row for the guest's recorded attendance:\n%s", page)
	}
	// What the browser sends: every row's field, the guest's as shown.
	if res, _ := b.do("POST", path+"/presenze", url.Values{"csrf": {b.csrf(path)}, "att." + udp: {"2"}, "att." + prefettura: {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the attendance form: status %d, want 303", res.StatusCode)
	}
	got, err := meetings.GetMeeting(ctx, &famiv1.GetMeetingRequest{Name: m.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	byPartner := map[string]int32{}
	for _, at := range got.GetAttendance() {
		byPartner[at.GetPartner()] = at.GetAttendees()
	}
	if want := map[string]int32{udp: 2, prefettura: 1}; !maps.Equal(byPartner, want) {
		t.Errorf("the attendance after the form: %v, want %v", byPartner, want)
	}
}

func TestAttendanceFormKeepsNamedContacts(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	b, network, udp, cpia := f.annaInBergamo(t)
	m := f.pastTable(network)
	ctx := f.admin("lombardia")
	mario := f.marioAttended(m, udp)
	meetings := famiv1.NewMeetingServiceClient(f.conn)
	path := "/incontri/" + lastID(m.GetName())
	if res, _ := b.do("POST", path+"/presenze", url.Values{"csrf": {b.csrf(path)}, "att." + udp: {"2"}, "att." + cpia: {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the attendance form: status %d, want 303", res.StatusCode)
	}
	got, err := meetings.GetMeeting(ctx, &famiv1.GetMeetingRequest{Name: m.GetName()})
	if err != nil || len(got.GetAttendance()) != 2 {
		t.Fatalf("the meeting after its attendance form: %v, %v; want both partners", got, err)
	}
	for _, at := range got.GetAttendance() {
		if at.GetPartner() == udp && (len(at.GetContacts()) != 1 || at.GetContacts()[0] != mario) {
			t.Errorf("the UdP's attendance after the form names %v, want %s", at.GetContacts(), mario)
		}
	}
}

// TestAttendanceRefusalOnItsRow: each refusal of the attendance form is
// shown on the row of the partner at fault, at the field at fault (the
// attendees, or a count by role), in words of its own cause, and the form
// keeps what was typed; the fieldset speaks only for the list itself (no
// partner filled in) or for a partner the form has no row for (a form not
// of this page). Before, every refusal was the fieldset's, in the words of
// the empty list: "Indica almeno un ente con il numero di presenti."
func TestAttendanceRefusalOnItsRow(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	b, network, udp, cpia := f.annaInBergamo(t)
	prefettura := f.partner("lombardia", "prefettura-bergamo", "Prefettura di Bergamo")
	m := f.pastTable(network)
	f.marioAttended(m, udp)
	path := "/incontri/" + lastID(m.GetName())
	fieldset := `<legend>Registra le presenze (0 = assente)</legend><span class="error-text" id="f-attendance-err">`
	row := func(partner string, role ...string) string {
		return `<span class="error-text" id="att-` + strings.Join(append([]string{lastID(partner)}, role...), "-") + `-err">`
	}
	causes := map[string]string{
		"list":     "Indica almeno un ente con il numero di presenti.",
		"range":    "Indica un numero di presenti da 0 (assente) a 1000.",
		"sum":      "I presenti per ruolo sommano a 5, ma i presenti dell&#39;ente sono 3: correggi gli uni o gli altri.",
		"role":     "Indica un numero da 1 a 1000, o lascia vuoto il ruolo.",
		"contacts": "Le persone di questo ente registrate per nome tra i presenti sono 1: i presenti non possono essere meno.",
		"partner":  "Un ente indicato non esiste in questa regione o è indicato due volte: ricarica la pagina e registra di nuovo le presenze.",
	}
	for _, c := range []struct {
		name        string
		sent        url.Values
		cause, at   string
		kept, notAt string
	}{
		{"no partner filled in", url.Values{"att." + udp: {""}, "att." + cpia: {""}}, "list", fieldset, "", row(udp)},
		{"attendees out of range", url.Values{"att." + udp: {"5000"}}, "range", row(udp), `name="att.` + udp + `" value="5000"`, fieldset},
		{"another partner's attendees out of range", url.Values{"att." + udp: {"2"}, "att." + cpia: {"-1"}}, "range", row(cpia), `name="att.` + cpia + `" value="-1"`, row(udp)},
		{"counts by role not adding up", url.Values{"att." + udp: {"3"}, "att." + udp + ".ATTENDEE_ROLE_TEACHER": {"5"}}, "sum", row(udp),
			`name="att.` + udp + `.ATTENDEE_ROLE_TEACHER" value="5"`, row(udp, "ATTENDEE_ROLE_TEACHER")},
		{"a count by role out of range", url.Values{"att." + udp: {"3"}, "att." + udp + ".ATTENDEE_ROLE_TEACHER": {"-2"}}, "role", row(udp, "ATTENDEE_ROLE_TEACHER"),
			`name="att.` + udp + `.ATTENDEE_ROLE_TEACHER" value="-2"`, row(udp)},
		{"attendees below the contacts named", url.Values{"att." + udp: {"0"}, "att." + cpia: {"1"}}, "contacts", row(udp), `name="att.` + udp + `" value="0"`, fieldset},
		{"a role the form does not offer", url.Values{"att." + udp: {"2"}, "att." + udp + ".ATTENDEE_ROLE_ASTRONAUT": {"2"}}, "bad_role", row(udp), `name="att.` + udp + `" value="2"`, fieldset},
		{"a partner that does not exist", url.Values{"att." + udp: {"2"}, "att.regions/lombardia/partners/nessuno": {"1"}}, "partner", fieldset, `name="att.` + udp + `" value="2"`, row(udp)},
		{"a partner the form has no row for", url.Values{"att." + udp: {"2"}, "att." + prefettura: {"5000"}}, "range", fieldset, `name="att.` + udp + `" value="2"`, row(udp)},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.sent.Set("csrf", b.csrf(path))
			res, page := b.do("POST", path+"/presenze", c.sent)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.StatusCode)
			}
			if !strings.Contains(page, c.at+causes[c.cause]) {
				t.Errorf("the page does not say %q where it belongs (%s):\n%s", causes[c.cause], c.at, page)
			}
			if strings.Contains(page, c.notAt) {
				t.Errorf("the page shows an error at %s too", c.notAt)
			}
			for k, other := range causes {
				if k != c.cause && strings.Contains(page, other) {
					t.Errorf("the page says %q too", other)
				}
			}
			if !strings.Contains(page, c.kept) {
				t.Errorf("the form does not keep what was typed: %s", c.kept)
			}
		})
	}
}

// TestBrowserAttendanceRefusalOnItsRow: in Chromium, counts by role that do
// not add up to the attendees come back on the partner's row, the
// attendees field marked invalid and described by the words of the cause,
// what was typed kept; a form with no partner filled in is refused on the
// fieldset, described by its words as the rows are; axe finds nothing
// serious on either refused form.
func TestBrowserAttendanceRefusalOnItsRow(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	_, network, udp, _ := f.annaInBergamo(t)
	m := f.pastTable(network)
	b := newBrowser(t, f)
	b.signIn("anna@lombardia")
	attendees, teachers := "#att-"+lastID(udp), "#att-"+lastID(udp)+"-ATTENDEE_ROLE_TEACHER"
	b.run("record counts by role that do not add up", chromedp.Navigate(f.url("/incontri/"+lastID(m.GetName()))), chromedp.WaitVisible(chromedp.CSS(attendees)),
		chromedp.SendKeys(chromedp.CSS(attendees), "3"), chromedp.SendKeys(chromedp.CSS(teachers), "5"),
		chromedp.Click(chromedp.CSS(`form[action$="/presenze"] button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(attendees+"-err")))
	b.wantText(attendees+"-err", "I presenti per ruolo sommano a 5, ma i presenti dell'ente sono 3")
	marks, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`(e => [e.getAttribute("aria-invalid"), e.getAttribute("aria-describedby")])(document.querySelector(`+quote(attendees)+`))`))
	if err != nil {
		t.Fatal(err)
	}
	invalid, described := marks[0], marks[1]
	if invalid != "true" || described != "att-"+lastID(udp)+"-err" || b.value(attendees) != "3" || b.value(teachers) != "5" {
		t.Errorf("the attendees field: aria-invalid %q, aria-describedby %q, values %q and %q; want it marked, described by its error, and what was typed",
			invalid, described, b.value(attendees), b.value(teachers))
	}
	b.check("presenze-rifiutate")

	list := `form[action$="/presenze"] > fieldset > .error-text`
	b.run("record no partner", chromedp.Navigate(f.url("/incontri/"+lastID(m.GetName()))), chromedp.WaitVisible(chromedp.CSS(attendees)),
		chromedp.Click(chromedp.CSS(`form[action$="/presenze"] button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(list)))
	b.wantText(list, "Indica almeno un ente con il numero di presenti.")
	link, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`(e => [e.parentElement.getAttribute("aria-describedby") ?? "", e.id])(document.querySelector(`+quote(list)+`))`))
	if err != nil {
		t.Fatal(err)
	}
	if link[0] == "" || link[0] != link[1] {
		t.Errorf("the attendance fieldset: aria-describedby %q, its error's id %q; want the fieldset described by its error", link[0], link[1])
	}
	b.check("presenze-vuote")
}

// TestBrowserAttendanceRowBreakingTwoRules: a partner's row whose
// attendees are below the contacts named and whose counts by role do not
// add up to them shows both causes at the attendees field, one line each,
// described by them (aria-describedby); before, the last replaced the
// first, and the row, fixed for it, was refused again for the other.
func TestBrowserAttendanceRowBreakingTwoRules(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	_, network, udp, _ := f.annaInBergamo(t)
	m := f.pastTable(network)
	f.marioAttended(m, udp)
	b := newBrowser(t, f)
	b.signIn("anna@lombardia")
	attendees, teachers := "#att-"+lastID(udp), "#att-"+lastID(udp)+"-ATTENDEE_ROLE_TEACHER"
	b.run("record attendees below the contacts, and counts by role above them", chromedp.Navigate(f.url("/incontri/"+lastID(m.GetName()))),
		chromedp.WaitVisible(chromedp.CSS(attendees)), chromedp.SetValue(chromedp.CSS(attendees), ""), chromedp.SendKeys(chromedp.CSS(attendees), "0"),
		chromedp.SetValue(chromedp.CSS(teachers), ""), chromedp.SendKeys(chromedp.CSS(teachers), "5"),
		chromedp.Click(chromedp.CSS(`form[action$="/presenze"] button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(attendees+"-err")))
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`(e => [e.getAttribute("aria-describedby"), document.getElementById(e.getAttribute("aria-describedby"))?.innerText ?? ""])(document.querySelector(`+quote(attendees)+`))`))
	if err != nil {
		t.Fatal(err)
	}
	contacts := "Le persone di questo ente registrate per nome tra i presenti sono 1: i presenti non possono essere meno."
	sum := "I presenti per ruolo sommano a 5, ma i presenti dell'ente sono 0: correggi gli uni o gli altri."
	if lines := strings.Split(got[1], "\n"); got[0] != "att-"+lastID(udp)+"-err" || len(lines) != 2 || !slices.Contains(lines, contacts) || !slices.Contains(lines, sum) {
		t.Errorf("the attendees field is described by %q: %q; want its error, a line for each rule broken: %q and %q", got[0], got[1], contacts, sum)
	}
	b.check("presenze-due-regole")
}

// pastTable is a coordination table of network, held ten days ago: its
// attendance may be recorded.
func (f *famid) pastTable(network string) *famiv1.Meeting {
	f.t.Helper()
	m, err := f.onlineMeeting("tavolo", network, "Tavolo di coordinamento", f.Clock.Now().In(rome()).AddDate(0, 0, -10))
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// marioAttended records through the API that partner sent two people to
// meeting m, one of them named: Mario Rossi, a contact of partner made
// here, whose name it returns.
func (f *famid) marioAttended(m *famiv1.Meeting, partner string) string {
	f.t.Helper()
	ctx := f.admin("lombardia")
	mario, err := famiv1.NewContactServiceClient(f.conn).CreateContact(ctx, &famiv1.CreateContactRequest{Parent: "regions/lombardia", ContactId: "mario",
		Contact: &famiv1.Contact{DisplayName: "Mario Rossi", Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_TEACHER, Partner: partner}})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := famiv1.NewMeetingServiceClient(f.conn).RecordAttendance(ctx, &famiv1.RecordAttendanceRequest{Name: m.GetName(),
		Attendance: []*famiv1.PartnerAttendance{{Partner: partner, Attendees: 2, Contacts: []string{mario.GetName()}}}}); err != nil {
		f.t.Fatal(err)
	}
	return mario.GetName()
}

// TestMeetingsPageListsNoCalendarAddress: the meetings page, a hot one,
// makes no ListCalendarTokens call: it links to the calendar addresses'
// page, which lists them, live and ended, in a call each. Before, every
// visit of the meetings page made both calls, each reading every
// calendar token of the region to sort them (docs/benchmarks.md,
// "Calendar tokens newest first"), for a section used rarely.
func TestMeetingsPageListsNoCalendarAddress(t *testing.T) {
	t.Parallel()
	const calendarPath = "/incontri/calendario"
	f := startFamid(t)
	anna, _, _, _ := f.annaInBergamo(t)
	if res, _ := anna.do("POST", calendarPath, url.Values{"csrf": {anna.csrf(calendarPath)}}); res.StatusCode != http.StatusOK {
		t.Fatalf("calendar address: status %d", res.StatusCode)
	}
	base, reads := countedApp(t, f)
	token := f.signedIn("anna@lombardia")

	reads.reset()
	if page := fetch(t, base+"/incontri", token); !strings.Contains(page, `<a href="`+calendarPath+`">`) {
		t.Error("the meetings page does not link to the calendar addresses' page")
	}
	if n := reads.of("ListCalendarTokens"); n != 0 {
		t.Errorf("GET /incontri made %d ListCalendarTokens calls, want none", n)
	}
	reads.reset()
	if page := fetch(t, base+calendarPath, token); !strings.Contains(page, `id="feeds-title"`) {
		t.Error("the calendar page does not list Anna's live address")
	}
	if n := reads.of("ListCalendarTokens"); n != 2 {
		t.Errorf("GET %s made %d ListCalendarTokens calls, want 2 (the live addresses and the ended ones)", calendarPath, n)
	}
}

// TestMeetingAtASkippedHourRefused: a meeting typed at a time the clocks
// skip when summer time starts (02:30 on 29/03/2026, which Rome's clocks
// never show) is refused on its field, saying why, with nothing saved. It
// was saved an hour later than typed, at 03:30. Another fault of the form
// is marked with it. A time of the hour the clocks repeat in October is
// asked about (which of the two), and saved as answered; it was saved as
// the second without asking. The first minute after the jump is a time of
// the day.
func TestMeetingAtASkippedHourRefused(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	anna, network, _, _ := f.annaInBergamo(t)
	schedule := func(day, start, end string, more ...string) (*http.Response, string) {
		t.Helper()
		v := url.Values{"csrf": {anna.csrf("/incontri/nuovo")}, "networks": {network},
			"kind": {"MEETING_KIND_COORDINATION_TABLE"}, "title": {"Tavolo notturno"}, "day": {day},
			"start_time": {start}, "end_time": {end}, "mode": {"MEETING_MODE_ONLINE"}, "link": {"https://example.org/x"}}
		for i := 0; i+1 < len(more); i += 2 {
			v.Set(more[i], more[i+1])
		}
		return anna.do("POST", "/incontri", v)
	}
	res, page := schedule("29/03/2026", "02:30", "04:00")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-start_time-err">Quest&#39;ora non esiste in quel giorno`) ||
		strings.Contains(page, `id="f-end_time-err"`) || !strings.Contains(page, `value="02:30"`) {
		t.Errorf("a meeting at 02:30 on 29/03/2026: status %d; want 422 refusing the start on its field, keeping it", res.StatusCode)
	}
	// With another fault, both come back in one answer: the skipped hour
	// was refused alone, and the title only at the next save.
	res, page = anna.do("POST", "/incontri", url.Values{"csrf": {anna.csrf("/incontri/nuovo")}, "networks": {network},
		"kind": {"MEETING_KIND_COORDINATION_TABLE"}, "title": {""}, "day": {"29/03/2026"},
		"start_time": {"02:30"}, "end_time": {"04:00"}, "mode": {"MEETING_MODE_ONLINE"}, "link": {"https://example.org/x"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-start_time-err">Quest&#39;ora non esiste in quel giorno`) ||
		!strings.Contains(page, `id="f-title-err"`) {
		t.Errorf("a meeting at 02:30 on 29/03/2026 with no title: status %d; want 422 marking the start and the title", res.StatusCode)
	}
	// 02:30 on 25/10/2026 is asked about, with the end's 02:15 and a
	// forged answer; 04:00 is not.
	for _, answer := range []string{"", "estiva"} {
		res, page = schedule("25/10/2026", "02:30", "04:00", "start_time_ora", answer)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-start_time-err">Quest&#39;ora c&#39;è due volte`) ||
			!strings.Contains(page, `name="start_time_ora" value="legale"`) || !strings.Contains(page, `name="start_time_ora" value="solare"`) ||
			strings.Contains(page, `name="end_time_ora"`) || strings.Contains(page, ` checked`) {
			t.Errorf("a meeting at 02:30 on 25/10/2026, answered %q: status %d; want 422 asking which 02:30 on the start's field", answer, res.StatusCode)
		}
	}
	// An answer is kept when the form is refused for another fault.
	if _, page = schedule("25/10/2026", "01:30", "02:15", "end_time_ora", "solare", "title", ""); strings.Contains(page, `id="f-end_time-err"`) ||
		!strings.Contains(page, `name="end_time_ora" value="solare" checked`) || !strings.Contains(page, `id="f-title-err"`) {
		t.Errorf("an end at 02:15 on 25/10/2026 answered, the title left out: the form asks again, or forgets the answer")
	}
	meetings := famiv1.NewMeetingServiceClient(f.conn)
	ms, err := meetings.ListMeetings(f.admin("lombardia"), &famiv1.ListMeetingsRequest{Parent: "regions/lombardia"})
	if err != nil || len(ms.GetMeetings()) != 0 {
		t.Fatalf("after the refusals: %d meetings, %v; want none", len(ms.GetMeetings()), err)
	}
	for _, c := range []struct {
		day, start, end, answer, utc string
	}{
		{"29/03/2026", "03:00", "04:00", "", "2026-03-29T01:00:00Z"},
		{"25/10/2026", "02:30", "04:00", "legale", "2026-10-25T00:30:00Z"},
		{"25/10/2026", "02:40", "04:00", "solare", "2026-10-25T01:40:00Z"},
	} {
		if res, _ := schedule(c.day, c.start, c.end, "start_time_ora", c.answer); res.StatusCode != http.StatusSeeOther {
			t.Errorf("a meeting at %s on %s (%q): status %d, want 303", c.start, c.day, c.answer, res.StatusCode)
		}
		ms, err := meetings.ListMeetings(f.admin("lombardia"), &famiv1.ListMeetingsRequest{Parent: "regions/lombardia", OrderBy: "start_time desc"})
		if err != nil || len(ms.GetMeetings()) == 0 {
			t.Fatalf("list: %v", err)
		}
		if got := ms.GetMeetings()[0].GetStartTime().AsTime().Format(time.RFC3339); got != c.utc {
			t.Errorf("a meeting at %s on %s (%q) starts at %s, want %s", c.start, c.day, c.answer, got, c.utc)
		}
	}
}

// TestLatestMeetingsFromMidnightInRome: the meetings page's latest past
// meetings are those of the last three months from midnight in Rome: on
// 30/11/2026, from 30/08/2026 at 00:00, so a meeting at 00:30 that day is
// among them, and one of the evening before is not. They were counted
// back from midnight in UTC, 01:00 in Rome in summer, and the 00:30
// meeting was only in the archive.
func TestLatestMeetingsFromMidnightInRome(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	anna, network, _, _ := f.annaInBergamo(t)
	for _, m := range []struct{ title, day, start string }{
		{"Tavolo della sera prima", "29/08/2026", "23:30"},
		{"Tavolo della prima ora", "30/08/2026", "00:30"},
	} {
		res, _ := anna.do("POST", "/incontri", url.Values{"csrf": {anna.csrf("/incontri/nuovo")}, "networks": {network},
			"kind": {"MEETING_KIND_COORDINATION_TABLE"}, "title": {m.title}, "day": {m.day},
			"start_time": {m.start}, "end_time": {"23:59"}, "mode": {"MEETING_MODE_ONLINE"}, "link": {"https://example.org/x"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("schedule %q: status %d, want 303", m.title, res.StatusCode)
		}
	}
	_, page := anna.do("GET", "/incontri", nil)
	if !strings.Contains(page, "Tavolo della prima ora") {
		t.Errorf("the latest meetings on 30/11/2026 lack the one at 00:30 on 30/08/2026")
	}
	if strings.Contains(page, "Tavolo della sera prima") {
		t.Errorf("the latest meetings on 30/11/2026 show the one of 29/08/2026")
	}
	if _, page := anna.do("GET", "/incontri?passati=tutti", nil); !strings.Contains(page, "Tavolo della sera prima") {
		t.Errorf("the archive lacks the meeting of 29/08/2026")
	}
}

// TestPastScheduledMeetingAwaitsItsRecords: a scheduled meeting whose
// time has passed, by the server's clock, says on the meetings page and
// on its own that its attendance and minutes are awaited; one yet to come
// says "Programmato", and one whose attendance is recorded "Svolto".
// Before, a meeting of ten days ago with nothing recorded said
// "Programmato", as though it had yet to take place.
func TestPastScheduledMeetingAwaitsItsRecords(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	network := setupLombardia(f)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	past := f.pastTable(network)
	soon, err := f.onlineMeeting("presto", network, "Incontro di tra poco", f.Clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	b := f.client(t)
	b.signIn("admin@lombardia")
	const awaited, scheduled, held = "Da registrare: presenze e verbale", "Programmato", "Svolto"
	says := func(m *famiv1.Meeting, want string) {
		t.Helper()
		_, list := b.do("GET", "/incontri", nil)
		_, row, _ := strings.Cut(list, `">`+m.GetTitle()+`</a>`)
		if row, _, _ = strings.Cut(row, "</tr>"); !strings.Contains(row, `<td data-label="Stato">`+want+`</td>`) {
			t.Errorf("the meetings page's row of %q does not say %q:\n%s", m.GetTitle(), want, row)
		}
		if _, page := b.do("GET", "/incontri/"+lastID(m.GetName()), nil); !strings.Contains(page, "<dd>"+want+"</dd>") {
			t.Errorf("the page of %q does not say %q", m.GetTitle(), want)
		}
	}
	says(past, awaited)
	says(soon, scheduled)

	// The server's clock passes the meeting's end: it is awaited too (the
	// session, older than its token now, is opened again).
	f.Clock.Advance(3 * time.Hour)
	b.signIn("admin@lombardia")
	says(soon, awaited)

	if _, err := famiv1.NewMeetingServiceClient(f.conn).RecordAttendance(f.admin("lombardia"), &famiv1.RecordAttendanceRequest{Name: past.GetName(),
		Attendance: []*famiv1.PartnerAttendance{{Partner: "regions/lombardia/partners/udp-bergamo", Attendees: 2}}}); err != nil {
		t.Fatal(err)
	}
	says(past, held)
}
