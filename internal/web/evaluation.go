package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/resource"
)

// The evaluation of the support (EvaluationService): a network's capacity
// assessments, each a measure scored at the start (T0) and, once measured
// again, later (T1). Who may record one and what a valid one is are the
// service's: the page offers the form to those the rights table lets
// create, and shows the service's refusals on their fields.

// capacityPage is a network's capacity assessments and, for those who may
// record one, the form of a new one.
type capacityPage struct {
	frame
	Network     *famiv1.Network
	Assessments []*famiv1.CapacityAssessment
	Pager       *pager
	NewForm     *form
	CanCreate   bool
	// Archived says why a network evaluated no more shows no form.
	Archived  bool
	RequestID string
}

// capacityPath is the address of network id's capacity assessments.
func capacityPath(id string) string { return "/reti/" + url.PathEscape(id) + "/capacita" }

func (a *App) capacity(w http.ResponseWriter, r *http.Request, s *session) {
	a.renderCapacity(w, r, s, http.StatusOK, newForm(nil))
}

func (a *App) renderCapacity(w http.ResponseWriter, r *http.Request, s *session, code int, nf *form) {
	n, err := a.getNetwork(r, s)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	nf.Prefix = "new_"
	// An archived network is evaluated no more (ADR 36): the service
	// refuses a new assessment of it, so the page offers none.
	archived := n.GetState() == famiv1.NetworkState_NETWORK_STATE_ARCHIVED
	p := &capacityPage{frame: a.newFrame(r, s, "capacity.title"), Network: n, NewForm: nf, RequestID: newRequestID(), Archived: archived,
		CanCreate: !archived && s.can(a, famiv1.EvaluationService_CreateCapacityAssessment_FullMethodName, &famiv1.CreateCapacityAssessmentRequest{Parent: n.GetName()})}
	p.Title = msgf("capacity.title", n.GetDisplayName())
	p.Assessments, p.Pager, err = readPage(s, r, "", msg("capacity.assessments"), a.evaluation.ListCapacityAssessments,
		&famiv1.ListCapacityAssessmentsRequest{Parent: n.GetName()}, (*famiv1.ListCapacityAssessmentsResponse).GetCapacityAssessments, every)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	slices.SortStableFunc(p.Assessments, newestFirst)
	a.render(w, code, "capacity", p)
}

// newestFirst orders assessments by their latest measurement, the newest
// first: the API lists them by measure, and a reader looks for what was
// measured last.
func newestFirst(x, y *famiv1.CapacityAssessment) int {
	return cmp.Compare(measured(y), measured(x))
}

// measured is the date of an assessment's latest measurement (YYYY-MM-DD,
// which orders as text).
func measured(c *famiv1.CapacityAssessment) string {
	return cmp.Or(c.GetT1Date(), c.GetT0Date())
}

// createCapacity records a network's new capacity assessment.
func (a *App) createCapacity(w http.ResponseWriter, r *http.Request, s *session) {
	network := pathName(r, s, resource.Networks, "network")
	_, err := a.evaluation.CreateCapacityAssessment(s.ctx, &famiv1.CreateCapacityAssessmentRequest{Parent: network,
		CapacityAssessmentId: strings.TrimSpace(r.PostFormValue("new_measure")), CapacityAssessment: capacityFromForm(r.PostForm),
		RequestId: r.PostFormValue("request_id")})
	nf := newForm(r.PostForm)
	nf.Prefix = "new_"
	if formError(nf, err, "capacity_assessment.") {
		nf.alias("new_capacity_assessment_id", "new_measure")
		a.renderCapacity(w, r, s, http.StatusUnprocessableEntity, nf)
		return
	}
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	seeOther(w, r, noticed(capacityPath(r.PathValue("network")), "capacity_created"))
}

// capacityFromForm reads the new assessment's form: scores typed the
// Italian way ("3,5"; parseNumber), dates as gg/mm/aaaa. A T1 left empty
// is not measured yet.
func capacityFromForm(v url.Values) *famiv1.CapacityAssessment {
	c := &famiv1.CapacityAssessment{DisplayName: v.Get("new_display_name"), T0: parseNumber(v.Get("new_t0")),
		T0Date: parseDate(v.Get("new_t0_date")), T1Date: parseDate(v.Get("new_t1_date")), Notes: v.Get("new_notes")}
	if scale := strings.TrimSpace(v.Get("new_scale_max")); scale != "" {
		c.ScaleMax = int32(atoi(scale))
	}
	if t1 := strings.TrimSpace(v.Get("new_t1")); t1 != "" {
		c.T1 = proto.Float64(parseNumber(t1))
	}
	return c
}
