package territory

import (
	"time"
	// Italian calendar days (dates, due dates, quarters, "today", calendar
	// feeds) must not depend on the host's zoneinfo files.
	_ "time/tzdata"
)

// Rome is Italy's time zone, Europe/Rome: the one every calendar day of
// the platform is counted in.
var Rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err) // unreachable: time/tzdata is linked in
	}
	return loc
}()

// Calendar is the clock the services read calendar days from: now, whose
// days are counted in a time zone (Rome, unless a test gives another).
type Calendar struct {
	now func() time.Time
	loc *time.Location
}

// NewCalendar returns the calendar of now (time.Now when nil) in loc
// (Rome when nil).
func NewCalendar(now func() time.Time, loc *time.Location) Calendar {
	if now == nil {
		now = time.Now
	}
	if loc == nil {
		loc = Rome
	}
	return Calendar{now: now, loc: loc}
}

// Now is the current time.
func (c Calendar) Now() time.Time { return c.now() }

// Location is the time zone days are counted in.
func (c Calendar) Location() *time.Location { return c.loc }

// Day is the calendar date of t, YYYY-MM-DD.
func (c Calendar) Day(t time.Time) string { return t.In(c.loc).Format(time.DateOnly) }

// Today is the current calendar date, YYYY-MM-DD.
func (c Calendar) Today() string { return c.Day(c.now()) }
