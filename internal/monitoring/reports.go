package monitoring

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// write validates a report's content against its project's plan (p, read
// in tx), finds its flags and stores it with the aggregates, in place of
// the stored state's contribution if there is one.
func (s *Service) write(tx store.WriteTx, n reportName, p *famiv1.Project, next *famiv1.MonitoringReport) (*famiv1.MonitoringReport, error) {
	q, _ := parsePeriod(n.period)
	if err := validate(p, next, q); err != nil {
		return nil, err
	}
	return s.keep(tx, n, p, next)
}

// keep is write without the validation: it finds next's flags and stores
// it with the aggregates.
func (s *Service) keep(tx store.WriteTx, n reportName, p *famiv1.Project, next *famiv1.MonitoringReport) (*famiv1.MonitoringReport, error) {
	q, _ := parsePeriod(n.period)
	paid, err := paidBefore(tx, n.project, q)
	if err != nil {
		return nil, err
	}
	for _, e := range next.GetExpenditures() {
		paid, _ = check.AddCents(paid, e.GetPaidCents())
	}
	behind, err := threshold(tx)
	if err != nil {
		return nil, err
	}
	next.Flags = findFlags(p, next, q, paid, behind)
	if err := keepAggregates(tx, p, n.period, next); err != nil {
		return nil, err
	}
	return next, tx.Put(next)
}

// CreateMonitoringReport implements fami.v1.MonitoringService.
func (s *Service) CreateMonitoringReport(ctx context.Context, req *famiv1.CreateMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	region, project, err := parseProject("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	q, ok := parsePeriod(req.GetMonitoringReportId())
	if !ok {
		return nil, errs.InvalidField("monitoring_report_id", "%q is not a quarter: want YYYY-qN, e.g. 2021-q1", errs.Clip(req.GetMonitoringReportId(), errs.MaxEcho))
	}
	if err := s.started(q); err != nil {
		return nil, err
	}
	if req.GetMonitoringReport() == nil {
		return nil, errs.InvalidField("monitoring_report", "is required")
	}
	n := reportName{region: region, project: project, period: q.String()}
	return resource.Mutate(ctx, s.store, region, req, func(tx store.WriteTx) (*famiv1.MonitoringReport, error) {
		if err := mayReport(tx, principal.From(ctx), project); err != nil {
			return nil, err
		}
		p, err := getProject(tx, project)
		if err != nil {
			return nil, err
		}
		if err := checkSpan(p, q); err != nil {
			return nil, err
		}
		if err := resource.Absent(tx, &famiv1.MonitoringReport{Name: n.String()}, "monitoring_report_id"); err != nil {
			return nil, err
		}
		r := &famiv1.MonitoringReport{}
		if err := aip.ApplyMask(r, req.GetMonitoringReport(), nil, reportMutable); err != nil {
			return nil, err
		}
		r.Name, r.Period, r.State, r.Revision = n.String(), n.period, famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT, 1
		return s.write(tx, n, p, r)
	})
}

// GetMonitoringReport implements fami.v1.MonitoringService.
func (s *Service) GetMonitoringReport(ctx context.Context, req *famiv1.GetMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	n, err := parseReportName("name", req.GetName(), true)
	if err != nil {
		return nil, err
	}
	r := &famiv1.MonitoringReport{}
	return r, s.store.View(ctx, n.region, func(tx store.ReadTx) error { return tx.Get(n.String(), r) })
}

// ListMonitoringReports implements fami.v1.MonitoringService. Earlier
// approved revisions are listed with show_approved_revisions only, and
// otherwise read by name; the parent regions/{r}/projects/- lists every
// project's reports (resource.AnyParent); states keeps the reports in
// those states only. The filter is applied as the page is read, within
// its scan budget, so a page of a region with few reports awaiting
// review may end short with a next page token.
func (s *Service) ListMonitoringReports(ctx context.Context, req *famiv1.ListMonitoringReportsRequest) (*famiv1.ListMonitoringReportsResponse, error) {
	region, project, err := parseProject("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	states := check.Enums(&v, "states", req.GetStates())
	if err := v.Err(); err != nil {
		return nil, err
	}
	keep := func(r *famiv1.MonitoringReport) (bool, error) {
		return (req.GetShowApprovedRevisions() || !strings.Contains(resource.ID(r.GetName()), "@")) &&
			(len(states) == 0 || slices.Contains(states, r.GetState())), nil
	}
	if resource.ID(project) == resource.AnyParent {
		return resource.ListInEveryParent[*famiv1.ListMonitoringReportsResponse](ctx, s.store, region, req, resource.Projects, resource.MonitoringReports, keep)
	}
	return resource.ListWithin[*famiv1.ListMonitoringReportsResponse](ctx, s.store, region, req, func(tx store.ReadTx) (string, func(*famiv1.MonitoringReport) (bool, error), error) {
		if _, err := getProject(tx, project); err != nil {
			return "", nil, err
		}
		return strings.TrimPrefix(project, "regions/"+region+"/") + "/" + resource.MonitoringReports, keep, nil
	})
}

// UpdateMonitoringReport implements fami.v1.MonitoringService.
func (s *Service) UpdateMonitoringReport(ctx context.Context, req *famiv1.UpdateMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	in := req.GetMonitoringReport()
	if in == nil {
		return nil, errs.InvalidField("monitoring_report", "is required")
	}
	n, err := parseReportName("monitoring_report.name", in.GetName(), false)
	if err != nil {
		return nil, err
	}
	return resource.Modify(ctx, s.store, n.region, req, n.String(), in.GetEtag(), func(tx store.WriteTx, cur *famiv1.MonitoringReport) (*famiv1.MonitoringReport, error) {
		if err := mayReport(tx, principal.From(ctx), n.project); err != nil {
			return nil, err
		}
		if err := editable(cur); err != nil {
			return nil, err
		}
		p, err := projectAsRead(tx, n.project, req.GetProjectEtag())
		if err != nil {
			return nil, err
		}
		next := proto.CloneOf(cur)
		if _, err := resource.ApplyMask(tx, next, in, req.GetUpdateMask(), reportMutable, reportOutputOnly...); err != nil {
			return nil, err
		}
		return s.write(tx, n, p, next)
	})
}

// projectAsRead reads a report's project in tx and, when etag is set,
// refuses it if it changed since the client read it: the report's values
// were written against the plan the client saw, and reading them against
// another one would put them on other items (UpdateMonitoringReportRequest.project_etag).
func projectAsRead(tx store.ReadTx, project, etag string) (*famiv1.Project, error) {
	p, err := getProject(tx, project)
	if err != nil || etag == "" || etag == p.GetEtag() {
		return p, err
	}
	return nil, errs.ProjectChanged.With(errs.Error{
		Message:  errs.Sprintf("%s was changed since the report's values were written against it (project_etag %q, current %q): read the project again and check the report against its plan", project, errs.Clip(etag, errs.MaxEcho), p.GetEtag()),
		Metadata: map[string]string{"resource": project, "etag": p.GetEtag()},
	})
}

// editable refuses changes to a report under review or approved.
func editable(r *famiv1.MonitoringReport) error {
	switch r.GetState() {
	case famiv1.MonitoringReportState_MONITORING_REPORT_STATE_APPROVED:
		return errs.ReportApproved.With(errs.Error{
			Message:  r.GetName() + " is approved and locked: open a correction with :correct",
			Metadata: map[string]string{"resource": r.GetName()},
		})
	case famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED:
		return errs.ReportSubmitted.With(errs.Error{
			Message:  r.GetName() + " awaits review: it can be changed once returned",
			Metadata: map[string]string{"resource": r.GetName()},
		})
	}
	return nil
}

// A step is a review step of a report (transition).
type step struct {
	// member says whether the project's network members take it (the
	// policy admits them); the others are the region's.
	member bool
	// from are the states it leaves.
	from []famiv1.MonitoringReportState
	// change makes it on a copy of the stored report.
	change func(tx store.WriteTx, r *famiv1.MonitoringReport, who principal.Principal) error
	// fix ends the refusal of a report whose content breaks the rules or
	// its project's plan of today (an activity since taken off the plan,
	// a rule newer than the report), saying how to go on, in the words of
	// whom it refuses. "" for a step that gives the report back to its
	// authors, who fix it there and whose saves check it whole: it does
	// not check the content, so that such a report is never stuck in
	// review, or approved with no way to correct it.
	fix string
}

// transition makes a review step: it checks the report's state is one of
// st.from, applies st.change, checks the content unless st.fix is "",
// and stores the result with its aggregates.
func (s *Service) transition(ctx context.Context, req resource.ChangeRequest, st step) (*famiv1.MonitoringReport, error) {
	n, err := parseReportName("name", req.GetName(), false)
	if err != nil {
		return nil, err
	}
	who := principal.From(ctx)
	return resource.Modify(ctx, s.store, n.region, req, n.String(), req.GetEtag(), func(tx store.WriteTx, cur *famiv1.MonitoringReport) (*famiv1.MonitoringReport, error) {
		if st.member {
			if err := mayReport(tx, who, n.project); err != nil {
				return nil, err
			}
		}
		ok := false
		for _, from := range st.from {
			ok = ok || cur.GetState() == from
		}
		if !ok {
			if cur.GetState() == famiv1.MonitoringReportState_MONITORING_REPORT_STATE_APPROVED {
				return nil, editable(cur)
			}
			return nil, errs.ReportState.With(errs.Error{
				Message:  cur.GetName() + " is " + cur.GetState().String() + ", which does not allow this step",
				Metadata: map[string]string{"resource": cur.GetName(), "state": cur.GetState().String()},
			})
		}
		p, err := getProject(tx, n.project)
		if err != nil {
			return nil, err
		}
		next := proto.CloneOf(cur)
		if err := st.change(tx, next, who); err != nil {
			return nil, err
		}
		if st.fix == "" {
			return s.keep(tx, n, p, next)
		}
		r, err := s.write(tx, n, p, next)
		return r, errs.Advise(err, st.fix)
	})
}

// SubmitMonitoringReport implements fami.v1.MonitoringService.
func (s *Service) SubmitMonitoringReport(ctx context.Context, req *famiv1.SubmitMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	return s.transition(ctx, req, step{
		member: true,
		from:   []famiv1.MonitoringReportState{famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT, famiv1.MonitoringReportState_MONITORING_REPORT_STATE_RETURNED},
		change: func(tx store.WriteTx, r *famiv1.MonitoringReport, who principal.Principal) error {
			r.State = famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED
			r.SubmittedBy, r.SubmittedByDisplayName, r.SubmitTime = who.Subject, who.Name(), timestamppb.New(tx.Now())
			return nil
		},
		fix: "update the report against its project's plan, then submit it",
	})
}

// ApproveMonitoringReport implements fami.v1.MonitoringService.
func (s *Service) ApproveMonitoringReport(ctx context.Context, req *famiv1.ApproveMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	return s.review(ctx, req, famiv1.MonitoringReportState_MONITORING_REPORT_STATE_APPROVED, "",
		"return the report to its authors (:return) to fix it; an approved report is locked")
}

// review decides on a submitted report: approved (which clears the reason
// of an earlier return) or returned to its authors with reason; fix is
// the step's (step.fix).
func (s *Service) review(ctx context.Context, req resource.ChangeRequest, to famiv1.MonitoringReportState, reason, fix string) (*famiv1.MonitoringReport, error) {
	return s.transition(ctx, req, step{
		from: []famiv1.MonitoringReportState{famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED},
		change: func(tx store.WriteTx, r *famiv1.MonitoringReport, who principal.Principal) error {
			r.State, r.ReturnReason = to, reason
			r.ReviewedBy, r.ReviewedByDisplayName, r.ReviewTime = who.Subject, who.Name(), timestamppb.New(tx.Now())
			return nil
		},
		fix: fix,
	})
}

// checkReason checks the reason that returning a report to its authors,
// or correcting an approved one, must give.
func checkReason(reason string) error {
	var v errs.Violations
	check.Reason(&v, "reason", reason, true)
	return v.Err()
}

// ReturnMonitoringReport implements fami.v1.MonitoringService.
func (s *Service) ReturnMonitoringReport(ctx context.Context, req *famiv1.ReturnMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	if err := checkReason(req.GetReason()); err != nil {
		return nil, err
	}
	return s.review(ctx, req, famiv1.MonitoringReportState_MONITORING_REPORT_STATE_RETURNED, req.GetReason(), "")
}

// CorrectMonitoringReport implements fami.v1.MonitoringService: the
// approved state is kept as its own resource, "{name}@{revision}", and the
// report goes on as a DRAFT of the next revision.
func (s *Service) CorrectMonitoringReport(ctx context.Context, req *famiv1.CorrectMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	if err := checkReason(req.GetReason()); err != nil {
		return nil, err
	}
	return s.transition(ctx, req, step{
		from: []famiv1.MonitoringReportState{famiv1.MonitoringReportState_MONITORING_REPORT_STATE_APPROVED},
		change: func(tx store.WriteTx, r *famiv1.MonitoringReport, _ principal.Principal) error {
			kept := proto.CloneOf(r)
			kept.Name += "@" + strconv.Itoa(int(r.GetRevision()))
			if err := tx.Put(kept); err != nil {
				return err
			}
			r.State, r.Revision, r.CorrectionReason = famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT, r.GetRevision()+1, req.GetReason()
			r.SubmittedBy, r.SubmittedByDisplayName, r.SubmitTime = "", "", nil
			r.ReviewedBy, r.ReviewedByDisplayName, r.ReviewTime = "", "", nil
			return nil
		},
	})
}
