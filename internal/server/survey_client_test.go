package server_test

import (
	"context"
	"net/http"
	"testing"

	"connectrpc.com/connect"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
)

// surveyClient is SurveyService as one surface calls it; failed calls are
// *callError, as in surface_test.go.
type surveyClient interface {
	CreateSurvey(context.Context, *famiv1.CreateSurveyRequest) (*famiv1.Survey, error)
	GetSurvey(context.Context, *famiv1.GetSurveyRequest) (*famiv1.Survey, error)
	ListSurveys(context.Context, *famiv1.ListSurveysRequest) (*famiv1.ListSurveysResponse, error)
	OpenSurvey(context.Context, *famiv1.OpenSurveyRequest) (*famiv1.SurveyForm, error)
	AnswerSurvey(context.Context, *famiv1.AnswerSurveyRequest) (*famiv1.AnswerSurveyResponse, error)
}

func newSurveyClient(t *testing.T, ts *testServer, kind, token string) surveyClient {
	t.Helper()
	switch kind {
	case "grpc":
		return grpcSurveys{famiv1.NewSurveyServiceClient(dialGRPC(t, ts, token))}
	case "connect", "grpcweb":
		var opts []connect.ClientOption
		if kind == "grpcweb" {
			opts = append(opts, connect.WithGRPCWeb())
		}
		if token != "" {
			opts = append(opts, bearer(token))
		}
		return connectSurveys{famiv1connect.NewSurveyServiceClient(newHTTPClient(t), ts.httpURL(), opts...)}
	case "rest":
		return restSurveys{newRESTSurface(t, ts, token)}
	}
	t.Fatalf("unknown surface %q", kind)
	return nil
}

type grpcSurveys struct{ c famiv1.SurveyServiceClient }

type connectSurveys struct {
	c famiv1connect.SurveyServiceClient
}

// restSurveys calls the "# SurveyService" rules of fami_http.yaml.
type restSurveys struct{ s *restSurface }

func (g grpcSurveys) CreateSurvey(ctx context.Context, r *famiv1.CreateSurveyRequest) (*famiv1.Survey, error) {
	res, err := g.c.CreateSurvey(ctx, r)
	return res, grpcErr(err)
}

func (g grpcSurveys) GetSurvey(ctx context.Context, r *famiv1.GetSurveyRequest) (*famiv1.Survey, error) {
	res, err := g.c.GetSurvey(ctx, r)
	return res, grpcErr(err)
}

func (g grpcSurveys) ListSurveys(ctx context.Context, r *famiv1.ListSurveysRequest) (*famiv1.ListSurveysResponse, error) {
	res, err := g.c.ListSurveys(ctx, r)
	return res, grpcErr(err)
}

func (g grpcSurveys) OpenSurvey(ctx context.Context, r *famiv1.OpenSurveyRequest) (*famiv1.SurveyForm, error) {
	res, err := g.c.OpenSurvey(ctx, r)
	return res, grpcErr(err)
}

func (g grpcSurveys) AnswerSurvey(ctx context.Context, r *famiv1.AnswerSurveyRequest) (*famiv1.AnswerSurveyResponse, error) {
	res, err := g.c.AnswerSurvey(ctx, r)
	return res, grpcErr(err)
}

func (c connectSurveys) CreateSurvey(ctx context.Context, r *famiv1.CreateSurveyRequest) (*famiv1.Survey, error) {
	res, err := c.c.CreateSurvey(ctx, r)
	return res, connectErr(err)
}

func (c connectSurveys) GetSurvey(ctx context.Context, r *famiv1.GetSurveyRequest) (*famiv1.Survey, error) {
	res, err := c.c.GetSurvey(ctx, r)
	return res, connectErr(err)
}

func (c connectSurveys) ListSurveys(ctx context.Context, r *famiv1.ListSurveysRequest) (*famiv1.ListSurveysResponse, error) {
	res, err := c.c.ListSurveys(ctx, r)
	return res, connectErr(err)
}

func (c connectSurveys) OpenSurvey(ctx context.Context, r *famiv1.OpenSurveyRequest) (*famiv1.SurveyForm, error) {
	res, err := c.c.OpenSurvey(ctx, r)
	return res, connectErr(err)
}

func (c connectSurveys) AnswerSurvey(ctx context.Context, r *famiv1.AnswerSurveyRequest) (*famiv1.AnswerSurveyResponse, error) {
	res, err := c.c.AnswerSurvey(ctx, r)
	return res, connectErr(err)
}

func (r restSurveys) CreateSurvey(ctx context.Context, req *famiv1.CreateSurveyRequest) (*famiv1.Survey, error) {
	out := &famiv1.Survey{}
	return out, r.s.call(ctx, http.MethodPost, "/v1/"+req.GetParent()+"/surveys", supportQuery(req, "parent", "survey"), req.GetSurvey(), out)
}

func (r restSurveys) GetSurvey(ctx context.Context, req *famiv1.GetSurveyRequest) (*famiv1.Survey, error) {
	out := &famiv1.Survey{}
	return out, r.s.call(ctx, http.MethodGet, "/v1/"+req.GetName(), nil, nil, out)
}

func (r restSurveys) ListSurveys(ctx context.Context, req *famiv1.ListSurveysRequest) (*famiv1.ListSurveysResponse, error) {
	out := &famiv1.ListSurveysResponse{}
	return out, r.s.call(ctx, http.MethodGet, "/v1/"+req.GetParent()+"/surveys", supportQuery(req, "parent"), nil, out)
}

func (r restSurveys) OpenSurvey(ctx context.Context, req *famiv1.OpenSurveyRequest) (*famiv1.SurveyForm, error) {
	out := &famiv1.SurveyForm{}
	return out, r.s.call(ctx, http.MethodPost, "/v1/"+req.GetName()+":open", nil, bodyWithout(req, "name"), out)
}

func (r restSurveys) AnswerSurvey(ctx context.Context, req *famiv1.AnswerSurveyRequest) (*famiv1.AnswerSurveyResponse, error) {
	out := &famiv1.AnswerSurveyResponse{}
	return out, r.s.call(ctx, http.MethodPost, "/v1/"+req.GetName()+":answer", nil, bodyWithout(req, "name"), out)
}
