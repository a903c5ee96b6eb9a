package server_test

// The RPCs of every service the tests call, as methods of surface (one
// client for the whole API on each of the four surfaces): one line per RPC
// on the generic client of client_test.go, with its REST rule of
// fami_http.yaml. A new service adds its block here.

import (
	"context"
	"net/http"

	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
)

// --- The core API ---

func (s surface) ListRegions(ctx context.Context, r *famiv1.ListRegionsRequest) (*famiv1.ListRegionsResponse, error) {
	return unary(ctx, s.c, famiv1connect.RegionServiceListRegionsProcedure,
		httpGet("/v1/regions"), r, &famiv1.ListRegionsResponse{})
}

func (s surface) GetRegion(ctx context.Context, r *famiv1.GetRegionRequest) (*famiv1.Region, error) {
	return unary(ctx, s.c, famiv1connect.RegionServiceGetRegionProcedure,
		httpGet("/v1/{name}"), r, &famiv1.Region{})
}

func (s surface) ListMunicipalities(ctx context.Context, r *famiv1.ListMunicipalitiesRequest) (*famiv1.ListMunicipalitiesResponse, error) {
	return unary(ctx, s.c, famiv1connect.RegionServiceListMunicipalitiesProcedure,
		httpGet("/v1/{parent}/municipalities"), r, &famiv1.ListMunicipalitiesResponse{})
}

func (s surface) CreatePartner(ctx context.Context, r *famiv1.CreatePartnerRequest) (*famiv1.Partner, error) {
	return unary(ctx, s.c, famiv1connect.PartnerServiceCreatePartnerProcedure,
		httpPost("/v1/{parent}/partners", "partner"), r, &famiv1.Partner{})
}

func (s surface) GetPartner(ctx context.Context, r *famiv1.GetPartnerRequest) (*famiv1.Partner, error) {
	return unary(ctx, s.c, famiv1connect.PartnerServiceGetPartnerProcedure,
		httpGet("/v1/{name}"), r, &famiv1.Partner{})
}

func (s surface) ListPartners(ctx context.Context, r *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error) {
	return unary(ctx, s.c, famiv1connect.PartnerServiceListPartnersProcedure,
		httpGet("/v1/{parent}/partners"), r, &famiv1.ListPartnersResponse{})
}

func (s surface) UpdatePartner(ctx context.Context, r *famiv1.UpdatePartnerRequest) (*famiv1.Partner, error) {
	return unary(ctx, s.c, famiv1connect.PartnerServiceUpdatePartnerProcedure,
		httpPatch("/v1/{partner.name}", "partner"), r, &famiv1.Partner{})
}

func (s surface) DeletePartner(ctx context.Context, r *famiv1.DeletePartnerRequest) error {
	_, err := unary(ctx, s.c, famiv1connect.PartnerServiceDeletePartnerProcedure,
		httpDelete("/v1/{name}"), r, &emptypb.Empty{})
	return err
}

func (s surface) CreateProject(ctx context.Context, r *famiv1.CreateProjectRequest) (*famiv1.Project, error) {
	return unary(ctx, s.c, famiv1connect.ProjectServiceCreateProjectProcedure,
		httpPost("/v1/{parent}/projects", "project"), r, &famiv1.Project{})
}

func (s surface) GetProject(ctx context.Context, r *famiv1.GetProjectRequest) (*famiv1.Project, error) {
	return unary(ctx, s.c, famiv1connect.ProjectServiceGetProjectProcedure,
		httpGet("/v1/{name}"), r, &famiv1.Project{})
}

func (s surface) ListProjects(ctx context.Context, r *famiv1.ListProjectsRequest) (*famiv1.ListProjectsResponse, error) {
	return unary(ctx, s.c, famiv1connect.ProjectServiceListProjectsProcedure,
		httpGet("/v1/{parent}/projects"), r, &famiv1.ListProjectsResponse{})
}

func (s surface) UpdateProject(ctx context.Context, r *famiv1.UpdateProjectRequest) (*famiv1.Project, error) {
	return unary(ctx, s.c, famiv1connect.ProjectServiceUpdateProjectProcedure,
		httpPatch("/v1/{project.name}", "project"), r, &famiv1.Project{})
}

func (s surface) DeleteProject(ctx context.Context, r *famiv1.DeleteProjectRequest) error {
	_, err := unary(ctx, s.c, famiv1connect.ProjectServiceDeleteProjectProcedure,
		httpDelete("/v1/{name}"), r, &emptypb.Empty{})
	return err
}

func (s surface) ExtendProject(ctx context.Context, r *famiv1.ExtendProjectRequest) (*famiv1.Project, error) {
	return unary(ctx, s.c, famiv1connect.ProjectServiceExtendProjectProcedure,
		httpPost("/v1/{name}:extend", "*"), r, &famiv1.Project{})
}

func (s surface) CreateNetwork(ctx context.Context, r *famiv1.CreateNetworkRequest) (*famiv1.Network, error) {
	return unary(ctx, s.c, famiv1connect.NetworkServiceCreateNetworkProcedure,
		httpPost("/v1/{parent}/networks", "network"), r, &famiv1.Network{})
}

func (s surface) GetNetwork(ctx context.Context, r *famiv1.GetNetworkRequest) (*famiv1.Network, error) {
	return unary(ctx, s.c, famiv1connect.NetworkServiceGetNetworkProcedure,
		httpGet("/v1/{name}"), r, &famiv1.Network{})
}

func (s surface) ListNetworks(ctx context.Context, r *famiv1.ListNetworksRequest) (*famiv1.ListNetworksResponse, error) {
	return unary(ctx, s.c, famiv1connect.NetworkServiceListNetworksProcedure,
		httpGet("/v1/{parent}/networks"), r, &famiv1.ListNetworksResponse{})
}

func (s surface) UpdateNetwork(ctx context.Context, r *famiv1.UpdateNetworkRequest) (*famiv1.Network, error) {
	return unary(ctx, s.c, famiv1connect.NetworkServiceUpdateNetworkProcedure,
		httpPatch("/v1/{network.name}", "network"), r, &famiv1.Network{})
}

func (s surface) DeleteNetwork(ctx context.Context, r *famiv1.DeleteNetworkRequest) error {
	_, err := unary(ctx, s.c, famiv1connect.NetworkServiceDeleteNetworkProcedure,
		httpDelete("/v1/{name}"), r, &emptypb.Empty{})
	return err
}

func (s surface) Login(ctx context.Context, r *famiv1.LoginRequest) (*famiv1.LoginResponse, error) {
	return unary(ctx, s.c, famiv1connect.AuthServiceLoginProcedure,
		httpPost("/v1/auth:login", "*"), r, &famiv1.LoginResponse{})
}

func (s surface) WhoAmI(ctx context.Context, r *famiv1.WhoAmIRequest) (*famiv1.WhoAmIResponse, error) {
	return unary(ctx, s.c, famiv1connect.AuthServiceWhoAmIProcedure,
		httpGet("/v1/auth:whoami"), r, &famiv1.WhoAmIResponse{})
}

func (s surface) CreateAccount(ctx context.Context, r *famiv1.CreateAccountRequest) (*famiv1.Account, error) {
	return unary(ctx, s.c, famiv1connect.AuthServiceCreateAccountProcedure,
		httpPost("/v1/{parent}/accounts", "*"), r, &famiv1.Account{})
}

func (s surface) GetAccount(ctx context.Context, r *famiv1.GetAccountRequest) (*famiv1.Account, error) {
	return unary(ctx, s.c, famiv1connect.AuthServiceGetAccountProcedure,
		httpGet("/v1/{name}"), r, &famiv1.Account{})
}

func (s surface) ListAccounts(ctx context.Context, r *famiv1.ListAccountsRequest) (*famiv1.ListAccountsResponse, error) {
	return unary(ctx, s.c, famiv1connect.AuthServiceListAccountsProcedure,
		httpGet("/v1/{parent}/accounts"), r, &famiv1.ListAccountsResponse{})
}

func (s surface) DeleteAccount(ctx context.Context, r *famiv1.DeleteAccountRequest) error {
	_, err := unary(ctx, s.c, famiv1connect.AuthServiceDeleteAccountProcedure,
		httpDelete("/v1/{name}"), r, &emptypb.Empty{})
	return err
}

func (s surface) SetAccountPassword(ctx context.Context, r *famiv1.SetAccountPasswordRequest) error {
	_, err := unary(ctx, s.c, famiv1connect.AuthServiceSetAccountPasswordProcedure,
		httpPost("/v1/{name}:setPassword", "*"), r, &emptypb.Empty{})
	return err
}

func (s surface) CreateServiceToken(ctx context.Context, r *famiv1.CreateServiceTokenRequest) (*famiv1.CreateServiceTokenResponse, error) {
	return unary(ctx, s.c, famiv1connect.AuthServiceCreateServiceTokenProcedure,
		httpPost("/v1/{parent}/serviceTokens", "*"), r, &famiv1.CreateServiceTokenResponse{})
}

func (s surface) ListServiceTokens(ctx context.Context, r *famiv1.ListServiceTokensRequest) (*famiv1.ListServiceTokensResponse, error) {
	return unary(ctx, s.c, famiv1connect.AuthServiceListServiceTokensProcedure,
		httpGet("/v1/{parent}/serviceTokens"), r, &famiv1.ListServiceTokensResponse{})
}

func (s surface) RevokeServiceToken(ctx context.Context, r *famiv1.RevokeServiceTokenRequest) (*famiv1.ServiceToken, error) {
	return unary(ctx, s.c, famiv1connect.AuthServiceRevokeServiceTokenProcedure,
		httpPost("/v1/{name}:revoke", "*"), r, &famiv1.ServiceToken{})
}

// --- ProtocolService ---

func (s surface) CreateProtocol(ctx context.Context, r *famiv1.CreateProtocolRequest) (*famiv1.Protocol, error) {
	return unary(ctx, s.c, famiv1connect.ProtocolServiceCreateProtocolProcedure,
		httpPost("/v1/{parent}/protocols", "protocol"), r, &famiv1.Protocol{})
}

func (s surface) GetProtocol(ctx context.Context, r *famiv1.GetProtocolRequest) (*famiv1.Protocol, error) {
	return unary(ctx, s.c, famiv1connect.ProtocolServiceGetProtocolProcedure,
		httpGet("/v1/{name}"), r, &famiv1.Protocol{})
}

func (s surface) ListProtocols(ctx context.Context, r *famiv1.ListProtocolsRequest) (*famiv1.ListProtocolsResponse, error) {
	return unary(ctx, s.c, famiv1connect.ProtocolServiceListProtocolsProcedure,
		httpGet("/v1/{parent}/protocols"), r, &famiv1.ListProtocolsResponse{})
}

func (s surface) UpdateProtocol(ctx context.Context, r *famiv1.UpdateProtocolRequest) (*famiv1.Protocol, error) {
	return unary(ctx, s.c, famiv1connect.ProtocolServiceUpdateProtocolProcedure,
		httpPatch("/v1/{protocol.name}", "protocol"), r, &famiv1.Protocol{})
}

func (s surface) DeleteProtocol(ctx context.Context, r *famiv1.DeleteProtocolRequest) error {
	_, err := unary(ctx, s.c, famiv1connect.ProtocolServiceDeleteProtocolProcedure,
		httpDelete("/v1/{name}"), r, &emptypb.Empty{})
	return err
}

func (s surface) OpenProtocolForSignature(ctx context.Context, r *famiv1.OpenProtocolForSignatureRequest) (*famiv1.Protocol, error) {
	return unary(ctx, s.c, famiv1connect.ProtocolServiceOpenProtocolForSignatureProcedure,
		httpPost("/v1/{name}:openForSignature", "*"), r, &famiv1.Protocol{})
}

func (s surface) SignProtocol(ctx context.Context, r *famiv1.SignProtocolRequest) (*famiv1.Protocol, error) {
	return unary(ctx, s.c, famiv1connect.ProtocolServiceSignProtocolProcedure,
		httpPost("/v1/{name}:sign", "*"), r, &famiv1.Protocol{})
}

func (s surface) TerminateProtocol(ctx context.Context, r *famiv1.TerminateProtocolRequest) (*famiv1.Protocol, error) {
	return unary(ctx, s.c, famiv1connect.ProtocolServiceTerminateProtocolProcedure,
		httpPost("/v1/{name}:terminate", "*"), r, &famiv1.Protocol{})
}

func (s surface) AmendProtocol(ctx context.Context, r *famiv1.AmendProtocolRequest) (*famiv1.Protocol, error) {
	return unary(ctx, s.c, famiv1connect.ProtocolServiceAmendProtocolProcedure,
		httpPost("/v1/{name}:amend", "*"), r, &famiv1.Protocol{})
}

// --- SupportService ---

func (s surface) CreateSupportEntry(ctx context.Context, r *famiv1.CreateSupportEntryRequest) (*famiv1.SupportEntry, error) {
	return unary(ctx, s.c, famiv1connect.SupportServiceCreateSupportEntryProcedure,
		httpPost("/v1/{parent}/supportEntries", "support_entry"), r, &famiv1.SupportEntry{})
}

func (s surface) GetSupportEntry(ctx context.Context, r *famiv1.GetSupportEntryRequest) (*famiv1.SupportEntry, error) {
	return unary(ctx, s.c, famiv1connect.SupportServiceGetSupportEntryProcedure,
		httpGet("/v1/{name}"), r, &famiv1.SupportEntry{})
}

func (s surface) ListSupportEntries(ctx context.Context, r *famiv1.ListSupportEntriesRequest) (*famiv1.ListSupportEntriesResponse, error) {
	return unary(ctx, s.c, famiv1connect.SupportServiceListSupportEntriesProcedure,
		httpGet("/v1/{parent}/supportEntries"), r, &famiv1.ListSupportEntriesResponse{})
}

func (s surface) UpdateSupportEntry(ctx context.Context, r *famiv1.UpdateSupportEntryRequest) (*famiv1.SupportEntry, error) {
	return unary(ctx, s.c, famiv1connect.SupportServiceUpdateSupportEntryProcedure,
		httpPatch("/v1/{support_entry.name}", "support_entry"), r, &famiv1.SupportEntry{})
}

func (s surface) BatchApproveSupportEntries(ctx context.Context, r *famiv1.BatchApproveSupportEntriesRequest) (*famiv1.BatchApproveSupportEntriesResponse, error) {
	return unary(ctx, s.c, famiv1connect.SupportServiceBatchApproveSupportEntriesProcedure,
		httpPost("/v1/{parent}/supportEntries:batchApprove", "*"), r, &famiv1.BatchApproveSupportEntriesResponse{})
}

func (s surface) RejectSupportEntry(ctx context.Context, r *famiv1.RejectSupportEntryRequest) (*famiv1.SupportEntry, error) {
	return unary(ctx, s.c, famiv1connect.SupportServiceRejectSupportEntryProcedure,
		httpPost("/v1/{name}:reject", "*"), r, &famiv1.SupportEntry{})
}

func (s surface) ClosePeriod(ctx context.Context, r *famiv1.ClosePeriodRequest) (*famiv1.ClosedPeriod, error) {
	return unary(ctx, s.c, famiv1connect.SupportServiceClosePeriodProcedure,
		httpPost("/v1/{parent}/closedPeriods", "closed_period"), r, &famiv1.ClosedPeriod{})
}

func (s surface) ReopenPeriod(ctx context.Context, r *famiv1.ReopenPeriodRequest) (*famiv1.ClosedPeriod, error) {
	return unary(ctx, s.c, famiv1connect.SupportServiceReopenPeriodProcedure,
		httpPost("/v1/{name}:reopen", "*"), r, &famiv1.ClosedPeriod{})
}

func (s surface) ListClosedPeriods(ctx context.Context, r *famiv1.ListClosedPeriodsRequest) (*famiv1.ListClosedPeriodsResponse, error) {
	return unary(ctx, s.c, famiv1connect.SupportServiceListClosedPeriodsProcedure,
		httpGet("/v1/{parent}/closedPeriods"), r, &famiv1.ListClosedPeriodsResponse{})
}

func (s surface) SummarizeSupportEntries(ctx context.Context, r *famiv1.SummarizeSupportEntriesRequest) (*famiv1.SummarizeSupportEntriesResponse, error) {
	return unary(ctx, s.c, famiv1connect.SupportServiceSummarizeSupportEntriesProcedure,
		httpGet("/v1/{parent}/supportEntries:summarize"), r, &famiv1.SummarizeSupportEntriesResponse{})
}

func (s surface) DeleteSupportEntry(ctx context.Context, r *famiv1.DeleteSupportEntryRequest) error {
	_, err := unary(ctx, s.c, famiv1connect.SupportServiceDeleteSupportEntryProcedure,
		httpDelete("/v1/{name}"), r, &emptypb.Empty{})
	return err
}

// ExportSupportEntries is the RPC on gRPC, Connect and gRPC-Web, and the
// CSV download parsed back into rows on REST.
func (s surface) ExportSupportEntries(ctx context.Context, r *famiv1.ExportSupportEntriesRequest) (*famiv1.ExportSupportEntriesResponse, error) {
	if s.c.kind == "rest" {
		return exportSupportCSV(ctx, s.c.rest, r)
	}
	return unary(ctx, s.c, famiv1connect.SupportServiceExportSupportEntriesProcedure,
		route{}, r, &famiv1.ExportSupportEntriesResponse{})
}

// --- MeetingService ---

func (s surface) CreateMeeting(ctx context.Context, r *famiv1.CreateMeetingRequest) (*famiv1.Meeting, error) {
	return unary(ctx, s.c, famiv1connect.MeetingServiceCreateMeetingProcedure,
		httpPost("/v1/{parent}/meetings", "meeting"), r, &famiv1.Meeting{})
}

func (s surface) GetMeeting(ctx context.Context, r *famiv1.GetMeetingRequest) (*famiv1.Meeting, error) {
	return unary(ctx, s.c, famiv1connect.MeetingServiceGetMeetingProcedure,
		httpGet("/v1/{name}"), r, &famiv1.Meeting{})
}

func (s surface) ListMeetings(ctx context.Context, r *famiv1.ListMeetingsRequest) (*famiv1.ListMeetingsResponse, error) {
	return unary(ctx, s.c, famiv1connect.MeetingServiceListMeetingsProcedure,
		httpGet("/v1/{parent}/meetings"), r, &famiv1.ListMeetingsResponse{})
}

func (s surface) UpdateMeeting(ctx context.Context, r *famiv1.UpdateMeetingRequest) (*famiv1.Meeting, error) {
	return unary(ctx, s.c, famiv1connect.MeetingServiceUpdateMeetingProcedure,
		httpPatch("/v1/{meeting.name}", "meeting"), r, &famiv1.Meeting{})
}

func (s surface) DeleteMeeting(ctx context.Context, r *famiv1.DeleteMeetingRequest) error {
	_, err := unary(ctx, s.c, famiv1connect.MeetingServiceDeleteMeetingProcedure,
		httpDelete("/v1/{name}"), r, &emptypb.Empty{})
	return err
}

func (s surface) CancelMeeting(ctx context.Context, r *famiv1.CancelMeetingRequest) (*famiv1.Meeting, error) {
	return unary(ctx, s.c, famiv1connect.MeetingServiceCancelMeetingProcedure,
		httpPost("/v1/{name}:cancel", "*"), r, &famiv1.Meeting{})
}

func (s surface) RecordAttendance(ctx context.Context, r *famiv1.RecordAttendanceRequest) (*famiv1.Meeting, error) {
	return unary(ctx, s.c, famiv1connect.MeetingServiceRecordAttendanceProcedure,
		httpPost("/v1/{name}:recordAttendance", "*"), r, &famiv1.Meeting{})
}

func (s surface) RecordMinutes(ctx context.Context, r *famiv1.RecordMinutesRequest) (*famiv1.Meeting, error) {
	return unary(ctx, s.c, famiv1connect.MeetingServiceRecordMinutesProcedure,
		httpPost("/v1/{name}:recordMinutes", "*"), r, &famiv1.Meeting{})
}

func (s surface) UpdateActionItem(ctx context.Context, r *famiv1.UpdateActionItemRequest) (*famiv1.Meeting, error) {
	return unary(ctx, s.c, famiv1connect.MeetingServiceUpdateActionItemProcedure,
		httpPost("/v1/{name}:updateActionItem", "*"), r, &famiv1.Meeting{})
}

func (s surface) ListActionItems(ctx context.Context, r *famiv1.ListActionItemsRequest) (*famiv1.ListActionItemsResponse, error) {
	return unary(ctx, s.c, famiv1connect.MeetingServiceListActionItemsProcedure,
		httpGet("/v1/{parent}/meetings:listActionItems"), r, &famiv1.ListActionItemsResponse{})
}

func (s surface) SummarizeAttendance(ctx context.Context, r *famiv1.SummarizeAttendanceRequest) (*famiv1.SummarizeAttendanceResponse, error) {
	return unary(ctx, s.c, famiv1connect.MeetingServiceSummarizeAttendanceProcedure,
		httpGet("/v1/{parent}/meetings:summarizeAttendance"), r, &famiv1.SummarizeAttendanceResponse{})
}

func (s surface) CreateCalendarToken(ctx context.Context, r *famiv1.CreateCalendarTokenRequest) (*famiv1.CreateCalendarTokenResponse, error) {
	return unary(ctx, s.c, famiv1connect.MeetingServiceCreateCalendarTokenProcedure,
		httpPost("/v1/{parent}/calendarTokens", "*"), r, &famiv1.CreateCalendarTokenResponse{})
}

func (s surface) ListCalendarTokens(ctx context.Context, r *famiv1.ListCalendarTokensRequest) (*famiv1.ListCalendarTokensResponse, error) {
	return unary(ctx, s.c, famiv1connect.MeetingServiceListCalendarTokensProcedure,
		httpGet("/v1/{parent}/calendarTokens"), r, &famiv1.ListCalendarTokensResponse{})
}

func (s surface) RevokeCalendarToken(ctx context.Context, r *famiv1.RevokeCalendarTokenRequest) (*famiv1.CalendarToken, error) {
	return unary(ctx, s.c, famiv1connect.MeetingServiceRevokeCalendarTokenProcedure,
		httpPost("/v1/{name}:revoke", "*"), r, &famiv1.CalendarToken{})
}

// ExportMeetingCalendar is the RPC on gRPC, Connect and gRPC-Web, and the
// .ics download the request names, returned as the RPC would, on REST.
func (s surface) ExportMeetingCalendar(ctx context.Context, r *famiv1.ExportMeetingCalendarRequest) (*famiv1.ExportMeetingCalendarResponse, error) {
	if s.c.kind == "rest" {
		res, err := s.c.rest.send(ctx, http.MethodGet, feedPath(r), restQuery(r, "parent", "network", "facilitator"), nil)
		if err != nil {
			return nil, err
		}
		return calendarResponse(http.MethodGet, feedPath(r), res)
	}
	return unary(ctx, s.c, famiv1connect.MeetingServiceExportMeetingCalendarProcedure,
		route{}, r, &famiv1.ExportMeetingCalendarResponse{})
}

// --- ContactService ---

func (s surface) CreateContact(ctx context.Context, r *famiv1.CreateContactRequest) (*famiv1.Contact, error) {
	return unary(ctx, s.c, famiv1connect.ContactServiceCreateContactProcedure,
		httpPost("/v1/{parent}/contacts", "contact"), r, &famiv1.Contact{})
}

func (s surface) GetContact(ctx context.Context, r *famiv1.GetContactRequest) (*famiv1.Contact, error) {
	return unary(ctx, s.c, famiv1connect.ContactServiceGetContactProcedure,
		httpGet("/v1/{name}"), r, &famiv1.Contact{})
}

func (s surface) ListContacts(ctx context.Context, r *famiv1.ListContactsRequest) (*famiv1.ListContactsResponse, error) {
	return unary(ctx, s.c, famiv1connect.ContactServiceListContactsProcedure,
		httpGet("/v1/{parent}/contacts"), r, &famiv1.ListContactsResponse{})
}

func (s surface) UpdateContact(ctx context.Context, r *famiv1.UpdateContactRequest) (*famiv1.Contact, error) {
	return unary(ctx, s.c, famiv1connect.ContactServiceUpdateContactProcedure,
		httpPatch("/v1/{contact.name}", "contact"), r, &famiv1.Contact{})
}

func (s surface) DeleteContact(ctx context.Context, r *famiv1.DeleteContactRequest) (*emptypb.Empty, error) {
	return unary(ctx, s.c, famiv1connect.ContactServiceDeleteContactProcedure,
		httpDelete("/v1/{name}"), r, &emptypb.Empty{})
}

// --- SurveyService ---

func (s surface) CreateSurvey(ctx context.Context, r *famiv1.CreateSurveyRequest) (*famiv1.Survey, error) {
	return unary(ctx, s.c, famiv1connect.SurveyServiceCreateSurveyProcedure,
		httpPost("/v1/{parent}/surveys", "survey"), r, &famiv1.Survey{})
}

func (s surface) GetSurvey(ctx context.Context, r *famiv1.GetSurveyRequest) (*famiv1.Survey, error) {
	return unary(ctx, s.c, famiv1connect.SurveyServiceGetSurveyProcedure,
		httpGet("/v1/{name}"), r, &famiv1.Survey{})
}

func (s surface) ListSurveys(ctx context.Context, r *famiv1.ListSurveysRequest) (*famiv1.ListSurveysResponse, error) {
	return unary(ctx, s.c, famiv1connect.SurveyServiceListSurveysProcedure,
		httpGet("/v1/{parent}/surveys"), r, &famiv1.ListSurveysResponse{})
}

func (s surface) OpenSurvey(ctx context.Context, r *famiv1.OpenSurveyRequest) (*famiv1.SurveyForm, error) {
	return unary(ctx, s.c, famiv1connect.SurveyServiceOpenSurveyProcedure,
		httpPost("/v1/{name}:open", "*"), r, &famiv1.SurveyForm{})
}

func (s surface) AnswerSurvey(ctx context.Context, r *famiv1.AnswerSurveyRequest) (*famiv1.AnswerSurveyResponse, error) {
	return unary(ctx, s.c, famiv1connect.SurveyServiceAnswerSurveyProcedure,
		httpPost("/v1/{name}:answer", "*"), r, &famiv1.AnswerSurveyResponse{})
}

// --- EvaluationService ---

func (s surface) CreateCapacityAssessment(ctx context.Context, r *famiv1.CreateCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	return unary(ctx, s.c, famiv1connect.EvaluationServiceCreateCapacityAssessmentProcedure,
		httpPost("/v1/{parent}/capacityAssessments", "capacity_assessment"), r, &famiv1.CapacityAssessment{})
}

func (s surface) GetCapacityAssessment(ctx context.Context, r *famiv1.GetCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	return unary(ctx, s.c, famiv1connect.EvaluationServiceGetCapacityAssessmentProcedure,
		httpGet("/v1/{name}"), r, &famiv1.CapacityAssessment{})
}

func (s surface) ListCapacityAssessments(ctx context.Context, r *famiv1.ListCapacityAssessmentsRequest) (*famiv1.ListCapacityAssessmentsResponse, error) {
	return unary(ctx, s.c, famiv1connect.EvaluationServiceListCapacityAssessmentsProcedure,
		httpGet("/v1/{parent}/capacityAssessments"), r, &famiv1.ListCapacityAssessmentsResponse{})
}

func (s surface) UpdateCapacityAssessment(ctx context.Context, r *famiv1.UpdateCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	return unary(ctx, s.c, famiv1connect.EvaluationServiceUpdateCapacityAssessmentProcedure,
		httpPatch("/v1/{capacity_assessment.name}", "capacity_assessment"), r, &famiv1.CapacityAssessment{})
}

func (s surface) SummarizeCapacity(ctx context.Context, r *famiv1.SummarizeCapacityRequest) (*famiv1.SummarizeCapacityResponse, error) {
	return unary(ctx, s.c, famiv1connect.EvaluationServiceSummarizeCapacityProcedure,
		httpGet("/v1/{parent}/capacityAssessments:summarize"), r, &famiv1.SummarizeCapacityResponse{})
}

// --- MonitoringService ---

func (s surface) CreateMonitoringReport(ctx context.Context, r *famiv1.CreateMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	return unary(ctx, s.c, famiv1connect.MonitoringServiceCreateMonitoringReportProcedure,
		httpPost("/v1/{parent}/monitoringReports", "monitoring_report"), r, &famiv1.MonitoringReport{})
}

func (s surface) GetMonitoringReport(ctx context.Context, r *famiv1.GetMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	return unary(ctx, s.c, famiv1connect.MonitoringServiceGetMonitoringReportProcedure,
		httpGet("/v1/{name}"), r, &famiv1.MonitoringReport{})
}

func (s surface) ListMonitoringReports(ctx context.Context, r *famiv1.ListMonitoringReportsRequest) (*famiv1.ListMonitoringReportsResponse, error) {
	return unary(ctx, s.c, famiv1connect.MonitoringServiceListMonitoringReportsProcedure,
		httpGet("/v1/{parent}/monitoringReports"), r, &famiv1.ListMonitoringReportsResponse{})
}

func (s surface) UpdateMonitoringReport(ctx context.Context, r *famiv1.UpdateMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	return unary(ctx, s.c, famiv1connect.MonitoringServiceUpdateMonitoringReportProcedure,
		httpPatch("/v1/{monitoring_report.name}", "monitoring_report"), r, &famiv1.MonitoringReport{})
}

func (s surface) SubmitMonitoringReport(ctx context.Context, r *famiv1.SubmitMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	return unary(ctx, s.c, famiv1connect.MonitoringServiceSubmitMonitoringReportProcedure,
		httpPost("/v1/{name}:submit", "*"), r, &famiv1.MonitoringReport{})
}

func (s surface) ApproveMonitoringReport(ctx context.Context, r *famiv1.ApproveMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	return unary(ctx, s.c, famiv1connect.MonitoringServiceApproveMonitoringReportProcedure,
		httpPost("/v1/{name}:approve", "*"), r, &famiv1.MonitoringReport{})
}

func (s surface) ReturnMonitoringReport(ctx context.Context, r *famiv1.ReturnMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	return unary(ctx, s.c, famiv1connect.MonitoringServiceReturnMonitoringReportProcedure,
		httpPost("/v1/{name}:return", "*"), r, &famiv1.MonitoringReport{})
}

func (s surface) CorrectMonitoringReport(ctx context.Context, r *famiv1.CorrectMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	return unary(ctx, s.c, famiv1connect.MonitoringServiceCorrectMonitoringReportProcedure,
		httpPost("/v1/{name}:correct", "*"), r, &famiv1.MonitoringReport{})
}

func (s surface) SummarizeMonitoring(ctx context.Context, r *famiv1.SummarizeMonitoringRequest) (*famiv1.MonitoringSummary, error) {
	return unary(ctx, s.c, famiv1connect.MonitoringServiceSummarizeMonitoringProcedure,
		httpGet("/v1/{parent}/monitoring:summarize"), r, &famiv1.MonitoringSummary{})
}

func (s surface) GetMonitoringSettings(ctx context.Context, r *famiv1.GetMonitoringSettingsRequest) (*famiv1.MonitoringSettings, error) {
	return unary(ctx, s.c, famiv1connect.MonitoringServiceGetMonitoringSettingsProcedure,
		httpGet("/v1/{name}"), r, &famiv1.MonitoringSettings{})
}

func (s surface) UpdateMonitoringSettings(ctx context.Context, r *famiv1.UpdateMonitoringSettingsRequest) (*famiv1.MonitoringSettings, error) {
	return unary(ctx, s.c, famiv1connect.MonitoringServiceUpdateMonitoringSettingsProcedure,
		httpPatch("/v1/{monitoring_settings.name}", "monitoring_settings"), r, &famiv1.MonitoringSettings{})
}

// --- DashboardService ---

func (s surface) SummarizeRegions(ctx context.Context, r *famiv1.SummarizeRegionsRequest) (*famiv1.SummarizeRegionsResponse, error) {
	return unary(ctx, s.c, famiv1connect.DashboardServiceSummarizeRegionsProcedure,
		httpGet("/v1/{name}:summarize"), r, &famiv1.SummarizeRegionsResponse{})
}

// --- OverlapService ---

func (s surface) ListOverlaps(ctx context.Context, r *famiv1.ListOverlapsRequest) (*famiv1.ListOverlapsResponse, error) {
	return unary(ctx, s.c, famiv1connect.OverlapServiceListOverlapsProcedure,
		httpGet("/v1/{parent}/overlaps"), r, &famiv1.ListOverlapsResponse{})
}

// --- SyncService and AdminService: the unary RPCs of sync_test.go's feedSurface ---

func (s surface) ListChanges(ctx context.Context, r *famiv1.ListChangesRequest) (*famiv1.ListChangesResponse, error) {
	return unary(ctx, s.c, famiv1connect.SyncServiceListChangesProcedure,
		httpGet("/v1/{parent}/changes"), r, &famiv1.ListChangesResponse{})
}

func (s surface) CompactChanges(ctx context.Context, r *famiv1.CompactChangesRequest) (*famiv1.CompactChangesResponse, error) {
	return unary(ctx, s.c, famiv1connect.AdminServiceCompactChangesProcedure,
		httpPost("/v1/{parent}/changes:compact", "*"), r, &famiv1.CompactChangesResponse{})
}
