package server_test

import (
	"context"
	"net/http"
	"testing"

	"connectrpc.com/connect"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
)

// evaluationClient is EvaluationService as one surface calls it; failed
// calls are *callError, as in surface_test.go.
type evaluationClient interface {
	CreateCapacityAssessment(context.Context, *famiv1.CreateCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error)
	GetCapacityAssessment(context.Context, *famiv1.GetCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error)
	ListCapacityAssessments(context.Context, *famiv1.ListCapacityAssessmentsRequest) (*famiv1.ListCapacityAssessmentsResponse, error)
	UpdateCapacityAssessment(context.Context, *famiv1.UpdateCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error)
	SummarizeCapacity(context.Context, *famiv1.SummarizeCapacityRequest) (*famiv1.SummarizeCapacityResponse, error)
}

func newEvaluationClient(t *testing.T, ts *testServer, kind, token string) evaluationClient {
	t.Helper()
	switch kind {
	case "grpc":
		return grpcEvaluation{famiv1.NewEvaluationServiceClient(dialGRPC(t, ts, token))}
	case "connect", "grpcweb":
		var opts []connect.ClientOption
		if kind == "grpcweb" {
			opts = append(opts, connect.WithGRPCWeb())
		}
		if token != "" {
			opts = append(opts, bearer(token))
		}
		return connectEvaluation{famiv1connect.NewEvaluationServiceClient(newHTTPClient(t), ts.httpURL(), opts...)}
	case "rest":
		return restEvaluation{newRESTSurface(t, ts, token)}
	}
	t.Fatalf("unknown surface %q", kind)
	return nil
}

type grpcEvaluation struct {
	c famiv1.EvaluationServiceClient
}

type connectEvaluation struct {
	c famiv1connect.EvaluationServiceClient
}

// restEvaluation calls the "# EvaluationService" rules of fami_http.yaml.
type restEvaluation struct{ s *restSurface }

func (g grpcEvaluation) CreateCapacityAssessment(ctx context.Context, r *famiv1.CreateCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	res, err := g.c.CreateCapacityAssessment(ctx, r)
	return res, grpcErr(err)
}

func (g grpcEvaluation) GetCapacityAssessment(ctx context.Context, r *famiv1.GetCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	res, err := g.c.GetCapacityAssessment(ctx, r)
	return res, grpcErr(err)
}

func (g grpcEvaluation) ListCapacityAssessments(ctx context.Context, r *famiv1.ListCapacityAssessmentsRequest) (*famiv1.ListCapacityAssessmentsResponse, error) {
	res, err := g.c.ListCapacityAssessments(ctx, r)
	return res, grpcErr(err)
}

func (g grpcEvaluation) UpdateCapacityAssessment(ctx context.Context, r *famiv1.UpdateCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	res, err := g.c.UpdateCapacityAssessment(ctx, r)
	return res, grpcErr(err)
}

func (g grpcEvaluation) SummarizeCapacity(ctx context.Context, r *famiv1.SummarizeCapacityRequest) (*famiv1.SummarizeCapacityResponse, error) {
	res, err := g.c.SummarizeCapacity(ctx, r)
	return res, grpcErr(err)
}

func (c connectEvaluation) CreateCapacityAssessment(ctx context.Context, r *famiv1.CreateCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	res, err := c.c.CreateCapacityAssessment(ctx, r)
	return res, connectErr(err)
}

func (c connectEvaluation) GetCapacityAssessment(ctx context.Context, r *famiv1.GetCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	res, err := c.c.GetCapacityAssessment(ctx, r)
	return res, connectErr(err)
}

func (c connectEvaluation) ListCapacityAssessments(ctx context.Context, r *famiv1.ListCapacityAssessmentsRequest) (*famiv1.ListCapacityAssessmentsResponse, error) {
	res, err := c.c.ListCapacityAssessments(ctx, r)
	return res, connectErr(err)
}

func (c connectEvaluation) UpdateCapacityAssessment(ctx context.Context, r *famiv1.UpdateCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	res, err := c.c.UpdateCapacityAssessment(ctx, r)
	return res, connectErr(err)
}

func (c connectEvaluation) SummarizeCapacity(ctx context.Context, r *famiv1.SummarizeCapacityRequest) (*famiv1.SummarizeCapacityResponse, error) {
	res, err := c.c.SummarizeCapacity(ctx, r)
	return res, connectErr(err)
}

func (r restEvaluation) CreateCapacityAssessment(ctx context.Context, req *famiv1.CreateCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	out := &famiv1.CapacityAssessment{}
	return out, r.s.call(ctx, http.MethodPost, "/v1/"+req.GetParent()+"/capacityAssessments", supportQuery(req, "parent", "capacity_assessment"), req.GetCapacityAssessment(), out)
}

func (r restEvaluation) GetCapacityAssessment(ctx context.Context, req *famiv1.GetCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	out := &famiv1.CapacityAssessment{}
	return out, r.s.call(ctx, http.MethodGet, "/v1/"+req.GetName(), nil, nil, out)
}

func (r restEvaluation) ListCapacityAssessments(ctx context.Context, req *famiv1.ListCapacityAssessmentsRequest) (*famiv1.ListCapacityAssessmentsResponse, error) {
	out := &famiv1.ListCapacityAssessmentsResponse{}
	return out, r.s.call(ctx, http.MethodGet, "/v1/"+req.GetParent()+"/capacityAssessments", supportQuery(req, "parent"), nil, out)
}

func (r restEvaluation) UpdateCapacityAssessment(ctx context.Context, req *famiv1.UpdateCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	out := &famiv1.CapacityAssessment{}
	return out, r.s.call(ctx, http.MethodPatch, "/v1/"+req.GetCapacityAssessment().GetName(), supportQuery(req, "capacity_assessment"), req.GetCapacityAssessment(), out)
}

func (r restEvaluation) SummarizeCapacity(ctx context.Context, req *famiv1.SummarizeCapacityRequest) (*famiv1.SummarizeCapacityResponse, error) {
	out := &famiv1.SummarizeCapacityResponse{}
	return out, r.s.call(ctx, http.MethodGet, "/v1/"+req.GetParent()+"/capacityAssessments:summarize", nil, nil, out)
}
