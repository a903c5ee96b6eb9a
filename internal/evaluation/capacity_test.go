package evaluation_test

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/evaluation"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/registry/registrytest"
)

// TestCapacityMeasureHasOneScale: SummarizeCapacity averages a measure's
// scores over the region's networks, so a measure is on one scale in a
// region. A second network's assessment of "co-progettazione" on 1 to 10,
// where the first's is on 1 to 5, is refused naming scale_max and writes
// nothing; it used to be stored, and the region's mean T0 of 2 out of 5
// and 8 out of 10 was 5, a score on neither scale. The measure's only
// assessment may still change its scale, and another measure has its own.
func TestCapacityMeasureHasOneScale(t *testing.T) {
	e := registrytest.New(t)
	admin := e.As(principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: registrytest.Region})
	if _, err := e.Reg.Partners().CreatePartner(admin, &famiv1.CreatePartnerRequest{Parent: registrytest.Parent, PartnerId: "udp",
		Partner: &famiv1.Partner{DisplayName: "Ufficio di Piano", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"rete-a", "rete-b"} {
		if _, err := e.Reg.Networks().CreateNetwork(admin, &famiv1.CreateNetworkRequest{Parent: registrytest.Parent, NetworkId: id, Network: &famiv1.Network{
			DisplayName: "Rete " + id, LeadPartner: registrytest.PartnerName("udp"),
			Members: []*famiv1.Member{{Partner: registrytest.PartnerName("udp"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}}); err != nil {
			t.Fatal(err)
		}
	}
	svc := evaluation.New(e.Store)
	assess := func(network, measure string, scale int32, t0 float64) error {
		_, err := svc.CreateCapacityAssessment(admin, &famiv1.CreateCapacityAssessmentRequest{Parent: registrytest.NetworkName(network), CapacityAssessmentId: measure,
			CapacityAssessment: &famiv1.CapacityAssessment{DisplayName: "Competenza di " + measure, ScaleMax: scale, T0: t0, T0Date: "2021-02-01"}})
		return err
	}
	if err := assess("rete-a", "co-progettazione", 0, 2); err != nil { // 0: the default 1 to 5
		t.Fatal(err)
	}
	err := assess("rete-b", "co-progettazione", 10, 8)
	if e := errs.As(err); e == nil || e.Code != errs.Invalid || len(e.Violations) != 1 || e.Violations[0].Field != "capacity_assessment.scale_max" {
		t.Fatalf("an assessment on 1 to 10 of a measure on 1 to 5: %v, want INVALID_ARGUMENT naming capacity_assessment.scale_max", err)
	}
	sum, err := svc.SummarizeCapacity(admin, &famiv1.SummarizeCapacityRequest{Parent: registrytest.Parent})
	if err != nil {
		t.Fatal(err)
	}
	want := &famiv1.CapacityMeasureSummary{Measure: "co-progettazione", DisplayName: "Competenza di co-progettazione", Networks: 1, MeanT0: 2, ScaleMax: 5}
	if len(sum.GetMeasures()) != 1 || !proto.Equal(sum.GetMeasures()[0], want) {
		t.Errorf("summary after the refusal: %v, want only %v", sum.GetMeasures(), want)
	}

	if err := assess("rete-b", "co-progettazione", 5, 4); err != nil {
		t.Errorf("an assessment on the measure's own scale: %v", err)
	}
	if err := assess("rete-b", "mediazione", 10, 8); err != nil {
		t.Errorf("another measure on another scale: %v", err)
	}
	if _, err := svc.UpdateCapacityAssessment(admin, &famiv1.UpdateCapacityAssessmentRequest{
		CapacityAssessment: &famiv1.CapacityAssessment{Name: registrytest.NetworkName("rete-b") + "/capacityAssessments/mediazione", ScaleMax: 9},
		UpdateMask:         &fieldmaskpb.FieldMask{Paths: []string{"scale_max"}}}); err != nil {
		t.Errorf("the measure's only assessment changing its scale: %v", err)
	}
	_, err = svc.UpdateCapacityAssessment(admin, &famiv1.UpdateCapacityAssessmentRequest{
		CapacityAssessment: &famiv1.CapacityAssessment{Name: registrytest.NetworkName("rete-a") + "/capacityAssessments/co-progettazione", ScaleMax: 10},
		UpdateMask:         &fieldmaskpb.FieldMask{Paths: []string{"scale_max"}}})
	if e := errs.As(err); e == nil || e.Code != errs.Invalid {
		t.Errorf("rescaling one of two networks' assessments of a measure: %v, want INVALID_ARGUMENT", err)
	}
}
