package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestArchivedTakesNoAmendmentOrEvaluation: an amendment of a protocol
// naming an archived party or network, a capacity assessment of an
// archived network and a survey of a meeting of one are refused at once
// (ADR 34), on every surface: FAILED_PRECONDITION (409 on REST), reason
// ARCHIVED, one violation of the field for each archived network or
// partner, the message naming the first, with nothing written. Before, the amendment copied the archived references
// into a draft that opening for signature then refused, and the
// evaluations passed. The assessments already recorded stay editable, and
// once active again each write passes.
func TestArchivedTakesNoAmendmentOrEvaluation(t *testing.T) {
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		names := seedEveryType(t, ts)
		admin := newSurface(t, ts, kind)
		consultant := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:seed:consultant", Role: principal.Consultant, Region: ownRegion})
		rete, cpia, meeting := names["fami.v1.Network"], partnerName("cpia"), names["fami.v1.Meeting"]
		patto, err := admin.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: names["fami.v1.Protocol"]})
		if err != nil {
			t.Fatal(err)
		}
		archive := func(partner bool, archived bool) {
			t.Helper()
			if partner {
				_, err = admin.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: cpia, Archived: archived},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"archived"}}})
			} else {
				state := famiv1.NetworkState_NETWORK_STATE_ACTIVE
				if archived {
					state = famiv1.NetworkState_NETWORK_STATE_ARCHIVED
				}
				_, err = admin.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: rete, State: state},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}}})
			}
			if err != nil {
				t.Fatalf("archived=%v: %v", archived, err)
			}
		}
		revision := func() int64 {
			t.Helper()
			res, err := admin.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, PageSize: 1})
			if err != nil {
				t.Fatal(err)
			}
			return res.GetRevision()
		}
		amend := func() error {
			_, err := admin.AmendProtocol(ctx, &famiv1.AmendProtocolRequest{Name: patto.GetName(), ProtocolId: "patto-v2"})
			return err
		}
		assess := func() error {
			_, err := consultant.CreateCapacityAssessment(ctx, &famiv1.CreateCapacityAssessmentRequest{Parent: rete, CapacityAssessmentId: "governance",
				CapacityAssessment: &famiv1.CapacityAssessment{DisplayName: "Governance", T0: 3, T0Date: "2024-02-10"}})
			return err
		}
		survey := func() error {
			_, err := consultant.CreateSurvey(ctx, &famiv1.CreateSurveyRequest{Parent: lombardia, SurveyId: "tavolo", Survey: &famiv1.Survey{
				Title: "Il tavolo", Meeting: meeting, Questions: []*famiv1.SurveyQuestion{{Id: "utilita", Text: "Utile?", Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE}},
				CloseTime: timestamppb.New(ts.Clock.Now().Add(time.Hour))}})
			return err
		}
		refused := func(what string, err error, field string, archived ...string) {
			t.Helper()
			got, ok := asCallError(err)
			if !ok || got.Code != codes.FailedPrecondition || got.Reason != "ARCHIVED" || len(got.Fields) != len(archived) ||
				(kind == "rest" && got.HTTPStatus != http.StatusConflict) {
				t.Errorf("%s: %v, want FAILED_PRECONDITION ARCHIVED with %d violations (409 on REST)", what, err, len(archived))
				return
			}
			for i, f := range got.Fields {
				if f != field || got.FieldReasons[i] != "ARCHIVED" {
					t.Errorf("%s: violation %d of %s reason %s, want %s ARCHIVED", what, i, f, got.FieldReasons[i], field)
				}
			}
			// The message says the first violation; each names its own.
			if !strings.Contains(got.Message, archived[0]) {
				t.Errorf("%s: %q does not name %s", what, got.Message, archived[0])
			}
		}

		unwritten := func(before int64) {
			t.Helper()
			if after := revision(); after != before {
				t.Errorf("the region's revision went from %d to %d: a refused write wrote", before, after)
			}
		}
		archive(true, true)
		before := revision()
		refused("an amendment of a protocol with an archived party", amend(), "name", cpia)
		unwritten(before)
		archive(false, true)
		before = revision()
		refused("an amendment of a protocol of an archived network with an archived party", amend(), "name", rete, cpia)
		refused("a capacity assessment of an archived network", assess(), "parent", rete)
		refused("a survey of a meeting of an archived network", survey(), "survey.meeting", rete)
		unwritten(before)

		// What was recorded stays editable.
		if _, err := consultant.UpdateCapacityAssessment(ctx, &famiv1.UpdateCapacityAssessmentRequest{CapacityAssessment: &famiv1.CapacityAssessment{
			Name: names["fami.v1.CapacityAssessment"], Notes: "Rete chiusa"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"notes"}}}); err != nil {
			t.Errorf("edit an assessment of the archived network: %v", err)
		}

		// Active again, each passes.
		archive(false, false)
		archive(true, false)
		for what, call := range map[string]func() error{"amendment": amend, "assessment": assess, "survey": survey} {
			if err := call(); err != nil {
				t.Errorf("%s once active again: %v", what, err)
			}
		}
		if _, err := admin.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: lombardia + "/protocols/patto-v2"}); err != nil {
			t.Errorf("the amendment made once active again: %v", err)
		}
	})
}
