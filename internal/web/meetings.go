package web

import (
	"cmp"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/territory"
	"github.com/raccordo/raccordo/sdk/paging"
)

// meetingsPage lists the meetings of the user's networks (every network of
// the region for the roles that read them all) and the overdue action
// items, and links to the calendar addresses' page (calendarPage), which
// it lists none of. The meetings from today on and the overdue items are
// paged (readPage); the past shows the latest page of the last months,
// or, in the archive ("passati=tutti"), every past meeting a page at a
// time from the oldest.
type meetingsPage struct {
	frame
	Upcoming, Past           []*famiv1.Meeting
	UpcomingPager, PastPager *pager
	// Archive is set when Past pages through every past meeting; else
	// Past is the latest page of those of the last recentMonths, and
	// MorePast says it left some of those out.
	Archive, MorePast bool
	// SwitchURL is the address of the other view of the past.
	SwitchURL    string
	Overdue      []*famiv1.MeetingActionItem
	OverduePager *pager
	Networks     map[string]string
	CanSchedule  bool
	// States labels the rows' states, by meeting (meetingState).
	States map[string]string
}

// calendarPage is the user's calendar addresses: the button that
// creates one, the address just created (FeedURL, shown once), and the
// lists of those the user has. It is a page of its own, which the
// meetings page links to: each list reads every calendar token of the
// region to sort them (docs/benchmarks.md, "Calendar tokens newest
// first"), which the meetings page, a hot one, read on every visit for a
// section used rarely.
type calendarPage struct {
	frame
	// FeedURL is the address of the calendar token just created, shown
	// once; FeedForm is its button's form, holding a refusal to create
	// one (an owner's 21st live token) shown beside the button, or to
	// revoke one.
	FeedURL  string
	FeedForm *form
	// Feeds are a page of the live calendar addresses ListCalendarTokens
	// gives the user, newest first: their own, or the region's for whom
	// oversees them, which are also those they may revoke
	// (RevokeCalendarToken's rule); EndedFeeds, listed apart and paged on
	// their own, a page of the revoked and expired ones, newest first.
	// FeedOwners is set when some are another user's, and the lists then
	// name each one's owner.
	Feeds, EndedFeeds         []feedRow
	FeedPager, EndedFeedPager *pager
	FeedOwners                bool
	// Query is the page's query (keptQuery), which its forms' addresses
	// carry, so that the page a form answers is the one it was sent from.
	Query string
}

// calendarPath is the calendar addresses' page, which its forms, posted
// to addresses of their own, answer (asPage, withNotice).
const calendarPath = "/incontri/calendario"

// feedRow is a calendar address as the calendar page lists it: State says
// whether it still works, and until when, or since when not; Revocable
// is set while it works, for a user the rights table lets revoke it.
type feedRow struct {
	*famiv1.CalendarToken
	State     string
	Revocable bool
}

func (a *App) meetingList(w http.ResponseWriter, r *http.Request, s *session) {
	inOne, err := a.inANetwork(s)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	p := &meetingsPage{frame: a.newFrame(r, s, "meetings.title"),
		CanSchedule: a.mayConvene(s, inOne),
		Archive:     r.URL.Query().Get("passati") == "tutti"}
	// Staff whose partner is in no network have no meeting to see.
	if s.who.Partner == "" || inOne {
		err = a.readMeetings(r, s, p)
	}
	if err == nil {
		p.Networks, err = a.networkLabels(s, nil, rowNetworks(p.Upcoming, p.Past))
	}
	p.States = map[string]string{}
	for _, m := range slices.Concat(p.Upcoming, p.Past) {
		p.States[m.GetName()] = meetingState(m, a.now())
	}
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.render(w, http.StatusOK, "meetings", p)
}

// inANetwork reports whether the user has a network by myNetworks' rule
// (a network member's, their partner's networks; anyone else's, the
// region's), asking for one network's name alone. The pages ask for a
// page of those networks (networkChoices), whether there is one (here),
// or those among a meeting's (meetingNetworks), never all of them: the
// meetings page and the meeting form read them all, to know this, to
// name the page's rows (rowNetworks, now read by name) and as the form's
// choices (convenedChoices).
func (a *App) inANetwork(s *session) (bool, error) {
	res, err := a.networks.ListNetworks(s.ctx, &famiv1.ListNetworksRequest{Parent: regionName(s.region), Partner: s.who.Partner, PageSize: 1,
		ReadMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}})
	return len(res.GetNetworks()) > 0, err
}

// rowNetworks names the networks of the meetings of rows, each once.
func rowNetworks(rows ...[]*famiv1.Meeting) []string {
	var names []string
	for _, ms := range rows {
		for _, m := range ms {
			names = append(names, m.GetNetworks()...)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// readMeetings reads the rows of the meetings page p. Network staff see
// their partner's networks' meetings, asked of the service (the Lists'
// partner filter). The day splits the upcoming from the past, so that a
// page's token stays valid all day.
func (a *App) readMeetings(r *http.Request, s *session, p *meetingsPage) error {
	row := func(m *famiv1.Meeting) (*famiv1.Meeting, bool) { return meetingRow(m), true }
	y, m, d := a.today().Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, territory.Rome)
	today := timestamppb.New(midnight)
	region, partner := regionName(s.region), s.who.Partner
	var err error
	p.Upcoming, p.UpcomingPager, err = readPage(s, r, "", msg("meetings.upcoming"), a.meetings.ListMeetings,
		&famiv1.ListMeetingsRequest{Parent: region, Partner: partner, StartFrom: today}, (*famiv1.ListMeetingsResponse).GetMeetings, row)
	if err != nil {
		return err
	}
	past := &famiv1.ListMeetingsRequest{Parent: region, Partner: partner, StartBefore: today}
	// SwitchURL shows the other view of the past, the other lists kept
	// where they stand.
	q := kept(r)
	if p.Archive {
		p.Past, p.PastPager, err = readPage(s, r, "pas_", msg("meetings.past"), a.meetings.ListMeetings, past, (*famiv1.ListMeetingsResponse).GetMeetings, row)
		q.Del("passati")
		dropPaging(q, "pas_")
	} else {
		// The latest are those of the last months, as the page says,
		// from midnight in Rome; older ones are in the archive. Counted
		// back from today in UTC, they began at 01:00 or 02:00 in Rome,
		// and a meeting of that day's first hours fell in the archive.
		past.StartFrom = timestamppb.New(midnight.AddDate(0, -recentMonths, 0))
		p.Past, p.MorePast, err = a.latestMeetings(s, past)
		q.Set("passati", "tutti")
	}
	p.SwitchURL = r.URL.Path + queryTail(q)
	if err != nil {
		return err
	}
	p.Overdue, p.OverduePager, err = readPage(s, r, "az_", msg("meetings.overdue_title"), a.meetings.ListActionItems,
		&famiv1.ListActionItemsRequest{Parent: region, Partner: partner, OverdueOnly: true}, (*famiv1.ListActionItemsResponse).GetActionItems, every)
	return err
}

// recentMonths is how far back the meetings page's latest past meetings
// reach; older ones are in the archive. The page says "tre mesi"
// (meetings.latest).
const recentMonths = 3

// latestMeetings reads the latest listPageSize meetings req lists, newest
// first (ListMeetings' order_by; in one call but where the service's scan
// budget ends a page short, see firstItems), as rows (meetingRow); more
// is set when the listing holds earlier ones, which the archive shows.
// Before, with no reverse order to ask for, the page read every meeting
// of the window in start order and kept the last 50 in a ring: bounded in
// memory, not in the calls it made.
func (a *App) latestMeetings(s *session, req *famiv1.ListMeetingsRequest) (latest []*famiv1.Meeting, more bool, err error) {
	req = paging.Page(req, req.GetParent(), listPageSize, "")
	req.OrderBy = "start_time desc"
	found, more, err := firstItems(s.ctx, a.meetings.ListMeetings, req, (*famiv1.ListMeetingsResponse).GetMeetings)
	if err != nil {
		return nil, false, err
	}
	for _, m := range found {
		latest = append(latest, meetingRow(m))
	}
	return latest, more, nil
}

// meetingRow is what a row of the meetings page shows of m: its agenda,
// attendance and minutes are left out, as the page keeps a page of
// meetings.
func meetingRow(m *famiv1.Meeting) *famiv1.Meeting {
	return &famiv1.Meeting{Name: m.GetName(), Title: m.GetTitle(), Kind: m.GetKind(), Networks: m.GetNetworks(), State: m.GetState(),
		StartTime: m.GetStartTime(), EndTime: m.GetEndTime()}
}

// meetingState is how the pages say m's state at now, the server's
// clock: a meeting still scheduled once its time has passed (its end, or
// its start when it has none) awaits its attendance and minutes, which
// make it held; it said "Programmato", as though it had yet to happen.
func meetingState(m *famiv1.Meeting, now time.Time) string {
	end := m.GetEndTime()
	if end == nil {
		end = m.GetStartTime()
	}
	if m.GetState() == famiv1.MeetingState_MEETING_STATE_SCHEDULED && end != nil && !end.AsTime().After(now) {
		return msg("meetings.state_to_record")
	}
	return label(m.GetState())
}

// readFeeds reads the pages of the user's calendar addresses p lists, for
// a user the rights table lets list them: the live ones, newest first, so
// that the one just made comes first and the ones to revoke are not lost
// among the ended ones, which come apart, newest first too.
func (a *App) readFeeds(r *http.Request, s *session, p *calendarPage) error {
	req := &famiv1.ListCalendarTokensRequest{Parent: regionName(s.region), OrderBy: "create_time desc",
		State: famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_LIVE}
	if !s.can(a, famiv1.MeetingService_ListCalendarTokens_FullMethodName, req) {
		return nil
	}
	row := func(ct *famiv1.CalendarToken) (feedRow, bool) {
		live := ct.GetState() == famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_LIVE
		f := feedRow{CalendarToken: ct, State: msgf("meetings.feed_live", formatTimestamp(ct.GetExpireTime())),
			Revocable: live && s.can(a, famiv1.MeetingService_RevokeCalendarToken_FullMethodName, &famiv1.RevokeCalendarTokenRequest{Name: ct.GetName()})}
		switch {
		case ct.GetRevokeTime() != nil:
			f.State = msgf("tokens.revoked", formatTimestamp(ct.GetRevokeTime()))
		case !live:
			f.State = msgf("meetings.feed_expired", formatTimestamp(ct.GetExpireTime()))
		}
		return f, true
	}
	var err error
	p.Feeds, p.FeedPager, err = readPage(s, r, "cal_", msg("meetings.feeds"), a.meetings.ListCalendarTokens, req,
		(*famiv1.ListCalendarTokensResponse).GetCalendarTokens, row)
	if err == nil {
		ended := proto.CloneOf(req)
		ended.State = famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_ENDED
		p.EndedFeeds, p.EndedFeedPager, err = readPage(s, r, "calfin_", msg("meetings.feeds_ended"), a.meetings.ListCalendarTokens, ended,
			(*famiv1.ListCalendarTokensResponse).GetCalendarTokens, row)
	}
	notMine := func(f feedRow) bool { return f.GetOwner() != s.who.Subject }
	p.FeedOwners = slices.ContainsFunc(p.Feeds, notMine) || slices.ContainsFunc(p.EndedFeeds, notMine)
	return err
}

// calendarList is the calendar page as asked for, with no address just
// created.
func (a *App) calendarList(w http.ResponseWriter, r *http.Request, s *session) {
	a.renderCalendar(w, r, s, http.StatusOK, "", newForm(nil))
}

// renderCalendar answers the calendar page with code, the address feed
// just created (none when "") and the button's form ff.
func (a *App) renderCalendar(w http.ResponseWriter, r *http.Request, s *session, code int, feed string, ff *form) {
	p := &calendarPage{frame: a.newFrame(r, s, "meetings.feed_title"), FeedURL: feed, FeedForm: ff, Query: keptQuery(r)}
	if err := a.readFeeds(r, s, p); err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.render(w, code, "calendar", p)
}

// calendarToken creates a feed token for the user and shows the address a
// calendar application subscribes to (shown once: the region keeps only
// its hash) on the calendar page as it was sent from (asPage). A refusal
// the button's form can show (the owner's live tokens at their limit)
// comes back there too, beside it.
func (a *App) calendarToken(w http.ResponseWriter, r *http.Request, s *session) {
	page := asPage(r, calendarPath)
	res, err := a.meetings.CreateCalendarToken(s.ctx, &famiv1.CreateCalendarTokenRequest{Parent: regionName(s.region), DisplayName: msg("meetings.feed_label")})
	if ff := newForm(nil); formError(ff, err, "") {
		a.renderCalendar(w, page, s, http.StatusUnprocessableEntity, "", ff)
		return
	}
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	feed := scheme + "://" + r.Host + "/v1/regions/" + s.region + "/meetings.ics?" + url.Values{"token": {res.GetToken()}}.Encode()
	a.renderCalendar(w, page, s, http.StatusOK, feed, newForm(nil))
}

// calendarRevoke revokes a calendar address: its feeds answer it no more.
// The calendar page offers it for the addresses the user may revoke
// (readFeeds); the service refuses any other as not found
// (NOT_OWN_TOKEN), whether or not it exists.
func (a *App) calendarRevoke(w http.ResponseWriter, r *http.Request, s *session) {
	_, err := a.meetings.RevokeCalendarToken(s.ctx, &famiv1.RevokeCalendarTokenRequest{Name: pathName(r, s, resource.CalendarTokens, "token")})
	ff := newForm(nil)
	a.submitted(w, r, s, ff, err, "", func(code int) { a.renderCalendar(w, asPage(r, calendarPath), s, code, "", ff) },
		withNotice(calendarPath, r, "calendar_revoked"))
}

// meetingForm schedules a meeting.
type meetingForm struct {
	frame
	Form            *form
	Networks, Kinds []option
	NetworkSearch   choiceSearch
	Modes           []option
	RequestID       string
	// Clocks ask which of two times the clocks show twice the form means
	// (clockChoices).
	Clocks []clockChoice
}

// meetingNew is the form to schedule a meeting, for whom may schedule one
// (mayConvene); anyone else gets 403, as its save would: a network
// member whose partner is in no network, who may write only meetings of
// their partner's networks.
func (a *App) meetingNew(w http.ResponseWriter, r *http.Request, s *session) {
	inOne := false
	if ofNetworks, _ := meetings.Convenes(s.who); ofNetworks {
		var err error
		if inOne, err = a.inANetwork(s); err != nil {
			a.fail(w, r, s, err)
			return
		}
	}
	if !a.mayConvene(s, inOne) {
		a.forbidden(w, r, s)
		return
	}
	a.renderMeetingForm(w, r, s, http.StatusOK, newForm(url.Values{"mode": {"MEETING_MODE_IN_PERSON"}, "kind": {"MEETING_KIND_COORDINATION_TABLE"}}))
}

// convenedChoices are the meeting form's network choices: a page of the
// networks the user may schedule meetings of (myNetworks' rule: their
// partner's, or the region's), matching the form's search (search), with
// the form's own network; none for the ministry (meetings.Convenes),
// whose form offered every network of the region and whose save of one
// answered 403. The form offered every network of the partner, or of
// the region, read whole.
func (a *App) convenedChoices(r *http.Request, s *session, fm *form, search *choiceSearch) (map[string]string, error) {
	if ofNetworks, _ := meetings.Convenes(s.who); !ofNetworks {
		return nil, nil
	}
	return a.searchNetworks(r, s, search, s.who.Partner, []string{fm.Get("networks")})
}

// mayConvene reports whether the user may schedule a meeting, of one of
// their networks (inOne: they have one, convenedNetworks or inANetwork)
// or of none: the rights table and the meetings' rule on who asks
// (meetings.Convenes).
func (a *App) mayConvene(s *session, inOne bool) bool {
	_, ofNone := meetings.Convenes(s.who)
	return (inOne || ofNone) &&
		s.mayCreate(a, createMeeting)
}

// meetingForms reports which of a meeting page's forms the user may use:
// those that record (attendance, minutes, action items), once it has
// started, and the one that cancels it, while it is scheduled.
func (a *App) meetingForms(s *session, m *famiv1.Meeting, l *lookups) (record, cancel bool) {
	mine := l.networks
	if s.who.Partner != "" {
		mine = l.myNetworks
	}
	if !mayWriteMeeting(s, m, mine) {
		return false, false
	}
	record = m.GetState() != famiv1.MeetingState_MEETING_STATE_CANCELLED && !m.GetStartTime().AsTime().After(a.now()) &&
		s.can(a, famiv1.MeetingService_RecordMinutes_FullMethodName, &famiv1.RecordMinutesRequest{Name: m.GetName()})
	cancel = m.GetState() == famiv1.MeetingState_MEETING_STATE_SCHEDULED &&
		s.can(a, famiv1.MeetingService_CancelMeeting_FullMethodName, &famiv1.CancelMeetingRequest{Name: m.GetName()})
	return record, cancel
}

// mayWriteMeeting reports whether the user may write m (its attendance,
// minutes, action items, cancellation) beyond the rights table: the
// meetings' rule on who asks (meetings.Convenes), and, for a meeting of
// networks, each of them among the user's networks (mine: myNetworks).
// The forms were shown to the ministry on a network's meeting, and to the
// staff of a partner outside the meeting's networks, and their saves
// answered 403.
func mayWriteMeeting(s *session, m *famiv1.Meeting, mine map[string]string) bool {
	ofNetworks, ofNone := meetings.Convenes(s.who)
	if len(m.GetNetworks()) == 0 {
		return ofNone
	}
	for _, n := range m.GetNetworks() {
		if _, ok := mine[n]; !ok {
			return false
		}
	}
	return ofNetworks
}

func (a *App) renderMeetingForm(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form) {
	var search choiceSearch
	nets, err := a.convenedChoices(r, s, fm, &search)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.render(w, code, "meeting_new", &meetingForm{frame: a.newFrame(r, s, "meetings.new"), Form: fm, RequestID: newRequestID(), Clocks: clockChoices(fm),
		Networks:      sortedOptions(nets),
		NetworkSearch: search,
		Kinds:         enumOptions(famiv1.MeetingKind_name, func(n int32) string { return famiv1.MeetingKind(n).String() }),
		Modes:         enumOptions(famiv1.MeetingMode_name, func(n int32) string { return famiv1.MeetingMode(n).String() }),
	})
}

// localTime reads a day (dd/mm/yyyy) and a time (hh:mm) in Europe/Rome,
// with the form's answer (zone, see clockChoice) where the clocks show
// that time twice; nil when either does not parse, or the clocks skip the
// time that day, or show it twice and zone names neither (wallTimes),
// which the service reports as a missing time on the field (clockFaults
// says why).
func localTime(day, clock, zone string) *timestamppb.Timestamp {
	ts, _ := wallTimes(day, clock)
	switch {
	case len(ts) == 1:
		return timestamppb.New(ts[0])
	case len(ts) == 2 && zone == summerTime:
		return timestamppb.New(ts[0])
	case len(ts) == 2 && zone == winterTime:
		return timestamppb.New(ts[1])
	}
	return nil
}

// The answers of a time's choice (clockChoice) on the day summer time
// ends: the first of the two times the clocks show, in summer time ("ora
// legale"), or the second, in winter time ("ora solare").
const (
	summerTime = "legale"
	winterTime = "solare"
)

// zoneField is the form's field of a time field's choice (clockChoice).
func zoneField(name string) string { return name + "_ora" }

// wallTimes reads a day and a time (hh:mm) as the times the clocks show
// in Europe/Rome, in order: parsed when both parse; none when the clocks
// skip it, from 02:00 to 03:00 on the day summer time starts
// (29/03/2026), where time.Date moves it an hour on (02:30 was saved as
// 03:30, a time nobody typed); two when the clocks show it twice, from
// 02:00 to 03:00 on the day summer time ends (25/10/2026), the first in
// summer time, where time.Date picks one (02:30 was saved as the second,
// without asking).
func wallTimes(day, clock string) (ts []time.Time, parsed bool) {
	wall, err := time.Parse("2006-01-02 15:04", parseDate(day)+" "+clock)
	if err != nil {
		return nil, false
	}
	t := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), 0, 0, territory.Rome)
	// Rome's clocks move by an hour: the times that show the same wall
	// clock are within an hour of the one time.Date gives.
	for _, c := range []time.Time{t.Add(-time.Hour), t, t.Add(time.Hour)} {
		if c.Format("2006-01-02 15:04") == wall.Format("2006-01-02 15:04") {
			ts = append(ts, c)
		}
	}
	return ts, true
}

// clockChoice is the question a time field of the meeting form asks when
// the clocks show its time twice on the form's day: which of the two.
type clockChoice struct {
	// Time is the time field asked about, Field the choice's field
	// (zoneField), Legend its question.
	Time, Field, Legend string
	Choices             []option
	// Chosen is the form's answer, "" for none yet.
	Chosen string
}

// clockChoices are the questions of the meeting form's time fields whose
// times the clocks show twice on its day, each with the form's answer.
func clockChoices(fm *form) []clockChoice {
	var out []clockChoice
	for _, f := range []struct{ name, label string }{{"start_time", "meetings.start"}, {"end_time", "meetings.end"}} {
		ts, _ := wallTimes(fm.Get("day"), fm.Get(f.name))
		if len(ts) != 2 {
			continue
		}
		clock := ts[0].Format("15:04")
		out = append(out, clockChoice{Time: f.name, Field: zoneField(f.name), Legend: msgf("meetings.which_time", msg(f.label), clock),
			Choices: []option{
				{Value: summerTime, Label: msgf("meetings.first_time", clock, ts[0].Format("-07:00"))},
				{Value: winterTime, Label: msgf("meetings.second_time", clock, ts[1].Format("-07:00"))},
			},
			Chosen: fm.Get(zoneField(f.name))})
	}
	return out
}

// clockFaults says at each of the fields (hh:mm) whose time localTime
// sent none why the service refused it, which its refusal, a missing
// time, would not say: the clocks skip it on day, or show it twice and
// the form has not said which (clockChoices asks). The page used to
// refuse a skipped time before sending the form, and the form's other
// faults showed only at the next save.
func clockFaults(fm *form, day string, fields ...string) {
	for _, name := range fields {
		ts, parsed := wallTimes(day, fm.Get(name))
		switch {
		case parsed && len(ts) == 0:
			fm.Errors[name] = msg("meetings.time_skipped")
		case len(ts) == 2 && localTime(day, fm.Get(name), fm.Get(zoneField(name))) == nil:
			fm.Errors[name] = msg("meetings.time_repeated")
		}
	}
}

func (a *App) meetingCreate(w http.ResponseWriter, r *http.Request, s *session) {
	v := r.PostForm
	fm := newForm(v)
	m := &famiv1.Meeting{
		Networks: nonEmpty(v.Get("networks")), Kind: famiv1.MeetingKind(famiv1.MeetingKind_value[v.Get("kind")]),
		Title: v.Get("title"), Description: v.Get("description"),
		StartTime: localTime(v.Get("day"), v.Get("start_time"), v.Get(zoneField("start_time"))),
		EndTime:   localTime(v.Get("day"), v.Get("end_time"), v.Get(zoneField("end_time"))),
		Mode:      famiv1.MeetingMode(famiv1.MeetingMode_value[v.Get("mode")]), Place: v.Get("place"), Link: v.Get("link"),
		Facilitator: s.who.Subject, FacilitatorDisplayName: s.who.DisplayName,
	}
	res, err := a.meetings.CreateMeeting(s.ctx, &famiv1.CreateMeetingRequest{Parent: regionName(s.region), Meeting: m, RequestId: v.Get("request_id")})
	a.submitted(w, r, s, fm, err, "meeting.", func(code int) {
		clockFaults(fm, v.Get("day"), "start_time", "end_time")
		a.renderMeetingForm(w, r, s, code, fm)
	}, noticed("/incontri/"+resource.ID(res.GetName()), "meeting_created"))
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// meetingPage shows one meeting: agenda, attendance by partner, minutes and
// action items (the overdue ones highlighted), with the forms to record
// them once it has started.
type meetingPage struct {
	frame
	Meeting *famiv1.Meeting
	// State says the meeting's state (meetingState).
	State       string
	Partners    map[string]string
	Members     []option // the attendance form's rows
	Owners      []option // a new action item's choices
	Attendance  map[string]int32
	Items       []actionRow
	Roles       []option
	Form        *form
	CanRecord   bool
	CanCancel   bool
	RequestID   string
	NetworkList []string
	NewItems    []int
}

type actionRow struct {
	*famiv1.ActionItem
	Overdue bool
}

func (a *App) meetingView(w http.ResponseWriter, r *http.Request, s *session) {
	a.renderMeeting(w, r, s, http.StatusOK, nil)
}

func (a *App) renderMeeting(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form) {
	m, err := a.meetings.GetMeeting(s.ctx, &famiv1.GetMeetingRequest{Name: pathName(r, s, resource.Meetings, "meeting")})
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	byName, l, err := a.meetingNetworks(s, m)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	p := &meetingPage{frame: a.newFrame(r, s, "meetings.title"), Meeting: m, Attendance: map[string]int32{},
		RequestID: newRequestID(),
		Roles:     enumOptions(famiv1.AttendeeRole_name, func(n int32) string { return famiv1.AttendeeRole(n).String() })}
	p.Title, p.State = m.GetTitle(), meetingState(m, a.now())
	p.CanRecord, p.CanCancel = a.meetingForms(s, m, l)
	var members []string
	for _, n := range m.GetNetworks() {
		p.NetworkList = append(p.NetworkList, labelOf(l.networks, n))
		for _, mem := range byName[n].GetMembers() {
			if !slices.Contains(members, mem.GetPartner()) {
				members = append(members, mem.GetPartner())
			}
		}
	}
	// The attendance form has a row for every partner with attendance
	// recorded too, not only the networks' members: a guest recorded
	// through the API, or a member who has left a network since. The
	// attendance a save sends replaces the meeting's whole, so a partner
	// without a row would lose its line at the next save.
	for _, at := range m.GetAttendance() {
		if !slices.Contains(members, at.GetPartner()) {
			members = append(members, at.GetPartner())
		}
	}
	partners, labels, err := readLabelled(s, nil, slices.Concat(members, meetingPartners(m)), resource.Partners,
		a.batchPartners(labelStateMask()), displayNameOf, a.partnerNames)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	p.Partners = labels
	members, owners := offeredPartners(members, partners, m)
	for _, name := range members {
		p.Members = append(p.Members, option{Value: name, Label: p.Partners[name]})
	}
	for _, name := range owners {
		p.Owners = append(p.Owners, option{Value: name, Label: p.Partners[name]})
	}
	for _, at := range m.GetAttendance() {
		p.Attendance[at.GetPartner()] = at.GetAttendees()
	}
	today := a.today().Format(time.DateOnly)
	for _, it := range m.GetActionItems() {
		p.Items = append(p.Items, actionRow{ActionItem: it, Overdue: it.GetStatus() == famiv1.ActionItemStatus_ACTION_ITEM_STATUS_OPEN && it.GetDueDate() < today})
	}
	stored := url.Values{"minutes": {m.GetMinutes()}}
	for _, at := range m.GetAttendance() {
		stored.Set("att."+at.GetPartner(), strconv.Itoa(int(at.GetAttendees())))
		for _, rc := range at.GetRoles() {
			stored.Set("att."+at.GetPartner()+"."+rc.GetRole().String(), strconv.Itoa(int(rc.GetCount())))
		}
	}
	switch {
	case fm == nil:
		fm = newForm(stored)
	case fm.kind == acting:
		// A refused button shows the meeting as stored (the attendance
		// and minutes forms too, which a save would otherwise empty),
		// beside what the button's form sent (a cancellation's reason).
		for k, v := range stored {
			if !fm.Values.Has(k) {
				fm.Values[k] = v
			}
		}
	}
	p.Form = fm
	attendanceRowless(fm, members)
	p.NewItems = formRows(fm, "ai", 3)
	a.render(w, code, "meeting", p)
}

// offeredPartners splits members, the partners of a meeting's page,
// into those the attendance form has a row for and the choices of a new
// action item's owner, given partners, those read with whether each is
// archived. An archived partner takes no new attendance or action item
// (ADR 30): offered, the save was refused ARCHIVED. One with attendance
// recorded in m keeps its row, since the save sends the attendance whole
// and the service keeps what a record already named.
func offeredPartners(members []string, partners []*famiv1.Partner, m *famiv1.Meeting) (rows, owners []string) {
	archived := map[string]bool{}
	for _, pa := range partners {
		archived[pa.GetName()] = pa.GetArchived()
	}
	for _, name := range members {
		if !archived[name] {
			owners = append(owners, name)
		}
		if !archived[name] || slices.ContainsFunc(m.GetAttendance(), func(at *famiv1.PartnerAttendance) bool { return at.GetPartner() == name }) {
			rows = append(rows, name)
		}
	}
	return rows, owners
}

// attendanceRowless moves the errors of an attendance row (attendanceFault)
// of a partner the form has no row for, among rows (the partners it
// shows), to the fieldset, after its own: only a form not of this page
// sends one. Each message is kept; the fieldset kept only its first.
func attendanceRowless(fm *form, rows []string) {
	for _, k := range slices.Sorted(maps.Keys(fm.Errors)) {
		rest, ok := strings.CutPrefix(k, "att.")
		partner, _, _ := strings.Cut(rest, ".")
		if ok && !slices.Contains(rows, partner) {
			fm.markAll("attendance", fm.Errors[k])
			delete(fm.Errors, k)
		}
	}
}

// meetingNetworks reads the meeting m's networks, with their members, by
// name in one call, and the lookups its page names them with. Each one
// missing (deleted since) is dropped, whatever their number: they are the
// meeting's own, at most 50, never a form's.
//
// The networks that matter to the forms (meetingForms) are, for a user of
// no partner, the region's: those of the meeting are among them if they
// exist. For network staff they are their partner's networks (myNetworks'
// rule): those of the meeting that have it among their members, which
// were just read, never the partner's every network.
func (a *App) meetingNetworks(s *session, m *famiv1.Meeting) (map[string]*famiv1.Network, *lookups, error) {
	nets, _, err := readNamed(s, m.GetNetworks(), resource.Networks, len(m.GetNetworks()), a.batchNetworks(nil))
	if err != nil {
		return nil, nil, err
	}
	byName := make(map[string]*famiv1.Network, len(nets))
	l := &lookups{networks: make(map[string]string, len(nets))}
	if s.who.Partner != "" {
		l.myNetworks = map[string]string{}
	}
	for _, n := range nets {
		byName[n.GetName()], l.networks[n.GetName()] = n, n.GetDisplayName()
		if l.myNetworks != nil && slices.ContainsFunc(n.GetMembers(), func(mem *famiv1.Member) bool { return mem.GetPartner() == s.who.Partner }) {
			l.myNetworks[n.GetName()] = n.GetDisplayName()
		}
	}
	return byName, l, nil
}

// meetingPartners names the partners a meeting's page shows besides its
// networks' members: who attended and the action items' owners, read by
// name (partnerLabels), never the region's whole.
func meetingPartners(m *famiv1.Meeting) []string {
	var names []string
	for _, at := range m.GetAttendance() {
		names = append(names, at.GetPartner())
	}
	for _, it := range m.GetActionItems() {
		names = append(names, it.GetOwner())
	}
	return names
}

// recordAttendance records how many people each partner sent ("att.<partner>")
// and, optionally, how many of them in each role ("att.<partner>.<ROLE>");
// a partner left empty is left out, 0 records an absence. The form names
// no attendee: a partner's contacts recorded by name (through the API)
// are sent back as stored, which the save erased before.
func (a *App) recordAttendance(w http.ResponseWriter, r *http.Request, s *session) {
	m, err := a.meetings.GetMeeting(s.ctx, &famiv1.GetMeetingRequest{Name: pathName(r, s, resource.Meetings, "meeting")})
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	byPartner := map[string]*famiv1.PartnerAttendance{}
	get := func(partner string) *famiv1.PartnerAttendance {
		if byPartner[partner] == nil {
			byPartner[partner] = &famiv1.PartnerAttendance{Partner: partner}
		}
		return byPartner[partner]
	}
	for k, vals := range r.PostForm {
		rest, ok := strings.CutPrefix(k, "att.")
		if !ok || vals[0] == "" {
			continue
		}
		// Resource names hold no dots: a dot starts the role.
		partner, role, withRole := strings.Cut(rest, ".")
		if !withRole {
			get(partner).Attendees = int32(atoi(vals[0]))
			continue
		}
		if n := atoi(vals[0]); n != 0 {
			pa := get(partner)
			pa.Roles = append(pa.Roles, &famiv1.AttendeeCount{Role: famiv1.AttendeeRole(famiv1.AttendeeRole_value[role]), Count: int32(n)})
		}
	}
	for _, at := range m.GetAttendance() {
		if pa := byPartner[at.GetPartner()]; pa != nil {
			pa.Contacts = at.GetContacts()
		}
	}
	var att []*famiv1.PartnerAttendance
	for _, pa := range byPartner {
		slices.SortFunc(pa.Roles, func(x, y *famiv1.AttendeeCount) int { return int(x.GetRole() - y.GetRole()) })
		att = append(att, pa)
	}
	slices.SortFunc(att, func(x, y *famiv1.PartnerAttendance) int { return cmp.Compare(x.GetPartner(), y.GetPartner()) })
	_, err = a.meetings.RecordAttendance(s.ctx, &famiv1.RecordAttendanceRequest{Name: m.GetName(), Attendance: att,
		Etag: r.PostFormValue("etag"), RequestId: r.PostFormValue("request_id")})
	fm := newForm(r.PostForm)
	fm.rows = attendanceFault(att)
	a.afterMeetingAction(w, r, s, fm, err, "attendance_recorded")
}

// attendanceFault places a violation of the attendance sent (att, in the
// order sent) in its partner's row, with the words of its cause: at the
// partner's attendees ("att.<partner>") or at a count by role
// ("att.<partner>.<ROLE>"). What names no row is the fieldset's
// ("attendance"): the list's own violations (none sent) and a partner
// that does not exist or is sent twice, which only a form not of this
// page sends. Before, every violation was the fieldset's, in the words of
// the empty list whatever its cause.
func attendanceFault(att []*famiv1.PartnerAttendance) rowFault {
	return func(field string) (string, string, bool) {
		head, tail, _ := strings.Cut(field, ".")
		i, ok := errs.IndexIn(head, "attendance")
		if !ok || i >= len(att) {
			return "", "", false
		}
		pa, row := att[i], "att."+att[i].GetPartner()
		item, rest, _ := strings.Cut(tail, ".")
		switch {
		case item == "attendees":
			return row, msgf("invalid.attendance_attendees", meetings.MaxAttendees), true
		case item == "roles":
			var sum int32
			for _, rc := range pa.GetRoles() {
				sum += rc.GetCount()
			}
			return row, msgf("invalid.attendance_roles", sum, pa.GetAttendees()), true
		case item == "contacts":
			return row, msgf("invalid.attendance_contacts", len(pa.GetContacts())), true
		case strings.HasPrefix(item, "contacts["):
			return row, msg("invalid.attendance_contact"), true
		}
		j, ok := errs.IndexIn(item, "roles")
		switch {
		case !ok || j >= len(pa.GetRoles()):
			return "attendance", msg("invalid.attendance_partner"), true
		case rest == "count" && pa.GetRoles()[j].GetRole() != 0:
			return row + "." + pa.GetRoles()[j].GetRole().String(), msgf("invalid.attendance_role_count", meetings.MaxAttendees), true
		}
		return row, msg("invalid.attendance_role"), true
	}
}

// recordMinutes records the minutes and adds the action items typed in the
// empty rows ("ai.i.*", one of rowGroups); the recorded items are sent
// back unchanged. A row with an owner or a date and no description is
// sent, for the service to refuse, rather than dropped.
func (a *App) recordMinutes(w http.ResponseWriter, r *http.Request, s *session) {
	m, err := a.meetings.GetMeeting(s.ctx, &famiv1.GetMeetingRequest{Name: pathName(r, s, resource.Meetings, "meeting")})
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	items := m.GetActionItems()
	for i := range rowCount(r.PostForm, "ai") {
		p := "ai." + strconv.Itoa(i) + "."
		d, owner, due := r.PostFormValue(p+"description"), r.PostFormValue(p+"owner"), r.PostFormValue(p+"due_date")
		if d+owner+due != "" {
			items = append(items, &famiv1.ActionItem{Description: d, Owner: owner, DueDate: parseDate(due)})
		}
	}
	_, err = a.meetings.RecordMinutes(s.ctx, &famiv1.RecordMinutesRequest{Name: m.GetName(), Minutes: r.PostFormValue("minutes"), ActionItems: items,
		Etag: r.PostFormValue("etag"), RequestId: r.PostFormValue("request_id")})
	a.afterMeetingAction(w, r, s, newForm(r.PostForm), err, "minutes_recorded")
}

func (a *App) meetingCancel(w http.ResponseWriter, r *http.Request, s *session) {
	_, err := a.meetings.CancelMeeting(s.ctx, &famiv1.CancelMeetingRequest{Name: pathName(r, s, resource.Meetings, "meeting"), Reason: r.PostFormValue("reason"),
		Etag: r.PostFormValue("etag"), RequestId: r.PostFormValue("request_id")})
	a.afterMeetingAction(w, r, s, actionForm(r.PostForm), err, "meeting_cancelled")
}

func (a *App) actionItemDone(w http.ResponseWriter, r *http.Request, s *session) {
	_, err := a.meetings.UpdateActionItem(s.ctx, &famiv1.UpdateActionItemRequest{Name: pathName(r, s, resource.Meetings, "meeting"), ActionItemId: r.PathValue("item"),
		Status: famiv1.ActionItemStatus_ACTION_ITEM_STATUS_DONE, Etag: r.PostFormValue("etag"), RequestId: r.PostFormValue("request_id")})
	a.afterMeetingAction(w, r, s, actionForm(r.PostForm), err, "action_done")
}

// afterMeetingAction answers a form of the meeting's page: fm is what it
// sent, the values typed into a form (attendance, minutes) or an action's
// button (actionForm: cancel, an action item done). Each posts to an
// address of its own, POST only: a stale one reloads the meeting's page.
func (a *App) afterMeetingAction(w http.ResponseWriter, r *http.Request, s *session, fm *form, err error, ok string) {
	fm.Page = pageAt(resource.Meetings, r.PathValue("meeting"))
	a.submitted(w, r, s, fm, err, "", func(code int) { a.renderMeeting(w, r, s, code, fm) }, noticed(fm.Page, ok))
}
