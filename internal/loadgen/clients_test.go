package loadgen

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/sdk"
)

// refuser is a PartnerService that refuses every call, as an overloaded
// famid does.
type refuser struct {
	famiv1connect.UnimplementedPartnerServiceHandler
}

func (refuser) CreatePartner(context.Context, *famiv1.CreatePartnerRequest) (*famiv1.Partner, error) {
	return nil, connect.NewError(connect.CodeResourceExhausted, nil)
}

// refusingServer serves every surface on one loopback port (gRPC over
// h2c, Connect and gRPC-Web through connect-go, REST under /v1/) and
// refuses every call.
func refusingServer(t *testing.T) Target {
	mux := http.NewServeMux()
	mux.Handle(famiv1connect.NewPartnerServiceHandler(refuser{}))
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	return Target{GRPCAddr: strings.TrimPrefix(srv.URL, "http://"), HTTPURL: srv.URL,
		Tokens: map[string]string{"lombardia": "t"}, Timeout: 5 * time.Second}
}

// TestClientsThrottle: on every surface, plain clients send every call
// to a server that refuses them all, and clients with the SDK's throttle
// keep most of them to themselves, counted apart from the refusals. Each
// load is bounded by its calls (MinAnswered), not by its time: a load of
// 200 ms got few answers or none on a busy machine (the first call, which
// dials, could take longer), and then a throttle that had seen too few
// refusals to reject much.
func TestClientsThrottle(t *testing.T) {
	target := refusingServer(t)
	for _, surface := range Surfaces {
		t.Run(surface, func(t *testing.T) {
			load := Load{Surface: surface, Op: Create, Regions: []string{"lombardia"}, Concurrency: 4,
				Duration: time.Nanosecond, MinAnswered: throttleCalls}
			plain, err := target.Run(t.Context(), load)
			if err != nil {
				t.Fatal(err)
			}
			if plain.Throttled != 0 || plain.Refused < throttleCalls || plain.Errors != 0 {
				t.Errorf("plain clients: %d refused, %d rejected by the client, %d errors %v; want every call refused by the server",
					plain.Refused, plain.Throttled, plain.Errors, plain.ErrorCodes)
			}
			load.Clients = Clients{Throttle: 2}
			throttled, err := target.Run(t.Context(), load)
			if err != nil {
				t.Fatal(err)
			}
			if throttled.Refused == 0 || throttled.Throttled <= throttled.Refused || throttled.Refused+throttled.Throttled < throttleCalls || throttled.Errors != 0 {
				t.Errorf("throttled clients: %d refused, %d rejected by the client, %d errors %v; want most calls rejected by the client",
					throttled.Refused, throttled.Throttled, throttled.Errors, throttled.ErrorCodes)
			}
			if throttled.Clients != load.Clients {
				t.Errorf("result's clients %+v, want %+v", throttled.Clients, load.Clients)
			}
		})
	}
}

// throttleCalls is how many answers each load of TestClientsThrottle
// waits for. With every call refused, the throttle sends about ln(n) of
// n calls, plus those the four callers start before any answer.
const throttleCalls = 200

// TestClassifyRPC: gRPC and Connect name a failure alike, and a refusal
// carries a Retry-After when it has a RetryInfo (Connect: or the header).
func TestClassifyRPC(t *testing.T) {
	retry := &errdetails.RetryInfo{RetryDelay: durationpb.New(time.Second)}
	grpcRetry, err := status.New(codes.ResourceExhausted, "busy").WithDetails(retry)
	if err != nil {
		t.Fatal(err)
	}
	detail, err := connect.NewErrorDetail(retry)
	if err != nil {
		t.Fatal(err)
	}
	connectRetry := connect.NewError(connect.CodeResourceExhausted, errors.New("busy"))
	connectRetry.AddDetail(detail)
	connectHeader := connect.NewError(connect.CodeResourceExhausted, errors.New("busy"))
	connectHeader.Meta().Set("Retry-After", "1")
	for _, c := range []struct {
		name string
		c    client
		err  error
		want outcome
	}{
		{"grpc refusal with RetryInfo", grpcClient{}, grpcRetry.Err(), outcome{refused: true, retryAfter: true}},
		{"grpc refusal", grpcClient{}, status.Error(codes.ResourceExhausted, "busy"), outcome{refused: true}},
		{"grpc unavailable", grpcClient{}, status.Error(codes.Unavailable, "down"), outcome{code: "UNAVAILABLE"}},
		{"grpc deadline", grpcClient{}, status.Error(codes.DeadlineExceeded, "late"), outcome{code: "DEADLINE_EXCEEDED"}},
		{"grpc transport", grpcClient{}, errors.New("broken"), outcome{code: "UNKNOWN"}},
		{"connect refusal with RetryInfo", connectClient{}, connectRetry, outcome{refused: true, retryAfter: true}},
		{"connect refusal with Retry-After", connectClient{}, connectHeader, outcome{refused: true, retryAfter: true}},
		{"connect refusal", connectClient{}, connect.NewError(connect.CodeResourceExhausted, errors.New("busy")), outcome{refused: true}},
		{"connect throttled", connectClient{}, connect.NewError(connect.CodeResourceExhausted, sdk.ErrThrottled), outcome{throttled: true}},
		{"connect unavailable", connectClient{}, connect.NewError(connect.CodeUnavailable, errors.New("down")), outcome{code: "UNAVAILABLE"}},
		{"connect transport", connectClient{}, errors.New("broken"), outcome{code: "UNKNOWN"}},
	} {
		if got := c.c.classify(c.err); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
