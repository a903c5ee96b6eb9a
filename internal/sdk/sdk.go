// Package sdk is the Go client of regional IT systems: the generated
// Connect clients behind one constructor, and Mirror, which keeps a copy of
// a region's resources in sync with list-then-watch.
package sdk

import (
	"context"
	"net/http"

	"connectrpc.com/connect"

	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
)

// Client bundles the service clients of one server.
type Client struct {
	Partners  famiv1connect.PartnerServiceClient
	Projects  famiv1connect.ProjectServiceClient
	Networks  famiv1connect.NetworkServiceClient
	Protocols famiv1connect.ProtocolServiceClient
	Meetings  famiv1connect.MeetingServiceClient
	Support   famiv1connect.SupportServiceClient
	Sync      famiv1connect.SyncServiceClient

	Monitoring famiv1connect.MonitoringServiceClient
	Contacts   famiv1connect.ContactServiceClient
	Evaluation famiv1connect.EvaluationServiceClient
	Surveys    famiv1connect.SurveyServiceClient
}

// NewClient returns clients for the server at baseURL (its HTTP address,
// e.g. http://127.0.0.1:8080) that send token on every call. opts may pick
// the protocol (connect.WithGRPC(), connect.WithGRPCWeb(); Connect by
// default).
func NewClient(httpClient *http.Client, baseURL, token string, opts ...connect.ClientOption) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	opts = append(opts, connect.WithInterceptors(Bearer(token)))
	return &Client{
		Partners:  famiv1connect.NewPartnerServiceClient(httpClient, baseURL, opts...),
		Projects:  famiv1connect.NewProjectServiceClient(httpClient, baseURL, opts...),
		Networks:  famiv1connect.NewNetworkServiceClient(httpClient, baseURL, opts...),
		Protocols: famiv1connect.NewProtocolServiceClient(httpClient, baseURL, opts...),
		Meetings:  famiv1connect.NewMeetingServiceClient(httpClient, baseURL, opts...),
		Support:   famiv1connect.NewSupportServiceClient(httpClient, baseURL, opts...),
		Sync:      famiv1connect.NewSyncServiceClient(httpClient, baseURL, opts...),

		Monitoring: famiv1connect.NewMonitoringServiceClient(httpClient, baseURL, opts...),
		Contacts:   famiv1connect.NewContactServiceClient(httpClient, baseURL, opts...),
		Evaluation: famiv1connect.NewEvaluationServiceClient(httpClient, baseURL, opts...),
		Surveys:    famiv1connect.NewSurveyServiceClient(httpClient, baseURL, opts...),
	}
}

// Bearer is a connect.Interceptor that sends a bearer token on unary and
// streaming calls.
type Bearer string

// WrapUnary implements connect.Interceptor.
func (b Bearer) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if b != "" {
			req.Header().Set("Authorization", "Bearer "+string(b))
		}
		return next(ctx, req)
	}
}

// WrapStreamingClient implements connect.Interceptor.
func (b Bearer) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		if b != "" {
			conn.RequestHeader().Set("Authorization", "Bearer "+string(b))
		}
		return conn
	}
}

// WrapStreamingHandler implements connect.Interceptor.
func (b Bearer) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}
