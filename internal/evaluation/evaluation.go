// Package evaluation implements the evaluation of the support:
// fami.v1.EvaluationService, its effectiveness measured as the capacity of
// each network at the start (T0) and later (T1), with the deltas per
// network and the averages per region; and fami.v1.SurveyService, the
// operators' satisfaction in anonymous surveys (surveys.go).
//
// Region binding and roles are checked by the policy table (rights.go).
package evaluation

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

const (
	// defaultScale is the top of a scale left unset: 1 to 5.
	defaultScale = 5
)

// Service implements fami.v1.EvaluationService.
type Service struct {
	famiv1.UnimplementedEvaluationServiceServer
	store store.Store
}

// New returns the service over a store.
func New(s store.Store) *Service { return &Service{store: s} }

// assessmentMutable lists the fields a caller sets.
var assessmentMutable = []string{"display_name", "scale_max", "t0", "t0_date", "t1", "t1_date", "notes"}

// assessmentOutputOnly are the fields of a CapacityAssessment the server
// owns besides the standard ones: aip.ApplyMask ignores them in an update
// mask, as in a PATCH body copied from a GET (AIP-203).
var assessmentOutputOnly = []string{"delta", "assessed_by"}

// parseNetwork reads "regions/{region}/networks/{network}".
func parseNetwork(field, name string) (region string, err error) {
	region, _, err = aip.ParseName(field, name, resource.Networks)
	return region, err
}

// parseAssessment reads
// "regions/{region}/networks/{network}/capacityAssessments/{measure}".
func parseAssessment(field, name string) (region, network string, err error) {
	parts := strings.Split(name, "/")
	if len(parts) != 6 || parts[4] != resource.CapacityAssessments || aip.CheckID(field, parts[5]) != nil {
		return "", "", errs.InvalidField(field, "%q is not a capacity assessment name: want regions/{region}/networks/{network}/capacityAssessments/{measure}", errs.Clip(name, errs.MaxEcho))
	}
	network = strings.Join(parts[:4], "/")
	if region, err = parseNetwork(field, network); err != nil {
		return "", "", err
	}
	return region, network, nil
}

// complete validates an assessment and derives its output fields.
func complete(a *famiv1.CapacityAssessment, who principal.Principal) error {
	var v errs.Violations
	const f = "capacity_assessment."
	check.Text(&v, f+"display_name", a.GetDisplayName(), true, 200, false)
	if a.ScaleMax == 0 {
		a.ScaleMax = defaultScale
	}
	top := float64(a.GetScaleMax())
	if a.GetScaleMax() < 2 || a.GetScaleMax() > 10 {
		v.Add(f+"scale_max", "%d is not a scale's top: want 2 to 10", a.GetScaleMax())
		top = math.Inf(1)
	}
	score := func(field string, x float64) {
		if math.IsNaN(x) || x < 1 || x > top {
			v.Add(field, "%v is not a score on the 1 to %d scale", x, a.GetScaleMax())
		}
	}
	score(f+"t0", a.GetT0())
	t0, ok0 := check.Date(&v, f+"t0_date", a.GetT0Date(), true)
	if a.T1 != nil {
		score(f+"t1", a.GetT1())
		if t1, ok1 := check.Date(&v, f+"t1_date", a.GetT1Date(), true); ok0 && ok1 && !t1.After(t0) {
			v.Add(f+"t1_date", "%s is not after t0_date %s", a.GetT1Date(), a.GetT0Date())
		}
	} else if a.GetT1Date() != "" {
		v.Add(f+"t1_date", "is only for a recorded t1")
	}
	check.Text(&v, f+"notes", a.GetNotes(), false, 4000, true)
	if err := v.Err(); err != nil {
		return err
	}
	a.Delta = nil
	if a.T1 != nil {
		a.Delta = proto.Float64(a.GetT1() - a.GetT0())
	}
	a.AssessedBy = who.Subject
	return nil
}

// put completes a, written by who, and stores it: the end of its Create
// and Update.
func put(tx store.WriteTx, a *famiv1.CapacityAssessment, who principal.Principal) (*famiv1.CapacityAssessment, error) {
	if err := complete(a, who); err != nil {
		return nil, err
	}
	if err := sameScale(tx, a); err != nil {
		return nil, err
	}
	return a, tx.Put(a)
}

// sameScale refuses a, read in tx, when another network of its region
// measures the same measure on another scale: SummarizeCapacity averages a
// measure's scores over the region's networks, and a mean of 2 out of 5
// and 8 out of 10 is no score on any scale. It reads the measure's
// assessment of each network of the region (tens), as the summary does.
func sameScale(tx store.ReadTx, a *famiv1.CapacityAssessment) error {
	region, network, _ := parseAssessment("capacity_assessment.name", a.GetName())
	measure := resource.ID(a.GetName())
	var clash *famiv1.CapacityAssessment
	err := tx.List(resource.Networks, "", func(id string, _ []byte) (bool, error) {
		name := aip.Name(region, resource.Networks, id)
		if name == network {
			return true, nil
		}
		other := &famiv1.CapacityAssessment{}
		found, err := store.Find(tx, name+"/"+resource.CapacityAssessments+"/"+measure, other)
		if err != nil || (found && other.GetScaleMax() != a.GetScaleMax()) {
			clash = other
			return false, err
		}
		return true, nil
	})
	if err != nil || clash == nil {
		return err
	}
	return errs.InvalidField("capacity_assessment.scale_max", "%d: %s measures %q on a 1 to %d scale; a measure has one scale in a region, so that its means are scores on it",
		a.GetScaleMax(), errs.Clip(clash.GetName(), errs.MaxEcho), measure, clash.GetScaleMax())
}

// CreateCapacityAssessment implements fami.v1.EvaluationService.
func (s *Service) CreateCapacityAssessment(ctx context.Context, req *famiv1.CreateCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	region, err := parseNetwork("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	if err := aip.CheckNewID("capacity_assessment_id", req.GetCapacityAssessmentId()); err != nil {
		return nil, err
	}
	if req.GetCapacityAssessment() == nil {
		return nil, errs.InvalidField("capacity_assessment", "is required")
	}
	return resource.Mutate(ctx, s.store, region, req, func(tx store.WriteTx) (*famiv1.CapacityAssessment, error) {
		// An archived network is evaluated no more (ADR 36): its
		// assessments stay, and stay editable.
		if err := resource.ParentRead(tx, "parent", req.GetParent(), resource.Networks, &famiv1.Network{}); err != nil {
			return nil, err
		}
		a := &famiv1.CapacityAssessment{}
		if err := aip.ApplyMask(a, req.GetCapacityAssessment(), nil, assessmentMutable); err != nil {
			return nil, err
		}
		a.Name = req.GetParent() + "/" + resource.CapacityAssessments + "/" + req.GetCapacityAssessmentId()
		if err := resource.Absent(tx, a, "capacity_assessment_id"); err != nil {
			return nil, err
		}
		return put(tx, a, principal.From(ctx))
	})
}

// GetCapacityAssessment implements fami.v1.EvaluationService.
func (s *Service) GetCapacityAssessment(ctx context.Context, req *famiv1.GetCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	region, _, err := parseAssessment("name", req.GetName())
	if err != nil {
		return nil, err
	}
	a := &famiv1.CapacityAssessment{}
	return a, s.store.View(ctx, region, func(tx store.ReadTx) error { return tx.Get(req.GetName(), a) })
}

// ListCapacityAssessments implements fami.v1.EvaluationService; the
// parent regions/{r}/networks/- lists every network's assessments
// (resource.AnyParent).
func (s *Service) ListCapacityAssessments(ctx context.Context, req *famiv1.ListCapacityAssessmentsRequest) (*famiv1.ListCapacityAssessmentsResponse, error) {
	region, err := parseNetwork("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	if resource.ID(req.GetParent()) == resource.AnyParent {
		return resource.ListInEveryParent[*famiv1.ListCapacityAssessmentsResponse, *famiv1.CapacityAssessment](ctx, s.store, region, req, resource.Networks, resource.CapacityAssessments, nil)
	}
	return resource.ListWithin[*famiv1.ListCapacityAssessmentsResponse](ctx, s.store, region, req, func(tx store.ReadTx) (string, func(*famiv1.CapacityAssessment) (bool, error), error) {
		if err := tx.Get(req.GetParent(), &famiv1.Network{}); err != nil {
			return "", nil, err
		}
		return below(region, req.GetParent()) + "/" + resource.CapacityAssessments, nil, nil
	})
}

// UpdateCapacityAssessment implements fami.v1.EvaluationService.
func (s *Service) UpdateCapacityAssessment(ctx context.Context, req *famiv1.UpdateCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	in := req.GetCapacityAssessment()
	if in == nil {
		return nil, errs.InvalidField("capacity_assessment", "is required")
	}
	region, _, err := parseAssessment("capacity_assessment.name", in.GetName())
	if err != nil {
		return nil, err
	}
	return resource.Modify(ctx, s.store, region, req, in.GetName(), in.GetEtag(), func(tx store.WriteTx, cur *famiv1.CapacityAssessment) (*famiv1.CapacityAssessment, error) {
		next := proto.CloneOf(cur)
		if _, err := resource.ApplyMask(tx, next, in, req.GetUpdateMask(), assessmentMutable, assessmentOutputOnly...); err != nil {
			return nil, err
		}
		return put(tx, next, principal.From(ctx))
	})
}

// SummarizeCapacity implements fami.v1.EvaluationService. A region has
// tens of networks and a handful of measures each, so it reads them all.
//
// Its means are taken per measure and scale: sameScale keeps a measure on
// one scale from now on, but assessments stored before that rule may mix
// scales, and 2 out of 5 with 8 out of 10 averages to a score on neither.
// Scores are not rescaled either: a 1 to 5 score is no 1 to 10 score
// doubled, so a measure stored on two scales answers a summary for each.
func (s *Service) SummarizeCapacity(ctx context.Context, req *famiv1.SummarizeCapacityRequest) (*famiv1.SummarizeCapacityResponse, error) {
	region, err := aip.ParseRegion("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	type sums struct {
		out          *famiv1.CapacityMeasureSummary
		t0, t0b, t1b float64
	}
	type onScale struct {
		measure string
		scale   int32
	}
	measures := map[onScale]*sums{}
	res := &famiv1.SummarizeCapacityResponse{}
	err = s.store.View(ctx, region, func(tx store.ReadTx) error {
		res.Revision = tx.Revision()
		return tx.List(resource.Networks, "", func(network string, _ []byte) (bool, error) {
			err := tx.List(resource.Networks+"/"+network+"/"+resource.CapacityAssessments, "", func(id string, raw []byte) (bool, error) {
				a := &famiv1.CapacityAssessment{}
				if err := proto.Unmarshal(raw, a); err != nil {
					return false, err
				}
				key := onScale{id, a.GetScaleMax()}
				m := measures[key]
				if m == nil {
					m = &sums{out: &famiv1.CapacityMeasureSummary{Measure: id, DisplayName: a.GetDisplayName(), ScaleMax: key.scale}}
					measures[key] = m
				}
				m.out.Networks++
				m.t0 += a.GetT0()
				if a.T1 != nil {
					m.out.NetworksRemeasured++
					m.t0b += a.GetT0()
					m.t1b += a.GetT1()
				}
				return true, nil
			})
			return err == nil, err
		})
	})
	if err != nil {
		return nil, err
	}
	for _, m := range measures {
		m.out.MeanT0 = m.t0 / float64(m.out.Networks)
		if n := float64(m.out.NetworksRemeasured); n > 0 {
			m.out.MeanT1 = m.t1b / n
			m.out.MeanDelta = (m.t1b - m.t0b) / n
		}
		res.Measures = append(res.Measures, m.out)
	}
	slices.SortFunc(res.Measures, func(a, b *famiv1.CapacityMeasureSummary) int {
		return cmp.Or(cmp.Compare(a.GetMeasure(), b.GetMeasure()), cmp.Compare(a.GetScaleMax(), b.GetScaleMax()))
	})
	return res, nil
}

// below returns a name without its "regions/{region}/" prefix.
func below(region, name string) string { return strings.TrimPrefix(name, "regions/"+region+"/") }
