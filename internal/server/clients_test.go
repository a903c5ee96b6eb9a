package server_test

// surface's RPCs are the generated gRPC clients' (gen/fami/v1), one per
// service, all made over rpcClient (client_test.go), which carries every
// call on its surface: grpc-go, Connect, gRPC-Web or, through httpRules,
// REST. A new service adds its client to surface and its rules here.

import (
	"context"
	"net/http"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
)

// surface is one way of calling the API: gRPC, Connect, gRPC-Web or REST.
// It has every service's RPCs, takes and returns the generated messages
// and reports a failed call as a *callError (surface_test.go), so one
// scenario runs unchanged on all of them. Its streams (Watch,
// BackupRegion) open on the gRPC surface only; sync_test.go's feeds open
// them on every surface.
type surface struct {
	c *rpcClient
	famiv1.RegionServiceClient
	famiv1.PartnerServiceClient
	famiv1.ProjectServiceClient
	famiv1.NetworkServiceClient
	famiv1.AuthServiceClient
	famiv1.ProtocolServiceClient
	famiv1.SupportServiceClient
	famiv1.MeetingServiceClient
	famiv1.ContactServiceClient
	famiv1.SurveyServiceClient
	famiv1.EvaluationServiceClient
	famiv1.MonitoringServiceClient
	famiv1.DashboardServiceClient
	famiv1.OverlapServiceClient
	famiv1.SyncServiceClient
	famiv1.AdminServiceClient
}

// surfaceOf returns the surface that calls through c.
func surfaceOf(c *rpcClient) surface {
	return surface{
		c:                       c,
		RegionServiceClient:     famiv1.NewRegionServiceClient(c),
		PartnerServiceClient:    famiv1.NewPartnerServiceClient(c),
		ProjectServiceClient:    famiv1.NewProjectServiceClient(c),
		NetworkServiceClient:    famiv1.NewNetworkServiceClient(c),
		AuthServiceClient:       famiv1.NewAuthServiceClient(c),
		ProtocolServiceClient:   famiv1.NewProtocolServiceClient(c),
		SupportServiceClient:    famiv1.NewSupportServiceClient(c),
		MeetingServiceClient:    famiv1.NewMeetingServiceClient(c),
		ContactServiceClient:    famiv1.NewContactServiceClient(c),
		SurveyServiceClient:     famiv1.NewSurveyServiceClient(c),
		EvaluationServiceClient: famiv1.NewEvaluationServiceClient(c),
		MonitoringServiceClient: famiv1.NewMonitoringServiceClient(c),
		DashboardServiceClient:  famiv1.NewDashboardServiceClient(c),
		OverlapServiceClient:    famiv1.NewOverlapServiceClient(c),
		SyncServiceClient:       famiv1.NewSyncServiceClient(c),
		AdminServiceClient:      famiv1.NewAdminServiceClient(c),
	}
}

// httpRules is fami_http.yaml's rule of every unary RPC, restated rather
// than read from the YAML so that a changed URL fails the tests as it
// would fail a client.
var httpRules = map[string]route{
	famiv1connect.RegionServiceListRegionsProcedure:        httpGet("/v1/regions"),
	famiv1connect.RegionServiceGetRegionProcedure:          httpGet("/v1/{name}"),
	famiv1connect.RegionServiceListMunicipalitiesProcedure: httpGet("/v1/{parent}/municipalities"),

	famiv1connect.PartnerServiceCreatePartnerProcedure:    httpPost("/v1/{parent}/partners", "partner"),
	famiv1connect.PartnerServiceGetPartnerProcedure:       httpGet("/v1/{name}"),
	famiv1connect.PartnerServiceBatchGetPartnersProcedure: httpGet("/v1/{parent}/partners:batchGet"),
	famiv1connect.PartnerServiceListPartnersProcedure:     httpGet("/v1/{parent}/partners"),
	famiv1connect.PartnerServiceUpdatePartnerProcedure:    httpPatch("/v1/{partner.name}", "partner"),
	famiv1connect.PartnerServiceDeletePartnerProcedure:    httpDelete("/v1/{name}"),

	famiv1connect.ProjectServiceCreateProjectProcedure:    httpPost("/v1/{parent}/projects", "project"),
	famiv1connect.ProjectServiceGetProjectProcedure:       httpGet("/v1/{name}"),
	famiv1connect.ProjectServiceBatchGetProjectsProcedure: httpGet("/v1/{parent}/projects:batchGet"),
	famiv1connect.ProjectServiceListProjectsProcedure:     httpGet("/v1/{parent}/projects"),
	famiv1connect.ProjectServiceUpdateProjectProcedure:    httpPatch("/v1/{project.name}", "project"),
	famiv1connect.ProjectServiceDeleteProjectProcedure:    httpDelete("/v1/{name}"),
	famiv1connect.ProjectServiceExtendProjectProcedure:    httpPost("/v1/{name}:extend", "*"),

	famiv1connect.NetworkServiceCreateNetworkProcedure:    httpPost("/v1/{parent}/networks", "network"),
	famiv1connect.NetworkServiceGetNetworkProcedure:       httpGet("/v1/{name}"),
	famiv1connect.NetworkServiceBatchGetNetworksProcedure: httpGet("/v1/{parent}/networks:batchGet"),
	famiv1connect.NetworkServiceListNetworksProcedure:     httpGet("/v1/{parent}/networks"),
	famiv1connect.NetworkServiceUpdateNetworkProcedure:    httpPatch("/v1/{network.name}", "network"),
	famiv1connect.NetworkServiceDeleteNetworkProcedure:    httpDelete("/v1/{name}"),

	famiv1connect.AuthServiceLoginProcedure:              httpPost("/v1/auth:login", "*"),
	famiv1connect.AuthServiceWhoAmIProcedure:             httpGet("/v1/auth:whoami"),
	famiv1connect.AuthServiceLogoutProcedure:             httpPost("/v1/auth:logout", "*"),
	famiv1connect.AuthServiceCreateAccountProcedure:      httpPost("/v1/{parent}/accounts", "*"),
	famiv1connect.AuthServiceGetAccountProcedure:         httpGet("/v1/{name}"),
	famiv1connect.AuthServiceListAccountsProcedure:       httpGet("/v1/{parent}/accounts"),
	famiv1connect.AuthServiceDeleteAccountProcedure:      httpDelete("/v1/{name}"),
	famiv1connect.AuthServiceSetAccountPasswordProcedure: httpPost("/v1/{name}:setPassword", "*"),
	famiv1connect.AuthServiceCreateServiceTokenProcedure: httpPost("/v1/{parent}/serviceTokens", "*"),
	famiv1connect.AuthServiceListServiceTokensProcedure:  httpGet("/v1/{parent}/serviceTokens"),
	famiv1connect.AuthServiceRevokeServiceTokenProcedure: httpPost("/v1/{name}:revoke", "*"),

	famiv1connect.ProtocolServiceCreateProtocolProcedure:           httpPost("/v1/{parent}/protocols", "protocol"),
	famiv1connect.ProtocolServiceGetProtocolProcedure:              httpGet("/v1/{name}"),
	famiv1connect.ProtocolServiceListProtocolsProcedure:            httpGet("/v1/{parent}/protocols"),
	famiv1connect.ProtocolServiceUpdateProtocolProcedure:           httpPatch("/v1/{protocol.name}", "protocol"),
	famiv1connect.ProtocolServiceDeleteProtocolProcedure:           httpDelete("/v1/{name}"),
	famiv1connect.ProtocolServiceOpenProtocolForSignatureProcedure: httpPost("/v1/{name}:openForSignature", "*"),
	famiv1connect.ProtocolServiceSignProtocolProcedure:             httpPost("/v1/{name}:sign", "*"),
	famiv1connect.ProtocolServiceTerminateProtocolProcedure:        httpPost("/v1/{name}:terminate", "*"),
	famiv1connect.ProtocolServiceAmendProtocolProcedure:            httpPost("/v1/{name}:amend", "*"),

	famiv1connect.SupportServiceCreateSupportEntryProcedure:         httpPost("/v1/{parent}/supportEntries", "support_entry"),
	famiv1connect.SupportServiceGetSupportEntryProcedure:            httpGet("/v1/{name}"),
	famiv1connect.SupportServiceListSupportEntriesProcedure:         httpGet("/v1/{parent}/supportEntries"),
	famiv1connect.SupportServiceUpdateSupportEntryProcedure:         httpPatch("/v1/{support_entry.name}", "support_entry"),
	famiv1connect.SupportServiceBatchApproveSupportEntriesProcedure: httpPost("/v1/{parent}/supportEntries:batchApprove", "*"),
	famiv1connect.SupportServiceBatchRejectSupportEntriesProcedure:  httpPost("/v1/{parent}/supportEntries:batchReject", "*"),
	famiv1connect.SupportServiceRejectSupportEntryProcedure:         httpPost("/v1/{name}:reject", "*"),
	famiv1connect.SupportServiceClosePeriodProcedure:                httpPost("/v1/{parent}/closedPeriods", "closed_period"),
	famiv1connect.SupportServiceReopenPeriodProcedure:               httpPost("/v1/{name}:reopen", "*"),
	famiv1connect.SupportServiceListClosedPeriodsProcedure:          httpGet("/v1/{parent}/closedPeriods"),
	famiv1connect.SupportServiceSummarizeSupportEntriesProcedure:    httpGet("/v1/{parent}/supportEntries:summarize"),
	famiv1connect.SupportServiceDeleteSupportEntryProcedure:         httpDelete("/v1/{name}"),

	famiv1connect.MeetingServiceCreateMeetingProcedure:       httpPost("/v1/{parent}/meetings", "meeting"),
	famiv1connect.MeetingServiceGetMeetingProcedure:          httpGet("/v1/{name}"),
	famiv1connect.MeetingServiceListMeetingsProcedure:        httpGet("/v1/{parent}/meetings"),
	famiv1connect.MeetingServiceUpdateMeetingProcedure:       httpPatch("/v1/{meeting.name}", "meeting"),
	famiv1connect.MeetingServiceDeleteMeetingProcedure:       httpDelete("/v1/{name}"),
	famiv1connect.MeetingServiceCancelMeetingProcedure:       httpPost("/v1/{name}:cancel", "*"),
	famiv1connect.MeetingServiceRecordAttendanceProcedure:    httpPost("/v1/{name}:recordAttendance", "*"),
	famiv1connect.MeetingServiceRecordMinutesProcedure:       httpPost("/v1/{name}:recordMinutes", "*"),
	famiv1connect.MeetingServiceUpdateActionItemProcedure:    httpPost("/v1/{name}:updateActionItem", "*"),
	famiv1connect.MeetingServiceListActionItemsProcedure:     httpGet("/v1/{parent}/meetings:listActionItems"),
	famiv1connect.MeetingServiceSummarizeAttendanceProcedure: httpGet("/v1/{parent}/meetings:summarizeAttendance"),
	famiv1connect.MeetingServiceCreateCalendarTokenProcedure: httpPost("/v1/{parent}/calendarTokens", "*"),
	famiv1connect.MeetingServiceListCalendarTokensProcedure:  httpGet("/v1/{parent}/calendarTokens"),
	famiv1connect.MeetingServiceRevokeCalendarTokenProcedure: httpPost("/v1/{name}:revoke", "*"),

	famiv1connect.ContactServiceCreateContactProcedure: httpPost("/v1/{parent}/contacts", "contact"),
	famiv1connect.ContactServiceGetContactProcedure:    httpGet("/v1/{name}"),
	famiv1connect.ContactServiceListContactsProcedure:  httpGet("/v1/{parent}/contacts"),
	famiv1connect.ContactServiceUpdateContactProcedure: httpPatch("/v1/{contact.name}", "contact"),
	famiv1connect.ContactServiceDeleteContactProcedure: httpDelete("/v1/{name}"),

	famiv1connect.SurveyServiceCreateSurveyProcedure: httpPost("/v1/{parent}/surveys", "survey"),
	famiv1connect.SurveyServiceGetSurveyProcedure:    httpGet("/v1/{name}"),
	famiv1connect.SurveyServiceListSurveysProcedure:  httpGet("/v1/{parent}/surveys"),
	famiv1connect.SurveyServiceOpenSurveyProcedure:   httpPost("/v1/{name}:open", "*"),
	famiv1connect.SurveyServiceAnswerSurveyProcedure: httpPost("/v1/{name}:answer", "*"),

	famiv1connect.EvaluationServiceCreateCapacityAssessmentProcedure: httpPost("/v1/{parent}/capacityAssessments", "capacity_assessment"),
	famiv1connect.EvaluationServiceGetCapacityAssessmentProcedure:    httpGet("/v1/{name}"),
	famiv1connect.EvaluationServiceListCapacityAssessmentsProcedure:  httpGet("/v1/{parent}/capacityAssessments"),
	famiv1connect.EvaluationServiceUpdateCapacityAssessmentProcedure: httpPatch("/v1/{capacity_assessment.name}", "capacity_assessment"),
	famiv1connect.EvaluationServiceSummarizeCapacityProcedure:        httpGet("/v1/{parent}/capacityAssessments:summarize"),

	famiv1connect.MonitoringServiceCreateMonitoringReportProcedure:   httpPost("/v1/{parent}/monitoringReports", "monitoring_report"),
	famiv1connect.MonitoringServiceGetMonitoringReportProcedure:      httpGet("/v1/{name}"),
	famiv1connect.MonitoringServiceListMonitoringReportsProcedure:    httpGet("/v1/{parent}/monitoringReports"),
	famiv1connect.MonitoringServiceUpdateMonitoringReportProcedure:   httpPatch("/v1/{monitoring_report.name}", "monitoring_report"),
	famiv1connect.MonitoringServiceSubmitMonitoringReportProcedure:   httpPost("/v1/{name}:submit", "*"),
	famiv1connect.MonitoringServiceApproveMonitoringReportProcedure:  httpPost("/v1/{name}:approve", "*"),
	famiv1connect.MonitoringServiceReturnMonitoringReportProcedure:   httpPost("/v1/{name}:return", "*"),
	famiv1connect.MonitoringServiceCorrectMonitoringReportProcedure:  httpPost("/v1/{name}:correct", "*"),
	famiv1connect.MonitoringServiceSummarizeMonitoringProcedure:      httpGet("/v1/{parent}/monitoring:summarize"),
	famiv1connect.MonitoringServiceListOverdueProjectsProcedure:      httpGet("/v1/{parent}/overdueProjects"),
	famiv1connect.MonitoringServiceGetMonitoringSettingsProcedure:    httpGet("/v1/{name}"),
	famiv1connect.MonitoringServiceUpdateMonitoringSettingsProcedure: httpPatch("/v1/{monitoring_settings.name}", "monitoring_settings"),

	famiv1connect.DashboardServiceSummarizeRegionsProcedure: httpGet("/v1/{name}:summarize"),

	famiv1connect.OverlapServiceListOverlapsProcedure: httpGet("/v1/{parent}/overlaps"),

	famiv1connect.SyncServiceListChangesProcedure: httpGet("/v1/{parent}/changes"),

	famiv1connect.AdminServiceCompactChangesProcedure: httpPost("/v1/{parent}/changes:compact", "*"),
}

// downloads are the RPCs that REST serves as files (CSV, iCalendar) rather
// than by a rule: each fetches its file and answers as the RPC would.
var downloads = map[string]func(context.Context, *restSurface, proto.Message) (proto.Message, error){
	famiv1connect.SupportServiceExportSupportEntriesProcedure: func(ctx context.Context, s *restSurface, req proto.Message) (proto.Message, error) {
		return exportSupportCSV(ctx, s, req.(*famiv1.ExportSupportEntriesRequest))
	},
	famiv1connect.MeetingServiceExportMeetingCalendarProcedure: func(ctx context.Context, s *restSurface, req proto.Message) (proto.Message, error) {
		r := req.(*famiv1.ExportMeetingCalendarRequest)
		res, err := s.send(ctx, http.MethodGet, feedPath(r), restQuery(r, "parent", "network", "facilitator"), nil)
		if err != nil {
			return nil, err
		}
		return calendarResponse(http.MethodGet, feedPath(r), res)
	},
}
