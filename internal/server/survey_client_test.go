package server_test

import (
	"context"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
)

// surveyClient is SurveyService as one surface calls it, with the "# SurveyService" rules of
// fami_http.yaml on REST; failed calls are *callError, as in
// surface_test.go.
type surveyClient struct{ c *rpcClient }

func newSurveyClient(t *testing.T, ts *testServer, kind, token string) surveyClient {
	t.Helper()
	return surveyClient{newRPCClient(t, ts, kind, token)}
}

func (x surveyClient) CreateSurvey(ctx context.Context, r *famiv1.CreateSurveyRequest) (*famiv1.Survey, error) {
	return unary(ctx, x.c, famiv1connect.SurveyServiceCreateSurveyProcedure,
		httpPost("/v1/{parent}/surveys", "survey"), r, &famiv1.Survey{})
}

func (x surveyClient) GetSurvey(ctx context.Context, r *famiv1.GetSurveyRequest) (*famiv1.Survey, error) {
	return unary(ctx, x.c, famiv1connect.SurveyServiceGetSurveyProcedure,
		httpGet("/v1/{name}"), r, &famiv1.Survey{})
}

func (x surveyClient) ListSurveys(ctx context.Context, r *famiv1.ListSurveysRequest) (*famiv1.ListSurveysResponse, error) {
	return unary(ctx, x.c, famiv1connect.SurveyServiceListSurveysProcedure,
		httpGet("/v1/{parent}/surveys"), r, &famiv1.ListSurveysResponse{})
}

func (x surveyClient) OpenSurvey(ctx context.Context, r *famiv1.OpenSurveyRequest) (*famiv1.SurveyForm, error) {
	return unary(ctx, x.c, famiv1connect.SurveyServiceOpenSurveyProcedure,
		httpPost("/v1/{name}:open", "*"), r, &famiv1.SurveyForm{})
}

func (x surveyClient) AnswerSurvey(ctx context.Context, r *famiv1.AnswerSurveyRequest) (*famiv1.AnswerSurveyResponse, error) {
	return unary(ctx, x.c, famiv1connect.SurveyServiceAnswerSurveyProcedure,
		httpPost("/v1/{name}:answer", "*"), r, &famiv1.AnswerSurveyResponse{})
}
