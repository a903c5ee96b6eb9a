package meetings

import (
	"context"
	"fmt"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/territory"
)

// The feeds are iCalendar objects (RFC 5545) built with
// github.com/arran4/golang-ical, which escapes text values and folds lines
// at 75 octets; we ask it for CRLF line ends (its default on Unix is LF).
const (
	// calendarTZ is the time zone every feed writes local times in
	// (DTSTART;TZID=Europe/Rome:...), described by the feed's VTIMEZONE;
	// only the repeated autumn hour is written in UTC (see addEvent).
	calendarTZ = "Europe/Rome"
	// ContentTypeCalendar is the media type of a feed.
	ContentTypeCalendar = "text/calendar; charset=utf-8"
	// calendarWindow is how far back a feed goes by default.
	calendarWindow = 365 * 24 * time.Hour
	// maxCalendarEvents bounds a feed; a longer one asks for start_from.
	maxCalendarEvents = 10000
	// refreshInterval is how often calendar clients are asked to refetch
	// (RFC 7986 REFRESH-INTERVAL, and X-PUBLISHED-TTL for Outlook).
	refreshInterval = "PT1H"
	icsLocalLayout  = "20060102T150405"
)

// UID is a meeting's iCalendar UID: stable for the meeting's life, unique
// across regions, e.g. "tavolo-2026-03@regions.lombardia.raccordo".
func UID(meeting string) string {
	region, id, err := aip.ParseName("name", meeting, resource.Meetings)
	if err != nil {
		return meeting
	}
	return id + "@regions." + region + ".raccordo"
}

// ExportMeetingCalendar implements fami.v1.MeetingService.
func (s *Service) ExportMeetingCalendar(ctx context.Context, req *famiv1.ExportMeetingCalendarRequest) (*famiv1.ExportMeetingCalendarResponse, error) {
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	f := meetingFilter{
		network:     resource.RefID(&v, "network", req.GetNetwork(), region, resource.Networks),
		facilitator: req.GetFacilitator(),
		from:        timeBound(&v, "start_from", req.GetStartFrom()),
	}
	check.Text(&v, "facilitator", req.GetFacilitator(), false, maxSubject, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if req.GetStartFrom() == nil {
		f.from = s.cal.Now().Add(-calendarWindow).UTC().Format(timeKeyLayout)
	}
	r, _ := territory.LookupRegion(region)
	calName := "Raccordo - " + r.DisplayName + ": meetings"
	filename := region + "-meetings.ics"

	cal := ics.NewCalendarFor("Raccordo")
	cal.SetProductId("-//Raccordo//Coordination meetings//EN")
	cal.SetCalscale("GREGORIAN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetXWRTimezone(calendarTZ)
	// The library's property name already carries ";VALUE=DURATION".
	cal.SetRefreshInterval(refreshInterval)
	cal.SetXPublishedTTL(refreshInterval)
	addRomeTimezone(cal)

	events := 0
	facilitator := f.facilitator
	err = s.store.View(ctx, region, func(tx store.ReadTx) error {
		if req.GetNetwork() != "" {
			n := &famiv1.Network{}
			if err := tx.Get(req.GetNetwork(), n); err != nil {
				return err
			}
			calName = "Raccordo - " + n.GetDisplayName() + ": meetings"
			filename = region + "-" + f.network + "-meetings.ics"
		}
		names := map[string]string{}
		var nameErr error // the first network that could not be read
		networkName := func(n string) string {
			dn, ok := names[n]
			if !ok {
				var err error
				if dn, err = displayName(tx, n); err != nil && nameErr == nil {
					nameErr = err
				}
				if dn == "" {
					dn = resource.ID(n)
				}
				names[n] = dn
			}
			return dn
		}
		var ferr error
		byStart.scan(tx, f.from, "", "", func(k, val string) bool {
			if !f.match(decodeMeetingAttrs(val)) {
				return true
			}
			if events == maxCalendarEvents {
				ferr = errs.CalendarTooLarge.New(
					"the feed would hold more than %d meetings: ask for a later start_from (startFrom=...)", maxCalendarEvents).Naming("start_from")
				return false
			}
			mt := &famiv1.Meeting{}
			if ferr = tx.Get(aip.Name(region, resource.Meetings, keyID(k)), mt); ferr != nil {
				return false
			}
			addEvent(cal, mt, networkName)
			if ferr = nameErr; ferr != nil {
				return false
			}
			if dn := mt.GetFacilitatorDisplayName(); dn != "" {
				facilitator = dn
			}
			events++
			return true
		})
		return ferr
	})
	if err != nil {
		return nil, err
	}
	if f.facilitator != "" {
		calName = "Raccordo - " + r.DisplayName + ": meetings run by " + facilitator
		filename = region + "-facilitator-meetings.ics"
	}
	cal.SetName(calName)
	cal.SetXWRCalName(calName)
	return &famiv1.ExportMeetingCalendarResponse{
		ContentType: ContentTypeCalendar,
		Filename:    filename,
		Calendar:    cal.Serialize(ics.WithNewLineWindows),
		Events:      int32(events),
	}, nil
}

// addEvent adds a meeting to a feed as a VEVENT.
func addEvent(cal *ics.Calendar, mt *famiv1.Meeting, networkName func(string) string) {
	e := cal.AddEvent(UID(mt.GetName()))
	// DTSTAMP is the meeting's last change, so an unchanged feed is
	// byte-for-byte the same at every fetch.
	e.SetDtStampTime(mt.GetUpdateTime().AsTime())
	e.SetCreatedTime(mt.GetCreateTime().AsTime())
	e.SetModifiedAt(mt.GetUpdateTime().AsTime())
	e.SetSequence(int(mt.GetSequence()))
	start, end := mt.GetStartTime().AsTime(), mt.GetEndTime().AsTime()
	if repeatedWallClock(start) || repeatedWallClock(end) {
		// A local time with TZID names the first of two equal wall clocks
		// (RFC 5545 3.3.5), so a meeting in the hour repeated when summer
		// time ends is written in UTC, which every client places right.
		e.SetStartAt(start)
		e.SetEndAt(end)
	} else {
		e.SetProperty(ics.ComponentPropertyDtStart, start.In(territory.Rome).Format(icsLocalLayout), ics.WithTZID(calendarTZ))
		e.SetProperty(ics.ComponentPropertyDtEnd, end.In(territory.Rome).Format(icsLocalLayout), ics.WithTZID(calendarTZ))
	}
	e.SetSummary(text(mt.GetTitle()))
	if mt.GetState() == famiv1.MeetingState_MEETING_STATE_CANCELLED {
		e.SetStatus(ics.ObjectStatusCancelled)
	} else {
		e.SetStatus(ics.ObjectStatusConfirmed)
	}
	switch {
	case mt.GetPlace() != "":
		e.SetLocation(text(mt.GetPlace()))
	case mt.GetLink() != "":
		e.SetLocation(mt.GetLink())
	}
	if mt.GetLink() != "" {
		e.SetURL(mt.GetLink())
	}
	e.AddCategory(kindLabel(mt.GetKind()))
	e.SetDescription(text(description(mt, networkName)))
}

// repeatedWallClock reports whether t's wall clock in Rome happens twice
// (02:00-03:00 on the last Sunday of October), so that a local time could
// not say which of the two instants is meant.
func repeatedWallClock(t time.Time) bool {
	wall := t.In(territory.Rome).Format(icsLocalLayout)
	return t.Add(-time.Hour).In(territory.Rome).Format(icsLocalLayout) == wall || t.Add(time.Hour).In(territory.Rome).Format(icsLocalLayout) == wall
}

// description is the text of a meeting's VEVENT: what a calendar user
// needs to take part, and the meeting's resource name to find it again.
func description(mt *famiv1.Meeting, networkName func(string) string) string {
	var b strings.Builder
	if mt.GetState() == famiv1.MeetingState_MEETING_STATE_CANCELLED {
		fmt.Fprintf(&b, "CANCELLED: %s\n\n", mt.GetCancellation().GetReason())
	}
	var nets []string
	for _, n := range mt.GetNetworks() {
		nets = append(nets, networkName(n))
	}
	fmt.Fprintf(&b, "%s - %s\n", kindLabel(mt.GetKind()), strings.Join(nets, ", "))
	// A facilitator without a display name (a subject from before names,
	// or a service token's) is left out: its subject, such as
	// "test:staff:cpia-bergamo", tells a calendar user nothing.
	if f := mt.GetFacilitatorDisplayName(); f != "" {
		fmt.Fprintf(&b, "Facilitator: %s\n", f)
	}
	if l := mt.GetLink(); l != "" {
		fmt.Fprintf(&b, "Join: %s\n", l)
	}
	if d := mt.GetDescription(); d != "" {
		fmt.Fprintf(&b, "\n%s\n", d)
	}
	if len(mt.GetAgenda()) > 0 {
		b.WriteString("\nAgenda:\n")
		for i, it := range mt.GetAgenda() {
			fmt.Fprintf(&b, "%d. %s", i+1, it.GetTitle())
			if d := it.GetDurationMinutes(); d > 0 {
				fmt.Fprintf(&b, " (%d min)", d)
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "\n%s", mt.GetName())
	return b.String()
}

// kindLabel is a kind for people: "Coordination table".
func kindLabel(k famiv1.MeetingKind) string {
	s := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(k.String(), "MEETING_KIND_"), "_", " "))
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// text prepares a value for a TEXT property: the library escapes
// backslashes, semicolons, commas and newlines, but a carriage return
// would end the content line, so line ends become LF first.
func text(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// addRomeTimezone describes Europe/Rome as a VTIMEZONE: central European
// time, summer time from the last Sunday of March (02:00 -> 03:00) to the
// last Sunday of October (03:00 -> 02:00), the EU rule since 1996 and so
// for every meeting (2014 onwards; calendar_test.go checks the rule
// against Go's zone database).
func addRomeTimezone(cal *ics.Calendar) {
	tz := cal.AddTimezone(calendarTZ)
	// Not ics.ComponentPropertyExtended, which writes "X-X-" in v0.3.4.
	tz.AddProperty(ics.ComponentProperty("X-LIC-LOCATION"), calendarTZ)
	summer := &ics.Daylight{}
	summer.AddProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), "+0100")
	summer.AddProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), "+0200")
	summer.AddProperty(ics.ComponentProperty(ics.PropertyTzname), "CEST")
	summer.AddProperty(ics.ComponentPropertyDtStart, "19700329T020000")
	summer.AddProperty(ics.ComponentPropertyRrule, "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU")
	tz.Components = append(tz.Components, summer)
	winter := tz.AddStandard()
	winter.AddProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), "+0200")
	winter.AddProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), "+0100")
	winter.AddProperty(ics.ComponentProperty(ics.PropertyTzname), "CET")
	winter.AddProperty(ics.ComponentPropertyDtStart, "19701025T030000")
	winter.AddProperty(ics.ComponentPropertyRrule, "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU")
}
