package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/server"
)

// timeoutCase is a unary call over one surface of the HTTP port with a
// timeout header the client wrote itself, as a hand-made client may.
type timeoutCase struct {
	surface, header, value string
}

// call makes ListPartners over c's surface with c's timeout header and
// answers its error's code ("" for none).
func (c timeoutCase) call(t *testing.T, ts *testServer) string {
	t.Helper()
	if c.surface == "rest" {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.httpURL()+"/v1/"+lombardia+"/partners", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+ts.token)
		req.Header.Set(c.header, c.value)
		res, body := fetch(t, newHTTPClient(t), req)
		switch res.StatusCode {
		case http.StatusOK:
			return ""
		case http.StatusGatewayTimeout:
			return connect.CodeDeadlineExceeded.String()
		}
		t.Fatalf("REST with %s: %s: %s: %s", c.header, c.value, res.Status, body)
	}
	var opts []connect.ClientOption
	switch c.surface {
	case "grpc":
		opts = append(opts, connect.WithGRPC())
	case "grpcweb":
		opts = append(opts, connect.WithGRPCWeb())
	}
	set := connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set(c.header, c.value)
			return next(ctx, req)
		}
	})
	cl := famiv1connect.NewPartnerServiceClient(newHTTPClient(t), ts.httpURL(), append(opts, bearer(ts.token), connect.WithInterceptors(set))...)
	_, err := cl.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: lombardia})
	if err == nil {
		return ""
	}
	return connect.CodeOf(err).String()
}

// TestNoSurfaceOutlastsTheServerDeadline: a unary call runs for at most
// the server's request timeout on every surface, whatever timeout its
// client asks: none, one longer than the server's, or one the library
// reads as none (gRPC's 99999999H, more hours than a time.Duration holds).
// The server's timeout here is a nanosecond, past before any service
// runs. A client's timeout of zero is already past, and answers
// DEADLINE_EXCEEDED on every surface: Connect, gRPC and gRPC-Web
// (connect-go), and REST, where grpc-gateway alone would read a
// Grpc-Timeout of 0 as none asked.
func TestNoSurfaceOutlastsTheServerDeadline(t *testing.T) {
	t.Parallel()
	deadlineExceeded := connect.CodeDeadlineExceeded.String()
	short := startServer(t, server.Config{RequestTimeout: time.Nanosecond})
	for _, c := range []timeoutCase{
		{"connect", "Connect-Timeout-Ms", "9999999999"},
		{"grpc", "Grpc-Timeout", "99999999H"},
		{"grpcweb", "Grpc-Timeout", "99999999H"},
		{"grpcweb", "Grpc-Timeout", "99999999S"},
		{"rest", "Grpc-Timeout", "99999999S"},
		{"rest", "Grpc-Timeout", "0n"},
		{"rest", "X-No-Timeout", "none"},
	} {
		if got := c.call(t, short); got != deadlineExceeded {
			t.Errorf("%s with %s: %s on a server of a 1 ns timeout: %q, want %s", c.surface, c.header, c.value, got, deadlineExceeded)
		}
	}
	// Native gRPC: a deadline of an hour is cut to the server's.
	ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
	defer cancel()
	_, err := famiv1.NewPartnerServiceClient(dialGRPC(t, short, short.token)).ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("native gRPC with an hour's deadline on a server of a 1 ns timeout: %v, want DEADLINE_EXCEEDED", err)
	}

	ts := startServer(t, server.Config{})
	for _, c := range []timeoutCase{
		{"connect", "Connect-Timeout-Ms", "0"},
		{"grpc", "Grpc-Timeout", "0n"},
		{"grpcweb", "Grpc-Timeout", "0n"},
		{"rest", "Grpc-Timeout", "0n"},
		{"rest", "Grpc-Timeout", "00S"},
	} {
		if got := c.call(t, ts); got != deadlineExceeded {
			t.Errorf("%s with %s: %s: %q, want %s", c.surface, c.header, c.value, got, deadlineExceeded)
		}
	}
	// A timeout that is not zero is the call's, as before.
	if got := (timeoutCase{"rest", "Grpc-Timeout", "10S"}).call(t, ts); got != "" {
		t.Errorf("REST with Grpc-Timeout: 10S: %s, want the call answered", got)
	}
}
