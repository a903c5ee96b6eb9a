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
