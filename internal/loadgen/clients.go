package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/sdk"
)

// The surfaces famid serves its API on.
const (
	GRPC    = "grpc"
	Connect = "connect"
	GRPCWeb = "grpcweb"
	REST    = "rest"
)

// Surfaces lists every surface, in the order a run takes them.
var Surfaces = []string{GRPC, Connect, GRPCWeb, REST}

// The calls a load is made of.
const (
	// Get reads one partner (GetPartner).
	Get = "get"
	// Create makes a new partner (CreatePartner, a durable write).
	Create = "create"
)

// outcome is what one call got back.
type outcome struct {
	// refused is a RESOURCE_EXHAUSTED (REST: 429) from the server;
	// retryAfter says it carried a Retry-After (gRPC: a RetryInfo).
	refused, retryAfter bool
	// throttled is a call the client's own sdk.Throttle rejected without
	// sending it.
	throttled bool
	// code names any other failure ("UNAVAILABLE", "HTTP 500").
	code string
}

// client calls famid on one surface. token is the bearer token.
type client interface {
	getPartner(ctx context.Context, token, name string) error
	createPartner(ctx context.Context, token, parent, id string) error
	// classify says what a call's error was.
	classify(err error) outcome
	close()
}

// newClient returns a client of surface as cc says: with the SDK's
// throttle in the surface's own way (an interceptor of grpc-go or of
// connect-go, a RoundTripper under REST), and a bound on its HTTP
// connections.
func newClient(t Target, surface string, cc Clients) (client, error) {
	var th *sdk.Throttle
	if cc.Throttle > 0 {
		th = sdk.NewThrottle(sdk.ThrottleConfig{K: cc.Throttle})
	}
	switch surface {
	case GRPC:
		opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
		if th != nil {
			opts = append(opts, grpc.WithUnaryInterceptor(th.UnaryClientInterceptor()))
		}
		conn, err := grpc.NewClient(t.GRPCAddr, opts...)
		if err != nil {
			return nil, err
		}
		return grpcClient{conn: conn, partners: famiv1.NewPartnerServiceClient(conn)}, nil
	case Connect, GRPCWeb:
		hc := t.httpClient(cc.MaxConns)
		var opts []connect.ClientOption
		if surface == GRPCWeb {
			opts = append(opts, connect.WithGRPCWeb())
		}
		if th != nil {
			opts = append(opts, connect.WithInterceptors(th))
		}
		return connectClient{hc: hc, partners: famiv1connect.NewPartnerServiceClient(hc, t.HTTPURL, opts...)}, nil
	case REST:
		hc := t.httpClient(cc.MaxConns)
		if th != nil {
			hc.Transport = th.RoundTripper(hc.Transport)
		}
		return restClient{hc: hc, base: strings.TrimSuffix(t.HTTPURL, "/")}, nil
	}
	return nil, fmt.Errorf("unknown surface %q (want one of %s)", surface, strings.Join(Surfaces, ", "))
}

// httpClient keeps a connection per concurrent call (HTTP/1.1), at most
// maxConns of them when positive (further calls wait for one), or
// multiplexes them on one (h2c) when the target asks for it.
func (t Target) httpClient(maxConns int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 0
	tr.MaxIdleConnsPerHost = 4096
	tr.MaxConnsPerHost = maxConns
	if t.H2C {
		tr.Protocols = new(http.Protocols)
		tr.Protocols.SetUnencryptedHTTP2(true)
	}
	return &http.Client{Transport: tr}
}

func newPartner() *famiv1.Partner {
	return &famiv1.Partner{DisplayName: "Carico di prova", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}
}

// rpcOutcome is what a call on gRPC, Connect or gRPC-Web that failed with
// err and code got (connect-go's codes are gRPC's, and name a failure as
// on every surface, "UNAVAILABLE"); retryAfter says whether a refusal
// carried a Retry-After.
func rpcOutcome(err error, code connect.Code, retryAfter func() bool) outcome {
	if errors.Is(err, sdk.ErrThrottled) {
		return outcome{throttled: true}
	}
	if code != connect.CodeResourceExhausted {
		return outcome{code: strings.ToUpper(code.String())}
	}
	return outcome{refused: true, retryAfter: retryAfter()}
}

// isRetryInfo reports whether an error detail is a google.rpc.RetryInfo.
func isRetryInfo(detail any) bool {
	_, ok := detail.(*errdetails.RetryInfo)
	return ok
}

type grpcClient struct {
	conn     *grpc.ClientConn
	partners famiv1.PartnerServiceClient
}

func withToken(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

func (c grpcClient) getPartner(ctx context.Context, token, name string) error {
	_, err := c.partners.GetPartner(withToken(ctx, token), &famiv1.GetPartnerRequest{Name: name})
	return err
}

func (c grpcClient) createPartner(ctx context.Context, token, parent, id string) error {
	_, err := c.partners.CreatePartner(withToken(ctx, token), &famiv1.CreatePartnerRequest{Parent: parent, PartnerId: id, Partner: newPartner()})
	return err
}

func (grpcClient) classify(err error) outcome {
	st := status.Convert(err)
	return rpcOutcome(err, connect.Code(st.Code()), func() bool {
		return slices.ContainsFunc(st.Details(), isRetryInfo)
	})
}

func (c grpcClient) close() { c.conn.Close() }

type connectClient struct {
	hc       *http.Client
	partners famiv1connect.PartnerServiceClient
}

// withHeader returns a context whose Connect call sends the token.
func withHeader(ctx context.Context, token string) context.Context {
	ctx, info := connect.NewClientContext(ctx)
	info.RequestHeader().Set("Authorization", "Bearer "+token)
	return ctx
}

func (c connectClient) getPartner(ctx context.Context, token, name string) error {
	_, err := c.partners.GetPartner(withHeader(ctx, token), &famiv1.GetPartnerRequest{Name: name})
	return err
}

func (c connectClient) createPartner(ctx context.Context, token, parent, id string) error {
	_, err := c.partners.CreatePartner(withHeader(ctx, token), &famiv1.CreatePartnerRequest{Parent: parent, PartnerId: id, Partner: newPartner()})
	return err
}

func (connectClient) classify(err error) outcome {
	return rpcOutcome(err, connect.CodeOf(err), func() bool {
		var ce *connect.Error
		if !errors.As(err, &ce) {
			return false
		}
		return ce.Meta().Get("Retry-After") != "" || slices.ContainsFunc(ce.Details(), func(d *connect.ErrorDetail) bool {
			v, err := d.Value()
			return err == nil && isRetryInfo(v)
		})
	})
}

func (c connectClient) close() { c.hc.CloseIdleConnections() }

type restClient struct {
	hc   *http.Client
	base string
}

// restError is a REST call's failure: its HTTP status and Retry-After,
// and whether the answer was the client's throttle's (sdk.ThrottledHeader).
type restError struct {
	status     int
	retryAfter string
	throttled  bool
}

func (e *restError) Error() string { return fmt.Sprintf("HTTP %d", e.status) }

func (c restClient) do(ctx context.Context, token, method, path string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	// Read the answer whole, as a client would, and so that the
	// connection is reused.
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return &restError{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After"),
			throttled: res.Header.Get(sdk.ThrottledHeader) == "client"}
	}
	return nil
}

func (c restClient) getPartner(ctx context.Context, token, name string) error {
	return c.do(ctx, token, http.MethodGet, "/v1/"+name, nil)
}

func (c restClient) createPartner(ctx context.Context, token, parent, id string) error {
	body, err := protojson.Marshal(newPartner())
	if err != nil {
		return err
	}
	return c.do(ctx, token, http.MethodPost, "/v1/"+parent+"/partners?partnerId="+url.QueryEscape(id), body)
}

func (restClient) classify(err error) outcome {
	var re *restError
	switch {
	case errors.As(err, &re) && re.throttled:
		return outcome{throttled: true}
	case errors.As(err, &re) && re.status == http.StatusTooManyRequests:
		return outcome{refused: true, retryAfter: re.retryAfter != ""}
	case errors.As(err, &re):
		return outcome{code: fmt.Sprintf("HTTP %d", re.status)}
	case errors.Is(err, context.DeadlineExceeded):
		return outcome{code: "DEADLINE_EXCEEDED"}
	}
	return outcome{code: "TRANSPORT"}
}

func (c restClient) close() { c.hc.CloseIdleConnections() }

// alreadyExists reports whether a setup call failed only because its
// partner is there already.
func alreadyExists(c client, err error) bool {
	switch c.(type) {
	case grpcClient:
		return status.Code(err) == codes.AlreadyExists
	case connectClient:
		return connect.CodeOf(err) == connect.CodeAlreadyExists
	case restClient:
		var re *restError
		return errors.As(err, &re) && re.status == http.StatusConflict
	}
	return false
}
