package meetings_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/errs/errstest"
	"github.com/raccordo/raccordo/internal/evaluation"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/protocols"
	"github.com/raccordo/raccordo/internal/registry/registrytest"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/territory"
)

const (
	lombardia = registrytest.Region
	parent    = registrytest.Parent
)

var (
	rome                     = territory.Rome
	partnerName, networkName = registrytest.PartnerName, registrytest.NetworkName
)

// at is a time in Rome: at("2026-03-02 10:00").
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, rome)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func ts(t testing.TB, s string) *timestamppb.Timestamp { return timestamppb.New(at(t, s)) }

func meetingName(id string) string { return parent + "/meetings/" + id }

// env is a meeting service on a fresh bbolt store with a region's
// registry: partners udp-bergamo (member of both networks), cpia-bergamo
// (rete-bergamo only), cpi-dalmine (rete-dalmine only) and caritas (no
// network); a network in veneto too.
type env struct {
	*registrytest.Env
	svc *meetings.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{Env: registrytest.New(t)}
	e.Clock.Set(at(t, "2026-03-02 10:00"))
	e.svc = meetings.New(e.Store, meetings.Options{Now: e.Clock.Now})
	ctx := e.admin()
	for _, p := range []string{"regions/lombardia/partners/udp-bergamo", "regions/lombardia/partners/cpia-bergamo",
		"regions/lombardia/partners/cpi-dalmine", "regions/lombardia/partners/caritas", "regions/veneto/partners/udp-padova"} {
		parts := strings.Split(p, "/")
		_, err := e.Reg.Partners().CreatePartner(e.adminOf(parts[1]), &famiv1.CreatePartnerRequest{Parent: "regions/" + parts[1], PartnerId: parts[3],
			Partner: &famiv1.Partner{DisplayName: "Partner " + parts[3], Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}})
		if err != nil {
			t.Fatalf("create partner %s: %v", p, err)
		}
	}
	for id, other := range map[string]string{"rete-bergamo": "cpia-bergamo", "rete-dalmine": "cpi-dalmine"} {
		_, err := e.Reg.Networks().CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: parent, NetworkId: id, Network: &famiv1.Network{
			DisplayName: "Rete " + strings.TrimPrefix(id, "rete-"), LeadPartner: partnerName("udp-bergamo"),
			Members: []*famiv1.Member{
				{Partner: partnerName("udp-bergamo"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD},
				{Partner: partnerName(other), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER},
			}}})
		if err != nil {
			t.Fatalf("create network %s: %v", id, err)
		}
	}
	_, err := e.Reg.Networks().CreateNetwork(e.adminOf("veneto"), &famiv1.CreateNetworkRequest{Parent: "regions/veneto", NetworkId: "rete-padova", Network: &famiv1.Network{
		DisplayName: "Rete Padova", LeadPartner: "regions/veneto/partners/udp-padova",
		Members: []*famiv1.Member{{Partner: "regions/veneto/partners/udp-padova", Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}})
	if err != nil {
		t.Fatalf("create veneto network: %v", err)
	}
	return e
}

func (e *env) admin() context.Context { return e.adminOf(lombardia) }

func (e *env) adminOf(region string) context.Context {
	return e.As(principal.Principal{Subject: "test:admin:" + region, Role: principal.RegionAdmin, Region: region, DisplayName: "Admin " + region})
}

func (e *env) consultant() context.Context {
	return e.As(principal.Principal{Subject: "acct:lombardia:mrossi", Role: principal.Consultant, Region: lombardia, DisplayName: "Mario Rossi"})
}

// meeting is a coordination table of rete-bergamo on 2026-03-10 10:00-12:00.
func (e *env) meeting() *famiv1.Meeting {
	return &famiv1.Meeting{
		Networks:        []string{networkName("rete-bergamo")},
		Kind:            famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE,
		Title:           "Tavolo di coordinamento, marzo",
		StartTime:       ts(e.T, "2026-03-10 10:00"),
		EndTime:         ts(e.T, "2026-03-10 12:00"),
		Mode:            famiv1.MeetingMode_MEETING_MODE_HYBRID,
		Place:           "Sala consiliare, Bergamo",
		Link:            "https://meet.example.org/tavolo-bergamo",
		Agenda:          []*famiv1.AgendaItem{{Title: "Protocollo UdP-CPIA", DurationMinutes: 45}, {Title: "Varie"}},
		InvitedPartners: []string{partnerName("udp-bergamo"), partnerName("cpia-bergamo")},
	}
}

func (e *env) create(ctx context.Context, id string, mt *famiv1.Meeting) *famiv1.Meeting {
	e.T.Helper()
	got, err := e.svc.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: id, Meeting: mt})
	if err != nil {
		e.T.Fatalf("create meeting %s: %v", id, err)
	}
	return got
}

func TestCreateRefusesInvalidMeetings(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name   string
		mutate func(*famiv1.Meeting)
		field  string
		words  string
	}{
		{"end before start", func(m *famiv1.Meeting) { m.EndTime = ts(t, "2026-03-10 09:00") }, "meeting.end_time", "not after start_time"},
		{"end equal to start", func(m *famiv1.Meeting) { m.EndTime = m.StartTime }, "meeting.end_time", "not after"},
		{"longer than a week", func(m *famiv1.Meeting) { m.EndTime = ts(t, "2026-03-18 10:00") }, "meeting.end_time", "7 days"},
		{"no start", func(m *famiv1.Meeting) { m.StartTime = nil }, "meeting.start_time", "required"},
		{"before 2014", func(m *famiv1.Meeting) { m.StartTime = ts(t, "2013-12-31 10:00") }, "meeting.start_time", "out of range"},
		{"no network", func(m *famiv1.Meeting) { m.Networks = nil }, "meeting.networks", "required"},
		{"unknown network", func(m *famiv1.Meeting) { m.Networks = []string{networkName("nessuna")} }, "meeting.networks[0]", "does not exist"},
		{"network of another region", func(m *famiv1.Meeting) {
			m.Networks = append(m.Networks, "regions/veneto/networks/rete-padova")
		}, "meeting.networks[1]", `not a network of region "lombardia"`},
		{"network twice", func(m *famiv1.Meeting) { m.Networks = append(m.Networks, m.Networks[0]) }, "meeting.networks[1]", "twice"},
		{"unknown partner", func(m *famiv1.Meeting) { m.InvitedPartners[1] = partnerName("nessuno") }, "meeting.invited_partners[1]", "does not exist"},
		{"partner of another region", func(m *famiv1.Meeting) {
			m.InvitedPartners = []string{"regions/veneto/partners/udp-padova"}
		}, "meeting.invited_partners[0]", "not a partner of region"},
		{"unknown protocol", func(m *famiv1.Meeting) { m.Protocol = parent + "/protocols/nessuno" }, "meeting.protocol", "does not exist"},
		{"no kind", func(m *famiv1.Meeting) { m.Kind = 0 }, "meeting.kind", "required"},
		{"unknown kind", func(m *famiv1.Meeting) { m.Kind = 99 }, "meeting.kind", "not a value"},
		{"no title", func(m *famiv1.Meeting) { m.Title = " " }, "meeting.title", "required"},
		{"online without a link", func(m *famiv1.Meeting) {
			m.Mode, m.Link = famiv1.MeetingMode_MEETING_MODE_ONLINE, ""
		}, "meeting.link", "required when mode is ONLINE"},
		{"in person without a place", func(m *famiv1.Meeting) {
			m.Mode, m.Place = famiv1.MeetingMode_MEETING_MODE_IN_PERSON, ""
		}, "meeting.place", "required when mode is IN_PERSON"},
		{"link not a URL", func(m *famiv1.Meeting) { m.Link = "meet.example.org/tavolo" }, "meeting.link", "not a URL"},
		{"link not http", func(m *famiv1.Meeting) { m.Link = "ftp://example.org/x" }, "meeting.link", "not an http(s) URL"},
		{"link with a password", func(m *famiv1.Meeting) { m.Link = "https://u:p@meet.example.org/x" }, "meeting.link", "password"},
		{"agenda item without a title", func(m *famiv1.Meeting) { m.Agenda[1].Title = "" }, "meeting.agenda[1].title", "required"},
		{"agenda item too long", func(m *famiv1.Meeting) { m.Agenda[0].DurationMinutes = -5 }, "meeting.agenda[0].duration_minutes", "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := e.meeting()
			tc.mutate(m)
			_, err := e.svc.CreateMeeting(e.admin(), &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: "bad", Meeting: m})
			errstest.Want(t, tc.name, err, errs.Invalid, "INVALID_ARGUMENT", tc.field)
			if err != nil && !strings.Contains(err.Error(), tc.words) {
				t.Errorf("message %q does not say %q", err, tc.words)
			}
		})
	}
	if _, err := e.svc.GetMeeting(e.admin(), &famiv1.GetMeetingRequest{Name: meetingName("bad")}); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("a refused meeting was stored: %v", err)
	}
}

// TestMeetingIDsOfTheWebsPagesAreReserved: a meeting may not take as its
// id a word the web's addresses put where a meeting's id stands
// (/incontri/nuovo, /incontri/calendario): it would have no page. The
// refusal names meeting_id with its own reason, and nothing is stored.
func TestMeetingIDsOfTheWebsPagesAreReserved(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"calendario", "nuovo", "nuova"} {
		_, err := e.svc.CreateMeeting(e.admin(), &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: id, Meeting: e.meeting()})
		errstest.Want(t, "meeting_id "+id, err, errs.Invalid, "INVALID_ARGUMENT", "meeting_id")
		if v := errs.As(err); v != nil && (len(v.Violations) != 1 || v.Violations[0].Reason != errs.IDReserved) {
			t.Errorf("meeting_id %s: violations %v, want reason %s", id, v.Violations, errs.IDReserved)
		}
		if _, err := e.svc.GetMeeting(e.admin(), &famiv1.GetMeetingRequest{Name: meetingName(id)}); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("a refused meeting %s was stored: %v", id, err)
		}
	}
	e.create(e.admin(), "calendario-l2", e.meeting()) // a word of its own
}

// TestCreateOverADamagedMeeting: a meeting whose id is taken by a stored
// record that fails its checksum is refused as taken (ALREADY_EXISTS
// naming meeting_id, as for any taken id), and the damaged record is left
// for the operator to restore, never overwritten.
func TestCreateOverADamagedMeeting(t *testing.T) {
	e := newEnv(t)
	c := e.consultant()
	mt := e.meeting()
	mt.Title = "MARKER-meeting"
	e.create(c, "guasto", mt)
	bolttest.Damage(e.T, e.Dir, lombardia, "MARKER-meeting")
	_, err := e.svc.CreateMeeting(c, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: "guasto", Meeting: e.meeting()})
	errstest.Want(t, "create over a damaged meeting", err, errs.AlreadyExists, "ALREADY_EXISTS", "meeting_id")
	_, err = e.svc.GetMeeting(c, &famiv1.GetMeetingRequest{Name: meetingName("guasto")})
	bolttest.WantRecordCorrupt(t, "the damaged meeting, after", err)
}

// TestMemberOfADamagedNetwork: whether a network member's partner is a
// member of a network whose stored record fails its checksum is unknown,
// not "no": cancelling its meeting and summarising its attendance are
// refused with the store's DATA_LOSS, not with NOT_NETWORK_MEMBER. The
// region's summary and calendar, which show the network's name, are
// refused too.
func TestMemberOfADamagedNetwork(t *testing.T) {
	e := newEnv(t)
	_, err := e.Reg.Networks().CreateNetwork(e.admin(), &famiv1.CreateNetworkRequest{Parent: parent, NetworkId: "rete-guasta", Network: &famiv1.Network{
		DisplayName: "MARKER-network", LeadPartner: partnerName("udp-bergamo"), Members: []*famiv1.Member{
			{Partner: partnerName("udp-bergamo"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD},
			{Partner: partnerName("cpia-bergamo"), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}}}})
	if err != nil {
		t.Fatal(err)
	}
	mt := e.meeting()
	mt.Networks = []string{networkName("rete-guasta")}
	m := e.create(e.admin(), "della-rete-guasta", mt)
	e.Clock.Set(at(t, "2026-03-10 12:00"))
	if _, err := e.svc.RecordAttendance(e.admin(), &famiv1.RecordAttendanceRequest{Name: m.GetName(), Attendance: []*famiv1.PartnerAttendance{
		{Partner: partnerName("udp-bergamo"), Attendees: 2}}}); err != nil {
		t.Fatal(err)
	}
	bolttest.Damage(e.T, e.Dir, lombardia, "MARKER-network")
	cpia := e.Member("cpia-bergamo")
	_, err = e.svc.CancelMeeting(cpia, &famiv1.CancelMeetingRequest{Name: m.GetName(), Reason: "sciopero"})
	bolttest.WantRecordCorrupt(t, "a member cancels a meeting of a damaged network", err)
	_, err = e.svc.SummarizeAttendance(cpia, &famiv1.SummarizeAttendanceRequest{Parent: parent, Network: networkName("rete-guasta")})
	bolttest.WantRecordCorrupt(t, "a member summarises a damaged network", err)
	// The network's name, where a summary or a calendar shows it, is
	// unknown too, not absent.
	_, err = e.svc.SummarizeAttendance(e.admin(), &famiv1.SummarizeAttendanceRequest{Parent: parent})
	bolttest.WantRecordCorrupt(t, "the region's summary", err)
	_, err = e.svc.ExportMeetingCalendar(e.admin(), &famiv1.ExportMeetingCalendarRequest{Parent: parent, StartFrom: ts(t, "2026-03-01 00:00")})
	bolttest.WantRecordCorrupt(t, "the region's calendar", err)
}

// TestFeedTokenOfADamagedRecord: a feed token whose stored record fails
// its checksum is refused with the store's DATA_LOSS, not taken for an
// unknown token, so the damage reaches the operator's log.
func TestFeedTokenOfADamagedRecord(t *testing.T) {
	e := newEnv(t)
	res, err := e.svc.CreateCalendarToken(e.consultant(), &famiv1.CreateCalendarTokenRequest{Parent: parent, DisplayName: "MARKER-token"})
	if err != nil {
		t.Fatal(err)
	}
	bolttest.Damage(e.T, e.Dir, lombardia, "MARKER-token")
	_, err = e.svc.FeedPrincipal(t.Context(), lombardia, res.GetToken())
	bolttest.WantRecordCorrupt(t, "the feed of a damaged token", err)
}

func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	c := e.consultant()
	name := meetingName("tavolo-marzo")
	m := e.create(c, "tavolo-marzo", e.meeting())
	if m.GetState() != famiv1.MeetingState_MEETING_STATE_SCHEDULED || m.GetSequence() != 0 {
		t.Errorf("created: state %s sequence %d", m.GetState(), m.GetSequence())
	}
	if m.GetFacilitator() != "acct:lombardia:mrossi" || m.GetFacilitatorDisplayName() != "Mario Rossi" {
		t.Errorf("facilitator %q (%q), want the creator", m.GetFacilitator(), m.GetFacilitatorDisplayName())
	}
	_, err := e.svc.CreateMeeting(c, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: "tavolo-marzo", Meeting: e.meeting()})
	errstest.Want(t, "create twice", err, errs.AlreadyExists, "ALREADY_EXISTS", "meeting_id")

	// Edits: etag-checked, masked, output-only fields ignored.
	_, err = e.svc.UpdateMeeting(c, &famiv1.UpdateMeetingRequest{Meeting: &famiv1.Meeting{Name: name, Title: "x", Etag: "1"}, UpdateMask: mask("title")})
	errstest.Want(t, "stale etag", err, errs.Conflict, "ETAG_MISMATCH")
	m, err = e.svc.UpdateMeeting(c, &famiv1.UpdateMeetingRequest{
		Meeting:    &famiv1.Meeting{Name: name, Title: "Tavolo di marzo", Place: "Via Tasso 8, Bergamo", Etag: m.GetEtag(), State: famiv1.MeetingState_MEETING_STATE_HELD},
		UpdateMask: mask("title", "place", "state")})
	if err != nil {
		t.Fatal(err)
	}
	if m.GetTitle() != "Tavolo di marzo" || m.GetPlace() != "Via Tasso 8, Bergamo" || m.GetState() != famiv1.MeetingState_MEETING_STATE_SCHEDULED || m.GetSequence() != 1 {
		t.Errorf("after update: %v", m)
	}
	_, err = e.svc.UpdateMeeting(c, &famiv1.UpdateMeetingRequest{Meeting: &famiv1.Meeting{Name: name}, UpdateMask: mask("minutes")})
	if err != nil {
		t.Errorf("an update of output-only fields only: %v", err)
	}

	// Attendance before the start is refused, naming the field.
	att := []*famiv1.PartnerAttendance{
		{Partner: partnerName("udp-bergamo"), Attendees: 3, Roles: []*famiv1.AttendeeCount{
			{Role: famiv1.AttendeeRole_ATTENDEE_ROLE_UDP_MANAGER, Count: 1}, {Role: famiv1.AttendeeRole_ATTENDEE_ROLE_SOCIAL_WORKER, Count: 2}}},
		{Partner: partnerName("cpia-bergamo"), Attendees: 2},
		{Partner: partnerName("caritas"), Attendees: 0},
	}
	_, err = e.svc.RecordAttendance(c, &famiv1.RecordAttendanceRequest{Name: name, Attendance: att})
	errstest.Want(t, "attendance before the start", err, errs.FailedPrecondition, "MEETING_NOT_STARTED", "attendance")
	_, err = e.svc.RecordMinutes(c, &famiv1.RecordMinutesRequest{Name: name, Minutes: "x"})
	errstest.Want(t, "minutes before the start", err, errs.FailedPrecondition, "MEETING_NOT_STARTED", "minutes")

	e.Clock.Set(at(t, "2026-03-10 10:00")) // the start itself
	bad := proto.CloneOf(att[0])
	bad.Attendees = 4
	_, err = e.svc.RecordAttendance(c, &famiv1.RecordAttendanceRequest{Name: name, Attendance: []*famiv1.PartnerAttendance{bad, {Partner: partnerName("nessuno"), Attendees: 1}}})
	errstest.Want(t, "attendance with a wrong sum and an unknown partner", err, errs.Invalid, "INVALID_ARGUMENT", "attendance[0].roles", "attendance[1].partner")
	_, err = e.svc.RecordAttendance(c, &famiv1.RecordAttendanceRequest{Name: name})
	errstest.Want(t, "no attendance at all", err, errs.Invalid, "INVALID_ARGUMENT", "attendance")
	m, err = e.svc.RecordAttendance(c, &famiv1.RecordAttendanceRequest{Name: name, Attendance: att})
	if err != nil {
		t.Fatal(err)
	}
	if m.GetState() != famiv1.MeetingState_MEETING_STATE_HELD || len(m.GetAttendance()) != 3 || m.GetAttendanceTime() == nil {
		t.Errorf("after attendance: %v", m)
	}
	_, err = e.svc.CancelMeeting(c, &famiv1.CancelMeetingRequest{Name: name, Reason: "troppo tardi"})
	errstest.Want(t, "cancel a held meeting", err, errs.FailedPrecondition, "MEETING_HELD")
	_, err = e.svc.UpdateMeeting(c, &famiv1.UpdateMeetingRequest{Meeting: &famiv1.Meeting{Name: name, StartTime: ts(t, "2026-04-10 10:00"), EndTime: ts(t, "2026-04-10 12:00")},
		UpdateMask: mask("start_time", "end_time")})
	errstest.Want(t, "move a held meeting into the future", err, errs.FailedPrecondition, "MEETING_HELD", "meeting.start_time")

	// Minutes with two action items; ids are assigned.
	e.Clock.Set(at(t, "2026-03-10 13:00"))
	_, err = e.svc.RecordMinutes(c, &famiv1.RecordMinutesRequest{Name: name, Minutes: "Verbale", ActionItems: []*famiv1.ActionItem{
		{Description: "Bozza", Owner: partnerName("udp-bergamo"), DueDate: "2026-03-09"}}})
	errstest.Want(t, "an item due before the meeting", err, errs.Invalid, "INVALID_ARGUMENT", "action_items[0].due_date")
	m, err = e.svc.RecordMinutes(c, &famiv1.RecordMinutesRequest{Name: name, Minutes: "Verbale del tavolo.\nPresenti: UdP, CPIA.", ActionItems: []*famiv1.ActionItem{
		{Description: "Bozza del protocollo", Owner: partnerName("udp-bergamo"), DueDate: "2026-03-31"},
		{Id: "calendario-l2", Description: "Calendario dei corsi L2", Owner: partnerName("cpia-bergamo"), DueDate: "2026-04-15"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if ids := itemIDs(m); !slices.Equal(ids, []string{"item-1", "calendario-l2"}) {
		t.Errorf("action item ids %v", ids)
	}
	for _, it := range m.GetActionItems() {
		if it.GetStatus() != famiv1.ActionItemStatus_ACTION_ITEM_STATUS_OPEN || it.GetStatusBy() != "acct:lombardia:mrossi" || it.GetStatusTime() == nil {
			t.Errorf("new item %v", it)
		}
	}
	m, err = e.svc.UpdateActionItem(c, &famiv1.UpdateActionItemRequest{Name: name, ActionItemId: "item-1", Status: famiv1.ActionItemStatus_ACTION_ITEM_STATUS_DONE, Note: "inviata", Etag: m.GetEtag()})
	if err != nil {
		t.Fatal(err)
	}
	if it := m.GetActionItems()[0]; it.GetStatus() != famiv1.ActionItemStatus_ACTION_ITEM_STATUS_DONE || it.GetStatusNote() != "inviata" {
		t.Errorf("after update: %v", it)
	}
	_, err = e.svc.UpdateActionItem(c, &famiv1.UpdateActionItemRequest{Name: name, ActionItemId: "item-9", Status: famiv1.ActionItemStatus_ACTION_ITEM_STATUS_DONE})
	errstest.Want(t, "an unknown item", err, errs.NotFound, "ACTION_ITEM_NOT_FOUND", "action_item_id")

	// Minutes again: recorded items keep their status.
	m, err = e.svc.RecordMinutes(c, &famiv1.RecordMinutesRequest{Name: name, Minutes: "Verbale corretto", ActionItems: m.GetActionItems()[:1]})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.GetActionItems()) != 1 || m.GetActionItems()[0].GetStatus() != famiv1.ActionItemStatus_ACTION_ITEM_STATUS_DONE || m.GetActionItems()[0].GetStatusNote() != "inviata" {
		t.Errorf("after minutes again: %v", m.GetActionItems())
	}
	if m.GetSequence() != 5 {
		t.Errorf("sequence %d after five changes, want 5", m.GetSequence())
	}
	err = deleteMeeting(e, c, name)
	errstest.Want(t, "delete a held meeting", err, errs.FailedPrecondition, "MEETING_NOT_SCHEDULED")

	// Another meeting is cancelled; then nothing more can be recorded.
	other := e.meeting()
	other.StartTime, other.EndTime = ts(t, "2026-03-05 10:00"), ts(t, "2026-03-05 11:00")
	o := e.create(c, "tavolo-annullato", other)
	_, err = e.svc.CancelMeeting(c, &famiv1.CancelMeetingRequest{Name: o.GetName()})
	errstest.Want(t, "cancel without a reason", err, errs.Invalid, "INVALID_ARGUMENT", "reason")
	o, err = e.svc.CancelMeeting(c, &famiv1.CancelMeetingRequest{Name: o.GetName(), Reason: "Sala non disponibile", Etag: o.GetEtag()})
	if err != nil {
		t.Fatal(err)
	}
	if o.GetState() != famiv1.MeetingState_MEETING_STATE_CANCELLED || o.GetCancellation().GetBy() != "acct:lombardia:mrossi" || o.GetCancellation().GetReason() != "Sala non disponibile" {
		t.Errorf("cancelled: %v", o)
	}
	_, err = e.svc.RecordMinutes(c, &famiv1.RecordMinutesRequest{Name: o.GetName(), Minutes: "Verbale"})
	errstest.Want(t, "minutes of a cancelled meeting", err, errs.FailedPrecondition, "MEETING_CANCELLED", "minutes")
	_, err = e.svc.RecordAttendance(c, &famiv1.RecordAttendanceRequest{Name: o.GetName(), Attendance: att})
	errstest.Want(t, "attendance of a cancelled meeting", err, errs.FailedPrecondition, "MEETING_CANCELLED", "attendance")
	_, err = e.svc.UpdateMeeting(c, &famiv1.UpdateMeetingRequest{Meeting: &famiv1.Meeting{Name: o.GetName(), Title: "x"}, UpdateMask: mask("title")})
	errstest.Want(t, "edit a cancelled meeting", err, errs.FailedPrecondition, "MEETING_CANCELLED")
	_, err = e.svc.CancelMeeting(c, &famiv1.CancelMeetingRequest{Name: o.GetName(), Reason: "ancora"})
	errstest.Want(t, "cancel twice", err, errs.FailedPrecondition, "MEETING_CANCELLED")

	// A scheduled meeting can be deleted, and its references go with it.
	s := e.create(c, "da-cancellare", e.meeting())
	if err := deleteMeeting(e, c, s.GetName()); err != nil {
		t.Fatal(err)
	}
	_, err = e.Reg.Partners().DeletePartner(e.admin(), &famiv1.DeletePartnerRequest{Name: partnerName("caritas")})
	errstest.Want(t, "delete a partner whose attendance is recorded", err, errs.FailedPrecondition, "PARTNER_IN_USE")
}

func deleteMeeting(e *env, ctx context.Context, name string) error {
	_, err := e.svc.DeleteMeeting(ctx, &famiv1.DeleteMeetingRequest{Name: name})
	return err
}

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

func itemIDs(m *famiv1.Meeting) []string {
	var out []string
	for _, it := range m.GetActionItems() {
		out = append(out, it.GetId())
	}
	return out
}

func TestNetworkMembersWriteTheirNetworksOnly(t *testing.T) {
	e := newEnv(t)
	cpia := e.Member("cpia-bergamo") // rete-bergamo only
	m := e.create(cpia, "tavolo-cpia", e.meeting())
	if m.GetFacilitator() != "test:staff:cpia-bergamo" {
		t.Errorf("facilitator %q", m.GetFacilitator())
	}
	cross := e.meeting()
	cross.Networks = append(cross.Networks, networkName("rete-dalmine"))
	_, err := e.svc.CreateMeeting(cpia, &famiv1.CreateMeetingRequest{Parent: parent, Meeting: cross})
	errstest.Want(t, "a meeting with a network the partner is not in", err, errs.PermissionDenied, "NOT_NETWORK_MEMBER")
	// The UdP is a member of both: it may.
	x := e.create(e.Member("udp-bergamo"), "tavolo-due-reti", cross)
	_, err = e.svc.UpdateMeeting(cpia, &famiv1.UpdateMeetingRequest{Meeting: &famiv1.Meeting{Name: x.GetName(), Title: "x"}, UpdateMask: mask("title")})
	errstest.Want(t, "edit a meeting with a network the partner is not in", err, errs.PermissionDenied, "NOT_NETWORK_MEMBER")
	_, err = e.svc.UpdateMeeting(cpia, &famiv1.UpdateMeetingRequest{Meeting: &famiv1.Meeting{Name: m.GetName(), Networks: cross.Networks}, UpdateMask: mask("networks")})
	errstest.Want(t, "add a network the partner is not in", err, errs.PermissionDenied, "NOT_NETWORK_MEMBER")
	_, err = e.svc.CancelMeeting(e.Member("caritas"), &famiv1.CancelMeetingRequest{Name: m.GetName(), Reason: "no"})
	errstest.Want(t, "cancel by a partner of no network", err, errs.PermissionDenied, "NOT_NETWORK_MEMBER")
	if _, err := e.svc.CancelMeeting(cpia, &famiv1.CancelMeetingRequest{Name: m.GetName(), Reason: "Rinviato"}); err != nil {
		t.Errorf("cancel its own network's meeting: %v", err)
	}
}

func TestListMeetingsByStartTime(t *testing.T) {
	e := newEnv(t)
	rnd := rand.New(rand.NewPCG(1, 2))
	type want struct {
		start time.Time
		name  string
	}
	var all []want
	for i := range 40 {
		m := e.meeting()
		start := at(t, "2025-11-03 09:00").Add(time.Duration(rnd.IntN(150*24)) * time.Hour)
		if i%7 == 0 && len(all) > 0 {
			start = all[len(all)-1].start // ties break by id
		}
		m.StartTime, m.EndTime = timestamppb.New(start), timestamppb.New(start.Add(time.Hour))
		if i%2 == 1 {
			m.Networks = []string{networkName("rete-dalmine")}
			m.InvitedPartners = nil
		}
		if i%3 == 0 {
			m.Kind = famiv1.MeetingKind_MEETING_KIND_WORKSHOP
			m.Facilitator = "acct:lombardia:lverdi"
		}
		id := fmt.Sprintf("m-%02d", rnd.IntN(1000)*100+i)
		e.create(e.admin(), id, m)
		all = append(all, want{start, meetingName(id)})
	}
	e.Clock.Set(at(t, "2026-06-30 10:00"))
	// Cancel a few.
	for _, w := range all[:5] {
		if _, err := e.svc.CancelMeeting(e.admin(), &famiv1.CancelMeetingRequest{Name: w.name, Reason: "annullato"}); err != nil {
			t.Fatal(err)
		}
	}
	slices.SortFunc(all, func(a, b want) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})

	list := func(req *famiv1.ListMeetingsRequest) []*famiv1.Meeting {
		t.Helper()
		req.Parent, req.PageSize = parent, 7
		var out []*famiv1.Meeting
		for page := 0; ; page++ {
			res, err := e.svc.ListMeetings(e.admin(), req)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.GetMeetings()) > 7 || page > 10 {
				t.Fatalf("page %d has %d meetings", page, len(res.GetMeetings()))
			}
			out = append(out, res.GetMeetings()...)
			if res.GetNextPageToken() == "" {
				return out
			}
			req.PageToken = res.GetNextPageToken()
		}
	}
	check := func(what string, req *famiv1.ListMeetingsRequest, keep func(*famiv1.Meeting) bool) {
		t.Helper()
		var wantNames []string
		for _, w := range all {
			m, err := e.svc.GetMeeting(e.admin(), &famiv1.GetMeetingRequest{Name: w.name})
			if err != nil {
				t.Fatal(err)
			}
			if keep(m) {
				wantNames = append(wantNames, w.name)
			}
		}
		if got := registrytest.Names(list(req)); !slices.Equal(got, wantNames) {
			t.Errorf("%s:\n got %v\nwant %v", what, got, wantNames)
		}
		if len(wantNames) == 0 {
			t.Errorf("%s: the filter keeps nothing: a weak test", what)
		}
	}
	from, before := at(t, "2026-01-01 00:00"), at(t, "2026-02-15 00:00")
	check("all", &famiv1.ListMeetingsRequest{}, func(*famiv1.Meeting) bool { return true })
	check("network", &famiv1.ListMeetingsRequest{Network: networkName("rete-dalmine")}, func(m *famiv1.Meeting) bool {
		return m.GetNetworks()[0] == networkName("rete-dalmine")
	})
	check("kind and facilitator", &famiv1.ListMeetingsRequest{Kind: famiv1.MeetingKind_MEETING_KIND_WORKSHOP, Facilitator: "acct:lombardia:lverdi"}, func(m *famiv1.Meeting) bool {
		return m.GetKind() == famiv1.MeetingKind_MEETING_KIND_WORKSHOP
	})
	check("state", &famiv1.ListMeetingsRequest{State: famiv1.MeetingState_MEETING_STATE_CANCELLED}, func(m *famiv1.Meeting) bool {
		return m.GetState() == famiv1.MeetingState_MEETING_STATE_CANCELLED
	})
	check("time range", &famiv1.ListMeetingsRequest{StartFrom: timestamppb.New(from), StartBefore: timestamppb.New(before)}, func(m *famiv1.Meeting) bool {
		s := m.GetStartTime().AsTime()
		return !s.Before(from) && s.Before(before)
	})

	_, err := e.svc.ListMeetings(e.admin(), &famiv1.ListMeetingsRequest{Parent: parent, Network: "regions/veneto/networks/rete-padova"})
	errstest.Want(t, "a network of another region", err, errs.Invalid, "INVALID_ARGUMENT", "network")
	_, err = e.svc.ListMeetings(e.admin(), &famiv1.ListMeetingsRequest{Parent: parent, PageToken: "nonsense"})
	errstest.Want(t, "a bad page token", err, errs.Invalid, "INVALID_ARGUMENT", "page_token")

	// Moving a meeting moves it in the list.
	last := all[len(all)-1].name
	if _, err := e.svc.UpdateMeeting(e.admin(), &famiv1.UpdateMeetingRequest{Meeting: &famiv1.Meeting{Name: last,
		StartTime: ts(t, "2025-01-01 10:00"), EndTime: ts(t, "2025-01-01 11:00")}, UpdateMask: mask("start_time", "end_time")}); err != nil {
		t.Fatal(err)
	}
	if got := list(&famiv1.ListMeetingsRequest{}); got[0].GetName() != last || len(got) != len(all) {
		t.Errorf("after moving %s first: got %v", last, registrytest.Names(got))
	}
}

func TestActionItemsAndOverdue(t *testing.T) {
	e := newEnv(t)
	c := e.consultant()
	e.create(c, "m1", e.meeting())
	m2 := e.meeting()
	m2.Networks, m2.InvitedPartners = []string{networkName("rete-dalmine")}, nil
	m2.StartTime, m2.EndTime = ts(t, "2026-04-20 10:00"), ts(t, "2026-04-20 12:00")
	e.create(c, "m2", m2)
	e.Clock.Set(at(t, "2026-05-01 10:00"))
	record := func(meeting string, items ...*famiv1.ActionItem) {
		t.Helper()
		if _, err := e.svc.RecordMinutes(c, &famiv1.RecordMinutesRequest{Name: meetingName(meeting), Minutes: "Verbale", ActionItems: items}); err != nil {
			t.Fatal(err)
		}
	}
	item := func(id, owner, due string) *famiv1.ActionItem {
		return &famiv1.ActionItem{Id: id, Description: "Azione " + id, Owner: partnerName(owner), DueDate: due}
	}
	record("m1", item("a", "udp-bergamo", "2026-03-31"), item("b", "cpia-bergamo", "2026-04-30"), item("c", "cpia-bergamo", "2026-05-01"), item("d", "udp-bergamo", "2026-06-30"))
	record("m2", item("a", "cpi-dalmine", "2026-04-25"), item("b", "udp-bergamo", "2026-07-01"))
	if _, err := e.svc.UpdateActionItem(c, &famiv1.UpdateActionItemRequest{Name: meetingName("m1"), ActionItemId: "b", Status: famiv1.ActionItemStatus_ACTION_ITEM_STATUS_DONE}); err != nil {
		t.Fatal(err)
	}
	list := func(req *famiv1.ListActionItemsRequest) []string {
		t.Helper()
		req.Parent, req.PageSize = parent, 2
		var out []string
		for {
			res, err := e.svc.ListActionItems(e.admin(), req)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range res.GetActionItems() {
				s := idOfName(it.GetMeeting()) + "/" + it.GetActionItem().GetId()
				if it.GetOverdue() {
					s += "!"
				}
				out = append(out, s)
			}
			if res.GetNextPageToken() == "" {
				return out
			}
			req.PageToken = res.GetNextPageToken()
		}
	}
	for _, tc := range []struct {
		name string
		req  *famiv1.ListActionItemsRequest
		want []string
	}{
		{"all, by due date", &famiv1.ListActionItemsRequest{}, []string{"m1/a!", "m2/a!", "m1/b", "m1/c", "m1/d", "m2/b"}},
		{"overdue: before today and OPEN", &famiv1.ListActionItemsRequest{OverdueOnly: true}, []string{"m1/a!", "m2/a!"}},
		{"by owner", &famiv1.ListActionItemsRequest{Owner: partnerName("udp-bergamo")}, []string{"m1/a!", "m1/d", "m2/b"}},
		{"by network", &famiv1.ListActionItemsRequest{Network: networkName("rete-dalmine")}, []string{"m2/a!", "m2/b"}},
		{"overdue of a network", &famiv1.ListActionItemsRequest{Network: networkName("rete-dalmine"), OverdueOnly: true}, []string{"m2/a!"}},
		{"by status", &famiv1.ListActionItemsRequest{Status: famiv1.ActionItemStatus_ACTION_ITEM_STATUS_DONE}, []string{"m1/b"}},
	} {
		if got := list(tc.req); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	// Closing an item takes it off the overdue list; a new day adds one.
	if _, err := e.svc.UpdateActionItem(c, &famiv1.UpdateActionItemRequest{Name: meetingName("m2"), ActionItemId: "a", Status: famiv1.ActionItemStatus_ACTION_ITEM_STATUS_CANCELLED, Note: "superata"}); err != nil {
		t.Fatal(err)
	}
	e.Clock.Set(at(t, "2026-05-02 00:30"))
	if got, want := list(&famiv1.ListActionItemsRequest{OverdueOnly: true}), []string{"m1/a!", "m1/c!"}; !slices.Equal(got, want) {
		t.Errorf("overdue the next day: got %v, want %v", got, want)
	}
	// Minutes recorded again replace the items.
	record("m1", item("d", "udp-bergamo", "2026-06-30"))
	if got, want := list(&famiv1.ListActionItemsRequest{}), []string{"m2/a", "m1/d", "m2/b"}; !slices.Equal(got, want) {
		t.Errorf("after new minutes: got %v, want %v", got, want)
	}
	_, err := e.svc.ListActionItems(e.admin(), &famiv1.ListActionItemsRequest{Parent: parent, OverdueOnly: true, Status: famiv1.ActionItemStatus_ACTION_ITEM_STATUS_DONE})
	errstest.Want(t, "overdue and DONE", err, errs.Invalid, "INVALID_ARGUMENT", "status")
}

func idOfName(n string) string { return n[strings.LastIndexByte(n, '/')+1:] }

func TestSummarizeAttendance(t *testing.T) {
	e := newEnv(t)
	c := e.consultant()
	mk := func(id, network, start string, att ...*famiv1.PartnerAttendance) {
		t.Helper()
		m := e.meeting()
		m.Networks, m.InvitedPartners = []string{networkName(network)}, nil
		if network == "both" {
			m.Networks = []string{networkName("rete-bergamo"), networkName("rete-dalmine")}
		}
		m.StartTime = ts(t, start)
		m.EndTime = timestamppb.New(m.StartTime.AsTime().Add(time.Hour))
		e.create(c, id, m)
		if att != nil {
			if _, err := e.svc.RecordAttendance(c, &famiv1.RecordAttendanceRequest{Name: meetingName(id), Attendance: att}); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.Clock.Set(at(t, "2026-06-01 10:00"))
	pa := func(p string, n int32, roles ...*famiv1.AttendeeCount) *famiv1.PartnerAttendance {
		return &famiv1.PartnerAttendance{Partner: partnerName(p), Attendees: n, Roles: roles}
	}
	teachers := func(n int32) *famiv1.AttendeeCount {
		return &famiv1.AttendeeCount{Role: famiv1.AttendeeRole_ATTENDEE_ROLE_TEACHER, Count: n}
	}
	mk("b1", "rete-bergamo", "2026-01-15 10:00", pa("udp-bergamo", 2), pa("cpia-bergamo", 3, teachers(3)))
	// February in Italy, still January 31 in UTC: periods are Italian.
	mk("b2", "rete-bergamo", "2026-02-01 00:30", pa("udp-bergamo", 1), pa("caritas", 0))
	mk("b3", "rete-bergamo", "2026-02-10 10:00") // cancelled, never held
	mk("x1", "both", "2026-02-20 10:00", pa("udp-bergamo", 4), pa("cpi-dalmine", 2, teachers(1), &famiv1.AttendeeCount{Role: famiv1.AttendeeRole_ATTENDEE_ROLE_OTHER, Count: 1}))
	mk("d1", "rete-dalmine", "2026-04-01 10:00", pa("cpi-dalmine", 5))
	if _, err := e.svc.CancelMeeting(c, &famiv1.CancelMeetingRequest{Name: meetingName("b3"), Reason: "no"}); err != nil {
		t.Fatal(err)
	}

	brief := func(s *famiv1.AttendanceSummary) string {
		var roles []string
		for _, r := range s.GetAttendancesByRole() {
			roles = append(roles, fmt.Sprintf("%s=%d", strings.TrimPrefix(r.GetRole().String(), "ATTENDEE_ROLE_"), r.GetCount()))
		}
		return fmt.Sprintf("%s %s held=%d att=%d partners=%d %v", idOfName(s.GetNetwork()), s.GetPeriod(), s.GetMeetingsHeld(), s.GetAttendances(), s.GetDistinctPartners(), roles)
	}
	sum := func(ctx context.Context, req *famiv1.SummarizeAttendanceRequest) []string {
		t.Helper()
		req.Parent = parent
		res, err := e.svc.SummarizeAttendance(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, g := range res.GetGroups() {
			out = append(out, brief(g))
		}
		return append(out, "TOTAL: "+brief(res.GetTotals()))
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		req  *famiv1.SummarizeAttendanceRequest
		want []string
	}{
		{"by month, Italian days", e.admin(), &famiv1.SummarizeAttendanceRequest{Period: famiv1.AttendancePeriod_ATTENDANCE_PERIOD_MONTH}, []string{
			"rete-bergamo 2026-01 held=1 att=5 partners=2 [TEACHER=3]",
			"rete-bergamo 2026-02 held=2 att=7 partners=2 [TEACHER=1 OTHER=1]",
			"rete-dalmine 2026-02 held=1 att=6 partners=2 [TEACHER=1 OTHER=1]",
			"rete-dalmine 2026-04 held=1 att=5 partners=1 []",
			"  held=4 att=17 partners=3 [TEACHER=4 OTHER=1]",
		}},
		{"one network, a range", e.admin(), &famiv1.SummarizeAttendanceRequest{Network: networkName("rete-bergamo"), StartDate: "2026-02-01", EndDate: "2026-02-28"}, []string{
			"rete-bergamo  held=2 att=7 partners=2 [TEACHER=1 OTHER=1]",
			"  held=2 att=7 partners=2 [TEACHER=1 OTHER=1]",
		}},
		{"by quarter, for the CPIA's staff: rete-bergamo only", e.Member("cpia-bergamo"), &famiv1.SummarizeAttendanceRequest{Period: famiv1.AttendancePeriod_ATTENDANCE_PERIOD_QUARTER}, []string{
			"rete-bergamo 2026-Q1 held=3 att=12 partners=3 [TEACHER=4 OTHER=1]",
			"  held=3 att=12 partners=3 [TEACHER=4 OTHER=1]",
		}},
	} {
		got := sum(tc.ctx, tc.req)
		for i := range got {
			got[i] = strings.TrimPrefix(got[i], "TOTAL: ")
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
	_, err := e.svc.SummarizeAttendance(e.Member("cpia-bergamo"), &famiv1.SummarizeAttendanceRequest{Parent: parent, Network: networkName("rete-dalmine")})
	errstest.Want(t, "a member's summary of another network", err, errs.PermissionDenied, "NOT_NETWORK_MEMBER")
	_, err = e.svc.SummarizeAttendance(e.admin(), &famiv1.SummarizeAttendanceRequest{Parent: parent, StartDate: "2026-03-01", EndDate: "2026-02-01"})
	errstest.Want(t, "an inverted range", err, errs.Invalid, "INVALID_ARGUMENT", "end_date")
}

func TestCalendarTokens(t *testing.T) {
	e := newEnv(t)
	c := e.consultant()
	res, err := e.svc.CreateCalendarToken(c, &famiv1.CreateCalendarTokenRequest{Parent: parent, DisplayName: "Thunderbird"})
	if err != nil {
		t.Fatal(err)
	}
	tok, ct := res.GetToken(), res.GetCalendarToken()
	if !strings.HasPrefix(tok, "rcal_") || len(tok) < 40 || ct.GetOwner() != "acct:lombardia:mrossi" || ct.GetOwnerRole() != famiv1.Role_ROLE_CONSULTANT {
		t.Errorf("created %q %v", tok, ct)
	}
	if want := e.Clock.Now().Add(365 * 24 * time.Hour); !ct.GetExpireTime().AsTime().Equal(want) {
		t.Errorf("expires %v, want %v", ct.GetExpireTime().AsTime(), want)
	}
	who, err := e.svc.FeedPrincipal(t.Context(), lombardia, tok)
	if err != nil {
		t.Fatal(err)
	}
	if who.Subject != "acct:lombardia:mrossi" || who.Role != principal.Consultant || who.Region != lombardia {
		t.Errorf("feed principal %+v", who)
	}
	for what, tc := range map[string]struct{ region, token string }{
		"another region": {"veneto", tok},
		"a wrong token":  {lombardia, tok[:len(tok)-1] + "x"},
		"not a token":    {lombardia, "abc"},
	} {
		_, err := e.svc.FeedPrincipal(t.Context(), tc.region, tc.token)
		errstest.Want(t, what, err, errs.Unauthenticated, "INVALID_CALENDAR_TOKEN")
	}

	// Tokens are listed to their owner (and the region admin), never
	// with the token.
	other, err := e.svc.CreateCalendarToken(e.Member("cpia-bergamo"), &famiv1.CreateCalendarTokenRequest{Parent: parent})
	if err != nil {
		t.Fatal(err)
	}
	for ctx, want := range map[context.Context]int{c: 1, e.Member("cpia-bergamo"): 1, e.admin(): 2, e.Member("udp-bergamo"): 0} {
		l, err := e.svc.ListCalendarTokens(ctx, &famiv1.ListCalendarTokensRequest{Parent: parent})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.GetCalendarTokens()) != want {
			t.Errorf("%s lists %d tokens, want %d", principal.From(ctx).Subject, len(l.GetCalendarTokens()), want)
		}
	}
	_, err = e.svc.RevokeCalendarToken(c, &famiv1.RevokeCalendarTokenRequest{Name: other.GetCalendarToken().GetName()})
	errstest.Want(t, "revoke another's token", err, errs.PermissionDenied, "NOT_OWN_TOKEN")
	r, err := e.svc.RevokeCalendarToken(c, &famiv1.RevokeCalendarTokenRequest{Name: ct.GetName()})
	if err != nil || r.GetRevokeTime() == nil || r.GetRevokedBy() != "acct:lombardia:mrossi" {
		t.Fatalf("revoke: %v, %v", r, err)
	}
	_, err = e.svc.FeedPrincipal(t.Context(), lombardia, tok)
	errstest.Want(t, "a revoked token", err, errs.Unauthenticated, "INVALID_CALENDAR_TOKEN")
	if _, err := e.svc.RevokeCalendarToken(e.admin(), &famiv1.RevokeCalendarTokenRequest{Name: other.GetCalendarToken().GetName()}); err != nil {
		t.Errorf("the region admin revokes a member's token: %v", err)
	}

	short, err := e.svc.CreateCalendarToken(c, &famiv1.CreateCalendarTokenRequest{Parent: parent, TtlSeconds: 3600})
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Set(e.Clock.Now().Add(time.Hour))
	_, err = e.svc.FeedPrincipal(t.Context(), lombardia, short.GetToken())
	errstest.Want(t, "an expired token", err, errs.Unauthenticated, "INVALID_CALENDAR_TOKEN")
	_, err = e.svc.CreateCalendarToken(c, &famiv1.CreateCalendarTokenRequest{Parent: parent, TtlSeconds: 3 * 365 * 86400})
	errstest.Want(t, "a three-year token", err, errs.Invalid, "INVALID_ARGUMENT", "ttl_seconds")
}

// TestCalendarTokensByCreation: order_by "create_time" lists the caller's
// tokens oldest first and "create_time desc" newest first, page after page
// (pages of two, with another owner's tokens and the region admin's among
// them); state keeps the live ones (neither revoked nor expired at the
// service's clock) or the ended ones. Another order, an unknown state and a
// page token of another order are refused naming their field.
func TestCalendarTokensByCreation(t *testing.T) {
	e := newEnv(t)
	c, other := e.consultant(), e.Member("cpia-bergamo")
	var mine []string // oldest first
	for i := range 6 {
		e.Clock.Set(e.Clock.Now().Add(time.Minute))
		ttl := int64(0)
		if i == 2 {
			ttl = 3600 // expired below
		}
		res, err := e.svc.CreateCalendarToken(c, &famiv1.CreateCalendarTokenRequest{Parent: parent, DisplayName: fmt.Sprint("token ", i), TtlSeconds: ttl})
		if err != nil {
			t.Fatal(err)
		}
		mine = append(mine, res.GetCalendarToken().GetName())
		e.Clock.Set(e.Clock.Now().Add(time.Second))
		if _, err := e.svc.CreateCalendarToken(other, &famiv1.CreateCalendarTokenRequest{Parent: parent}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.RevokeCalendarToken(c, &famiv1.RevokeCalendarTokenRequest{Name: mine[4]}); err != nil {
		t.Fatal(err)
	}
	e.Clock.Set(e.Clock.Now().Add(2 * time.Hour))

	list := func(ctx context.Context, req *famiv1.ListCalendarTokensRequest) []string {
		t.Helper()
		req.Parent, req.PageSize = parent, 2
		var names []string
		for range 10 {
			res, err := e.svc.ListCalendarTokens(ctx, req)
			if err != nil {
				t.Fatalf("%v: %v", req, err)
			}
			for _, ct := range res.GetCalendarTokens() {
				names = append(names, ct.GetName())
			}
			if req.PageToken = res.GetNextPageToken(); req.PageToken == "" {
				return names
			}
		}
		t.Fatalf("%v: more than 10 pages", req)
		return nil
	}
	newest := slices.Clone(mine)
	slices.Reverse(newest)
	live, ended := famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_LIVE, famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_ENDED
	for _, tc := range []struct {
		req  *famiv1.ListCalendarTokensRequest
		want []string
	}{
		{&famiv1.ListCalendarTokensRequest{OrderBy: "create_time"}, mine},
		{&famiv1.ListCalendarTokensRequest{OrderBy: " create_time  asc "}, mine},
		{&famiv1.ListCalendarTokensRequest{OrderBy: "create_time desc"}, newest},
		{&famiv1.ListCalendarTokensRequest{OrderBy: "create_time desc", State: live}, []string{mine[5], mine[3], mine[1], mine[0]}},
		{&famiv1.ListCalendarTokensRequest{OrderBy: "create_time desc", State: ended}, []string{mine[4], mine[2]}},
		{&famiv1.ListCalendarTokensRequest{State: ended}, slices.Sorted(slices.Values([]string{mine[2], mine[4]}))},
	} {
		if got := list(c, tc.req); !slices.Equal(got, tc.want) {
			t.Errorf("%v:\n got %q\nwant %q", tc.req, got, tc.want)
		}
	}
	if got := list(e.admin(), &famiv1.ListCalendarTokensRequest{OrderBy: "create_time desc"}); len(got) != 12 || got[1] != mine[5] || got[11] != mine[0] {
		t.Errorf("the region admin's, newest first: %q; want 12, two by two, %s second and %s last", got, mine[5], mine[0])
	}

	_, err := e.svc.ListCalendarTokens(c, &famiv1.ListCalendarTokensRequest{Parent: parent, OrderBy: "expire_time"})
	errstest.Want(t, "order by expire_time", err, errs.Invalid, "INVALID_ARGUMENT", "order_by")
	_, err = e.svc.ListCalendarTokens(c, &famiv1.ListCalendarTokensRequest{Parent: parent, State: 7})
	errstest.Want(t, "an unknown state", err, errs.Invalid, "INVALID_ARGUMENT", "state")
	first, err := e.svc.ListCalendarTokens(c, &famiv1.ListCalendarTokensRequest{Parent: parent, PageSize: 2, OrderBy: "create_time desc"})
	if err != nil || first.GetNextPageToken() == "" {
		t.Fatalf("first page: %v, %v", first, err)
	}
	_, err = e.svc.ListCalendarTokens(c, &famiv1.ListCalendarTokensRequest{Parent: parent, PageSize: 2, OrderBy: "create_time", PageToken: first.GetNextPageToken()})
	errstest.Want(t, "a newest-first token, oldest first", err, errs.Invalid, "INVALID_ARGUMENT", "page_token")
}

func TestRequestIDReplaysTheFirstResult(t *testing.T) {
	e := newEnv(t)
	req := &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: "tavolo", Meeting: e.meeting(), RequestId: "req-1"}
	first, err := e.svc.CreateMeeting(e.admin(), req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.svc.CreateMeeting(e.admin(), req)
	if err != nil || !proto.Equal(first, again) {
		t.Fatalf("retry: got %v, %v; want the first result", again, err)
	}
	other := proto.CloneOf(req)
	other.Meeting.Title = "Another"
	_, err = e.svc.CreateMeeting(e.admin(), other)
	errstest.Want(t, "the same request id for another request", err, errs.Invalid, "INVALID_ARGUMENT", "request_id")
}

// TestProtocolReferencedByMeeting: a meeting's protocol is a reference, so
// a draft protocol a meeting names cannot be deleted under it.
func TestProtocolReferencedByMeeting(t *testing.T) {
	e := newEnv(t)
	p := protocols.New(e.Store, protocols.Options{Now: e.Clock.Now})
	draft, err := p.CreateProtocol(e.admin(), &famiv1.CreateProtocolRequest{Parent: parent, ProtocolId: "udp-cpia", Protocol: &famiv1.Protocol{
		Network: networkName("rete-bergamo"), Title: "Protocollo UdP-CPIA",
		Parties: []*famiv1.Party{
			{Partner: partnerName("udp-bergamo"), Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT},
			{Partner: partnerName("cpia-bergamo"), Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	mt := e.meeting()
	mt.Protocol = draft.GetName()
	e.create(e.admin(), "tavolo", mt)
	_, err = p.DeleteProtocol(e.admin(), &famiv1.DeleteProtocolRequest{Name: draft.GetName()})
	errstest.Want(t, "delete a protocol a meeting names", err, errs.FailedPrecondition, "PROTOCOL_IN_USE")
	if _, err := e.svc.DeleteMeeting(e.admin(), &famiv1.DeleteMeetingRequest{Name: parent + "/meetings/tavolo"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.DeleteProtocol(e.admin(), &famiv1.DeleteProtocolRequest{Name: draft.GetName()}); err != nil {
		t.Fatalf("delete the protocol once no meeting names it: %v", err)
	}
}

// TestCountMeetingsFollowsWrites: the count of a region's meetings by
// state, read from the meetings' index, stays what listing them gives
// after creates, a move, attendance (held), a cancellation and a delete;
// another region's meetings are not counted.
func TestCountMeetingsFollowsWrites(t *testing.T) {
	e := newEnv(t)
	c := e.consultant()
	states := []famiv1.MeetingState{famiv1.MeetingState_MEETING_STATE_UNSPECIFIED, famiv1.MeetingState_MEETING_STATE_SCHEDULED,
		famiv1.MeetingState_MEETING_STATE_HELD, famiv1.MeetingState_MEETING_STATE_CANCELLED}
	want := func(step string, counts ...int32) {
		t.Helper()
		for i, st := range states {
			got, err := e.svc.CountMeetings(e.admin(), lombardia, st)
			if err != nil {
				t.Fatalf("%s: count %s: %v", step, st, err)
			}
			listed, err := e.svc.ListMeetings(e.admin(), &famiv1.ListMeetingsRequest{Parent: parent, State: st, PageSize: 100})
			if err != nil {
				t.Fatal(err)
			}
			if got != counts[i] || int(got) != len(listed.GetMeetings()) {
				t.Errorf("%s: %d meetings %s, want %d (listed: %d)", step, got, st, counts[i], len(listed.GetMeetings()))
			}
		}
	}
	want("none yet", 0, 0, 0, 0)
	held := e.create(c, "tavolo-marzo", e.meeting())
	cancelled := e.create(c, "tavolo-annullato", e.meeting())
	deleted := e.create(c, "da-cancellare", e.meeting())
	padova := e.meeting()
	padova.Networks, padova.InvitedPartners = []string{"regions/veneto/networks/rete-padova"}, nil
	if _, err := e.svc.CreateMeeting(e.adminOf("veneto"), &famiv1.CreateMeetingRequest{Parent: "regions/veneto", MeetingId: "tavolo-padova", Meeting: padova}); err != nil {
		t.Fatal(err)
	}
	want("three created", 3, 3, 0, 0)
	if _, err := e.svc.UpdateMeeting(c, &famiv1.UpdateMeetingRequest{Meeting: &famiv1.Meeting{Name: held.GetName(),
		StartTime: ts(t, "2026-03-09 10:00"), EndTime: ts(t, "2026-03-09 12:00")}, UpdateMask: mask("start_time", "end_time")}); err != nil {
		t.Fatal(err)
	}
	want("one moved", 3, 3, 0, 0)
	e.Clock.Set(at(t, "2026-03-10 10:00"))
	if _, err := e.svc.RecordAttendance(c, &famiv1.RecordAttendanceRequest{Name: held.GetName(),
		Attendance: []*famiv1.PartnerAttendance{{Partner: partnerName("udp-bergamo"), Attendees: 2}}}); err != nil {
		t.Fatal(err)
	}
	want("one held", 3, 2, 1, 0)
	if _, err := e.svc.CancelMeeting(c, &famiv1.CancelMeetingRequest{Name: cancelled.GetName(), Reason: "Sala non disponibile"}); err != nil {
		t.Fatal(err)
	}
	want("one cancelled", 3, 1, 1, 1)
	if err := deleteMeeting(e, c, deleted.GetName()); err != nil {
		t.Fatal(err)
	}
	want("one deleted", 2, 0, 1, 1)
	if _, err := e.svc.CountMeetings(e.admin(), "atlantide", famiv1.MeetingState_MEETING_STATE_HELD); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("count in an unknown region: %v, want NotFound", err)
	}
}

// TestMeetingStoredUnderOlderRules: a meeting whose link carries a
// password, which the rules now refuse (written here straight to the
// store), takes a new title with its link as it is, where every edit was
// refused; a new link with a password is refused naming it, and a proper
// one is saved.
func TestMeetingStoredUnderOlderRules(t *testing.T) {
	e := newEnv(t)
	c := e.consultant()
	cur := e.create(c, "vecchio", e.meeting())
	const old = "https://u:p@meet.example.org/vecchio"
	stored := proto.CloneOf(cur)
	stored.Link = old
	bolttest.Put(t, e.Store, lombardia, stored)
	update := func(in *famiv1.Meeting, paths ...string) (*famiv1.Meeting, error) {
		in.Name = cur.GetName()
		return e.svc.UpdateMeeting(c, &famiv1.UpdateMeetingRequest{Meeting: in, UpdateMask: mask(paths...)})
	}
	got, err := update(&famiv1.Meeting{Title: "Tavolo di aprile"}, "title")
	if err != nil || got.GetTitle() != "Tavolo di aprile" || got.GetLink() != old {
		t.Errorf("retitled: %v, %v; want the new title and the link kept", got, err)
	}
	_, err = update(&famiv1.Meeting{Link: "https://x:y@meet.example.org/nuovo"}, "link")
	errstest.Want(t, "a new link with a password", err, errs.Invalid, "INVALID_ARGUMENT", "meeting.link")
	if _, err := update(&famiv1.Meeting{Link: "https://meet.example.org/nuovo"}, "link"); err != nil {
		t.Errorf("a proper link: %v", err)
	}
}

// TestAttendanceStoredWithARoleListedTwice: a partner's line recorded with
// a role listed twice (written here straight to the store), whose counts
// then add up to nothing the sum rule checks, is sent again as it is and
// saved: the sum, checked only when every role is valid, is not checked
// on roles that are not, also when the duplicate is left out as stored.
// Once the roles are fixed, the sum is checked again.
func TestAttendanceStoredWithARoleListedTwice(t *testing.T) {
	e := newEnv(t)
	c := e.consultant()
	cur := e.create(c, "doppio", e.meeting())
	e.Clock.Set(at(t, "2026-03-10 10:00"))
	line := func(attendees int32) []*famiv1.PartnerAttendance {
		manager := &famiv1.AttendeeCount{Role: famiv1.AttendeeRole_ATTENDEE_ROLE_UDP_MANAGER, Count: 2}
		return []*famiv1.PartnerAttendance{{Partner: partnerName("udp-bergamo"), Attendees: attendees,
			Roles: []*famiv1.AttendeeCount{manager, proto.CloneOf(manager)}}}
	}
	stored := proto.CloneOf(cur)
	stored.Attendance = line(3)
	bolttest.Put(t, e.Store, lombardia, stored)
	if _, err := e.svc.RecordAttendance(c, &famiv1.RecordAttendanceRequest{Name: cur.GetName(), Attendance: line(3)}); err != nil {
		t.Errorf("the line sent again as it is: %v, want saved", err)
	}
	fixed := line(3)
	fixed[0].Roles[1].Role = famiv1.AttendeeRole_ATTENDEE_ROLE_SOCIAL_WORKER
	_, err := e.svc.RecordAttendance(c, &famiv1.RecordAttendanceRequest{Name: cur.GetName(), Attendance: fixed})
	errstest.Want(t, "the roles fixed, their counts adding up to 4", err, errs.Invalid, "INVALID_ARGUMENT", "attendance[0].roles")
}

// TestAttendanceRefusalsNameTheirRow: every refusal of an attendance names
// the element at fault, attendance[i] and its field, but those of the list
// itself (none, too many partners): the web places each on its partner's
// row by that path. A contact of another partner's staff is refused at
// its own path too (TestOperatorsCountedOnceEverySurface, internal/server).
func TestAttendanceRefusalsNameTheirRow(t *testing.T) {
	e := newEnv(t)
	c := e.admin()
	name := e.create(c, "tavolo", e.meeting()).GetName()
	e.Clock.Set(at(t, "2026-03-10 12:00"))
	udp, cpia := partnerName("udp-bergamo"), partnerName("cpia-bergamo")
	teacher, mediator := famiv1.AttendeeRole_ATTENDEE_ROLE_TEACHER, famiv1.AttendeeRole_ATTENDEE_ROLE_CULTURAL_MEDIATOR
	many := make([]*famiv1.PartnerAttendance, 501)
	for i := range many {
		many[i] = &famiv1.PartnerAttendance{Partner: udp}
	}
	manyRoles := make([]*famiv1.AttendeeCount, 21)
	for i := range manyRoles {
		manyRoles[i] = &famiv1.AttendeeCount{Role: teacher, Count: 1}
	}
	for _, tc := range []struct {
		name  string
		att   []*famiv1.PartnerAttendance
		field string
	}{
		{"none", nil, "attendance"},
		{"too many partners", many, "attendance"},
		{"a partner twice", []*famiv1.PartnerAttendance{{Partner: udp, Attendees: 1}, {Partner: udp, Attendees: 2}}, "attendance[1].partner"},
		{"a partner of no name", []*famiv1.PartnerAttendance{{Partner: udp, Attendees: 1}, {Attendees: 2}}, "attendance[1].partner"},
		{"attendees below 0", []*famiv1.PartnerAttendance{{Partner: udp, Attendees: 1}, {Partner: cpia, Attendees: -1}}, "attendance[1].attendees"},
		{"attendees above the most", []*famiv1.PartnerAttendance{{Partner: udp, Attendees: meetings.MaxAttendees + 1}}, "attendance[0].attendees"},
		{"too many roles", []*famiv1.PartnerAttendance{{Partner: udp, Attendees: 21, Roles: manyRoles}}, "attendance[0].roles"},
		{"counts by role not adding up", []*famiv1.PartnerAttendance{{Partner: udp, Attendees: 3, Roles: []*famiv1.AttendeeCount{{Role: teacher, Count: 2}}}}, "attendance[0].roles"},
		{"a role twice", []*famiv1.PartnerAttendance{{Partner: udp, Attendees: 2, Roles: []*famiv1.AttendeeCount{{Role: teacher, Count: 1}, {Role: teacher, Count: 1}}}}, "attendance[0].roles[1].role"},
		{"a role unnamed", []*famiv1.PartnerAttendance{{Partner: udp, Attendees: 1, Roles: []*famiv1.AttendeeCount{{Count: 1}}}}, "attendance[0].roles[0].role"},
		{"a count by role out of range", []*famiv1.PartnerAttendance{{Partner: udp, Attendees: 1, Roles: []*famiv1.AttendeeCount{{Role: mediator, Count: 0}}}}, "attendance[0].roles[0].count"},
		{"more contacts than attendees", []*famiv1.PartnerAttendance{{Partner: udp, Attendees: 1, Contacts: []string{"regions/lombardia/contacts/a", "regions/lombardia/contacts/b"}}}, "attendance[0].contacts"},
		{"a contact that does not exist", []*famiv1.PartnerAttendance{{Partner: udp, Attendees: 1, Contacts: []string{"regions/lombardia/contacts/nessuno"}}}, "attendance[0].contacts[0]"},
	} {
		_, err := e.svc.RecordAttendance(c, &famiv1.RecordAttendanceRequest{Name: name, Attendance: tc.att})
		errstest.Want(t, tc.name, err, errs.Invalid, "INVALID_ARGUMENT", tc.field)
	}
}

// TestNewActionItemTakesNoRecordedItemsID: minutes sent again with a new
// item without an id, and without the recorded item-1, gave the new item
// item-1 and the recorded item's DONE status, who set it and when.
func TestNewActionItemTakesNoRecordedItemsID(t *testing.T) {
	e := newEnv(t)
	c := e.consultant()
	name := e.create(c, "m1", e.meeting()).GetName()
	e.Clock.Set(at(t, "2026-03-10 13:00"))
	_, err := e.svc.RecordMinutes(c, &famiv1.RecordMinutesRequest{Name: name, Minutes: "Verbale", ActionItems: []*famiv1.ActionItem{
		{Description: "Bozza del protocollo", Owner: partnerName("udp-bergamo"), DueDate: "2026-03-31"},
		{Description: "Calendario dei corsi L2", Owner: partnerName("cpia-bergamo"), DueDate: "2026-04-15"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.svc.UpdateActionItem(e.admin(), &famiv1.UpdateActionItemRequest{Name: name, ActionItemId: "item-1", Status: famiv1.ActionItemStatus_ACTION_ITEM_STATUS_DONE, Note: "inviata"})
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Set(at(t, "2026-03-11 09:00"))
	m, err = e.svc.RecordMinutes(c, &famiv1.RecordMinutesRequest{Name: name, Minutes: "Verbale corretto", ActionItems: []*famiv1.ActionItem{
		m.GetActionItems()[1],
		{Description: "Mappa dei servizi", Owner: partnerName("udp-bergamo"), DueDate: "2026-05-31"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := itemIDs(m), []string{"item-2", "item-3"}; !slices.Equal(got, want) {
		t.Errorf("action item ids %v, want %v", got, want)
	}
	it := m.GetActionItems()[1]
	if it.GetStatus() != famiv1.ActionItemStatus_ACTION_ITEM_STATUS_OPEN || it.GetStatusNote() != "" ||
		it.GetStatusBy() != "acct:lombardia:mrossi" || !it.GetStatusTime().AsTime().Equal(at(t, "2026-03-11 09:00")) {
		t.Errorf("new item %v, want OPEN, set now by the consultant, with no note", it)
	}
}

// TestFacilitatorNameFollowsTheFacilitator: an update that changed the
// facilitator kept the former facilitator's display name, which the
// calendar feeds then showed as the new one's.
func TestFacilitatorNameFollowsTheFacilitator(t *testing.T) {
	e := newEnv(t)
	c := e.consultant()
	m := e.create(c, "m1", e.meeting())
	update := func(ctx context.Context, mt *famiv1.Meeting, paths ...string) *famiv1.Meeting {
		t.Helper()
		mt.Name = m.GetName()
		got, err := e.svc.UpdateMeeting(ctx, &famiv1.UpdateMeetingRequest{Meeting: mt, UpdateMask: mask(paths...)})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, tc := range []struct {
		name     string
		ctx      context.Context
		mt       *famiv1.Meeting
		paths    []string
		who, dn  string
		fromPrev bool // the body is the meeting as read, its facilitator changed
	}{
		{"another facilitator, no name", c, &famiv1.Meeting{Facilitator: "acct:lombardia:lbianchi"}, []string{"facilitator"}, "acct:lombardia:lbianchi", "", false},
		{"another facilitator, named", c, &famiv1.Meeting{Facilitator: "acct:lombardia:gverdi", FacilitatorDisplayName: "Giulia Verdi"}, []string{"facilitator", "facilitator_display_name"}, "acct:lombardia:gverdi", "Giulia Verdi", false},
		{"the body read, the facilitator changed, no mask", c, &famiv1.Meeting{Facilitator: "acct:lombardia:lbianchi"}, nil, "acct:lombardia:lbianchi", "", true},
		{"the caller takes it over", e.admin(), &famiv1.Meeting{Facilitator: "test:admin:lombardia"}, []string{"facilitator"}, "test:admin:lombardia", "Admin lombardia", false},
		{"the name alone", c, &famiv1.Meeting{FacilitatorDisplayName: "L'amministrazione"}, []string{"facilitator_display_name"}, "test:admin:lombardia", "L'amministrazione", false},
		{"another field", c, &famiv1.Meeting{Title: "Tavolo di marzo"}, []string{"title"}, "test:admin:lombardia", "L'amministrazione", false},
	} {
		mt := tc.mt
		if tc.fromPrev {
			mt = proto.CloneOf(m)
			mt.Facilitator = tc.mt.GetFacilitator()
		}
		m = update(tc.ctx, mt, tc.paths...)
		if m.GetFacilitator() != tc.who || m.GetFacilitatorDisplayName() != tc.dn {
			t.Errorf("%s: facilitator %q (%q), want %q (%q)", tc.name, m.GetFacilitator(), m.GetFacilitatorDisplayName(), tc.who, tc.dn)
		}
	}
	// A facilitator given on creation gets the caller's name only when it
	// is the caller.
	other := e.meeting()
	other.Facilitator = "acct:lombardia:lbianchi"
	if got := e.create(c, "m2", other); got.GetFacilitatorDisplayName() != "" {
		t.Errorf("created for another facilitator: name %q, want none", got.GetFacilitatorDisplayName())
	}
	own := e.meeting()
	own.Facilitator = "acct:lombardia:mrossi"
	if got := e.create(c, "m3", own); got.GetFacilitatorDisplayName() != "Mario Rossi" {
		t.Errorf("created naming the caller as facilitator: name %q, want Mario Rossi", got.GetFacilitatorDisplayName())
	}
}

// TestMeetingASurveyEvaluatesIsInUse: a survey names the meeting it
// evaluates, and that meeting could be deleted under it, leaving the
// survey naming nothing. A survey stored before surveys recorded the
// reference holds its meeting too, once famid's start has recorded it
// (evaluation.RecordSurveyRefs).
func TestMeetingASurveyEvaluatesIsInUse(t *testing.T) {
	e := newEnv(t)
	sv := evaluation.NewSurveys(e.Store, evaluation.SurveyOptions{Now: e.Clock.Now})
	survey := func(id, meeting string) *famiv1.Survey {
		return &famiv1.Survey{Name: parent + "/surveys/" + id, Title: "Valutazione del tavolo", Meeting: meeting, CloseTime: ts(t, "2026-04-30 18:00"),
			Questions: []*famiv1.SurveyQuestion{{Id: "utile", Text: "Quanto è stato utile?", Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE}}}
	}
	for _, id := range []string{"recente", "vecchio", "libero"} {
		e.create(e.admin(), id, e.meeting())
	}
	if _, err := sv.CreateSurvey(e.admin(), &famiv1.CreateSurveyRequest{Parent: parent, SurveyId: "v1", Survey: survey("v1", meetingName("recente"))}); err != nil {
		t.Fatal(err)
	}
	// As a survey was stored before: its record only.
	_, err := store.Mutate(e.admin(), e.Store, lombardia, store.Mutation{Principal: "test"}, func(tx store.WriteTx) (*famiv1.Survey, error) {
		s := survey("v0", meetingName("vecchio"))
		return s, tx.Put(s)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := evaluation.RecordSurveyRefs(t.Context(), e.Store, []string{lombardia, "veneto"}); err != nil {
		t.Fatalf("record the older surveys' references, as famid's start does: %v", err)
	}
	for _, tc := range []struct{ meeting, survey string }{{"recente", "v1"}, {"vecchio", "v0"}} {
		err := deleteMeeting(e, e.admin(), meetingName(tc.meeting))
		errstest.Want(t, "delete a meeting a survey evaluates", err, errs.FailedPrecondition, "MEETING_IN_USE")
		if e := errs.As(err); e != nil && e.Metadata["referenced_by"] != parent+"/surveys/"+tc.survey {
			by := e.Metadata["referenced_by"]
			t.Errorf("delete %s: referenced_by %q, want survey %s", tc.meeting, by, tc.survey)
		}
		if _, err := e.svc.GetMeeting(e.admin(), &famiv1.GetMeetingRequest{Name: meetingName(tc.meeting)}); err != nil {
			t.Errorf("meeting %s after the refused delete: %v", tc.meeting, err)
		}
	}
	if err := deleteMeeting(e, e.admin(), meetingName("libero")); err != nil {
		t.Errorf("delete a meeting no survey evaluates: %v", err)
	}
}

// TestArchivedAttendanceMatchedByPartner: an archived partner's line,
// recorded before it was archived, is sent again as it is after a new
// partner's line that sorts before it, so it moves from attendance[0] to
// attendance[1]: it is saved, as the stored line is matched by its
// partner, not by its place. A line of a partner archived with no line
// recorded is refused ARCHIVED at its own place, whatever the lines
// around it.
func TestArchivedAttendanceMatchedByPartner(t *testing.T) {
	e := newEnv(t)
	c := e.admin()
	name := e.create(c, "tavolo", e.meeting()).GetName()
	e.Clock.Set(at(t, "2026-03-10 12:00"))
	caritas, cpia, udp := partnerName("caritas"), partnerName("cpia-bergamo"), partnerName("udp-bergamo")
	if _, err := e.svc.RecordAttendance(c, &famiv1.RecordAttendanceRequest{Name: name,
		Attendance: []*famiv1.PartnerAttendance{{Partner: udp, Attendees: 2}}}); err != nil {
		t.Fatalf("record the UdP's attendance: %v", err)
	}
	for _, p := range []string{udp, cpia} {
		if _, err := e.Reg.Partners().UpdatePartner(c, &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: p, Archived: true},
			UpdateMask: mask("archived")}); err != nil {
			t.Fatalf("archive %s: %v", p, err)
		}
	}
	m, err := e.svc.RecordAttendance(c, &famiv1.RecordAttendanceRequest{Name: name,
		Attendance: []*famiv1.PartnerAttendance{{Partner: caritas, Attendees: 1}, {Partner: udp, Attendees: 2}}})
	if err != nil || len(m.GetAttendance()) != 2 {
		t.Errorf("the archived UdP's line sent again after a new line: %v, %v; want both saved", m.GetAttendance(), err)
	}
	_, err = e.svc.RecordAttendance(c, &famiv1.RecordAttendanceRequest{Name: name,
		Attendance: []*famiv1.PartnerAttendance{{Partner: caritas, Attendees: 1}, {Partner: cpia, Attendees: 1}, {Partner: udp, Attendees: 2}}})
	errstest.Want(t, "a new line of the archived CPIA", err, errs.FailedPrecondition, errs.Archived, "attendance[1].partner")
}
