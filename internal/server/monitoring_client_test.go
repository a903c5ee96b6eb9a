package server_test

import (
	"context"
	"net/http"
	"testing"

	"connectrpc.com/connect"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
)

// monitoringClient is MonitoringService as one surface calls it; failed
// calls are *callError, as in surface_test.go.
type monitoringClient interface {
	CreateMonitoringReport(context.Context, *famiv1.CreateMonitoringReportRequest) (*famiv1.MonitoringReport, error)
	GetMonitoringReport(context.Context, *famiv1.GetMonitoringReportRequest) (*famiv1.MonitoringReport, error)
	ListMonitoringReports(context.Context, *famiv1.ListMonitoringReportsRequest) (*famiv1.ListMonitoringReportsResponse, error)
	UpdateMonitoringReport(context.Context, *famiv1.UpdateMonitoringReportRequest) (*famiv1.MonitoringReport, error)
	SubmitMonitoringReport(context.Context, *famiv1.SubmitMonitoringReportRequest) (*famiv1.MonitoringReport, error)
	ApproveMonitoringReport(context.Context, *famiv1.ApproveMonitoringReportRequest) (*famiv1.MonitoringReport, error)
	ReturnMonitoringReport(context.Context, *famiv1.ReturnMonitoringReportRequest) (*famiv1.MonitoringReport, error)
	CorrectMonitoringReport(context.Context, *famiv1.CorrectMonitoringReportRequest) (*famiv1.MonitoringReport, error)
	SummarizeMonitoring(context.Context, *famiv1.SummarizeMonitoringRequest) (*famiv1.MonitoringSummary, error)
	GetMonitoringSettings(context.Context, *famiv1.GetMonitoringSettingsRequest) (*famiv1.MonitoringSettings, error)
	UpdateMonitoringSettings(context.Context, *famiv1.UpdateMonitoringSettingsRequest) (*famiv1.MonitoringSettings, error)
}

func newMonitoringClient(t *testing.T, ts *testServer, kind, token string) monitoringClient {
	t.Helper()
	switch kind {
	case "grpc":
		return grpcMonitoring{famiv1.NewMonitoringServiceClient(dialGRPC(t, ts, token))}
	case "connect", "grpcweb":
		var opts []connect.ClientOption
		if kind == "grpcweb" {
			opts = append(opts, connect.WithGRPCWeb())
		}
		if token != "" {
			opts = append(opts, bearer(token))
		}
		return connectMonitoring{famiv1connect.NewMonitoringServiceClient(newHTTPClient(t), ts.httpURL(), opts...)}
	case "rest":
		return restMonitoring{newRESTSurface(t, ts, token)}
	}
	t.Fatalf("unknown surface %q", kind)
	return nil
}

type grpcMonitoring struct {
	c famiv1.MonitoringServiceClient
}

type connectMonitoring struct {
	c famiv1connect.MonitoringServiceClient
}

// restMonitoring calls the "# MonitoringService" rules of fami_http.yaml.
type restMonitoring struct{ s *restSurface }

func (g grpcMonitoring) CreateMonitoringReport(ctx context.Context, r *famiv1.CreateMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	res, err := g.c.CreateMonitoringReport(ctx, r)
	return res, grpcErr(err)
}

func (g grpcMonitoring) GetMonitoringReport(ctx context.Context, r *famiv1.GetMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	res, err := g.c.GetMonitoringReport(ctx, r)
	return res, grpcErr(err)
}

func (g grpcMonitoring) ListMonitoringReports(ctx context.Context, r *famiv1.ListMonitoringReportsRequest) (*famiv1.ListMonitoringReportsResponse, error) {
	res, err := g.c.ListMonitoringReports(ctx, r)
	return res, grpcErr(err)
}

func (g grpcMonitoring) UpdateMonitoringReport(ctx context.Context, r *famiv1.UpdateMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	res, err := g.c.UpdateMonitoringReport(ctx, r)
	return res, grpcErr(err)
}

func (g grpcMonitoring) SubmitMonitoringReport(ctx context.Context, r *famiv1.SubmitMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	res, err := g.c.SubmitMonitoringReport(ctx, r)
	return res, grpcErr(err)
}

func (g grpcMonitoring) ApproveMonitoringReport(ctx context.Context, r *famiv1.ApproveMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	res, err := g.c.ApproveMonitoringReport(ctx, r)
	return res, grpcErr(err)
}

func (g grpcMonitoring) ReturnMonitoringReport(ctx context.Context, r *famiv1.ReturnMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	res, err := g.c.ReturnMonitoringReport(ctx, r)
	return res, grpcErr(err)
}

func (g grpcMonitoring) CorrectMonitoringReport(ctx context.Context, r *famiv1.CorrectMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	res, err := g.c.CorrectMonitoringReport(ctx, r)
	return res, grpcErr(err)
}

func (g grpcMonitoring) SummarizeMonitoring(ctx context.Context, r *famiv1.SummarizeMonitoringRequest) (*famiv1.MonitoringSummary, error) {
	res, err := g.c.SummarizeMonitoring(ctx, r)
	return res, grpcErr(err)
}

func (g grpcMonitoring) GetMonitoringSettings(ctx context.Context, r *famiv1.GetMonitoringSettingsRequest) (*famiv1.MonitoringSettings, error) {
	res, err := g.c.GetMonitoringSettings(ctx, r)
	return res, grpcErr(err)
}

func (g grpcMonitoring) UpdateMonitoringSettings(ctx context.Context, r *famiv1.UpdateMonitoringSettingsRequest) (*famiv1.MonitoringSettings, error) {
	res, err := g.c.UpdateMonitoringSettings(ctx, r)
	return res, grpcErr(err)
}

func (c connectMonitoring) CreateMonitoringReport(ctx context.Context, r *famiv1.CreateMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	res, err := c.c.CreateMonitoringReport(ctx, r)
	return res, connectErr(err)
}

func (c connectMonitoring) GetMonitoringReport(ctx context.Context, r *famiv1.GetMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	res, err := c.c.GetMonitoringReport(ctx, r)
	return res, connectErr(err)
}

func (c connectMonitoring) ListMonitoringReports(ctx context.Context, r *famiv1.ListMonitoringReportsRequest) (*famiv1.ListMonitoringReportsResponse, error) {
	res, err := c.c.ListMonitoringReports(ctx, r)
	return res, connectErr(err)
}

func (c connectMonitoring) UpdateMonitoringReport(ctx context.Context, r *famiv1.UpdateMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	res, err := c.c.UpdateMonitoringReport(ctx, r)
	return res, connectErr(err)
}

func (c connectMonitoring) SubmitMonitoringReport(ctx context.Context, r *famiv1.SubmitMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	res, err := c.c.SubmitMonitoringReport(ctx, r)
	return res, connectErr(err)
}

func (c connectMonitoring) ApproveMonitoringReport(ctx context.Context, r *famiv1.ApproveMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	res, err := c.c.ApproveMonitoringReport(ctx, r)
	return res, connectErr(err)
}

func (c connectMonitoring) ReturnMonitoringReport(ctx context.Context, r *famiv1.ReturnMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	res, err := c.c.ReturnMonitoringReport(ctx, r)
	return res, connectErr(err)
}

func (c connectMonitoring) CorrectMonitoringReport(ctx context.Context, r *famiv1.CorrectMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	res, err := c.c.CorrectMonitoringReport(ctx, r)
	return res, connectErr(err)
}

func (c connectMonitoring) SummarizeMonitoring(ctx context.Context, r *famiv1.SummarizeMonitoringRequest) (*famiv1.MonitoringSummary, error) {
	res, err := c.c.SummarizeMonitoring(ctx, r)
	return res, connectErr(err)
}

func (c connectMonitoring) GetMonitoringSettings(ctx context.Context, r *famiv1.GetMonitoringSettingsRequest) (*famiv1.MonitoringSettings, error) {
	res, err := c.c.GetMonitoringSettings(ctx, r)
	return res, connectErr(err)
}

func (c connectMonitoring) UpdateMonitoringSettings(ctx context.Context, r *famiv1.UpdateMonitoringSettingsRequest) (*famiv1.MonitoringSettings, error) {
	res, err := c.c.UpdateMonitoringSettings(ctx, r)
	return res, connectErr(err)
}

func (r restMonitoring) CreateMonitoringReport(ctx context.Context, req *famiv1.CreateMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	out := &famiv1.MonitoringReport{}
	return out, r.s.call(ctx, http.MethodPost, "/v1/"+req.GetParent()+"/monitoringReports", supportQuery(req, "parent", "monitoring_report"), req.GetMonitoringReport(), out)
}

func (r restMonitoring) GetMonitoringReport(ctx context.Context, req *famiv1.GetMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	out := &famiv1.MonitoringReport{}
	return out, r.s.call(ctx, http.MethodGet, "/v1/"+req.GetName(), nil, nil, out)
}

func (r restMonitoring) ListMonitoringReports(ctx context.Context, req *famiv1.ListMonitoringReportsRequest) (*famiv1.ListMonitoringReportsResponse, error) {
	out := &famiv1.ListMonitoringReportsResponse{}
	return out, r.s.call(ctx, http.MethodGet, "/v1/"+req.GetParent()+"/monitoringReports", supportQuery(req, "parent"), nil, out)
}

func (r restMonitoring) UpdateMonitoringReport(ctx context.Context, req *famiv1.UpdateMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	out := &famiv1.MonitoringReport{}
	return out, r.s.call(ctx, http.MethodPatch, "/v1/"+req.GetMonitoringReport().GetName(), supportQuery(req, "monitoring_report"), req.GetMonitoringReport(), out)
}

func (r restMonitoring) SubmitMonitoringReport(ctx context.Context, req *famiv1.SubmitMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	out := &famiv1.MonitoringReport{}
	return out, r.s.call(ctx, http.MethodPost, "/v1/"+req.GetName()+":submit", nil, bodyWithout(req, "name"), out)
}

func (r restMonitoring) ApproveMonitoringReport(ctx context.Context, req *famiv1.ApproveMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	out := &famiv1.MonitoringReport{}
	return out, r.s.call(ctx, http.MethodPost, "/v1/"+req.GetName()+":approve", nil, bodyWithout(req, "name"), out)
}

func (r restMonitoring) ReturnMonitoringReport(ctx context.Context, req *famiv1.ReturnMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	out := &famiv1.MonitoringReport{}
	return out, r.s.call(ctx, http.MethodPost, "/v1/"+req.GetName()+":return", nil, bodyWithout(req, "name"), out)
}

func (r restMonitoring) CorrectMonitoringReport(ctx context.Context, req *famiv1.CorrectMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	out := &famiv1.MonitoringReport{}
	return out, r.s.call(ctx, http.MethodPost, "/v1/"+req.GetName()+":correct", nil, bodyWithout(req, "name"), out)
}

func (r restMonitoring) SummarizeMonitoring(ctx context.Context, req *famiv1.SummarizeMonitoringRequest) (*famiv1.MonitoringSummary, error) {
	out := &famiv1.MonitoringSummary{}
	return out, r.s.call(ctx, http.MethodGet, "/v1/"+req.GetParent()+"/monitoring:summarize", supportQuery(req, "parent"), nil, out)
}

func (r restMonitoring) GetMonitoringSettings(ctx context.Context, req *famiv1.GetMonitoringSettingsRequest) (*famiv1.MonitoringSettings, error) {
	out := &famiv1.MonitoringSettings{}
	return out, r.s.call(ctx, http.MethodGet, "/v1/"+req.GetName(), nil, nil, out)
}

func (r restMonitoring) UpdateMonitoringSettings(ctx context.Context, req *famiv1.UpdateMonitoringSettingsRequest) (*famiv1.MonitoringSettings, error) {
	out := &famiv1.MonitoringSettings{}
	return out, r.s.call(ctx, http.MethodPatch, "/v1/"+req.GetMonitoringSettings().GetName(), supportQuery(req, "monitoring_settings"), req.GetMonitoringSettings(), out)
}
