package web

import (
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestAttendanceFaultPlacesEveryCause: every violation the meetings
// service gives for an attendance (internal/meetings/validate.go) is
// placed on its partner's row, at the field at fault, in the words of its
// cause, or at the fieldset when it names no row the form shows; the
// list's own (attendance) is left to absorb. The causes no form of the
// page can bring about (a contact named through the API and moved or
// deleted since is forgiven as stored) are checked here, the others
// through the page too (TestAttendanceRefusalOnItsRow).
func TestAttendanceFaultPlacesEveryCause(t *testing.T) {
	t.Parallel()
	const udp, cpia = "regions/lombardia/partners/udp", "regions/lombardia/partners/cpia"
	teacher := famiv1.AttendeeRole_ATTENDEE_ROLE_TEACHER
	fault := attendanceFault([]*famiv1.PartnerAttendance{
		{Partner: cpia, Attendees: 1},
		{Partner: udp, Attendees: 3, Contacts: []string{"regions/lombardia/contacts/mario"},
			Roles: []*famiv1.AttendeeCount{{Role: teacher, Count: 5}, {Count: 1}}},
	})
	for _, c := range []struct{ field, name, text string }{
		{"attendance", "", ""},
		{"attendance[2].attendees", "", ""},
		{"attendance[1].partner", "attendance", msg("invalid.attendance_partner")},
		{"attendance[0].attendees", "att." + cpia, msgf("invalid.attendance_attendees", 1000)},
		{"attendance[1].attendees", "att." + udp, msgf("invalid.attendance_attendees", 1000)},
		{"attendance[1].roles", "att." + udp, msgf("invalid.attendance_roles", 6, 3)},
		{"attendance[1].roles[0].count", "att." + udp + ".ATTENDEE_ROLE_TEACHER", msgf("invalid.attendance_role_count", 1000)},
		{"attendance[1].roles[0].role", "att." + udp, msg("invalid.attendance_role")},
		{"attendance[1].roles[1].role", "att." + udp, msg("invalid.attendance_role")},
		{"attendance[1].roles[1].count", "att." + udp, msg("invalid.attendance_role")},
		{"attendance[1].contacts", "att." + udp, msgf("invalid.attendance_contacts", 1)},
		{"attendance[1].contacts[0]", "att." + udp, msg("invalid.attendance_contact")},
	} {
		name, text, ok := fault(c.field)
		if name != c.name || text != c.text || ok != (c.name != "") {
			t.Errorf("%s: at %q, %q, %v; want at %q, %q", c.field, name, text, ok, c.name, c.text)
		}
	}
}

// TestMovedMessagesAllShow: the messages a field's errors bring to
// another field (alias, attendanceRowless) all show there, after the
// field's own, each once. The field's own message was replaced (alias),
// or the moved ones dropped but the first (attendanceRowless).
func TestMovedMessagesAllShow(t *testing.T) {
	t.Parallel()
	const udp, gone = "regions/lombardia/partners/udp", "regions/lombardia/partners/gone"
	fm := newForm(nil)
	fm.mark("trimestre", "own")
	fm.mark("period", "first")
	fm.mark("period", "second")
	fm.mark("period", "own")
	fm.alias("period", "trimestre")
	if got, want := fm.Err("trimestre"), "own\nfirst\nsecond"; got != want {
		t.Errorf("alias: %q, want %q", got, want)
	}

	fm = newForm(nil)
	fm.mark("attendance", "own")
	fm.mark("att."+gone, "count")
	fm.mark("att."+gone+".ATTENDEE_ROLE_TEACHER", "role")
	fm.mark("att."+udp, "shown on its row")
	attendanceRowless(fm, []string{udp})
	if got, want := fm.Err("attendance"), "own\ncount\nrole"; got != want {
		t.Errorf("attendanceRowless: the fieldset shows %q, want %q", got, want)
	}
	if fm.Err("att."+gone) != "" || fm.Err("att."+udp) != "shown on its row" {
		t.Errorf("attendanceRowless: rows left %v", fm.Errors)
	}
}
