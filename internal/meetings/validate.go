package meetings

import (
	"net/url"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/territory"
)

// MaxAttendees is the most people one partner may send to a meeting, and
// the most of one role among them: the web's attendance form says it.
const MaxAttendees = 1000

// Limits of a meeting's fields.
const (
	maxNetworks     = 50
	maxPartners     = 500
	maxAgenda       = 100
	maxActionItems  = 200
	maxRoles        = 20
	maxTitle        = 300
	maxLabel        = 300
	maxSubject      = 256
	maxText         = 20000
	maxMinutes      = 200000
	maxLink         = 2000
	maxAgendaMins   = 24 * 60
	maxMeetingSpan  = 7 * 24 * time.Hour
	firstMeetingDay = "2014-01-01"
	lastMeetingDay  = "2100-12-31"
)

// validate checks a meeting's own fields and that the networks, partners
// and protocol it names exist in its region, recording their violations
// in v; cal tells the days its times fall on.
func validate(tx store.ReadTx, v *errs.Violations, cal territory.Calendar, mt *famiv1.Meeting, region string) {
	switch n := len(mt.GetNetworks()); {
	case n == 0 && !networkless(mt.GetKind()):
		v.Add("meeting.networks", "is required: name one or more networks of region %q (only focus groups and bilateral meetings may have none)", region)
	case n == 0:
	case !check.AtMost(v, "meeting.networks", n, maxNetworks, "networks"):
	default:
		resource.NewRefList[*famiv1.Network](tx, v, region, resource.Networks).CheckAll("meeting.networks", mt.GetNetworks())
	}
	resource.Refs{Tx: tx, V: v, Region: region}.Optional("meeting.protocol", mt.GetProtocol(), resource.Protocols, &famiv1.Protocol{})
	check.Enum(v, "meeting.kind", mt.GetKind(), true)
	check.Text(v, "meeting.title", mt.GetTitle(), true, maxTitle, false)
	check.Text(v, "meeting.description", mt.GetDescription(), false, maxText, true)
	times(v, cal, mt.GetStartTime(), mt.GetEndTime())
	check.Enum(v, "meeting.mode", mt.GetMode(), true)
	mode := mt.GetMode()
	needPlace := mode == famiv1.MeetingMode_MEETING_MODE_IN_PERSON || mode == famiv1.MeetingMode_MEETING_MODE_HYBRID
	needLink := mode == famiv1.MeetingMode_MEETING_MODE_ONLINE || mode == famiv1.MeetingMode_MEETING_MODE_HYBRID
	if needPlace && strings.TrimSpace(mt.GetPlace()) == "" {
		v.Add("meeting.place", "is required when mode is %s", aip.EnumName(mode))
	} else {
		check.Text(v, "meeting.place", mt.GetPlace(), false, maxLabel, false)
	}
	if needLink && mt.GetLink() == "" {
		v.Add("meeting.link", "is required when mode is %s: the http(s) URL to join the meeting", aip.EnumName(mode))
	} else {
		link(v, "meeting.link", mt.GetLink())
	}
	if check.AtMost(v, "meeting.agenda", len(mt.GetAgenda()), maxAgenda, "items") {
		for i, it := range mt.GetAgenda() {
			f := errs.Indexed("meeting.agenda", i)
			check.Text(v, f+".title", it.GetTitle(), true, maxTitle, false)
			check.Text(v, f+".description", it.GetDescription(), false, maxText, true)
			if d := it.GetDurationMinutes(); d < 0 || d > maxAgendaMins {
				v.Add(f+".duration_minutes", "%d is out of range: 0 (not planned) to %d minutes", d, maxAgendaMins)
			}
		}
	}
	partners(tx, v, "meeting.invited_partners", mt.GetInvitedPartners(), region)
	check.Text(v, "meeting.facilitator", mt.GetFacilitator(), true, maxSubject, false)
	check.Text(v, "meeting.facilitator_display_name", mt.GetFacilitatorDisplayName(), false, maxLabel, false)
}

// times checks a meeting's start and end: both set, on days from 2014 to
// 2100 as cal counts them (Italy's, where the meetings take place: a
// meeting at 00:30 on 1 January 2014 in Rome is 2013 in UTC, and one at
// 00:30 on 1 January 2101 is 2100), the end after the start and at most
// maxMeetingSpan later.
func times(v *errs.Violations, cal territory.Calendar, start, end *timestamppb.Timestamp) {
	ok := true
	for _, t := range []struct {
		field string
		ts    *timestamppb.Timestamp
	}{{"meeting.start_time", start}, {"meeting.end_time", end}} {
		switch {
		case t.ts == nil:
			v.Add(t.field, "is required")
			ok = false
		case t.ts.CheckValid() != nil:
			v.Add(t.field, "is not a valid timestamp")
			ok = false
		default:
			if d := cal.Day(t.ts.AsTime()); d < firstMeetingDay || d > lastMeetingDay {
				v.Add(t.field, "%s is out of range: meetings are from %s to %s", t.ts.AsTime().In(cal.Location()).Format(time.RFC3339), firstMeetingDay, lastMeetingDay)
				ok = false
			}
		}
	}
	if !ok {
		return
	}
	s, e := start.AsTime(), end.AsTime()
	switch {
	case !e.After(s):
		v.Add("meeting.end_time", "%s is not after start_time %s", e.Format(time.RFC3339), s.Format(time.RFC3339))
	case e.Sub(s) > maxMeetingSpan:
		v.Add("meeting.end_time", "%s is more than 7 days after start_time %s", e.Format(time.RFC3339), s.Format(time.RFC3339))
	}
}

// link checks an optional URL to join a meeting: absolute http or https,
// with a host and no credentials.
func link(v *errs.Violations, field, s string) {
	if s == "" {
		return
	}
	if len(s) > maxLink {
		v.Add(field, "is %d bytes long; at most %d are allowed", len(s), maxLink)
		return
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || strings.ContainsAny(s, " \t\r\n") || u.Host == "":
		v.Add(field, "%q is not a URL: want an absolute http(s) URL such as https://meet.example.org/room", errs.Clip(s, errs.MaxEcho))
	case u.Scheme != "https" && u.Scheme != "http":
		v.Add(field, "%q is not an http(s) URL", errs.Clip(s, errs.MaxEcho))
	case u.User != nil:
		v.Add(field, "must not carry a user name or password")
	}
}

// partners checks a list of partners of region: each existing, once.
func partners(tx store.ReadTx, v *errs.Violations, field string, names []string, region string) {
	if !check.AtMost(v, field, len(names), maxPartners, "partners") {
		return
	}
	resource.NewRefList[*famiv1.Partner](tx, v, region, resource.Partners).CheckAll(field, names)
}

// validateAttendance checks the attendance of a meeting, recording the
// violations in v: existing partners of its region, each once, counts in
// range, role counts adding up.
func validateAttendance(tx store.ReadTx, v *errs.Violations, list []*famiv1.PartnerAttendance, region string) {
	if !check.Listed(v, "attendance", len(list), maxPartners, "partners", "list the partners present (attendees 0 records a partner's absence)") {
		return
	}
	c := attendanceCheck{v: v, refs: resource.Refs{Tx: tx, V: v, Region: region},
		partners: resource.NewRefList[*famiv1.Partner](tx, v, region, resource.Partners), contacts: check.Set[string]{}}
	for i, a := range list {
		c.partner(errs.Indexed("attendance", i), a)
	}
}

// attendanceCheck checks the attendance of a meeting partner by partner,
// remembering the partners and contacts already named.
type attendanceCheck struct {
	v        *errs.Violations
	refs     resource.Refs
	partners *resource.RefList[*famiv1.Partner]
	contacts check.Set[string]
}

// partner checks the attendance of one partner (at f): the partner, its
// attendees, their counts by role and the contacts named among them.
func (c *attendanceCheck) partner(f string, a *famiv1.PartnerAttendance) {
	c.partners.Check(f+".partner", a.GetPartner())
	n := a.GetAttendees()
	if n < 0 || n > MaxAttendees {
		c.v.Add(f+".attendees", "%d is out of range: 0 (absent) to %d", n, MaxAttendees)
	}
	if !check.AtMost(c.v, f+".roles", len(a.GetRoles()), maxRoles, "roles") {
		return
	}
	roleCounts(c.v, f+".roles", a.GetRoles(), n)
	if len(a.GetContacts()) > int(max(n, 0)) {
		c.v.Add(f+".contacts", "names %d contacts for %d attendees", len(a.GetContacts()), n)
		return
	}
	for j, name := range a.GetContacts() {
		c.contact(errs.Indexed(f+".contacts", j), name, a.GetPartner())
	}
}

// roleCounts checks the counts by role of a partner's n attendees (at f):
// each role once, each count in range, and, when all are valid, adding up
// to n. Valid is what the checks find, not what v records: a line stored
// with a role listed twice and sent again as it is (resource.Validate
// leaves the duplicate out) has no sum to check either.
func roleCounts(v *errs.Violations, f string, roles []*famiv1.AttendeeCount, n int32) {
	var sum int32
	seen := check.Set[famiv1.AttendeeRole]{}
	ok := true
	for j, rc := range roles {
		rf := errs.Indexed(f, j)
		valid := check.Enum(v, rf+".role", rc.GetRole(), true)
		if seen.Again(rc.GetRole()) && rc.GetRole() != 0 {
			v.Add(rf+".role", "%s is listed twice", rc.GetRole())
			valid = false
		}
		if c := rc.GetCount(); c < 1 || c > MaxAttendees {
			v.Add(rf+".count", "%d is out of range: 1 to %d", c, MaxAttendees)
			valid = false
		} else {
			sum += c
		}
		ok = ok && valid
	}
	if ok && len(roles) > 0 && sum != n {
		v.Add(f, "the counts by role add up to %d, but attendees is %d", sum, n)
	}
}

// contact checks a contact named (at f) among the attendees of partner:
// an existing contact of the region, named once in the meeting, staff of
// that partner.
func (c *attendanceCheck) contact(f, name, partner string) {
	ct := &famiv1.Contact{}
	if !c.refs.Required(f, name, resource.Contacts, ct) {
		return
	}
	if c.contacts.Again(name) {
		c.v.Add(f, "%s is named twice", name)
	}
	if ct.GetPartner() != partner {
		c.v.Add(f, "%s is staff of %s, not of %s", name, ct.GetPartner(), partner)
	}
}

// validateActionItems checks the action items of minutes recorded for a
// meeting that starts on day (YYYY-MM-DD), recording the violations in v.
func validateActionItems(tx store.ReadTx, v *errs.Violations, items []*famiv1.ActionItem, region, day string) {
	if !check.AtMost(v, "action_items", len(items), maxActionItems, "items") {
		return
	}
	seen := check.Set[string]{}
	refs := resource.Refs{Tx: tx, V: v, Region: region}
	for i, it := range items {
		f := errs.Indexed("action_items", i)
		if id := it.GetId(); id != "" {
			if err := aip.CheckID(f+".id", id); err != nil {
				v.AddFrom(err)
			} else if seen.Again(id) {
				v.Add(f+".id", "%q is listed twice", id)
			}
		}
		check.Text(v, f+".description", it.GetDescription(), true, maxText, true)
		refs.Required(f+".owner", it.GetOwner(), resource.Partners, &famiv1.Partner{})
		if _, ok := check.Date(v, f+".due_date", it.GetDueDate(), true); ok && it.GetDueDate() < day {
			v.Add(f+".due_date", "%s is before the meeting (%s)", it.GetDueDate(), day)
		}
		check.Enum(v, f+".status", it.GetStatus(), false)
		check.Reason(v, f+".status_note", it.GetStatusNote(), false)
	}
}

// networkless reports whether meetings of kind may belong to no network:
// the focus groups and bilateral meetings the managing authority holds with
// beneficiaries.
func networkless(kind famiv1.MeetingKind) bool {
	return kind == famiv1.MeetingKind_MEETING_KIND_FOCUS_GROUP || kind == famiv1.MeetingKind_MEETING_KIND_BILATERAL
}
