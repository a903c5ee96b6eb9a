package server_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestMinistryConvenesMeetings checks on every surface that the ministry
// convenes focus groups and bilateral meetings of no network in any
// region, and runs them (attendance, minutes), but never writes a
// network's meeting; that only focus groups and bilateral meetings may
// have no network; and that network members cannot schedule one.
func TestMinistryConvenesMeetings(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		const parent = "regions/veneto"
		admin := newSurfaceFor(t, ts, kind, regionAdminSpec("veneto"))
		udp := mustOK(admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: parent, PartnerId: "udp", Partner: &famiv1.Partner{
			DisplayName: "UdP Venezia", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}}))(t, "partner").GetName()
		cpia := mustOK(admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: parent, PartnerId: "cpia", Partner: &famiv1.Partner{
			DisplayName: "CPIA Venezia", Kind: famiv1.PartnerKind_PARTNER_KIND_ADULT_EDUCATION_CENTRE}}))(t, "partner").GetName()
		network := mustOK(admin.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: parent, NetworkId: "rete", Network: &famiv1.Network{
			DisplayName: "Rete", LeadPartner: udp, Members: []*famiv1.Member{{Partner: udp, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}, {Partner: cpia, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}}}}))(t, "network").GetName()

		ministry := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:ministry", Role: principal.Ministry, Name: "AdG FAMI"})
		focus := matrixMeeting(network, "focus")
		focus.Networks, focus.Kind = nil, famiv1.MeetingKind_MEETING_KIND_FOCUS_GROUP
		m := mustOK(ministry.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: "focus", Meeting: focus}))(t, "the ministry's focus group")
		if m.GetFacilitator() != "test:ministry" || len(m.GetNetworks()) != 0 {
			t.Errorf("focus group: facilitator %q, networks %q; want the ministry and none", m.GetFacilitator(), m.GetNetworks())
		}
		m = mustOK(ministry.RecordAttendance(ctx, &famiv1.RecordAttendanceRequest{Name: m.GetName(), Attendance: []*famiv1.PartnerAttendance{{Partner: udp, Attendees: 2}}}))(t, "attendance")
		if m.GetState() != famiv1.MeetingState_MEETING_STATE_HELD {
			t.Errorf("after attendance: %s, want HELD", m.GetState())
		}
		mustOK(ministry.RecordMinutes(ctx, &famiv1.RecordMinutesRequest{Name: m.GetName(), Minutes: "Esiti del focus group"}))(t, "minutes")

		// A network's meeting is the region's, not the ministry's.
		_, err := ministry.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: "tavolo", Meeting: matrixMeeting(network, "tavolo")})
		checkErr(t, "the ministry schedules a network's meeting", err, wantErr{code: codes.PermissionDenied, reason: "NETWORK_MEETING"})
		regional := mustOK(newSurfaceFor(t, ts, kind, regionAdminSpec("veneto")).
			CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: "tavolo", Meeting: matrixMeeting(network, "tavolo")}))(t, "the region's meeting")
		_, err = ministry.CancelMeeting(ctx, &famiv1.CancelMeetingRequest{Name: regional.GetName(), Reason: "no"})
		checkErr(t, "the ministry cancels a network's meeting", err, wantErr{code: codes.PermissionDenied, reason: "NETWORK_MEETING"})

		// Only focus groups and bilateral meetings may have no network.
		table := matrixMeeting(network, "x")
		table.Networks = nil
		_, err = ministry.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: "x", Meeting: table})
		checkErr(t, "a coordination table of no network", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"meeting.networks"}})

		// Network members schedule only their networks' meetings.
		staff := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:staff", Role: principal.NetworkMember, Region: "veneto", Partner: udp})
		bilateral := matrixMeeting(network, "bilaterale")
		bilateral.Networks, bilateral.Kind = nil, famiv1.MeetingKind_MEETING_KIND_BILATERAL
		_, err = staff.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: "bilaterale", Meeting: bilateral})
		checkErr(t, "a network member schedules a meeting of no network", err, wantErr{code: codes.PermissionDenied, reason: "NOT_NETWORK_MEMBER"})
	})
}
