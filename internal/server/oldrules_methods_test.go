package server_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store"
)

// TestReviewOfAReportThePlanNoLongerFits: on every surface, a report
// submitted, then approved, against a plan that changed since (an
// activity taken off the timetable) can still be returned to its authors
// and corrected, the steps that let them fix it; approving or submitting
// it is refused naming the value and saying what to do. Before, every
// step checked the report against today's plan: returned or corrected it
// was refused too, and a submitted report stayed in review for good (its
// authors cannot edit it there).
func TestReviewOfAReportThePlanNoLongerFits(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{MunicipalitiesFile: municipalitiesFile}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		p := mustOK(s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "lab-impact", Project: labImpact()}))(t, "create the project")
		report := p.GetName() + "/monitoringReports/2021-q1"
		mustOK(s.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2021-q1",
			MonitoringReport: labImpactQuarter(1)}))(t, "create the report")
		mustOK(s.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: report}))(t, "submit the report")
		// The report's fourth activity, 04.1, taken off the plan.
		withoutActivity := func(p *famiv1.Project, code string) *famiv1.Project {
			out := &famiv1.Project{Name: p.GetName()}
			for _, a := range p.GetTimetable() {
				if a.GetCode() != code {
					out.Timetable = append(out.Timetable, a)
				}
			}
			return out
		}
		p = mustOK(s.UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: withoutActivity(p, "04.1"), UpdateMask: mask("timetable")}))(t, "take 04.1 off the plan")
		offPlan := wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"monitoring_report.activities[3].activity"}}
		refused := func(step, says string, err error) {
			t.Helper()
			checkErr(t, step, err, offPlan)
			if e, ok := asCallError(err); ok && !strings.Contains(e.Message, says) {
				t.Errorf("%s: %q, want it to say %q", step, e.Message, says)
			}
		}

		_, err := s.ApproveMonitoringReport(ctx, &famiv1.ApproveMonitoringReportRequest{Name: report})
		refused("approve the report", "return the report to its authors (:return) to fix it", err)
		r := mustOK(s.ReturnMonitoringReport(ctx, &famiv1.ReturnMonitoringReportRequest{Name: report, Reason: "L'attività 04.1 non è più nel cronoprogramma"}))(t, "return the report")
		if r.GetState() != returned {
			t.Errorf("the report returned: %s", r.GetState())
		}
		_, err = s.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: report})
		refused("submit the report again as it is", "update the report against its project's plan", err)

		// Its authors fix it; approved, then the plan changes again.
		r.Activities = r.GetActivities()[:3]
		mustOK(s.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: r, UpdateMask: mask("activities")}))(t, "fix the report")
		mustOK(s.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: report}))(t, "submit the fixed report")
		mustOK(s.ApproveMonitoringReport(ctx, &famiv1.ApproveMonitoringReportRequest{Name: report}))(t, "approve the fixed report")
		mustOK(s.UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: withoutActivity(p, "03.1"), UpdateMask: mask("timetable")}))(t, "take 03.1 off the plan")
		r = mustOK(s.CorrectMonitoringReport(ctx, &famiv1.CorrectMonitoringReportRequest{Name: report, Reason: "Cronoprogramma rivisto"}))(t, "correct the approved report")
		if r.GetState() != draft || r.GetRevision() != 2 || len(r.GetActivities()) != 3 {
			t.Errorf("the report corrected: %s revision %d with %d activities, want a DRAFT of revision 2 with its 3", r.GetState(), r.GetRevision(), len(r.GetActivities()))
		}
		_, err = s.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: report})
		offPlan.fields = []string{"monitoring_report.activities[2].activity"}
		refused("submit the correction as it is", "update the report against its project's plan", err)
	})
}

// invisibleTitle is a title the rules refuse today (check.Text: a
// zero-width space), stored before the rule.
const invisibleTitle = "Proto\u200bcollo"

// TestCustomMethodsOnRecordsStoredUnderOlderRules: on every surface, the
// custom methods that rewrite a stored record are not refused for a value
// the record kept from before a rule, or that other records have moved
// past since, which the call cannot change:
//   - a project whose title and code the rules refuse today is extended;
//   - a protocol opened for signature whose title they refuse is amended,
//     and its draft edited; opening the draft is refused naming the title
//     and saying to edit the draft, and opens once the title is fixed;
//   - a network's member is removed before a member listed twice, which
//     only moves in the list;
//   - a meeting's minutes are recorded again with an action item whose due
//     date its start has since moved past, while a new item due before the
//     meeting is refused.
//
// Before, the amendment's draft could not be opened without saying why
// in the draft's words, the network's duplicate counted as changed where
// it moved, and the minutes were refused for the item they kept.
func TestCustomMethodsOnRecordsStoredUnderOlderRules(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		seedPartners(t, ctx, s, famiv1.PartnerKind_PARTNER_KIND_OTHER, "udp-milano", "cpia-milano", "altro")
		seedNetwork(t, ctx, s, "cpia-milano")
		v1 := draftProtocol(t, ctx, s, "v1")
		v1 = mustOK(s.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: v1.GetName()}))(t, "open the protocol")
		old := proto.CloneOf(v1)
		old.Title = invisibleTitle
		ts = ts.storedDirectly(func(tx store.WriteTx) error {
			if err := tx.Put(old); err != nil {
				return err
			}
			if err := tx.Put(&famiv1.Project{Name: projectName("vecchio"), Code: "\u041f\u0420\u041e\u0413-1", Title: invisibleTitle,
				Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2023-01-01", EndDate: "2025-12-31"}); err != nil {
				return err
			}
			return tx.Put(&famiv1.Network{Name: networkName("doppia"), DisplayName: "Rete doppia", LeadPartner: partnerName("udp-milano"),
				State: famiv1.NetworkState_NETWORK_STATE_ACTIVE, Members: membersLedBy("udp-milano", "altro", "cpia-milano", "cpia-milano")})
		})
		s = newSurface(t, ts, kind)
		invalid := func(fields ...string) wantErr {
			return wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: fields}
		}

		p := mustOK(s.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: projectName("vecchio"), Extension: &famiv1.Extension{
			EndDate: "2026-06-30", ActReference: "DD 12/2025"}}))(t, "extend the project")
		if p.GetEndDate() != "2026-06-30" || p.GetTitle() != invisibleTitle || len(p.GetExtensions()) != 1 {
			t.Errorf("the project extended: %v, want its new end date and its old title", p)
		}

		v2 := mustOK(s.AmendProtocol(ctx, &famiv1.AmendProtocolRequest{Name: v1.GetName(), ProtocolId: "v2"}))(t, "amend the protocol")
		if v2.GetTitle() != invisibleTitle {
			t.Errorf("the amendment's title: %q, want the version's as it is", v2.GetTitle())
		}
		v2 = mustOK(s.UpdateProtocol(ctx, &famiv1.UpdateProtocolRequest{Protocol: &famiv1.Protocol{Name: v2.GetName(), Body: "Art. 1 emendato"},
			UpdateMask: mask("body")}))(t, "edit the amendment's body")
		_, err := s.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: v2.GetName()})
		checkErr(t, "open the amendment as it is", err, invalid("protocol.title"))
		if e, ok := asCallError(err); ok && !strings.Contains(e.Message, "edit the draft to fix it") {
			t.Errorf("open the amendment as it is: %q, want it to say to edit the draft", e.Message)
		}
		mustOK(s.UpdateProtocol(ctx, &famiv1.UpdateProtocolRequest{Protocol: &famiv1.Protocol{Name: v2.GetName(), Title: "Protocollo"},
			UpdateMask: mask("title")}))(t, "fix the amendment's title")
		mustOK(s.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: v2.GetName()}))(t, "open the fixed amendment")

		n := mustOK(s.GetNetwork(ctx, &famiv1.GetNetworkRequest{Name: networkName("doppia")}))(t, "get the network")
		n.Members = append(n.GetMembers()[:1], n.GetMembers()[2:]...)
		n = mustOK(s.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: n, UpdateMask: mask("members")}))(t, "remove the member before the duplicate")
		if len(n.GetMembers()) != 3 || n.GetMembers()[2].GetPartner() != partnerName("cpia-milano") {
			t.Errorf("the network's members: %v, want the duplicate kept", n.GetMembers())
		}

		start := ts.Clock.Now().AddDate(0, 0, -20).Truncate(time.Hour)
		m := mustOK(s.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: "tavolo", Meeting: &famiv1.Meeting{
			Networks: []string{networkName("rete-milano")}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: "Tavolo",
			StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_ONLINE,
			Link: "https://meet.example.org/t"}}))(t, "create the meeting")
		due := start.AddDate(0, 0, 2).Format(time.DateOnly)
		m = mustOK(s.RecordMinutes(ctx, &famiv1.RecordMinutesRequest{Name: m.GetName(), Minutes: "Verbale", ActionItems: []*famiv1.ActionItem{
			{Description: "Inviare il calendario", Owner: partnerName("udp-milano"), DueDate: due}}}))(t, "record the minutes")
		moved := start.AddDate(0, 0, 5)
		m = mustOK(s.UpdateMeeting(ctx, &famiv1.UpdateMeetingRequest{Meeting: &famiv1.Meeting{Name: m.GetName(),
			StartTime: timestamppb.New(moved), EndTime: timestamppb.New(moved.Add(time.Hour))}, UpdateMask: mask("start_time", "end_time")}))(t, "move the meeting past the item's due date")
		m = mustOK(s.RecordMinutes(ctx, &famiv1.RecordMinutesRequest{Name: m.GetName(), Minutes: "Verbale corretto", ActionItems: m.GetActionItems()}))(t, "record the minutes again, the item as it is")
		if m.GetMinutes() != "Verbale corretto" || len(m.GetActionItems()) != 1 || m.GetActionItems()[0].GetDueDate() != due {
			t.Errorf("the minutes recorded again: %q with %v", m.GetMinutes(), m.GetActionItems())
		}
		items := append(m.GetActionItems(), &famiv1.ActionItem{Description: "Nuova azione", Owner: partnerName("cpia-milano"), DueDate: due})
		_, err = s.RecordMinutes(ctx, &famiv1.RecordMinutesRequest{Name: m.GetName(), Minutes: "Verbale", ActionItems: items})
		checkErr(t, "a new item due before the meeting", err, invalid("action_items[1].due_date"))
	})
}
