package auth

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
)

// Rule decides whether principal p may make request req. It returns nil,
// or an Unauthenticated or PermissionDenied error.
type Rule func(p principal.Principal, req proto.Message) error

// Policy maps every RPC (its full procedure name) to its rule. A procedure
// without a rule is refused: deny by default.
type Policy map[string]Rule

// Authorize applies the rule of procedure.
func (pol Policy) Authorize(procedure string, p principal.Principal, req proto.Message) error {
	rule, ok := pol[procedure]
	if !ok {
		return errs.NoPolicy.New("%s is not open to any caller", procedure)
	}
	return rule(p, req)
}

// Public lets anyone call, with or without a token.
func Public(principal.Principal, proto.Message) error { return nil }

// Authenticated lets any caller with a valid token call.
func Authenticated(p principal.Principal, _ proto.Message) error {
	if !p.Authenticated() {
		return errNeedToken()
	}
	return nil
}

// InRegion lets the given roles call on resources of their own region; the
// ministry, when listed, on every region. field is the request field (a
// dotted path) holding the resource name or parent.
func InRegion(field string, roles ...principal.Role) Rule {
	return func(p principal.Principal, req proto.Message) error {
		if !p.Authenticated() {
			return errNeedToken()
		}
		allowed := false
		for _, r := range roles {
			allowed = allowed || r == p.Role
		}
		if !allowed {
			return errs.RoleNotAllowed.New("the %s role may not make this request", p.Role)
		}
		region, err := RegionOf(req, field)
		if err != nil {
			return err
		}
		if p.Role == principal.Ministry || region == p.Region {
			return nil
		}
		if region == "-" {
			return errs.NationalViewNotAllowed.New("only the ministry reads across regions (regions/-)")
		}
		// The same answer whether or not the resource exists there.
		return errs.OutsideRegion.New("you may not access data of region %q", region)
	}
}

func errNeedToken() error {
	return errs.TokenRequired.New("this request needs a bearer token (Authorization: Bearer ...)")
}

// RegionOf reads the region id out of the resource name or parent at field.
func RegionOf(req proto.Message, field string) (string, error) {
	m := req.ProtoReflect()
	parts := strings.Split(field, ".")
	for i, name := range parts {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return "", errs.Internal.New("policy: %s has no field %s", m.Descriptor().FullName(), field)
		}
		if i < len(parts)-1 {
			m = m.Get(fd).Message()
			continue
		}
		v := m.Get(fd).String()
		rest, ok := strings.CutPrefix(v, "regions/")
		region, _, _ := strings.Cut(rest, "/")
		if !ok || region == "" {
			return "", errs.InvalidField(field, "%q is not a name under regions/{region}", clipName(v))
		}
		return region, nil
	}
	return "", errs.Internal.New("policy: empty field path")
}

func clipName(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// The rights table of DESIGN.md section 6, by level.
var (
	readers         = []principal.Role{principal.Ministry, principal.RegionAdmin, principal.Consultant, principal.NetworkMember, principal.RegionalSystem}
	registryWriters = []principal.Role{principal.RegionAdmin, principal.RegionalSystem}
	// Network members may edit the networks their partner leads; the
	// registry checks the lead against the stored network.
	networkEditors = []principal.Role{principal.RegionAdmin, principal.RegionalSystem, principal.NetworkMember}
	accountAdmins  = []principal.Role{principal.Ministry, principal.RegionAdmin}
	tokenAdmins    = []principal.Role{principal.RegionAdmin}
	// Protocols of collaboration are drafted and edited by the region, its
	// consultants and systems, and by network members for the protocols
	// their partner is a party to (the protocols service checks the party
	// against the stored protocol).
	protocolEditors = []principal.Role{principal.RegionAdmin, principal.Consultant, principal.NetworkMember, principal.RegionalSystem}
	// Only a party's staff sign, each for its own partner (checked by the
	// protocols service).
	protocolSigners = []principal.Role{principal.NetworkMember}
	// The change feed is for the systems that mirror a region and for the
	// authorities above them.
	feedReaders = []principal.Role{principal.Ministry, principal.RegionAdmin, principal.RegionalSystem}
	backupers   = []principal.Role{principal.Ministry, principal.RegionAdmin}
	// Compacting drops audit history: the platform operator's call.
	operators = []principal.Role{principal.Ministry}
)

// The support-hours rights of DESIGN.md section 6. Consultants log their
// own entries; the region reviews them and closes periods; reports reach
// the ministry (every region) and network members as summaries only. The
// support service checks what depends on the data: a consultant's own
// entries, a network member's networks, summaries only for the ministry
// and network members.
var (
	supportLoggers   = []principal.Role{principal.Consultant}
	supportReviewers = []principal.Role{principal.RegionAdmin}
	supportReaders   = []principal.Role{principal.RegionAdmin, principal.RegionalSystem, principal.Consultant}
	supportReporters = []principal.Role{principal.Ministry, principal.RegionAdmin, principal.RegionalSystem, principal.Consultant, principal.NetworkMember}
)

// The meeting rights of DESIGN.md section 6: "create / edit meetings:
// region_admin own, consultant own, network_member its networks,
// regional_system own"; reads, calendars and feed tokens like the registry
// (the ministry everywhere, the others in their own region). The meetings
// service checks what depends on the data: a network member's networks,
// whose feed token a caller may revoke.
var meetingEditors = []principal.Role{principal.RegionAdmin, principal.Consultant, principal.NetworkMember, principal.RegionalSystem}

// meetingConveners are the meeting editors and the ministry, which "may
// convene meetings in any region (focus groups and bilateral meetings with
// beneficiaries, which belong to no network)": the meetings service keeps
// the ministry to the meetings of no network.
var meetingConveners = append(slices.Clone(meetingEditors), principal.Ministry)

// The national summaries of DESIGN.md section 6 ("overlaps, national
// summaries"): the ministry everywhere (with regions/-), the region and its
// systems their own region. Consultants are left out: their support
// figures are their own entries only, which a region's dashboard is not.
var dashboardReaders = []principal.Role{principal.Ministry, principal.RegionAdmin, principal.RegionalSystem}

// Overlaps of projects (DESIGN.md section 6, "overlaps, national
// summaries"): the ministry everywhere, the region, its consultants and
// systems their own region; not network members.
var overlapReaders = []principal.Role{principal.Ministry, principal.RegionAdmin, principal.Consultant, principal.RegionalSystem}

// The monitoring rights: the region (and its systems) and the staff of a
// lead partner of a network implementing the project write and submit the
// quarterly reports (the monitoring service checks the network); the region
// admin reviews them and sets the thresholds; every reader of the region,
// and the ministry everywhere, reads reports and summaries.
var (
	reportWriters   = []principal.Role{principal.RegionAdmin, principal.RegionalSystem, principal.NetworkMember}
	reportReviewers = []principal.Role{principal.RegionAdmin}
)

// The contacts register holds professional data of partners' staff: read
// inside the region only (the ministry sees counts, never contacts), kept
// by the region, its consultants and systems.
var (
	contactReaders = []principal.Role{principal.RegionAdmin, principal.Consultant, principal.NetworkMember, principal.RegionalSystem}
	contactWriters = []principal.Role{principal.RegionAdmin, principal.Consultant, principal.RegionalSystem}
)

// The evaluation of the support: consultants record, with each network,
// its capacity measures and run the satisfaction surveys (the region too);
// readers as the registry's.
var assessors = []principal.Role{principal.RegionAdmin, principal.Consultant}

// Rights is the platform's policy: every RPC of every service.
func Rights() Policy {
	return Policy{
		famiv1connect.RegionServiceListRegionsProcedure:        Public,
		famiv1connect.RegionServiceGetRegionProcedure:          Public,
		famiv1connect.RegionServiceListMunicipalitiesProcedure: Public,

		famiv1connect.PartnerServiceGetPartnerProcedure:    InRegion("name", readers...),
		famiv1connect.PartnerServiceListPartnersProcedure:  InRegion("parent", readers...),
		famiv1connect.PartnerServiceCreatePartnerProcedure: InRegion("parent", registryWriters...),
		famiv1connect.PartnerServiceUpdatePartnerProcedure: InRegion("partner.name", registryWriters...),
		famiv1connect.PartnerServiceDeletePartnerProcedure: InRegion("name", registryWriters...),

		famiv1connect.ProjectServiceGetProjectProcedure:    InRegion("name", readers...),
		famiv1connect.ProjectServiceListProjectsProcedure:  InRegion("parent", readers...),
		famiv1connect.ProjectServiceCreateProjectProcedure: InRegion("parent", registryWriters...),
		famiv1connect.ProjectServiceUpdateProjectProcedure: InRegion("project.name", registryWriters...),
		famiv1connect.ProjectServiceDeleteProjectProcedure: InRegion("name", registryWriters...),
		famiv1connect.ProjectServiceExtendProjectProcedure: InRegion("name", registryWriters...),

		famiv1connect.NetworkServiceGetNetworkProcedure:    InRegion("name", readers...),
		famiv1connect.NetworkServiceListNetworksProcedure:  InRegion("parent", readers...),
		famiv1connect.NetworkServiceCreateNetworkProcedure: InRegion("parent", registryWriters...),
		famiv1connect.NetworkServiceUpdateNetworkProcedure: InRegion("network.name", networkEditors...),
		famiv1connect.NetworkServiceDeleteNetworkProcedure: InRegion("name", registryWriters...),

		famiv1connect.ProtocolServiceGetProtocolProcedure:              InRegion("name", readers...),
		famiv1connect.ProtocolServiceListProtocolsProcedure:            InRegion("parent", readers...),
		famiv1connect.ProtocolServiceCreateProtocolProcedure:           InRegion("parent", protocolEditors...),
		famiv1connect.ProtocolServiceUpdateProtocolProcedure:           InRegion("protocol.name", protocolEditors...),
		famiv1connect.ProtocolServiceDeleteProtocolProcedure:           InRegion("name", protocolEditors...),
		famiv1connect.ProtocolServiceOpenProtocolForSignatureProcedure: InRegion("name", protocolEditors...),
		famiv1connect.ProtocolServiceTerminateProtocolProcedure:        InRegion("name", protocolEditors...),
		famiv1connect.ProtocolServiceAmendProtocolProcedure:            InRegion("name", protocolEditors...),
		famiv1connect.ProtocolServiceSignProtocolProcedure:             InRegion("name", protocolSigners...),

		famiv1connect.SyncServiceListChangesProcedure:     InRegion("parent", feedReaders...),
		famiv1connect.SyncServiceWatchProcedure:           InRegion("parent", feedReaders...),
		famiv1connect.AdminServiceBackupRegionProcedure:   InRegion("name", backupers...),
		famiv1connect.AdminServiceCompactChangesProcedure: InRegion("parent", operators...),

		famiv1connect.AuthServiceLoginProcedure:              Public,
		famiv1connect.AuthServiceWhoAmIProcedure:             Public,
		famiv1connect.AuthServiceCreateAccountProcedure:      InRegion("parent", accountAdmins...),
		famiv1connect.AuthServiceGetAccountProcedure:         InRegion("name", accountAdmins...),
		famiv1connect.AuthServiceListAccountsProcedure:       InRegion("parent", accountAdmins...),
		famiv1connect.AuthServiceDeleteAccountProcedure:      InRegion("name", accountAdmins...),
		famiv1connect.AuthServiceSetAccountPasswordProcedure: InRegion("name", accountAdmins...),
		famiv1connect.AuthServiceCreateServiceTokenProcedure: InRegion("parent", tokenAdmins...),
		famiv1connect.AuthServiceListServiceTokensProcedure:  InRegion("parent", tokenAdmins...),
		famiv1connect.AuthServiceRevokeServiceTokenProcedure: InRegion("name", tokenAdmins...),

		famiv1connect.SupportServiceCreateSupportEntryProcedure:         InRegion("parent", supportLoggers...),
		famiv1connect.SupportServiceGetSupportEntryProcedure:            InRegion("name", supportReaders...),
		famiv1connect.SupportServiceListSupportEntriesProcedure:         InRegion("parent", supportReaders...),
		famiv1connect.SupportServiceUpdateSupportEntryProcedure:         InRegion("support_entry.name", supportLoggers...),
		famiv1connect.SupportServiceDeleteSupportEntryProcedure:         InRegion("name", supportLoggers...),
		famiv1connect.SupportServiceBatchApproveSupportEntriesProcedure: InRegion("parent", supportReviewers...),
		famiv1connect.SupportServiceRejectSupportEntryProcedure:         InRegion("name", supportReviewers...),
		famiv1connect.SupportServiceClosePeriodProcedure:                InRegion("parent", supportReviewers...),
		famiv1connect.SupportServiceReopenPeriodProcedure:               InRegion("name", supportReviewers...),
		famiv1connect.SupportServiceListClosedPeriodsProcedure:          InRegion("parent", readers...),
		famiv1connect.SupportServiceSummarizeSupportEntriesProcedure:    InRegion("parent", supportReporters...),
		famiv1connect.SupportServiceExportSupportEntriesProcedure:       InRegion("parent", supportReporters...),

		famiv1connect.MonitoringServiceCreateMonitoringReportProcedure:   InRegion("parent", reportWriters...),
		famiv1connect.MonitoringServiceGetMonitoringReportProcedure:      InRegion("name", readers...),
		famiv1connect.MonitoringServiceListMonitoringReportsProcedure:    InRegion("parent", readers...),
		famiv1connect.MonitoringServiceUpdateMonitoringReportProcedure:   InRegion("monitoring_report.name", reportWriters...),
		famiv1connect.MonitoringServiceSubmitMonitoringReportProcedure:   InRegion("name", reportWriters...),
		famiv1connect.MonitoringServiceApproveMonitoringReportProcedure:  InRegion("name", reportReviewers...),
		famiv1connect.MonitoringServiceReturnMonitoringReportProcedure:   InRegion("name", reportReviewers...),
		famiv1connect.MonitoringServiceCorrectMonitoringReportProcedure:  InRegion("name", reportReviewers...),
		famiv1connect.MonitoringServiceSummarizeMonitoringProcedure:      InRegion("parent", readers...),
		famiv1connect.MonitoringServiceGetMonitoringSettingsProcedure:    InRegion("name", readers...),
		famiv1connect.MonitoringServiceUpdateMonitoringSettingsProcedure: InRegion("monitoring_settings.name", reportReviewers...),

		famiv1connect.ContactServiceCreateContactProcedure: InRegion("parent", contactWriters...),
		famiv1connect.ContactServiceGetContactProcedure:    InRegion("name", contactReaders...),
		famiv1connect.ContactServiceListContactsProcedure:  InRegion("parent", contactReaders...),
		famiv1connect.ContactServiceUpdateContactProcedure: InRegion("contact.name", contactWriters...),
		famiv1connect.ContactServiceDeleteContactProcedure: InRegion("name", contactWriters...),

		famiv1connect.EvaluationServiceCreateCapacityAssessmentProcedure: InRegion("parent", assessors...),
		famiv1connect.EvaluationServiceGetCapacityAssessmentProcedure:    InRegion("name", readers...),
		famiv1connect.EvaluationServiceListCapacityAssessmentsProcedure:  InRegion("parent", readers...),
		famiv1connect.EvaluationServiceUpdateCapacityAssessmentProcedure: InRegion("capacity_assessment.name", assessors...),
		famiv1connect.EvaluationServiceSummarizeCapacityProcedure:        InRegion("parent", readers...),

		famiv1connect.SurveyServiceCreateSurveyProcedure: InRegion("parent", assessors...),
		famiv1connect.SurveyServiceGetSurveyProcedure:    InRegion("name", readers...),
		famiv1connect.SurveyServiceListSurveysProcedure:  InRegion("parent", readers...),
		// Participants answer without an account: the survey's link key and
		// the form's one-time ticket are the credentials, rate-limited per
		// client address.
		famiv1connect.SurveyServiceOpenSurveyProcedure:   Public,
		famiv1connect.SurveyServiceAnswerSurveyProcedure: Public,

		famiv1connect.MeetingServiceGetMeetingProcedure:            InRegion("name", readers...),
		famiv1connect.MeetingServiceListMeetingsProcedure:          InRegion("parent", readers...),
		famiv1connect.MeetingServiceListActionItemsProcedure:       InRegion("parent", readers...),
		famiv1connect.MeetingServiceSummarizeAttendanceProcedure:   InRegion("parent", readers...),
		famiv1connect.MeetingServiceExportMeetingCalendarProcedure: InRegion("parent", readers...),
		famiv1connect.MeetingServiceCreateMeetingProcedure:         InRegion("parent", meetingConveners...),
		famiv1connect.MeetingServiceUpdateMeetingProcedure:         InRegion("meeting.name", meetingConveners...),
		famiv1connect.MeetingServiceDeleteMeetingProcedure:         InRegion("name", meetingConveners...),
		famiv1connect.MeetingServiceCancelMeetingProcedure:         InRegion("name", meetingConveners...),
		famiv1connect.MeetingServiceRecordAttendanceProcedure:      InRegion("name", meetingConveners...),
		famiv1connect.MeetingServiceRecordMinutesProcedure:         InRegion("name", meetingConveners...),
		famiv1connect.MeetingServiceUpdateActionItemProcedure:      InRegion("name", meetingConveners...),
		famiv1connect.MeetingServiceCreateCalendarTokenProcedure:   InRegion("parent", readers...),
		famiv1connect.MeetingServiceListCalendarTokensProcedure:    InRegion("parent", readers...),
		famiv1connect.MeetingServiceRevokeCalendarTokenProcedure:   InRegion("name", readers...),

		famiv1connect.DashboardServiceSummarizeRegionsProcedure: InRegion("name", dashboardReaders...),
		famiv1connect.OverlapServiceListOverlapsProcedure:       InRegion("parent", overlapReaders...),
	}
}
