// Package sdk is the Go client of Raccordo for regional IT systems and other
// integrators: the generated Connect clients of every service behind one
// constructor, and Mirror, which keeps a copy of a region's resources in
// sync with list-then-watch. Package protocolhash, beside it, recomputes a
// protocol's content hash to check signatures without trusting the server.
//
// The clients speak Connect by default, and gRPC or gRPC-Web with
// connect.WithGRPC() or connect.WithGRPCWeb(), all on the server's HTTP
// port. The messages are the generated ones of
// github.com/raccordo/raccordo/gen/fami/v1.
//
// Throttle is client-side adaptive throttling for well-behaved clients:
// when the server refuses most calls for overload, the client rejects a
// share of its own calls before sending them. It plugs into these
// clients, grpc-go clients and plain HTTP clients alike.
package sdk

import (
	"context"
	"net/http"

	"connectrpc.com/connect"

	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
)

// Client bundles the service clients of one server.
type Client struct {
	Regions   famiv1connect.RegionServiceClient
	Auth      famiv1connect.AuthServiceClient
	Admin     famiv1connect.AdminServiceClient
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
	Dashboard  famiv1connect.DashboardServiceClient
	Overlaps   famiv1connect.OverlapServiceClient
}

// NewClient returns clients for the server at baseURL (its HTTP address,
// e.g. http://127.0.0.1:8080) that send token on every call (none when
// token is empty: regions and Auth.Login need none). opts may pick
// the protocol (connect.WithGRPC(), connect.WithGRPCWeb(); Connect by
// default). A unary call's error keeps the Retry-After of a proxy's 503
// or 429, for RetryDelay.
func NewClient(httpClient *http.Client, baseURL, token string, opts ...connect.ClientOption) *Client {
	httpClient = withProxyRetryAfter(httpClient)
	opts = append(opts, connect.WithInterceptors(Bearer(token), keepRetryAfter{}))
	return &Client{
		Regions:   famiv1connect.NewRegionServiceClient(httpClient, baseURL, opts...),
		Auth:      famiv1connect.NewAuthServiceClient(httpClient, baseURL, opts...),
		Admin:     famiv1connect.NewAdminServiceClient(httpClient, baseURL, opts...),
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
		Dashboard:  famiv1connect.NewDashboardServiceClient(httpClient, baseURL, opts...),
		Overlaps:   famiv1connect.NewOverlapServiceClient(httpClient, baseURL, opts...),
	}
}

// Bearer is a connect.Interceptor that sends a bearer token on unary and
// streaming calls. Its String method hides the token, so logging a Bearer
// never leaks it.
type Bearer string

// String implements fmt.Stringer without revealing the token.
func (b Bearer) String() string {
	if b == "" {
		return "Bearer(none)"
	}
	return "Bearer(redacted)"
}

// GoString implements fmt.GoStringer, so %#v hides the token too.
func (b Bearer) GoString() string { return b.String() }

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
