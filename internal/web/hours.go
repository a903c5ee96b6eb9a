package web

import (
	"context"
	"crypto/rand"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/csvfile"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/support"
	"github.com/raccordo/raccordo/internal/territory"
)

// hoursPage is a consultant's hours for a week or a month, with the form to
// log a new entry.
type hoursPage struct {
	frame
	View       string
	Start, End string
	Prev, Next string
	Entries    []entryRow
	Pager      *pager
	// TotalMinutes is the period's hours that count, every page's entries
	// submitted or approved; RejectedMinutes, the rejected ones', which the
	// caption says apart. Before, the total added the rejected in, and a
	// month whose only entry was rejected said its hours as worked.
	TotalMinutes, RejectedMinutes int64

	Form     *form
	Networks []option
	// NetworkSearch narrows Networks, a page of the region's (entryLookups).
	NetworkSearch     choiceSearch
	Activities, Modes []option
	Topics, Operators []option
	Meetings          []option
	// MeetingPager pages Meetings, newest first (recentMeetings).
	MeetingPager *pager
	// MeetingsOf is the network whose meetings Meetings are ("" for the
	// region's), which the form sends back (meetingsNetwork);
	// MeetingsRenewed is set when the form sent another: the user chose a
	// network since, or cleared it, and the meetings are the first page of
	// the new one's, or of the region's.
	MeetingsOf        string
	MeetingsRenewed   bool
	RequestID         string
	CanLog, CanExport bool
	CSVURL            string
	// Query is the page's query (kept) naming its view, which the entry form's
	// address carries, so that the page it answers, refused or saved, is
	// the one it was sent from: its view and the page of its entries.
	Query string
}

// hoursPath is the hours page's address, which its entry form posts to.
const hoursPath = "/ore"

// meetingsNetwork is the entry form's hidden field holding the network
// whose meetings the form offers (hoursPage.MeetingsOf), so that the form
// shown again (a search, a page of meetings, a refused save) knows whether
// the network changed since: the pager then starts again at the new
// network's first page, and the form says why.
const meetingsNetwork = "meetings_network"

// meetingPages is the prefix of the paging of the entry form's meetings
// (recentMeetings) in the hours page's address.
const meetingPages = "inc_"

// MeetingField is the select of the meeting an entry names, hinted with
// why its choices changed when the network did (MeetingsRenewed): they are
// the new network's, or, the network cleared, the region's. Before, a
// cleared network said nothing, and the choices were another list.
func (p *hoursPage) MeetingField() field {
	f := optional(sel(p.Form, "meeting", "field.meeting", p.Meetings))
	switch {
	case !p.MeetingsRenewed:
	case p.MeetingsOf != "":
		f.Hint = msg("hours.meetings_renewed")
	case p.Form.Get("network") == "":
		// Not for a network the region does not have (forged), which
		// the service refuses at its own field.
		f.Hint = msg("hours.meetings_of_region")
	}
	return f
}

// Rows is the hours table's body (see tableRows), whose edit links carry
// the page's query.
func (p *hoursPage) Rows() template.HTML { return tableRows(p.Entries, p.Query) }

// entryRow is an entry as the tables show it, formatted once in Go: the
// hours page lists up to a month of entries, and a template action per
// value (rather than a function call per value) keeps it fast.
type entryRow struct {
	ID, Name, Date, Network, Activity, Duration string
	Consultant                                  string
	// State is the state's short name (the badge's class), StateLabel its
	// Italian label; Reason is a rejection's reason.
	State, StateLabel, Reason string
	// Editable is set while the entry may still change; Locked says why
	// it may not, and Resubmit offers to log a rejected one again.
	Editable, Resubmit bool
	Locked             string
}

// tableRows renders the hours table's rows. A month of entries is up to a
// thousand rows, and html/template spends about a microsecond per action
// (a reflective call to its escaper), eight times the rest of the page; so
// this one table is written in Go, every value escaped with
// html.EscapeString (entry ids are checked ids, escaped all the same). The
// hostile-input test renders a network named <script> through it. Each
// edit link carries query, the page's (hoursPage.Query), so that the
// edit page leads back to the page it was opened from (hoursAt): the
// week view, when it was that, where it led to the entry's month.
func tableRows(rows []entryRow, query string) template.HTML {
	edit, resubmit, why := html.EscapeString(msg("hours.edit")), html.EscapeString(msg("hours.resubmit_link")), html.EscapeString(msg("hours.rejected_why"))
	query = html.EscapeString(query)
	// Each cell opens with its column's heading (data-label), which a
	// narrow screen shows beside it when the rows become cards (app.css).
	td := func(key string) string { return `<td data-label="` + html.EscapeString(msg(key)) + `"` }
	date, network, activity := td("field.date")+">", td("field.network")+">", td("field.activity")+">"
	duration, state, actions := td("column.duration")+` class="num">`, td("hours.state_col")+">", td("common.actions")+">"
	var b strings.Builder
	b.Grow(len(rows) * 550)
	for _, r := range rows {
		id, day := html.EscapeString(r.ID), html.EscapeString(r.Date)
		b.WriteString("<tr>\n" + date + day + "</td>" + network + html.EscapeString(r.Network) + "</td>" + activity + html.EscapeString(r.Activity) +
			"</td>" + duration + html.EscapeString(r.Duration) + "</td>\n" + state +
			`<span class="badge ` + html.EscapeString(r.State) + `">` + html.EscapeString(r.StateLabel) + "</span>")
		if r.Reason != "" {
			b.WriteString("<br>" + why + " " + html.EscapeString(r.Reason))
		}
		b.WriteString("</td>\n" + actions)
		switch {
		case r.Editable:
			b.WriteString(`<a href="/ore/` + id + query + `">` + edit + `<span class="visually-hidden"> ` + day + "</span></a>")
		default:
			b.WriteString("<span>" + html.EscapeString(r.Locked) + "</span>")
			if r.Resubmit {
				b.WriteString(` <a href="/ore?ripresenta=` + id + `#log-title">` + resubmit + "</a>")
			}
		}
		b.WriteString("</td>\n</tr>")
	}
	return template.HTML(b.String())
}

func newEntryRow(e *famiv1.SupportEntry, networks map[string]string) entryRow {
	return entryRow{
		ID: resource.ID(e.GetName()), Name: e.GetName(), Date: formatDate(e.GetDate()), Network: networks[e.GetNetwork()],
		Activity: label(e.GetActivity()), Duration: formatMinutes(int64(e.GetDurationMinutes())), Consultant: person(e.GetConsultant(), e.GetConsultantDisplayName()),
		State: strings.TrimPrefix(e.GetState().String(), "SUPPORT_ENTRY_STATE_"), StateLabel: label(e.GetState()), Reason: e.GetReview().GetReason(),
	}
}

func (a *App) hours(w http.ResponseWriter, r *http.Request, s *session) {
	fm := newForm(url.Values{"date": {a.today().Format(italianDate)}, "mode": {famiv1.SupportMode_SUPPORT_MODE_IN_PERSON.String()}})
	if id := r.URL.Query().Get("ripresenta"); id != "" {
		// A rejected entry is submitted again as a new one, starting from
		// what was rejected. The id comes from a link: one that names no
		// entry of the user's (mangled, or the entry deleted since; a
		// consultant is told PermissionDenied for both, as for another's
		// entry) leaves the page's empty form, saying so, where it
		// answered an error page.
		e, err := a.support.GetSupportEntry(s.ctx, &famiv1.GetSupportEntryRequest{Name: aip.Name(s.region, resource.SupportEntries, id)})
		switch code := status.Code(err); {
		case err == nil:
			fm = newForm(entryForm(e))
			fm.Values.Del("etag")
		case code == codes.InvalidArgument || code == codes.NotFound || code == codes.PermissionDenied:
			fm.Notice = msg("hours.resubmit_missing")
		default:
			a.fail(w, r, s, err)
			return
		}
	}
	a.renderHours(w, r, s, http.StatusOK, fm)
}

func (a *App) today() time.Time { return a.now().In(territory.Rome) }

// period reads the view (week or month) and the day it contains from the
// query and returns its first and last day: today's, for a day that is no
// date, or whose period reaches past the dates the services take
// (check.MinDate to check.MaxDate: an address written by hand,
// data=0001-01-01), which the listing refused, and the page was an error.
func (a *App) period(q url.Values) (view string, start, end time.Time) {
	day, err := time.ParseInLocation(time.DateOnly, q.Get("data"), territory.Rome)
	if err != nil {
		day = a.today()
	}
	view, start, end = periodOf(q.Get("vista"), day)
	if start.Format(time.DateOnly) < check.MinDate || end.Format(time.DateOnly) > check.MaxDate {
		view, start, end = periodOf(view, a.today())
	}
	return view, start, end
}

// periodOf is the week ("settimana") or else the month holding day, and
// its first and last day.
func periodOf(view string, day time.Time) (string, time.Time, time.Time) {
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, territory.Rome)
	if view == "settimana" {
		offset := (int(day.Weekday()) + 6) % 7 // Monday first
		start := day.AddDate(0, 0, -offset)
		return "settimana", start, start.AddDate(0, 0, 6)
	}
	start := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, territory.Rome)
	return "mese", start, start.AddDate(0, 1, -1)
}

func (a *App) renderHours(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form) {
	view, start, end := a.period(r.URL.Query())
	p := &hoursPage{frame: a.newFrame(r, s, "hours.title"), View: view, Form: fm,
		Start: start.Format(time.DateOnly), End: end.Format(time.DateOnly), RequestID: newRequestID()}
	prev, next := start.AddDate(0, -1, 0), end.AddDate(0, 0, 1)
	if view == "settimana" {
		prev = start.AddDate(0, 0, -7)
	}
	// The form's address names the view shown, which a page asked
	// without one (today's month) would otherwise leave to the day it is
	// sent on; the page of its meetings is the form's own (its pager's
	// buttons send it), not the page's.
	q := kept(r)
	dropPaging(q, meetingPages)
	q.Set("vista", view)
	q.Set("data", p.Start)
	p.Query = queryTail(q)
	p.Prev = "/ore?" + url.Values{"vista": {view}, "data": {prev.Format(time.DateOnly)}}.Encode()
	p.Next = "/ore?" + url.Values{"vista": {view}, "data": {next.Format(time.DateOnly)}}.Encode()
	parent := regionName(s.region)
	p.CanLog = s.mayCreate(a, createSupportEntry)
	p.CanExport = s.can(a, famiv1.SupportService_ExportSupportEntries_FullMethodName, &famiv1.ExportSupportEntriesRequest{Parent: parent})
	p.CSVURL = "/ore.csv?" + url.Values{"dal": {p.Start}, "al": {p.End}}.Encode()

	l, ok := a.entryLookups(w, r, s, fm, days{p.Start, p.End})
	if !ok {
		return
	}
	var networks []string
	var err error
	p.Entries, p.Pager, err = readPage(s, r, "", msg("hours.entries"), a.support.ListSupportEntries,
		&famiv1.ListSupportEntriesRequest{Parent: parent, Consultant: s.who.Subject, StartDate: p.Start, EndDate: p.End},
		(*famiv1.ListSupportEntriesResponse).GetSupportEntries, func(e *famiv1.SupportEntry) (entryRow, bool) {
			row := newEntryRow(e, nil)
			row.Locked = entryLocked(e, l.closed)
			row.Editable, row.Resubmit = row.Locked == "", resubmittable(e, l.closed)
			p.addMinutes(e)
			networks = append(networks, e.GetNetwork())
			return row, true
		})
	if err == nil {
		// The rows name their networks: those of the form's choices, and
		// the others read by name.
		err = a.nameNetworks(s, p.Entries, networks, l.networks)
	}
	if err == nil && p.Pager.Paged() {
		// The caption is the period's total, and the page holds part of it.
		p.TotalMinutes, p.RejectedMinutes, err = a.loggedMinutes(s, p.Start, p.End)
	}
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	fillOptions(p, l)
	a.render(w, code, "hours", p)
}

// addMinutes counts the entry e in the page's totals.
func (p *hoursPage) addMinutes(e *famiv1.SupportEntry) {
	if e.GetState() == famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_REJECTED {
		p.RejectedMinutes += int64(e.GetDurationMinutes())
		return
	}
	p.TotalMinutes += int64(e.GetDurationMinutes())
}

// loggedMinutes is the minutes the user logged from start to end, as the
// service sums them: those that count (submitted or approved, the
// service's default states) and, apart, the rejected ones.
func (a *App) loggedMinutes(s *session, start, end string) (counted, rejected int64, err error) {
	sum := func(states ...famiv1.SupportEntryState) (int64, error) {
		res, err := a.support.SummarizeSupportEntries(s.ctx, &famiv1.SummarizeSupportEntriesRequest{Parent: regionName(s.region),
			StartDate: start, EndDate: end, Consultant: s.who.Subject, States: states})
		return res.GetTotals().GetTotalMinutes(), err
	}
	if counted, err = sum(); err != nil {
		return 0, 0, err
	}
	rejected, err = sum(famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_REJECTED)
	return counted, rejected, err
}

// entryLookups loads what the entry form shows beside an entry's names:
// the network choices (a page of the region's networks matching the
// form's network search, networkChoices, with the form's network and the
// stored ones among also), the closed periods that meet shown, the days
// of the entries the page shows (closedPeriods), and the meetings an entry
// of the form's network may name (recentMeetings).
func (a *App) entryLookups(w http.ResponseWriter, r *http.Request, s *session, fm *form, shown days, also ...string) (*lookups, bool) {
	l := &lookups{}
	var err error
	l.closed, err = a.closedPeriods(s, shown)
	if err == nil {
		l.networks, err = a.searchNetworks(r, s, &l.search, "", append(also, fm.Get("network")))
	}
	if err == nil {
		l.meetingsOf = fm.Get("network")
		if _, ok := s.owns(l.meetingsOf, resource.Networks); !ok {
			// Text that names no network of the region (forged, or another
			// region's) filters nothing: the service refuses the form at its
			// network, and the page that says so must still be served.
			l.meetingsOf = ""
		}
		l.meetings, l.meetingPager, err = a.recentMeetings(s, r, l.meetingsOf, fm.Get("meeting"))
	}
	if err != nil {
		a.fail(w, r, s, err)
		return nil, false
	}
	return l, true
}

// entryLocked says why the entry e cannot be changed any more ("" when it
// can): its period is closed, or it has been reviewed.
func entryLocked(e *famiv1.SupportEntry, closed closedSet) string {
	switch {
	case closed.contains(e.GetDate()):
		return msg("reason.PERIOD_CLOSED")
	case resubmittable(e, closed):
		return msg("hours.rejected_locked")
	case e.GetState() != famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_SUBMITTED:
		return msg("reason.ENTRY_NOT_SUBMITTED")
	}
	return ""
}

// resubmittable reports whether e, rejected, may be logged again as a new
// entry starting from its values ("Ripresenta"): not once its period is
// closed, where the new entry would be refused too.
func resubmittable(e *famiv1.SupportEntry, closed closedSet) bool {
	return e.GetState() == famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_REJECTED && !closed.contains(e.GetDate())
}

// fillOptions lists the choices of the entry form: the networks, the
// enums and the recent meetings an entry may name (lookups l).
func fillOptions(p *hoursPage, l *lookups) {
	p.Networks, p.NetworkSearch = sortedOptions(l.networks), l.search
	p.Activities = enumOptions(famiv1.SupportActivity_name, func(n int32) string { return famiv1.SupportActivity(n).String() })
	p.Modes = enumOptions(famiv1.SupportMode_name, func(n int32) string { return famiv1.SupportMode(n).String() })
	p.Topics = enumOptions(famiv1.SupportTopic_name, func(n int32) string { return famiv1.SupportTopic(n).String() })
	p.Operators = enumOptions(famiv1.SupportOperatorRole_name, func(n int32) string { return famiv1.SupportOperatorRole(n).String() })
	p.Meetings, p.MeetingPager, p.MeetingsOf = l.meetings, l.meetingPager, l.meetingsOf
	p.MeetingsRenewed = p.Form.Values.Has(meetingsNetwork) && p.Form.Get(meetingsNetwork) != l.meetingsOf
}

// entryFields are the fields of the entry form, by their proto names, so
// that a field violation lands next to its field.
var entryFields = []string{"network", "activity", "date", "duration_minutes", "mode", "topics", "operators_reached", "meeting", "notes"}

// entryFromForm reads the entry form. Numbers that are not numbers become
// -1, which the service refuses with a violation naming the field: the
// rules stay the service's.
func entryFromForm(v url.Values) *famiv1.SupportEntry {
	e := &famiv1.SupportEntry{
		Network:  v.Get("network"),
		Activity: famiv1.SupportActivity(famiv1.SupportActivity_value[v.Get("activity")]),
		Date:     parseDate(v.Get("date")),
		Mode:     famiv1.SupportMode(famiv1.SupportMode_value[v.Get("mode")]),
		Meeting:  v.Get("meeting"),
		Notes:    v.Get("notes"),
	}
	e.DurationMinutes = int32(atoi(v.Get("duration_minutes")))
	for _, t := range v["topics"] {
		e.Topics = append(e.Topics, famiv1.SupportTopic(famiv1.SupportTopic_value[t]))
	}
	for name, n := range famiv1.SupportOperatorRole_value {
		if n == 0 || v.Get("op."+name) == "" {
			continue
		}
		e.OperatorsReached = append(e.OperatorsReached, &famiv1.OperatorsReached{Role: famiv1.SupportOperatorRole(n), Count: int32(atoi(v.Get("op." + name)))})
	}
	return e
}

// atoi reads a count typed in a form: digits only (strconv.Atoi alone
// would also take "+5"); anything else, or more than an int32 holds, is
// -1, which the service refuses naming the field.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || !digitsOnly(s) || n != int(int32(n)) {
		return -1
	}
	return n
}

// entryForm shows an entry in the form's fields.
func entryForm(e *famiv1.SupportEntry) url.Values {
	v := url.Values{
		"network": {e.GetNetwork()}, "activity": {e.GetActivity().String()}, "date": {formatDate(e.GetDate())},
		"duration_minutes": {strconv.Itoa(int(e.GetDurationMinutes()))}, "notes": {e.GetNotes()}, "etag": {e.GetEtag()}, "meeting": {e.GetMeeting()},
	}
	if e.GetMode() != 0 {
		v.Set("mode", e.GetMode().String())
	}
	// In the form's order, which is the enum's: a stored entry's topics
	// compare equal to the same ones ticked (form.compare).
	for _, t := range slices.Sorted(slices.Values(e.GetTopics())) {
		v.Add("topics", t.String())
	}
	for _, o := range e.GetOperatorsReached() {
		v.Set("op."+o.GetRole().String(), strconv.Itoa(int(o.GetCount())))
	}
	return v
}

func (a *App) createEntry(w http.ResponseWriter, r *http.Request, s *session) {
	fm := newForm(r.PostForm)
	res, err := a.support.CreateSupportEntry(s.ctx, &famiv1.CreateSupportEntryRequest{
		Parent: regionName(s.region), SupportEntry: entryFromForm(r.PostForm), RequestId: r.PostFormValue("request_id"),
	})
	a.submitted(w, r, s, fm, err, "support_entry.", func(code int) { a.renderHours(w, asPage(r, hoursPath), s, code, fm) },
		a.hoursAt(r, res.GetDate(), "entry_created"))
}

// hoursAt is the hours page that a form sent from r leads to once it
// wrote an entry on date, saying the notice ok: the page of hoursQuery.
func (a *App) hoursAt(r *http.Request, date, ok string) landing {
	return noticed(hoursPath+a.hoursQuery(r, date), ok)
}

// hoursQuery is the query ("" for none) of the hours page that shows an
// entry of date to the user of r: the page the request's address names
// (its query, kept: the hours page's own, or the one an entry's edit link
// carried from it), where that page's period shows the day, or else the
// same view of the period holding it; r's page for date "". Before, an
// entry logged on a day of another period (the 31st of the last month,
// typed on the 1st) came back to a page without it, as though it had not
// been logged, and the user could log it again; and an entry edited from
// the week view came back to its month.
func (a *App) hoursQuery(r *http.Request, date string) string {
	q := kept(r)
	if view, start, end := a.period(q); date != "" && (date < start.Format(time.DateOnly) || date > end.Format(time.DateOnly)) {
		q = url.Values{"vista": {view}, "data": {date}}
	}
	return queryTail(q)
}

// editPage edits one submitted entry, or shows why it cannot be edited.
type editPage struct {
	hoursPage
	Entry    *famiv1.SupportEntry
	Editable bool
	Locked   string
	// Resubmit offers the consultant to log their rejected entry again.
	Resubmit bool
	// NetworkName names the entry's network, which the page shows when
	// it has no form to show it in.
	NetworkName string
	// Back is the hours page the edit page was opened from (hoursAt), or
	// the entry's month; its forms' addresses carry that page's query
	// (Query), and lead back to it.
	Back string
}

// entryPages are the support entry's edit page (an entry is created from
// the hours page).
func (a *App) entryPages() resourceForm[*famiv1.SupportEntry] {
	return resourceForm[*famiv1.SupportEntry]{app: a, get: a.getEntry, fields: entryForm, read: readForm(entryFromForm), prefix: "support_entry.", render: a.renderEdit,
		compared: entryCompared}
}

// entryCompared are the fields of the entry form (see
// resourceForm.compared): each operator role's count is a field of its
// own ("op.SUPPORT_OPERATOR_ROLE_TEACHER"), labelled as the form labels
// it.
var entryCompared = func() map[string]string {
	m := map[string]string{"network": "field.network", "activity": "field.activity", "date": "field.date",
		"duration_minutes": "field.duration", "mode": "field.mode", "meeting": "field.meeting", "notes": "field.notes", "topics": "hours.topics"}
	for n, role := range famiv1.SupportOperatorRole_name {
		if n != 0 {
			m["op."+role] = "enum." + role
		}
	}
	return m
}()

func (a *App) getEntry(r *http.Request, s *session) (*famiv1.SupportEntry, error) {
	return a.support.GetSupportEntry(s.ctx, &famiv1.GetSupportEntryRequest{Name: pathName(r, s, resource.SupportEntries, "entry")})
}

func (a *App) editEntryForm(w http.ResponseWriter, r *http.Request, s *session) {
	a.entryPages().edit(w, r, s, http.StatusOK, nil)
}

// renderEdit renders the page of the entry e with its form fm (see
// resourceForm.render).
func (a *App) renderEdit(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form, e *famiv1.SupportEntry) {
	l, ok := a.entryLookups(w, r, s, fm, days{e.GetDate(), e.GetDate()}, e.GetNetwork())
	if !ok {
		return
	}
	fm.linked = l
	// The page's forms carry the query of the hours page that shows the
	// entry, as its link back does: an entry deleted from an edit page
	// opened without a query (a bookmark, the history) went to the hours
	// of today's month, not of the entry's.
	back := a.hoursQuery(r, e.GetDate())
	p := &editPage{hoursPage: hoursPage{frame: a.newFrame(r, s, "hours.edit_title"), Form: fm, RequestID: newRequestID(), Query: back},
		Entry: e, Back: hoursPath + back}
	p.Locked = entryLocked(e, l.closed)
	p.Editable = p.Locked == "" && s.can(a, famiv1.SupportService_UpdateSupportEntry_FullMethodName, &famiv1.UpdateSupportEntryRequest{SupportEntry: e})
	p.Resubmit = resubmittable(e, l.closed) && e.GetConsultant() == s.who.Subject
	if !p.Editable {
		p.Title, p.NetworkName = msg("hours.view_title"), l.networks[e.GetNetwork()]
	}
	fillOptions(&p.hoursPage, l)
	a.render(w, code, "entry", p)
}

func (a *App) updateEntry(w http.ResponseWriter, r *http.Request, s *session) {
	e := entryFromForm(r.PostForm)
	e.Name = pathName(r, s, resource.SupportEntries, "entry")
	e.Etag = r.PostFormValue("etag")
	_, err := a.support.UpdateSupportEntry(s.ctx, &famiv1.UpdateSupportEntryRequest{
		SupportEntry: e, UpdateMask: &fieldmaskpb.FieldMask{Paths: entryFields}, RequestId: r.PostFormValue("request_id"),
	})
	a.entryPages().updated(w, r, s, err, a.hoursAt(r, e.GetDate(), "entry_updated"))
}

func (a *App) deleteEntry(w http.ResponseWriter, r *http.Request, s *session) {
	name := pathName(r, s, resource.SupportEntries, "entry")
	_, err := a.support.DeleteSupportEntry(s.ctx, &famiv1.DeleteSupportEntryRequest{Name: name, Etag: r.PostFormValue("etag"), RequestId: r.PostFormValue("request_id")})
	a.entryPages().deleted(w, r, s, err, a.hoursAt(r, "", "entry_deleted"))
}

// hoursCSV downloads the user's entries of a period through
// ExportSupportEntries, the call behind the REST CSV export, and writes
// them as that export does (support.WriteCSV): with the byte-order mark,
// and every cell a spreadsheet would run as a formula defused.
func (a *App) hoursCSV(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	req := &famiv1.ExportSupportEntriesRequest{Parent: regionName(s.region), StartDate: q.Get("dal"), EndDate: q.Get("al")}
	if s.who.Role == principal.Consultant {
		req.Consultant = s.who.Subject
	}
	d := &csvfile.Download{W: w, Filename: "ore-" + s.region + ".csv"}
	err := support.WriteCSV(s.ctx, d, req, func(ctx context.Context, req *famiv1.ExportSupportEntriesRequest) (*famiv1.ExportSupportEntriesResponse, error) {
		return a.support.ExportSupportEntries(ctx, req)
	}, nil)
	switch {
	case err == nil:
	case !d.Started():
		a.fail(w, r, s, err)
	default:
		panic(http.ErrAbortHandler) // never a truncated file that looks whole
	}
}

// newRequestID names one rendering of a form: submitting it twice (a
// double click, a reload) is one write, as the services dedupe request ids.
func newRequestID() string {
	return rand.Text()
}

// recentMeetings lists the meetings an entry of network (one of the
// region's, or "") may name (the service refuses a meeting of another
// network): its meetings, or, with no network chosen yet, the region's,
// from the last four months and the next one (from and to midnight),
// newest first (ListMeetings' order_by), a page of them where the address
// says (readPage, meetingPages; the pager's buttons, of the form (formpager),
// lead to the older ones), and chosen, the meeting the form names if it
// is not among them, so that saving the form keeps it.
func (a *App) recentMeetings(s *session, r *http.Request, network, chosen string) ([]option, *pager, error) {
	// The window is of whole days, so that a page token holds for the day
	// it was issued (it is bound to the request).
	y, m, d := a.today().Date()
	now := time.Date(y, m, d, 0, 0, 0, 0, territory.Rome)
	var listed bool
	read := func(r *http.Request) ([]option, *pager, error) {
		return readPage(s, r, meetingPages, msg("field.meeting"), a.meetings.ListMeetings, &famiv1.ListMeetingsRequest{Parent: regionName(s.region), Network: network,
			StartFrom: timestamppb.New(now.AddDate(0, -4, 0)), StartBefore: timestamppb.New(now.AddDate(0, 1, 0)), OrderBy: "start_time desc"},
			(*famiv1.ListMeetingsResponse).GetMeetings, func(m *famiv1.Meeting) (option, bool) {
				listed = listed || m.GetName() == chosen
				return meetingChoice(m), true
			})
	}
	out, pg, err := read(r)
	if bt, ok := asBadPageToken(err); ok && r.Method == http.MethodPost {
		// The form was paged (formpager) after its network had changed:
		// the token is bound to the network it was issued for. The form
		// comes back as typed with the first page of its network's
		// meetings, not an error page that loses it.
		first := r.Clone(s.ctx)
		if first.URL, err = url.Parse(bt.restart); err != nil {
			return nil, nil, err
		}
		out, pg, err = read(first)
	}
	if err != nil || listed || chosen == "" {
		return out, pg, err
	}
	if _, ok := s.owns(chosen, resource.Meetings); !ok {
		return out, pg, nil
	}
	mt, err := a.meetings.GetMeeting(s.ctx, &famiv1.GetMeetingRequest{Name: chosen})
	switch {
	case status.Code(err) == codes.NotFound: // deleted since
	case err != nil:
		return nil, nil, err
	default:
		out = append(out, meetingChoice(mt))
	}
	return out, pg, nil
}

// meetingChoice is how the entry form offers a meeting: its day and title.
func meetingChoice(m *famiv1.Meeting) option {
	return option{Value: m.GetName(), Label: formatTimestamp(m.GetStartTime())[:10] + " · " + m.GetTitle()}
}
