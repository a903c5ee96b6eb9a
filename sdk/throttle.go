package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrThrottled is the cause of a call the client's Throttle rejected
// without sending it: the server had refused too many of the client's
// recent calls. errors.Is finds it in the errors of every adapter (see
// Throttle); on the wire nothing was sent.
var ErrThrottled = errors.New("the client throttled the call: the server refused most of its recent calls (sdk.Throttle)")

// ThrottledHeader is set to "client" on the synthetic 429 answer of
// Throttle.RoundTripper, so a REST caller can tell its own throttle's
// rejection from the server's refusal.
const ThrottledHeader = "Raccordo-Throttled"

// ThrottleConfig configures a Throttle; the zero value is the defaults.
type ThrottleConfig struct {
	// K is how many calls the client sends for each call the server
	// accepts before it starts rejecting calls itself: 2 when zero. A
	// lower K sends less excess to an overloaded server (at 1 it sends
	// only what the server accepted); a higher one reacts later. A K
	// below 1 is taken as 1: it would reject calls of a server that
	// refuses none.
	K float64
	// Window is how far back the client's history reaches: 2 s when
	// zero, kept in 20 equal buckets. A shorter window forgets a past
	// overload sooner.
	Window time.Duration
	// Now is the clock (time.Now when nil), for tests.
	Now func() time.Time
	// Rand returns a number in [0, 1) (math/rand/v2's Float64 when nil),
	// for tests.
	Rand func() float64
}

// throttleBuckets is how many slices a Throttle's window is kept in.
const throttleBuckets = 20

// Throttle is client-side adaptive throttling, as in the Google SRE book's
// chapter "Handling Overload": over a recent window the client counts the
// calls it attempted (requests) and those the server accepted (accepts),
// and rejects a new call itself, without sending it, with probability
//
//	max(0, (requests - K*accepts) / (requests + 1))
//
// So while the server accepts what it is sent, nothing is rejected; when
// it refuses most calls (RESOURCE_EXHAUSTED, 429: it is overloaded), the
// client sends about K times what it accepts and keeps the rest to itself,
// where a rejection costs the server nothing. A refusal is not free for
// the server (reading the call's headers, writing the answer), so clients
// that throttle themselves leave it more of its CPU for the calls it
// serves. Calls rejected locally count as requests, so the rejection
// probability falls as the server accepts again and as the window moves
// past the overload: by a factor of about K each window, so a K close to
// 1 recovers slowly. A call let through counts once answered (as grpc-go's
// own adaptive throttler does): calls still waiting for their answer are
// neither requests nor accepts, so a server that is only slow is not
// taken for one that refuses.
//
// Only the server's refusals count against the server: RESOURCE_EXHAUSTED
// and UNAVAILABLE (HTTP 429 and 503; a server that cannot be reached is
// UNAVAILABLE too). Any other answer, an error such as NOT_FOUND or
// INVALID_ARGUMENT included, is a call the server handled, and counts as
// accepted; so does a call the caller cancelled or whose deadline passed.
//
// A Throttle is safe for concurrent use and takes no lock: the counts are
// atomic, in buckets of the window that are reset as the clock reaches
// them (a count racing with its bucket's reset may be lost, which shifts
// the statistics by one call). Share one Throttle among all the clients of
// one server, on every protocol: it is a connect.Interceptor (Connect,
// gRPC and gRPC-Web through NewClient), and UnaryClientInterceptor and
// RoundTripper adapt it to grpc-go and to plain HTTP (REST). It throttles
// unary calls; streams (Watch) pass untouched, since the server bounds
// them on their own.
type Throttle struct {
	k      float64
	width  int64 // a bucket's span, in nanoseconds
	now    func() time.Time
	random func() float64

	buckets [throttleBuckets]throttleBucket
}

// throttleBucket counts the calls of one slice of time: the slice's index
// since the epoch (now / width), and its requests and accepts.
type throttleBucket struct {
	slice    atomic.Int64
	requests atomic.Int64
	accepts  atomic.Int64
}

// NewThrottle returns a Throttle with an empty history.
func NewThrottle(c ThrottleConfig) *Throttle {
	t := &Throttle{k: c.K, now: c.Now, random: c.Rand}
	switch {
	case t.k <= 0:
		t.k = 2
	case t.k < 1:
		t.k = 1
	}
	window := c.Window
	if window <= 0 {
		window = 2 * time.Second
	}
	t.width = max(int64(window/throttleBuckets), 1)
	if t.now == nil {
		t.now = time.Now
	}
	if t.random == nil {
		t.random = rand.Float64
	}
	for i := range t.buckets {
		t.buckets[i].slice.Store(-1)
	}
	return t
}

// Allow says whether to send a call the client is about to make; a call
// it rejects is recorded as a request at once. When it returns true, the
// caller must report the server's answer with Done, which records the
// call.
func (t *Throttle) Allow() bool {
	slice := t.slice()
	if p := t.probability(slice); p > 0 && t.random() < p {
		t.bucket(slice).requests.Add(1)
		return false
	}
	return true
}

// Done records a call Allow let through, once answered: refused is true
// when the server refused it for overload.
func (t *Throttle) Done(refused bool) {
	b := t.bucket(t.slice())
	b.requests.Add(1)
	if !refused {
		b.accepts.Add(1)
	}
}

// Probability is the chance that Allow now rejects a call.
func (t *Throttle) Probability() float64 { return t.probability(t.slice()) }

func (t *Throttle) slice() int64 { return t.now().UnixNano() / t.width }

// probability sums the window ending at slice and applies the formula.
func (t *Throttle) probability(slice int64) float64 {
	var requests, accepts int64
	for i := range t.buckets {
		b := &t.buckets[i]
		if s := b.slice.Load(); s > slice-throttleBuckets && s <= slice {
			requests += b.requests.Load()
			accepts += b.accepts.Load()
		}
	}
	return max(0, (float64(requests)-t.k*float64(accepts))/float64(requests+1))
}

// bucket returns slice's bucket, emptied first if it last held an older
// slice.
func (t *Throttle) bucket(slice int64) *throttleBucket {
	b := &t.buckets[uint64(slice)%throttleBuckets] // unsigned: a clock before 1970 too
	for {
		old := b.slice.Load()
		if old >= slice {
			return b
		}
		if b.slice.CompareAndSwap(old, slice) {
			b.requests.Store(0)
			b.accepts.Store(0)
			return b
		}
	}
}

// WrapUnary implements connect.Interceptor: a call rejected locally fails
// with connect.CodeResourceExhausted, its error wrapping ErrThrottled.
func (t *Throttle) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if !t.Allow() {
			return nil, connect.NewError(connect.CodeResourceExhausted, ErrThrottled)
		}
		res, err := next(ctx, req)
		code := connect.CodeOf(err)
		t.Done(err != nil && (code == connect.CodeResourceExhausted || code == connect.CodeUnavailable))
		return res, err
	}
}

// WrapStreamingClient implements connect.Interceptor; streams are not
// throttled.
func (t *Throttle) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler implements connect.Interceptor; it is a client's.
func (t *Throttle) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// UnaryClientInterceptor adapts the Throttle to grpc-go clients
// (grpc.WithUnaryInterceptor): a call rejected locally fails with
// codes.ResourceExhausted, its error wrapping ErrThrottled.
func (t *Throttle) UnaryClientInterceptor() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if !t.Allow() {
			return grpcThrottled{}
		}
		err := invoker(ctx, method, req, reply, cc, opts...)
		code := status.Code(err)
		t.Done(code == codes.ResourceExhausted || code == codes.Unavailable)
		return err
	}
}

// grpcThrottled is a local rejection on grpc-go: its status is
// RESOURCE_EXHAUSTED, and it wraps ErrThrottled.
type grpcThrottled struct{}

func (grpcThrottled) Error() string {
	return "rpc error: code = ResourceExhausted desc = " + ErrThrottled.Error()
}
func (grpcThrottled) Unwrap() error { return ErrThrottled }
func (grpcThrottled) GRPCStatus() *status.Status {
	return status.New(codes.ResourceExhausted, ErrThrottled.Error())
}

// RoundTripper adapts the Throttle to plain HTTP clients, for the REST
// API: next (http.DefaultTransport when nil) carries the calls let
// through, and a 429 or 503 answer counts as a refusal. A call rejected
// locally gets a synthetic answer, what a REST caller already handles
// for a server's refusal: 429 Too Many Requests with an
// application/problem+json body whose detail is ErrThrottled's message,
// ThrottledHeader set to "client", and no Retry-After. Its request body,
// if any, is closed unsent.
func (t *Throttle) RoundTripper(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return throttledTransport{t: t, next: next}
}

type throttledTransport struct {
	t    *Throttle
	next http.RoundTripper
}

// CloseIdleConnections closes next's idle connections, when it has any to
// close: http.Client.CloseIdleConnections reaches a transport only through
// this method, so without it a client wrapped in a Throttle could never
// close its connections (each an idle one the server keeps open, and must
// wait for as it shuts down).
func (tt throttledTransport) CloseIdleConnections() { closeIdleConnections(tt.next) }

// closeIdleConnections closes rt's idle connections, when it has a way to:
// the CloseIdleConnections of every transport the SDK wraps around another.
func closeIdleConnections(rt http.RoundTripper) {
	if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// throttledProblem is the body of a local rejection (RFC 9457).
var throttledProblem = func() string {
	b, err := json.Marshal(map[string]any{"title": "Too Many Requests", "status": http.StatusTooManyRequests, "detail": ErrThrottled.Error()})
	if err != nil {
		panic(err)
	}
	return string(b)
}()

func (tt throttledTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !tt.t.Allow() {
		if req.Body != nil {
			req.Body.Close()
		}
		h := http.Header{}
		h.Set("Content-Type", "application/problem+json")
		h.Set(ThrottledHeader, "client")
		return &http.Response{
			Status: "429 Too Many Requests", StatusCode: http.StatusTooManyRequests,
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: h, Body: io.NopCloser(strings.NewReader(throttledProblem)),
			ContentLength: int64(len(throttledProblem)), Request: req,
		}, nil
	}
	res, err := tt.next.RoundTrip(req)
	if err != nil {
		// The server was not reached, as gRPC's UNAVAILABLE; unless the
		// caller gave up.
		tt.t.Done(req.Context().Err() == nil)
		return nil, err
	}
	tt.t.Done(res.StatusCode == http.StatusTooManyRequests || res.StatusCode == http.StatusServiceUnavailable)
	return res, nil
}
