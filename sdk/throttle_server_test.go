package sdk_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/fakeclock"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/sdk"
)

// The answers a call through a throttled client can get.
const (
	served    = "served" // the server handled it (here NOT_FOUND)
	refused   = "refused by the server"
	throttled = "rejected by the client"
)

// answer is what a call got, by its error and status code (connect-go's
// codes are gRPC's).
func answer(err error, code connect.Code) string {
	switch {
	case errors.Is(err, sdk.ErrThrottled) && code == connect.CodeResourceExhausted:
		return throttled
	case code == connect.CodeResourceExhausted:
		return refused
	case code == connect.CodeNotFound:
		return served
	case err == nil:
		return "OK" // the missing partner found: not an answer the test expects
	}
	return err.Error()
}

// missing is the partner the test asks for: the partner does not exist,
// so a served call is NOT_FOUND, which the throttle counts as accepted
// (the server handled it).
const missing = "regions/lombardia/partners/missing"

// TestThrottleAgainstTheServer runs a server that admits one call at a
// time, fills it with a call whose body is held back, and calls it through
// a throttled client on every surface: the server's refusals make the
// client reject calls itself, without sending them; once the server has
// room again, the calls the throttle lets through are served, and each
// one accepted lowers the rejection probability until it is nothing.
func TestThrottleAgainstTheServer(t *testing.T) {
	srv := servertest.Start(t, server.Config{MaxConcurrentCalls: 1})
	ts := &testServer{Server: srv, token: srv.Token(t, lombardiaSystem)}
	surfaces := map[string]func(th *sdk.Throttle) func() string{
		"connect": func(th *sdk.Throttle) func() string { return connectCall(ts, th) },
		"grpcweb": func(th *sdk.Throttle) func() string { return connectCall(ts, th, connect.WithGRPCWeb()) },
		"grpc": func(th *sdk.Throttle) func() string {
			conn, err := grpc.NewClient(ts.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithUnaryInterceptor(th.UnaryClientInterceptor()))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			partners := famiv1.NewPartnerServiceClient(conn)
			return func() string {
				ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+ts.token)
				_, err := partners.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: missing})
				return answer(err, connect.Code(status.Code(err)))
			}
		},
		"rest": func(th *sdk.Throttle) func() string {
			hc := &http.Client{Transport: th.RoundTripper(nil)}
			return func() string {
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL()+"/v1/"+missing, nil)
				req.Header.Set("Authorization", "Bearer "+ts.token)
				res, err := hc.Do(req)
				if err != nil {
					return err.Error()
				}
				defer res.Body.Close()
				io.Copy(io.Discard, res.Body)
				switch {
				case res.StatusCode == http.StatusTooManyRequests && res.Header.Get(sdk.ThrottledHeader) == "client":
					return throttled
				case res.StatusCode == http.StatusTooManyRequests:
					return refused
				case res.StatusCode == http.StatusNotFound:
					return served
				}
				return res.Status
			}
		},
	}
	for _, name := range []string{"connect", "grpcweb", "grpc", "rest"} {
		t.Run(name, func(t *testing.T) {
			clock := &fakeclock.Clock{}
			clock.Set(start)
			var draw atomic.Uint64 // the random draw, as math.Float64bits
			setDraw := func(d float64) { draw.Store(math.Float64bits(d)) }
			th := sdk.NewThrottle(sdk.ThrottleConfig{Now: clock.Now, Rand: func() float64 { return math.Float64frombits(draw.Load()) }})
			call := surfaces[name](th)
			want := func(got, want string, p float64) {
				t.Helper()
				if got != want {
					t.Fatalf("call %s, want %s", got, want)
				}
				if math.Abs(th.Probability()-p) > 1e-9 {
					t.Fatalf("after a call %s, probability %v, want %v", got, th.Probability(), p)
				}
			}
			// p is the formula with r requests and a accepts, K = 2.
			p := func(r, a float64) float64 { return max(0, (r-2*a)/(r+1)) }
			setDraw(0.5)
			want(call(), served, p(1, 1))
			release := holdTheServer(t, ts)
			// The server is full and refuses; while the probability is
			// at most the draw (0.5), calls are still sent.
			want(call(), refused, p(2, 1))
			want(call(), refused, p(3, 1))
			want(call(), refused, p(4, 1))
			want(call(), refused, p(5, 1))
			want(call(), refused, p(6, 1))
			// 4/7 is over the draw: rejected here, without being sent;
			// a rejected call counts as a request too.
			want(call(), throttled, p(7, 1))
			want(call(), throttled, p(8, 1))
			release()
			// The server has room again. A draw of 0.9 lets calls
			// through, and every call served lowers the probability, to
			// nothing.
			setDraw(0.9)
			for i := range 6 {
				want(call(), served, p(float64(9+i), float64(2+i)))
			}
			setDraw(0)
			for range 5 {
				want(call(), served, 0)
			}
		})
	}
}

// testServer is a server of the test's own, with a token of lombardia's
// regional system.
type testServer struct {
	*servertest.Server
	token string
}

// connectCall returns a GetPartner of a missing partner through the SDK's
// client with th, and what it got.
func connectCall(ts *testServer, th *sdk.Throttle, opts ...connect.ClientOption) func() string {
	c := sdk.NewClient(nil, ts.URL(), ts.token, append(opts, connect.WithInterceptors(th))...)
	return func() string {
		_, err := c.Partners.GetPartner(context.Background(), &famiv1.GetPartnerRequest{Name: missing})
		return answer(err, connect.CodeOf(err))
	}
}

// holdTheServer fills a server that admits one call with a Connect call
// whose body is held back (the server admits a call as its headers
// arrive), and returns once a call of another client is refused. release
// sends the body and waits for the held call's answer. The server gives
// the slot of a call still arriving back after a second, so the caller
// has that long.
func holdTheServer(t *testing.T, ts *testServer) (release func()) {
	t.Helper()
	probe := sdk.NewClient(nil, ts.URL(), ts.token)
	full := func() bool {
		_, err := probe.Partners.GetPartner(t.Context(), &famiv1.GetPartnerRequest{Name: missing})
		return connect.CodeOf(err) == connect.CodeResourceExhausted
	}
	for range 20 {
		body, send := io.Pipe()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL()+"/fami.v1.PartnerService/CreatePartner", body)
		req.Header.Set("Content-Type", "application/proto")
		req.Header.Set("Authorization", "Bearer "+ts.token)
		answered := make(chan struct{})
		go func() {
			defer close(answered)
			if res, err := http.DefaultClient.Do(req); err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		}()
		release := func() { send.Close(); <-answered }
		deadline := time.Now().Add(500 * time.Millisecond)
		for !full() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if full() {
			return func() {
				release()
				for full() { // until the server has let the slot go
					time.Sleep(5 * time.Millisecond)
				}
			}
		}
		release()
	}
	t.Fatal("the server kept serving while a call held its only slot")
	return nil
}
