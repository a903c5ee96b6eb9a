package server_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store"
)

// TestCapacityEverySurface records "competenza di co-progettazione" for
// three networks, as their consultant, at T0 and (for two) at T1: the
// deltas per network and the region's averages.
func TestCapacityEverySurface(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		consultant := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:consultant", Role: principal.Consultant, Region: "lombardia"})
		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		seedPartners(t, ctx, s, famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, "udp")
		for _, c := range []struct {
			network string
			t0      float64
			t1      *float64
		}{{"rete-a", 2, proto.Float64(4)}, {"rete-b", 3, proto.Float64(3.5)}, {"rete-c", 1, nil}} {
			seedNetworkLedBy(t, ctx, s, c.network, "udp")
			a, err := consultant.CreateCapacityAssessment(ctx, &famiv1.CreateCapacityAssessmentRequest{Parent: networkName(c.network), CapacityAssessmentId: "co-progettazione",
				CapacityAssessment: &famiv1.CapacityAssessment{DisplayName: "Competenza di co-progettazione", T0: c.t0, T0Date: "2021-02-10"}})
			if err != nil {
				t.Fatalf("T0 of %s: %v", c.network, err)
			}
			if a.GetScaleMax() != 5 || a.Delta != nil || a.GetAssessedBy() != "test:consultant" {
				t.Errorf("T0 of %s: scale %d, delta %v, by %q; want 5, none, the consultant", c.network, a.GetScaleMax(), a.Delta, a.GetAssessedBy())
			}
			if c.t1 == nil {
				continue
			}
			a, err = consultant.UpdateCapacityAssessment(ctx, &famiv1.UpdateCapacityAssessmentRequest{
				CapacityAssessment: &famiv1.CapacityAssessment{Name: a.GetName(), T1: c.t1, T1Date: "2022-06-15"},
				UpdateMask:         &fieldmaskpb.FieldMask{Paths: []string{"t1", "t1_date"}}})
			if err != nil {
				t.Fatalf("T1 of %s: %v", c.network, err)
			}
			if want := *c.t1 - c.t0; a.Delta == nil || a.GetDelta() != want {
				t.Errorf("delta of %s: got %v, want %+g", c.network, a.Delta, want)
			}
		}
		got, err := ministry.SummarizeCapacity(ctx, &famiv1.SummarizeCapacityRequest{Parent: lombardia})
		if err != nil {
			t.Fatalf("summarize: %v", err)
		}
		want := &famiv1.CapacityMeasureSummary{Measure: "co-progettazione", DisplayName: "Competenza di co-progettazione",
			Networks: 3, NetworksRemeasured: 2, MeanT0: 2, MeanT1: 3.75, MeanDelta: 1.25, ScaleMax: 5}
		if len(got.GetMeasures()) != 1 || !proto.Equal(got.GetMeasures()[0], want) {
			t.Errorf("region averages: got %v, want %v", got.GetMeasures(), want)
		}

		list, err := ministry.ListCapacityAssessments(ctx, &famiv1.ListCapacityAssessmentsRequest{Parent: networkName("rete-a")})
		if err != nil || len(list.GetCapacityAssessments()) != 1 || list.GetCapacityAssessments()[0].GetDelta() != 2 {
			t.Errorf("list rete-a: %v, %v; want one assessment, delta +2", err, list.GetCapacityAssessments())
		}
		_, err = consultant.UpdateCapacityAssessment(ctx, &famiv1.UpdateCapacityAssessmentRequest{
			CapacityAssessment: &famiv1.CapacityAssessment{Name: networkName("rete-c") + "/capacityAssessments/co-progettazione", T1: proto.Float64(6), T1Date: "2020-01-01"},
			UpdateMask:         &fieldmaskpb.FieldMask{Paths: []string{"t1", "t1_date"}}})
		checkErr(t, "a T1 off the scale, before T0", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"capacity_assessment.t1", "capacity_assessment.t1_date"}})
		seedNetworkLedBy(t, ctx, s, "rete-d", "udp")
		_, err = consultant.CreateCapacityAssessment(ctx, &famiv1.CreateCapacityAssessmentRequest{Parent: networkName("rete-d"), CapacityAssessmentId: "co-progettazione",
			CapacityAssessment: &famiv1.CapacityAssessment{DisplayName: "Competenza di co-progettazione", ScaleMax: 10, T0: 8, T0Date: "2021-02-10"}})
		checkErr(t, "a measure on 1 to 10 where the region's is on 1 to 5", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"capacity_assessment.scale_max"}})
		staff := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:staff", Role: principal.NetworkMember, Region: "lombardia", Partner: partnerName("udp")})
		_, err = staff.CreateCapacityAssessment(ctx, &famiv1.CreateCapacityAssessmentRequest{Parent: networkName("rete-c"), CapacityAssessmentId: "mediazione",
			CapacityAssessment: &famiv1.CapacityAssessment{DisplayName: "Mediazione", T0: 5, T0Date: "2021-02-10"}})
		checkErr(t, "network staff score their own network", err, wantErr{codes.PermissionDenied, "ROLE_NOT_ALLOWED", nil})
	})
}

// TestScoreOffTheScaleNamedAsSent: a score sent as the double 2147483647
// is refused with a message that writes it as the integer it is, not as
// 2.147483647e+09.
func TestScoreOffTheScaleNamedAsSent(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		seedPartners(t, ctx, s, famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, "udp")
		seedNetworkLedBy(t, ctx, s, "rete-a", "udp")
		_, err := s.CreateCapacityAssessment(ctx, &famiv1.CreateCapacityAssessmentRequest{Parent: networkName("rete-a"), CapacityAssessmentId: "mediazione",
			CapacityAssessment: &famiv1.CapacityAssessment{DisplayName: "Mediazione", T0: 2147483647, T0Date: "2021-02-10"}})
		checkErr(t, "a T0 of 2147483647", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"capacity_assessment.t0"}})
		if ce, ok := asCallError(err); !ok || !strings.Contains(ce.Message, "2147483647 is not a score") {
			t.Errorf("message %q: want the score written as 2147483647", ce.Message)
		}
	})
}

// TestCapacityMeansKeepTheirScale: assessments of one measure stored on
// two scales, as the code before one scale per region wrote them (2 and 4
// out of 5 for two networks, 8 out of 10 remeasured at 9 for a third), are
// summarised once per scale: mean T0 3 of 5, and 8 of 10 with its delta.
// The mixed mean, 4.67 (14/3) and a delta of 1 over the one remeasured
// network, was a score on neither scale.
func TestCapacityMeansKeepTheirScale(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		seedPartners(t, ctx, s, famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, "udp")
		for _, n := range []string{"rete-a", "rete-b", "rete-c"} {
			seedNetworkLedBy(t, ctx, s, n, "udp")
		}
		ts = ts.storedDirectly(func(tx store.WriteTx) error {
			for _, a := range []*famiv1.CapacityAssessment{
				{Name: networkName("rete-a") + "/capacityAssessments/co-progettazione", ScaleMax: 5, T0: 2, T0Date: "2021-02-10"},
				{Name: networkName("rete-b") + "/capacityAssessments/co-progettazione", ScaleMax: 5, T0: 4, T0Date: "2021-02-10"},
				{Name: networkName("rete-c") + "/capacityAssessments/co-progettazione", ScaleMax: 10, T0: 8, T0Date: "2021-02-10",
					T1: proto.Float64(9), T1Date: "2022-06-15", Delta: proto.Float64(1)},
			} {
				a.DisplayName, a.AssessedBy = "Competenza di co-progettazione", "test:consultant"
				if err := tx.Put(a); err != nil {
					return err
				}
			}
			return nil
		})
		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		got, err := ministry.SummarizeCapacity(ctx, &famiv1.SummarizeCapacityRequest{Parent: lombardia})
		if err != nil {
			t.Fatalf("summarize: %v", err)
		}
		want := []*famiv1.CapacityMeasureSummary{
			{Measure: "co-progettazione", DisplayName: "Competenza di co-progettazione", ScaleMax: 5, Networks: 2, MeanT0: 3},
			{Measure: "co-progettazione", DisplayName: "Competenza di co-progettazione", ScaleMax: 10, Networks: 1, NetworksRemeasured: 1,
				MeanT0: 8, MeanT1: 9, MeanDelta: 1},
		}
		if len(got.GetMeasures()) != len(want) {
			t.Fatalf("summary of a measure stored on two scales: %v, want one per scale: %v", got.GetMeasures(), want)
		}
		for i := range want {
			if !proto.Equal(got.GetMeasures()[i], want[i]) {
				t.Errorf("summary %d: got %v, want %v", i, got.GetMeasures()[i], want[i])
			}
		}
	})
}
