package server_test

import (
	"context"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
)

// evaluationClient is EvaluationService as one surface calls it, with the
// "# EvaluationService" rules of fami_http.yaml on REST; failed calls are
// *callError, as in surface_test.go.
type evaluationClient struct{ c *rpcClient }

func newEvaluationClient(t *testing.T, ts *testServer, kind, token string) evaluationClient {
	t.Helper()
	return evaluationClient{newRPCClient(t, ts, kind, token)}
}

func (e evaluationClient) CreateCapacityAssessment(ctx context.Context, r *famiv1.CreateCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	return unary(ctx, e.c, famiv1connect.EvaluationServiceCreateCapacityAssessmentProcedure,
		httpPost("/v1/{parent}/capacityAssessments", "capacity_assessment"), r, &famiv1.CapacityAssessment{})
}

func (e evaluationClient) GetCapacityAssessment(ctx context.Context, r *famiv1.GetCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	return unary(ctx, e.c, famiv1connect.EvaluationServiceGetCapacityAssessmentProcedure,
		httpGet("/v1/{name}"), r, &famiv1.CapacityAssessment{})
}

func (e evaluationClient) ListCapacityAssessments(ctx context.Context, r *famiv1.ListCapacityAssessmentsRequest) (*famiv1.ListCapacityAssessmentsResponse, error) {
	return unary(ctx, e.c, famiv1connect.EvaluationServiceListCapacityAssessmentsProcedure,
		httpGet("/v1/{parent}/capacityAssessments"), r, &famiv1.ListCapacityAssessmentsResponse{})
}

func (e evaluationClient) UpdateCapacityAssessment(ctx context.Context, r *famiv1.UpdateCapacityAssessmentRequest) (*famiv1.CapacityAssessment, error) {
	return unary(ctx, e.c, famiv1connect.EvaluationServiceUpdateCapacityAssessmentProcedure,
		httpPatch("/v1/{capacity_assessment.name}", "capacity_assessment"), r, &famiv1.CapacityAssessment{})
}

func (e evaluationClient) SummarizeCapacity(ctx context.Context, r *famiv1.SummarizeCapacityRequest) (*famiv1.SummarizeCapacityResponse, error) {
	return unary(ctx, e.c, famiv1connect.EvaluationServiceSummarizeCapacityProcedure,
		httpGet("/v1/{parent}/capacityAssessments:summarize"), r, &famiv1.SummarizeCapacityResponse{})
}
