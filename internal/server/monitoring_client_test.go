package server_test

import (
	"context"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
)

// monitoringClient is MonitoringService as one surface calls it, with the "# MonitoringService" rules of
// fami_http.yaml on REST; failed calls are *callError, as in
// surface_test.go.
type monitoringClient struct{ c *rpcClient }

func newMonitoringClient(t *testing.T, ts *testServer, kind, token string) monitoringClient {
	t.Helper()
	return monitoringClient{newRPCClient(t, ts, kind, token)}
}

func (x monitoringClient) CreateMonitoringReport(ctx context.Context, r *famiv1.CreateMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	return unary(ctx, x.c, famiv1connect.MonitoringServiceCreateMonitoringReportProcedure,
		httpPost("/v1/{parent}/monitoringReports", "monitoring_report"), r, &famiv1.MonitoringReport{})
}

func (x monitoringClient) GetMonitoringReport(ctx context.Context, r *famiv1.GetMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	return unary(ctx, x.c, famiv1connect.MonitoringServiceGetMonitoringReportProcedure,
		httpGet("/v1/{name}"), r, &famiv1.MonitoringReport{})
}

func (x monitoringClient) ListMonitoringReports(ctx context.Context, r *famiv1.ListMonitoringReportsRequest) (*famiv1.ListMonitoringReportsResponse, error) {
	return unary(ctx, x.c, famiv1connect.MonitoringServiceListMonitoringReportsProcedure,
		httpGet("/v1/{parent}/monitoringReports"), r, &famiv1.ListMonitoringReportsResponse{})
}

func (x monitoringClient) UpdateMonitoringReport(ctx context.Context, r *famiv1.UpdateMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	return unary(ctx, x.c, famiv1connect.MonitoringServiceUpdateMonitoringReportProcedure,
		httpPatch("/v1/{monitoring_report.name}", "monitoring_report"), r, &famiv1.MonitoringReport{})
}

func (x monitoringClient) SubmitMonitoringReport(ctx context.Context, r *famiv1.SubmitMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	return unary(ctx, x.c, famiv1connect.MonitoringServiceSubmitMonitoringReportProcedure,
		httpPost("/v1/{name}:submit", "*"), r, &famiv1.MonitoringReport{})
}

func (x monitoringClient) ApproveMonitoringReport(ctx context.Context, r *famiv1.ApproveMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	return unary(ctx, x.c, famiv1connect.MonitoringServiceApproveMonitoringReportProcedure,
		httpPost("/v1/{name}:approve", "*"), r, &famiv1.MonitoringReport{})
}

func (x monitoringClient) ReturnMonitoringReport(ctx context.Context, r *famiv1.ReturnMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	return unary(ctx, x.c, famiv1connect.MonitoringServiceReturnMonitoringReportProcedure,
		httpPost("/v1/{name}:return", "*"), r, &famiv1.MonitoringReport{})
}

func (x monitoringClient) CorrectMonitoringReport(ctx context.Context, r *famiv1.CorrectMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	return unary(ctx, x.c, famiv1connect.MonitoringServiceCorrectMonitoringReportProcedure,
		httpPost("/v1/{name}:correct", "*"), r, &famiv1.MonitoringReport{})
}

func (x monitoringClient) SummarizeMonitoring(ctx context.Context, r *famiv1.SummarizeMonitoringRequest) (*famiv1.MonitoringSummary, error) {
	return unary(ctx, x.c, famiv1connect.MonitoringServiceSummarizeMonitoringProcedure,
		httpGet("/v1/{parent}/monitoring:summarize"), r, &famiv1.MonitoringSummary{})
}

func (x monitoringClient) GetMonitoringSettings(ctx context.Context, r *famiv1.GetMonitoringSettingsRequest) (*famiv1.MonitoringSettings, error) {
	return unary(ctx, x.c, famiv1connect.MonitoringServiceGetMonitoringSettingsProcedure,
		httpGet("/v1/{name}"), r, &famiv1.MonitoringSettings{})
}

func (x monitoringClient) UpdateMonitoringSettings(ctx context.Context, r *famiv1.UpdateMonitoringSettingsRequest) (*famiv1.MonitoringSettings, error) {
	return unary(ctx, x.c, famiv1connect.MonitoringServiceUpdateMonitoringSettingsProcedure,
		httpPatch("/v1/{monitoring_settings.name}", "monitoring_settings"), r, &famiv1.MonitoringSettings{})
}
