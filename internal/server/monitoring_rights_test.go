package server_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server/servertest"
)

// ---- MonitoringService (issue 18) ----
//
// The rows of the README's "Quarterly monitoring" rights table, and the
// matrix's cases of every MonitoringService RPC. Network members write and
// submit the reports of the projects a network led by their partner
// implements: the leadsOwn scope, the matrix's calls act on such a project,
// and the network member's cells also try a project no network of theirs
// implements (NOT_PROJECT_NETWORK).

const (
	rightReadReports   right = "read monitoring reports, summaries and thresholds"
	rightWriteReports  right = "write and submit monitoring reports"
	rightReviewReports right = "approve, return and correct monitoring reports; set thresholds"
)

func init() {
	// | read monitoring reports, summaries and thresholds | all regions | own | own | own | own | no |
	readmeRights[rightReadReports] = readmeRow(everywhere, own, own, own, own, never)
	// | write and submit monitoring reports | no | own | no | projects of networks its partner leads | own | no |
	readmeRights[rightWriteReports] = readmeRow(never, own, never, leadsOwn, own, never)
	// | approve, return and correct monitoring reports; set thresholds | no | own | no | no | no | no |
	readmeRights[rightReviewReports] = readmeRow(never, own, never, never, never, never)
}

// monitoringMatrix is the MonitoringService side of one surface's
// matrixEnv, built on the first monitoring cell's setup (cells of one env
// run one at a time).
type monitoringMatrix struct {
	as     map[string]surface
	admins map[string]surface
	fx     map[string]*monitoringFixtures
	// quarters hands out fresh quarters to the reports cells create.
	quarters int
}

// monitoringFixtures are one region's: project, implemented by a network
// led by the fixture lead (the network member's partner), with reports in
// each state; other, a project no network implements, with a draft.
type monitoringFixtures struct {
	project, other                         string
	draft, submitted, approved, otherDraft string
}

var monitoringMatrices perEnv[*monitoringMatrix]

// matrixPlanProject is a project with a plan long enough for every
// quarter the matrix uses (2014 to 2039).
func matrixPlanProject(code string) *famiv1.Project {
	return &famiv1.Project{
		Code: code, Title: "Project " + code + " " + secretMarker, Fund: famiv1.Fund_FUND_FAMI_2014_2020,
		Actions:   []*famiv1.ProjectAction{{Code: "01", Title: "Scuola"}},
		StartDate: "2014-01-01", EndDate: "2039-12-31",
		Timetable:  []*famiv1.PlannedActivity{{Code: "01.1", Action: "01", Title: "Corsi", PlannedStart: "2014-01-01", PlannedEnd: "2039-12-31"}},
		Indicators: []*famiv1.Indicator{{Code: "OUT-01", Name: "Corsi", Unit: "corsi", Kind: famiv1.IndicatorKind_INDICATOR_KIND_OUTPUT, Target: 10, TargetDate: "2039-12-31"}},
	}
}

// matrixReport is a valid report of matrixPlanProject.
func matrixReport() *famiv1.MonitoringReport {
	return &famiv1.MonitoringReport{
		Activities:      []*famiv1.ActivityStatus{{Activity: "01.1", State: famiv1.ActivityState_ACTIVITY_STATE_ON_SCHEDULE, ActualStart: "2014-01-02"}},
		IndicatorValues: []*famiv1.IndicatorValue{{Indicator: "OUT-01", Value: 1}},
		Notes:           "Report " + secretMarker,
	}
}

// mon returns the env's monitoringMatrix, building it on first use.
func (c *matrixCall) mon() *monitoringMatrix {
	c.t.Helper()
	return monitoringMatrices.get(c.env, c.newMonitoringMatrix)
}

func (c *matrixCall) newMonitoringMatrix(*testing.T) *monitoringMatrix {
	e := c.env
	mm := &monitoringMatrix{as: c.roleSurfaces(), admins: e.admins, fx: map[string]*monitoringFixtures{}}
	ctx := c.ctx
	for _, region := range []string{ownRegion, foreignRegion} {
		fx, mfx, parent := e.fx[region], &monitoringFixtures{}, "regions/"+region
		for _, p := range []struct {
			id   string
			into *string
		}{{"fx-mon-project", &mfx.project}, {"fx-mon-other", &mfx.other}} {
			*p.into = mustOK(e.admins[region].CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: parent, ProjectId: p.id,
				Project: matrixPlanProject(fmt.Sprintf("MON-%05d", e.seq.Add(1)))}))(c.t, "monitoring fixture project").GetName()
		}
		mustOK(e.admins[region].CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: parent, NetworkId: "fx-mon-network", Network: &famiv1.Network{
			DisplayName: "Network fx-mon-network " + secretMarker, LeadPartner: fx.lead,
			Members:  []*famiv1.Member{{Partner: fx.lead, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}, {Partner: fx.member, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}},
			Projects: []*famiv1.NetworkProject{{Project: mfx.project, Actions: []string{"01"}}},
		}}))(c.t, "monitoring fixture network")
		mfx.draft = mustOK(mm.newReport(c, region, mfx.project, "2014-q1", famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT))(c.t, "fixture report").GetName()
		mfx.submitted = mustOK(mm.newReport(c, region, mfx.project, "2014-q2", famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED))(c.t, "fixture report").GetName()
		mfx.approved = mustOK(mm.newReport(c, region, mfx.project, "2014-q3", famiv1.MonitoringReportState_MONITORING_REPORT_STATE_APPROVED))(c.t, "fixture report").GetName()
		mfx.otherDraft = mustOK(mm.newReport(c, region, mfx.other, "2014-q1", famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT))(c.t, "fixture report").GetName()
		mm.fx[region] = mfx
	}
	return mm
}

// newReport creates, as region's admin, project's report of period and
// takes it to state.
func (mm *monitoringMatrix) newReport(c *matrixCall, region, project, period string, state famiv1.MonitoringReportState) (*famiv1.MonitoringReport, error) {
	admin := mm.admins[region]
	r, err := admin.CreateMonitoringReport(c.ctx, &famiv1.CreateMonitoringReportRequest{Parent: project, MonitoringReportId: period, MonitoringReport: matrixReport()})
	if err != nil || state == famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT {
		return r, err
	}
	if r, err = admin.SubmitMonitoringReport(c.ctx, &famiv1.SubmitMonitoringReportRequest{Name: r.GetName()}); err != nil || state == famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED {
		return r, err
	}
	return admin.ApproveMonitoringReport(c.ctx, &famiv1.ApproveMonitoringReportRequest{Name: r.GetName()})
}

// quarter hands out a quarter no report of the fixture project has yet.
func (mm *monitoringMatrix) quarter() string {
	n := mm.quarters
	mm.quarters++
	return fmt.Sprintf("%d-q%d", 2015+n/4, 1+n%4)
}

// newCellReport makes the cell's report: a fresh one in state when the
// README allows the call, the fixture in that state otherwise (a refused
// call must write nothing).
func (c *matrixCall) newCellReport(state famiv1.MonitoringReportState) {
	c.t.Helper()
	mm := c.mon()
	mfx := mm.fx[c.region]
	if !c.allowed {
		c.target = map[famiv1.MonitoringReportState]string{
			famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT:     mfx.draft,
			famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED: mfx.submitted,
			famiv1.MonitoringReportState_MONITORING_REPORT_STATE_APPROVED:  mfx.approved,
		}[state]
		return
	}
	c.target = mustOK(mm.newReport(c, c.region, mfx.project, mm.quarter(), state))(c.t, "cell report").GetName()
}

func (c *matrixCall) monc() surface              { return c.mon().as[c.role] }
func (c *matrixCall) monfx() *monitoringFixtures { return c.mon().fx[c.region] }
func wantReportState(st famiv1.MonitoringReportState) func(c *matrixCall, res proto.Message) {
	return func(c *matrixCall, res proto.Message) {
		if got := res.(*famiv1.MonitoringReport).GetState(); got != st {
			c.t.Errorf("got state %s, want %s", got, st)
		}
	}
}

// monitoringMatrixCases maps every MonitoringService RPC to how the matrix
// calls it.
func monitoringMatrixCases() map[string]matrixCase {
	notNetwork := wantErr{code: codes.PermissionDenied, reason: "NOT_PROJECT_NETWORK"}
	notes := &fieldmaskpb.FieldMask{Paths: []string{"notes"}}
	build := func(c *matrixCall) { c.mon() }
	return map[string]matrixCase{
		"/fami.v1.MonitoringService/CreateMonitoringReport": {right: rightWriteReports, scoped: true,
			setup: func(c *matrixCall) { c.date = c.mon().quarter() },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.monc().CreateMonitoringReport(c.ctx, &famiv1.CreateMonitoringReportRequest{Parent: c.monfx().project, MonitoringReportId: c.date, MonitoringReport: matrixReport()}))
			},
			check: func(c *matrixCall, res proto.Message) {
				wantReportState(famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT)(c, res)
				if c.role == roleNetworkMember {
					c.env.expectRefusal(c.t, notNetwork, func() (proto.Message, error) {
						return ret(c.monc().CreateMonitoringReport(c.ctx, &famiv1.CreateMonitoringReportRequest{Parent: c.monfx().other, MonitoringReportId: "2020-q1", MonitoringReport: matrixReport()}))
					})
				}
			}},
		"/fami.v1.MonitoringService/GetMonitoringReport": {right: rightReadReports, scoped: true, setup: build,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.monc().GetMonitoringReport(c.ctx, &famiv1.GetMonitoringReportRequest{Name: c.monfx().approved}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := res.(*famiv1.MonitoringReport).GetName(); got != c.monfx().approved {
					c.t.Errorf("got %q, want %q", got, c.monfx().approved)
				}
			}},
		"/fami.v1.MonitoringService/ListMonitoringReports": {right: rightReadReports, scoped: true, setup: build,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.monc().ListMonitoringReports(c.ctx, &famiv1.ListMonitoringReportsRequest{Parent: c.monfx().project, PageSize: 1000}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := names(res.(*famiv1.ListMonitoringReportsResponse).GetMonitoringReports()); !slices.Contains(got, c.monfx().draft) || !slices.Contains(got, c.monfx().approved) {
					c.t.Errorf("got %q, want the fixtures among them", got)
				}
			}},
		"/fami.v1.MonitoringService/UpdateMonitoringReport": {right: rightWriteReports, scoped: true,
			setup: func(c *matrixCall) { c.newCellReport(famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.monc().UpdateMonitoringReport(c.ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: &famiv1.MonitoringReport{Name: c.target, Notes: "Updated"}, UpdateMask: notes}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if c.role == roleNetworkMember {
					c.env.expectRefusal(c.t, notNetwork, func() (proto.Message, error) {
						return ret(c.monc().UpdateMonitoringReport(c.ctx, &famiv1.UpdateMonitoringReportRequest{MonitoringReport: &famiv1.MonitoringReport{Name: c.monfx().otherDraft, Notes: "Updated"}, UpdateMask: notes}))
					})
				}
			}},
		"/fami.v1.MonitoringService/SubmitMonitoringReport": {right: rightWriteReports, scoped: true,
			setup: func(c *matrixCall) { c.newCellReport(famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.monc().SubmitMonitoringReport(c.ctx, &famiv1.SubmitMonitoringReportRequest{Name: c.target}))
			},
			check: func(c *matrixCall, res proto.Message) {
				wantReportState(famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED)(c, res)
				if c.role == roleNetworkMember {
					c.env.expectRefusal(c.t, notNetwork, func() (proto.Message, error) {
						return ret(c.monc().SubmitMonitoringReport(c.ctx, &famiv1.SubmitMonitoringReportRequest{Name: c.monfx().otherDraft}))
					})
				}
			}},
		"/fami.v1.MonitoringService/ApproveMonitoringReport": {right: rightReviewReports, scoped: true,
			setup: func(c *matrixCall) { c.newCellReport(famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.monc().ApproveMonitoringReport(c.ctx, &famiv1.ApproveMonitoringReportRequest{Name: c.target}))
			},
			check: wantReportState(famiv1.MonitoringReportState_MONITORING_REPORT_STATE_APPROVED)},
		"/fami.v1.MonitoringService/ReturnMonitoringReport": {right: rightReviewReports, scoped: true,
			setup: func(c *matrixCall) { c.newCellReport(famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.monc().ReturnMonitoringReport(c.ctx, &famiv1.ReturnMonitoringReportRequest{Name: c.target, Reason: "Incomplete"}))
			},
			check: wantReportState(famiv1.MonitoringReportState_MONITORING_REPORT_STATE_RETURNED)},
		"/fami.v1.MonitoringService/CorrectMonitoringReport": {right: rightReviewReports, scoped: true,
			setup: func(c *matrixCall) { c.newCellReport(famiv1.MonitoringReportState_MONITORING_REPORT_STATE_APPROVED) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.monc().CorrectMonitoringReport(c.ctx, &famiv1.CorrectMonitoringReportRequest{Name: c.target, Reason: "Payments left out"}))
			},
			check: wantReportState(famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT)},
		"/fami.v1.MonitoringService/SummarizeMonitoring": {right: rightReadReports, scoped: true, setup: build,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.monc().SummarizeMonitoring(c.ctx, &famiv1.SummarizeMonitoringRequest{Parent: c.parent, Period: "2014-q3"}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := res.(*famiv1.MonitoringSummary).GetReportStates(); len(got) == 0 {
					c.t.Errorf("got no report states, want the fixture's")
				}
			}},
		"/fami.v1.MonitoringService/ListOverdueProjects": {right: rightReadReports, scoped: true, setup: build,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.monc().ListOverdueProjects(c.ctx, &famiv1.ListOverdueProjectsRequest{Parent: c.parent, Period: "2014-q3"}))
			},
			check: func(c *matrixCall, res proto.Message) {
				var names []string
				for _, p := range res.(*famiv1.ListOverdueProjectsResponse).GetProjects() {
					names = append(names, p.GetName())
				}
				if fx := c.monfx(); !slices.Contains(names, fx.other) || slices.Contains(names, fx.project) {
					c.t.Errorf("overdue in 2014-q3: got %q, want %s (no report) and not %s (approved)", names, fx.other, fx.project)
				}
			}},
		"/fami.v1.MonitoringService/GetMonitoringSettings": {right: rightReadReports, scoped: true, setup: build,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.monc().GetMonitoringSettings(c.ctx, &famiv1.GetMonitoringSettingsRequest{Name: c.parent + "/settings/monitoring"}))
			}},
		"/fami.v1.MonitoringService/UpdateMonitoringSettings": {right: rightReviewReports, scoped: true, setup: build,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.monc().UpdateMonitoringSettings(c.ctx, &famiv1.UpdateMonitoringSettingsRequest{MonitoringSettings: &famiv1.MonitoringSettings{Name: c.parent + "/settings/monitoring", BehindThresholdPercent: 20}}))
			}},
	}
}

// ---- ContactService (issue 18) ----

const (
	rightReadContacts  right = "read contacts (partners' staff)"
	rightWriteContacts right = "register, edit and delete contacts"
)

func init() {
	// | read contacts (partners' staff) | no | own | own | own | own | no |
	readmeRights[rightReadContacts] = readmeRow(never, own, own, own, own, never)
	// | register, edit and delete contacts | no | own | own | no | own | no |
	readmeRights[rightWriteContacts] = readmeRow(never, own, own, never, own, never)
}

// contacts calls ContactService as the cell's role.
func (c *matrixCall) contacts() surface { return c.roleSurfaces()[c.role] }

// matrixContact is a contact of the fixture lead.
func matrixContact(c *matrixCall) *famiv1.Contact {
	return &famiv1.Contact{DisplayName: "Contact " + secretMarker, Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_CULTURAL_MEDIATOR, Partner: c.fx.lead}
}

// newContact makes the cell's contact, as the region's admin, before the
// refused calls' snapshot.
func (c *matrixCall) newContact() {
	c.t.Helper()
	ct := mustOK(c.roleSurfaces()["admin:"+c.region].CreateContact(c.ctx, &famiv1.CreateContactRequest{Parent: c.parent, ContactId: c.id, Contact: matrixContact(c)}))(c.t, "create contact")
	c.target = ct.GetName()
}

// contactMatrixCases maps every ContactService RPC to how the matrix calls
// it.
func contactMatrixCases() map[string]matrixCase {
	return map[string]matrixCase{
		"/fami.v1.ContactService/CreateContact": {right: rightWriteContacts, scoped: true, setup: func(c *matrixCall) { c.mon() },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.contacts().CreateContact(c.ctx, &famiv1.CreateContactRequest{Parent: c.parent, ContactId: c.id, Contact: matrixContact(c)}))
			}},
		"/fami.v1.ContactService/GetContact": {right: rightReadContacts, scoped: true, setup: (*matrixCall).newContact,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.contacts().GetContact(c.ctx, &famiv1.GetContactRequest{Name: c.target}))
			}},
		"/fami.v1.ContactService/ListContacts": {right: rightReadContacts, scoped: true, setup: (*matrixCall).newContact,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.contacts().ListContacts(c.ctx, &famiv1.ListContactsRequest{Parent: c.parent, PageSize: 1000}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := names(res.(*famiv1.ListContactsResponse).GetContacts()); !slices.Contains(got, c.target) {
					c.t.Errorf("got %q, want %q among them", got, c.target)
				}
			}},
		"/fami.v1.ContactService/UpdateContact": {right: rightWriteContacts, scoped: true, setup: (*matrixCall).newContact,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.contacts().UpdateContact(c.ctx, &famiv1.UpdateContactRequest{Contact: &famiv1.Contact{Name: c.target, Phone: "+39 02 1234"},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"phone"}}}))
			}},
		"/fami.v1.ContactService/DeleteContact": {right: rightWriteContacts, scoped: true, setup: (*matrixCall).newContact,
			call: func(c *matrixCall) (proto.Message, error) {
				return nil, func() error {
					_, err := c.contacts().DeleteContact(c.ctx, &famiv1.DeleteContactRequest{Name: c.target})
					return err
				}()
			}},
	}
}

// ---- EvaluationService (issue 18) ----

const (
	rightReadCapacity  right = "read capacity measures and their averages"
	rightWriteCapacity right = "record capacity measures (T0, T1)"
)

func init() {
	// | read capacity measures and their averages | all regions | own | own | own | own | no |
	readmeRights[rightReadCapacity] = readmeRow(everywhere, own, own, own, own, never)
	// | record capacity measures (T0, T1) | no | own | own | no | no | no |
	readmeRights[rightWriteCapacity] = readmeRow(never, own, own, never, never, never)
}

// eval calls EvaluationService as role ("admin:{region}" for a region's
// admin).
func (c *matrixCall) eval(role string) surface {
	return c.roleSurfaces()[role]
}

// newAssessment makes the cell's assessment of the fixture network, as the
// region's admin, before the refused calls' snapshot.
func (c *matrixCall) newAssessment() {
	c.t.Helper()
	a := mustOK(c.eval("admin:"+c.region).CreateCapacityAssessment(c.ctx, &famiv1.CreateCapacityAssessmentRequest{Parent: c.fx.network, CapacityAssessmentId: c.id,
		CapacityAssessment: &famiv1.CapacityAssessment{DisplayName: "Measure " + secretMarker, T0: 2, T0Date: "2021-02-10"}}))(c.t, "create assessment")
	c.target = a.GetName()
}

// evaluationMatrixCases maps every EvaluationService RPC to how the
// matrix calls it.
func evaluationMatrixCases() map[string]matrixCase {
	return map[string]matrixCase{
		"/fami.v1.EvaluationService/CreateCapacityAssessment": {right: rightWriteCapacity, scoped: true, setup: func(c *matrixCall) { c.eval(c.role) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.eval(c.role).CreateCapacityAssessment(c.ctx, &famiv1.CreateCapacityAssessmentRequest{Parent: c.fx.network, CapacityAssessmentId: c.id,
					CapacityAssessment: &famiv1.CapacityAssessment{DisplayName: "Measure", T0: 2, T0Date: "2021-02-10"}}))
			}},
		"/fami.v1.EvaluationService/GetCapacityAssessment": {right: rightReadCapacity, scoped: true, setup: (*matrixCall).newAssessment,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.eval(c.role).GetCapacityAssessment(c.ctx, &famiv1.GetCapacityAssessmentRequest{Name: c.target}))
			}},
		"/fami.v1.EvaluationService/ListCapacityAssessments": {right: rightReadCapacity, scoped: true, setup: (*matrixCall).newAssessment,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.eval(c.role).ListCapacityAssessments(c.ctx, &famiv1.ListCapacityAssessmentsRequest{Parent: c.fx.network, PageSize: 1000}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := names(res.(*famiv1.ListCapacityAssessmentsResponse).GetCapacityAssessments()); !slices.Contains(got, c.target) {
					c.t.Errorf("got %q, want %q among them", got, c.target)
				}
			}},
		"/fami.v1.EvaluationService/UpdateCapacityAssessment": {right: rightWriteCapacity, scoped: true, setup: (*matrixCall).newAssessment,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.eval(c.role).UpdateCapacityAssessment(c.ctx, &famiv1.UpdateCapacityAssessmentRequest{
					CapacityAssessment: &famiv1.CapacityAssessment{Name: c.target, T1: proto.Float64(4), T1Date: "2022-06-15"},
					UpdateMask:         &fieldmaskpb.FieldMask{Paths: []string{"t1", "t1_date"}}}))
			}},
		"/fami.v1.EvaluationService/SummarizeCapacity": {right: rightReadCapacity, scoped: true, setup: func(c *matrixCall) { c.eval(c.role) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.eval(c.role).SummarizeCapacity(c.ctx, &famiv1.SummarizeCapacityRequest{Parent: c.parent}))
			}},
	}
}

// ---- SurveyService (issue 18) ----

const (
	rightReadSurveys   right = "read satisfaction surveys and their results"
	rightCreateSurveys right = "create satisfaction surveys"
	rightAnswerSurveys right = "open and answer a survey, with its link"
)

func init() {
	// | read satisfaction surveys and their results | all regions | own | own | own | own | no |
	readmeRights[rightReadSurveys] = readmeRow(everywhere, own, own, own, own, never)
	// | create satisfaction surveys | no | own | own | no | no | no |
	readmeRights[rightCreateSurveys] = readmeRow(never, own, own, never, never, never)
	// | open and answer a survey, with its link | yes | yes | yes | yes | yes | yes |
	readmeRights[rightAnswerSurveys] = readmeRow(everywhere, everywhere, everywhere, everywhere, everywhere, everywhere)
}

// surveys calls SurveyService as role ("admin:{region}" for a region's
// admin).
func (c *matrixCall) surveys(role string) surface {
	return c.roleSurfaces()[role]
}

func matrixSurvey() *famiv1.Survey {
	return &famiv1.Survey{Title: "Survey " + secretMarker, CloseTime: timestamppb.New(servertest.Now().Add(time.Hour)),
		Questions: []*famiv1.SurveyQuestion{{Id: "utilita", Text: "Utile?", Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE}}}
}

// newSurvey makes the cell's survey as the region's admin; with a form
// opened (its ticket in c.hash) when form.
func (c *matrixCall) newSurvey(form bool) {
	c.t.Helper()
	admin := c.surveys("admin:" + c.region)
	sv := mustOK(admin.CreateSurvey(c.ctx, &famiv1.CreateSurveyRequest{Parent: c.parent, SurveyId: c.id, Survey: matrixSurvey()}))(c.t, "create survey")
	c.target, c.date = sv.GetName(), sv.GetLinkKey()
	if form {
		c.hash = mustOK(admin.OpenSurvey(c.ctx, &famiv1.OpenSurveyRequest{Name: sv.GetName(), LinkKey: sv.GetLinkKey()}))(c.t, "open survey").GetTicket()
	}
}

// surveyMatrixCases maps every SurveyService RPC to how the matrix calls
// it. c.date carries the survey's link key.
func surveyMatrixCases() map[string]matrixCase {
	return map[string]matrixCase{
		"/fami.v1.SurveyService/CreateSurvey": {right: rightCreateSurveys, scoped: true, setup: func(c *matrixCall) { c.surveys(c.role) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.surveys(c.role).CreateSurvey(c.ctx, &famiv1.CreateSurveyRequest{Parent: c.parent, SurveyId: c.id, Survey: matrixSurvey()}))
			}},
		"/fami.v1.SurveyService/GetSurvey": {right: rightReadSurveys, scoped: true, setup: func(c *matrixCall) { c.newSurvey(false) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.surveys(c.role).GetSurvey(c.ctx, &famiv1.GetSurveyRequest{Name: c.target}))
			}},
		"/fami.v1.SurveyService/ListSurveys": {right: rightReadSurveys, scoped: true, setup: func(c *matrixCall) { c.newSurvey(false) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.surveys(c.role).ListSurveys(c.ctx, &famiv1.ListSurveysRequest{Parent: c.parent, PageSize: 1000}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := names(res.(*famiv1.ListSurveysResponse).GetSurveys()); !slices.Contains(got, c.target) {
					c.t.Errorf("got %q, want %q among them", got, c.target)
				}
			}},
		"/fami.v1.SurveyService/OpenSurvey": {right: rightAnswerSurveys, scoped: true, setup: func(c *matrixCall) { c.newSurvey(false) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.surveys(c.role).OpenSurvey(c.ctx, &famiv1.OpenSurveyRequest{Name: c.target, LinkKey: c.date}))
			}},
		"/fami.v1.SurveyService/AnswerSurvey": {right: rightAnswerSurveys, scoped: true, setup: func(c *matrixCall) { c.newSurvey(true) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.surveys(c.role).AnswerSurvey(c.ctx, &famiv1.AnswerSurveyRequest{Name: c.target, Ticket: c.hash,
					Answers: []*famiv1.SurveyAnswer{{Question: "utilita", Score: 4}}}))
			}},
	}
}
