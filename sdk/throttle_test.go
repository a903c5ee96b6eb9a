package sdk_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/raccordo/raccordo/internal/fakeclock"
	"github.com/raccordo/raccordo/sdk"
)

// start is where the fake clocks of these tests begin.
var start = time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)

// newFakeThrottle returns a throttle on a fake clock whose random draws
// are always draw.
func newFakeThrottle(k float64, window time.Duration, draw float64) (*sdk.Throttle, *fakeclock.Clock) {
	clock := &fakeclock.Clock{}
	clock.Set(start)
	return sdk.NewThrottle(sdk.ThrottleConfig{K: k, Window: window, Now: clock.Now, Rand: func() float64 { return draw }}), clock
}

// record makes n calls that the server answers as refused says, and
// returns how many the throttle let through.
func record(th *sdk.Throttle, n int, refused bool) (sent int) {
	for range n {
		if th.Allow() {
			sent++
			th.Done(refused)
		}
	}
	return sent
}

func wantProbability(t *testing.T, th *sdk.Throttle, want float64) {
	t.Helper()
	if got := th.Probability(); math.Abs(got-want) > 1e-9 {
		t.Errorf("probability %v, want %v", got, want)
	}
}

func TestThrottleFollowsTheFormula(t *testing.T) {
	th, _ := newFakeThrottle(2, 2*time.Second, 0.999)
	wantProbability(t, th, 0)
	if sent := record(th, 100, false); sent != 100 {
		t.Fatalf("%d of 100 calls sent while the server accepted them all", sent)
	}
	wantProbability(t, th, 0)
	// 100 accepted, then 150 refused: 250 requests, (250 - 2*100) / 251.
	record(th, 150, true)
	wantProbability(t, th, 50.0/251)
	// A refusal is what RESOURCE_EXHAUSTED says; any other answer counts
	// as accepted, so 50 more: (300 - 2*150) / 301 = 0.
	record(th, 50, false)
	wantProbability(t, th, 0)
	// Calls still waiting for their answer count neither way: a slow
	// server is not a refusing one.
	for range 1000 {
		if !th.Allow() {
			t.Fatal("a call was rejected while the server refused nothing")
		}
	}
	wantProbability(t, th, 0)
}

func TestThrottleK(t *testing.T) {
	for _, k := range []float64{1, 1.5, 2, 3} {
		th, _ := newFakeThrottle(k, 2*time.Second, 0.999)
		record(th, 10, false)
		record(th, 30, true)
		wantProbability(t, th, max(0, (40-k*10)/41))
	}
	th, _ := newFakeThrottle(0, 2*time.Second, 0.999)
	record(th, 10, false)
	record(th, 30, true)
	wantProbability(t, th, (40-2*10)/41.0) // K defaults to 2
	th, _ = newFakeThrottle(0.5, 2*time.Second, 0.999)
	record(th, 10, false)
	wantProbability(t, th, 0) // K below 1 is 1: nothing refused, nothing rejected
	record(th, 30, true)
	wantProbability(t, th, (40-10)/41.0)
}

// TestThrottleRejectsLocally: a call is rejected when the draw falls under
// the probability, and a rejected call counts as a request.
func TestThrottleRejectsLocally(t *testing.T) {
	th, _ := newFakeThrottle(2, 2*time.Second, 0.5)
	if sent := record(th, 1, true); sent != 1 {
		t.Fatal("the first call was not sent")
	}
	// 1 request, 0 accepts: 1/2, and the draw 0.5 is not under it.
	if sent := record(th, 1, true); sent != 1 {
		t.Fatal("a call was rejected at probability 1/2 with a draw of 0.5")
	}
	wantProbability(t, th, 2.0/3)
	if th.Allow() {
		t.Fatal("a call was sent at probability 2/3 with a draw of 0.5")
	}
	wantProbability(t, th, 3.0/4)
}

// TestThrottleForgetsOutsideItsWindow: refusals older than the window no
// longer count, bucket by bucket.
func TestThrottleForgetsOutsideItsWindow(t *testing.T) {
	th, clock := newFakeThrottle(2, 2*time.Second, 0.999)
	record(th, 10, true)
	clock.Set(start.Add(time.Second))
	record(th, 20, true)
	wantProbability(t, th, 30.0/31)
	clock.Set(start.Add(2 * time.Second)) // the first ten leave the window
	wantProbability(t, th, 20.0/21)
	clock.Set(start.Add(3 * time.Second))
	wantProbability(t, th, 0)
	// A bucket reused for a later slice starts empty.
	record(th, 5, false)
	wantProbability(t, th, 0)
	record(th, 15, true)
	wantProbability(t, th, (20-2*5)/21.0)
}

// TestThrottleConcurrent counts exactly from many goroutines while the
// clock stands, and stays within [0, 1) while it moves (run with -race).
func TestThrottleConcurrent(t *testing.T) {
	th, clock := newFakeThrottle(2, 2*time.Second, 0.999)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { record(th, 1000, true) })
	}
	wg.Wait()
	wantProbability(t, th, 8000.0/8001)
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				if g == 0 && i%10 == 0 {
					clock.Set(start.Add(time.Duration(i) * 10 * time.Millisecond))
				}
				record(th, 1, i%3 == 0)
				if p := th.Probability(); p < 0 || p >= 1 {
					t.Errorf("probability %v out of [0, 1)", p)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestThrottleAdapters(t *testing.T) {
	type answer struct {
		connect connect.Code
		grpc    codes.Code
		http    int
	}
	refusals := []answer{
		{connect.CodeResourceExhausted, codes.ResourceExhausted, http.StatusTooManyRequests},
		{connect.CodeUnavailable, codes.Unavailable, http.StatusServiceUnavailable},
	}
	handled := []answer{
		{0, codes.OK, http.StatusOK},
		{connect.CodeNotFound, codes.NotFound, http.StatusNotFound},
		{connect.CodeInvalidArgument, codes.InvalidArgument, http.StatusBadRequest},
		{connect.CodeFailedPrecondition, codes.FailedPrecondition, http.StatusConflict},
	}
	// adapter makes one call through an adapter whose server answers a,
	// and says whether the server was reached and whether the call failed
	// as a local rejection.
	type adapter func(th *sdk.Throttle, a answer) (reached, throttled bool)
	adapters := map[string]adapter{
		"connect": func(th *sdk.Throttle, a answer) (bool, bool) {
			reached := false
			call := th.WrapUnary(func(context.Context, connect.AnyRequest) (connect.AnyResponse, error) {
				reached = true
				if a.connect == 0 {
					return connect.NewResponse(&struct{}{}), nil
				}
				return nil, connect.NewError(a.connect, errors.New("server"))
			})
			_, err := call(t.Context(), connect.NewRequest(&struct{}{}))
			throttled := errors.Is(err, sdk.ErrThrottled)
			if throttled && connect.CodeOf(err) != connect.CodeResourceExhausted {
				t.Errorf("connect: local rejection %v, want RESOURCE_EXHAUSTED", err)
			}
			return reached, throttled
		},
		"grpc": func(th *sdk.Throttle, a answer) (bool, bool) {
			reached := false
			invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error {
				reached = true
				return status.Error(a.grpc, "server")
			}
			err := th.UnaryClientInterceptor()(t.Context(), "/fami.v1.PartnerService/GetPartner", nil, nil, nil, invoker)
			throttled := errors.Is(err, sdk.ErrThrottled)
			if st := status.Convert(err); throttled && (st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "client throttled")) {
				t.Errorf("grpc: local rejection %v, want RESOURCE_EXHAUSTED saying the client throttled it", err)
			}
			return reached, throttled
		},
		"http": func(th *sdk.Throttle, a answer) (bool, bool) {
			reached := false
			next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				reached = true
				return &http.Response{StatusCode: a.http, Body: http.NoBody, Request: r}, nil
			})
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://127.0.0.1:1/v1/x", strings.NewReader("{}"))
			res, err := th.RoundTripper(next).RoundTrip(req)
			if err != nil {
				t.Fatalf("http: %v", err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			throttled := res.Header.Get(sdk.ThrottledHeader) == "client"
			if throttled && (res.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "client throttled") ||
				res.Header.Get("Content-Type") != "application/problem+json") {
				t.Errorf("http: local rejection %d %q, want a 429 problem saying the client throttled it", res.StatusCode, body)
			}
			return reached, throttled
		},
	}
	for name, call := range adapters {
		t.Run(name, func(t *testing.T) {
			// A draw of 0.5: the third call after two refusals (2/3) is
			// rejected.
			for _, a := range refusals {
				th, _ := newFakeThrottle(2, 2*time.Second, 0.5)
				for i := range 2 {
					if reached, throttled := call(th, a); !reached || throttled {
						t.Fatalf("%v: call %d not sent", a, i)
					}
				}
				if reached, throttled := call(th, a); reached || !throttled {
					t.Errorf("%v: after two refusals, reached %v, throttled %v; want rejected locally", a, reached, throttled)
				}
			}
			for _, a := range handled {
				th, _ := newFakeThrottle(2, 2*time.Second, 0.5)
				for i := range 20 {
					if reached, throttled := call(th, a); !reached || throttled {
						t.Fatalf("%v: call %d not sent, though the server handled every call", a, i)
					}
				}
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// BenchmarkThrottle is the throttle's cost per call (Allow, then Done),
// from one goroutine and from GOMAXPROCS at once on one Throttle.
func BenchmarkThrottle(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		th := sdk.NewThrottle(sdk.ThrottleConfig{})
		for b.Loop() {
			if th.Allow() {
				th.Done(false)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		th := sdk.NewThrottle(sdk.ThrottleConfig{})
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if th.Allow() {
					th.Done(false)
				}
			}
		})
	})
}

// TestThrottleRoundTripperClosesIdleConnections: a client whose transport
// is wrapped in a Throttle closes its idle connections when asked, as an
// unwrapped one does; else a server shutting down waits for them (5 s for
// one dialled and never used: famiload's REST clients left those).
func TestThrottleRoundTripperClosesIdleConnections(t *testing.T) {
	closed := make(chan struct{}, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed <- struct{}{}
		}
	}
	srv.Start()
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: sdk.NewThrottle(sdk.ThrottleConfig{}).RoundTripper(tr)}
	res, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	hc.CloseIdleConnections()
	select {
	case <-closed:
	case <-time.After(time.Minute): // a watchdog: the server sees the close at once
		t.Fatal("the client's idle connection is still open")
	}
}
