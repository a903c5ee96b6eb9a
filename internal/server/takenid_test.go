package server_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestTakenIDsNameTheirField: every Create sent again with the id of a
// stored resource (and a partner's with the id of a deleted one, never
// given out again) is refused with ALREADY_EXISTS, or USERNAME_TAKEN for
// an account, naming the request field of its id, on every surface, with
// the reason as the violation's: a client (the web's forms) marks the
// field it sent whatever it created. Before, only CreateMeeting and
// CreateAccount named it.
func TestTakenIDsNameTheirField(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		names := seedEveryType(t, ts)
		admin := newSurface(t, ts, kind)
		consultant := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:seed:consultant", Role: principal.Consultant, Region: ownRegion})
		network := names["fami.v1.Network"]
		if _, err := admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "ritirato",
			Partner: &famiv1.Partner{DisplayName: "Ritirato", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: partnerName("ritirato")}); err != nil {
			t.Fatal(err)
		}
		account := &famiv1.CreateAccountRequest{Parent: lombardia, AccountId: "mrossi", Password: "correct horse battery staple",
			Account: &famiv1.Account{DisplayName: "Mario Rossi", Role: famiv1.Role_ROLE_CONSULTANT}}
		if _, err := admin.CreateAccount(ctx, account); err != nil {
			t.Fatal(err)
		}
		creates := []struct {
			name, field, reason string
			create              func() error
		}{
			{"partner", "partner_id", "ALREADY_EXISTS", func() error {
				_, err := admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "udp",
					Partner: &famiv1.Partner{DisplayName: "Altro", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}})
				return err
			}},
			{"a deleted partner's id", "partner_id", "ALREADY_EXISTS", func() error {
				_, err := admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "ritirato",
					Partner: &famiv1.Partner{DisplayName: "Altro", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}})
				return err
			}},
			{"project", "project_id", "ALREADY_EXISTS", func() error {
				_, err := admin.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "lab", Project: &famiv1.Project{
					Code: "PROG-2", Title: "Altro", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2024-01-01", EndDate: "2025-12-31"}})
				return err
			}},
			{"network", "network_id", "ALREADY_EXISTS", func() error {
				_, err := admin.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "rete", Network: &famiv1.Network{
					DisplayName: "Altra", LeadPartner: partnerName("cpia"), Members: []*famiv1.Member{
						{Partner: partnerName("cpia"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}})
				return err
			}},
			{"contact", "contact_id", "ALREADY_EXISTS", func() error {
				_, err := admin.CreateContact(ctx, &famiv1.CreateContactRequest{Parent: lombardia, ContactId: "rossi", Contact: &famiv1.Contact{
					DisplayName: "Altro", Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_SOCIAL_WORKER, Partner: partnerName("cpia")}})
				return err
			}},
			{"protocol", "protocol_id", "ALREADY_EXISTS", func() error {
				_, err := admin.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: lombardia, ProtocolId: "patto",
					Protocol: matrixProtocol(network, "patto", partnerName("udp"), partnerName("cpia"))})
				return err
			}},
			{"meeting", "meeting_id", "ALREADY_EXISTS", func() error {
				_, err := admin.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: "tavolo", Meeting: matrixMeeting(network, "tavolo")})
				return err
			}},
			{"support entry", "support_entry_id", "ALREADY_EXISTS", func() error {
				_, err := consultant.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: lombardia, SupportEntryId: "ore",
					SupportEntry: matrixEntry(network, fixtureDay, 30)})
				return err
			}},
			{"closed period", "closed_period_id", "ALREADY_EXISTS", func() error {
				_, err := admin.ClosePeriod(ctx, &famiv1.ClosePeriodRequest{Parent: lombardia, ClosedPeriodId: "giugno",
					ClosedPeriod: &famiv1.ClosedPeriod{StartDate: "2014-07-01", EndDate: "2014-07-31", Reason: "chiuso"}})
				return err
			}},
			{"capacity assessment", "capacity_assessment_id", "ALREADY_EXISTS", func() error {
				_, err := consultant.CreateCapacityAssessment(ctx, &famiv1.CreateCapacityAssessmentRequest{Parent: network, CapacityAssessmentId: "co-progettazione",
					CapacityAssessment: &famiv1.CapacityAssessment{DisplayName: "Altra", T0: 2, T0Date: "2024-02-10"}})
				return err
			}},
			{"survey", "survey_id", "ALREADY_EXISTS", func() error {
				_, err := consultant.CreateSurvey(ctx, &famiv1.CreateSurveyRequest{Parent: lombardia, SurveyId: "gradimento", Survey: &famiv1.Survey{
					Title: "Altro", Questions: []*famiv1.SurveyQuestion{{Id: "utilita", Text: "Utile?", Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE}},
					CloseTime: timestamppb.New(ts.Clock.Now().Add(time.Hour))}})
				return err
			}},
			{"monitoring report", "monitoring_report_id", "ALREADY_EXISTS", func() error {
				_, err := admin.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: projectName("lab"), MonitoringReportId: "2024-q1",
					MonitoringReport: &famiv1.MonitoringReport{}})
				return err
			}},
			{"account", "account_id", "USERNAME_TAKEN", func() error {
				_, err := admin.CreateAccount(ctx, account)
				return err
			}},
		}
		for _, c := range creates {
			err := c.create()
			checkErr(t, "create a "+c.name+" with a taken id", err, wantErr{codes.AlreadyExists, c.reason, []string{c.field}})
			if e, ok := asCallError(err); ok && (len(e.FieldReasons) != 1 || e.FieldReasons[0] != c.reason) {
				t.Errorf("create a %s with a taken id: field reasons %q, want [%s]", c.name, e.FieldReasons, c.reason)
			}
		}
	})
}
