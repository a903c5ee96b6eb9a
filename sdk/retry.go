package sdk

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
)

// transient says, for every code a call can end with, whether the same
// call may succeed if made again later. It is the one rule of the SDK's
// retries: what is not transient says something about the request, the
// credentials or the server's data that repeating the call will not
// change. Codes are listed whole, so a new one is a decision.
var transient = map[connect.Code]bool{
	connect.CodeCanceled:           true,  // the server or a proxy reset the stream (the caller's own cancellation stops before asking)
	connect.CodeUnknown:            true,  // no status: the connection broke between messages
	connect.CodeInvalidArgument:    false, // the request itself
	connect.CodeDeadlineExceeded:   true,  // a slow moment
	connect.CodeNotFound:           false, // no such region or resource
	connect.CodeAlreadyExists:      false,
	connect.CodePermissionDenied:   false, // the token's role or region
	connect.CodeResourceExhausted:  true,  // a limit (load, streams): after its Retry-After
	connect.CodeFailedPrecondition: false, // the resource's state; a Mirror lists again on REVISION_COMPACTED before asking
	connect.CodeAborted:            true,  // a conflict of the moment
	connect.CodeOutOfRange:         false,
	connect.CodeUnimplemented:      false, // a server without the method
	connect.CodeInternal:           true,  // also connect's code for a stream cut mid-message
	connect.CodeUnavailable:        true,  // the server is restarting, stopping, or its disk is full
	connect.CodeDataLoss:           false, // a damaged record stays damaged until the server's operators restore it
	connect.CodeUnauthenticated:    false, // a refused, expired or revoked token
}

// Retryable reports whether a call that failed with err may succeed if made
// again later (after RetryDelay(err), at least): the server was unreachable,
// overloaded, restarting, or the connection broke. DATA_LOSS, a refused
// token, a bad request and the other answers about the request or the data
// are not: repeating the call gets the same answer. An error with no code
// (a broken connection) is retryable.
func Retryable(err error) bool {
	return transient[connect.CodeOf(err)]
}

// RetryDelay is how long the server asked the caller to wait before trying
// again (the RetryInfo of a RESOURCE_EXHAUSTED or UNAVAILABLE, sent as
// Retry-After on REST), or else how long the Retry-After header of the
// answer asks (a proxy or load balancer in front of the server refusing
// with a 503 or 429 of its own), or 0 when neither says.
func RetryDelay(err error) time.Duration {
	for ri := range details[*errdetails.RetryInfo](err) {
		return ri.GetRetryDelay().AsDuration()
	}
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return 0
	}
	return retryAfter(ce.Meta().Get("Retry-After"), time.Now())
}

// maxRetryAfter bounds the wait a Retry-After header asks: a proxy's value
// of years (or one past time.Duration's range, which read as negative and
// so as no wait at all) would otherwise stall a Mirror's next try for as
// long, where a day already says "not soon".
const maxRetryAfter = 24 * time.Hour

// retryAfter reads a Retry-After header's value (RFC 9110, 10.2.3) at now:
// delay seconds (digits only, as the RFC writes them) or an HTTP date, at
// most maxRetryAfter; 0 for none, one past or one it cannot read.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseUint(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if s >= uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter)
	}
	return 0
}

// Reason is the reason of the server's refusal err (its
// google.rpc.ErrorInfo): the stable token a client switches on, such as
// NOT_A_PARTY or ARCHIVED, listed with its code in the API's error
// catalogue (docs/errors.md). A refusal with no kind of its own carries its
// code's name (NOT_FOUND, INVALID_ARGUMENT). It is "" for an error the
// server did not answer with (a broken connection, a proxy's refusal).
func Reason(err error) string {
	for info := range details[*errdetails.ErrorInfo](err) {
		return info.GetReason()
	}
	return ""
}

// details yields the details of type D (google.rpc.RetryInfo, ErrorInfo)
// that err, a call's error, carries, in order; none when err is not a
// connect error. A detail that cannot be decoded is passed over.
func details[D any](err error) iter.Seq[D] {
	return func(yield func(D) bool) {
		var ce *connect.Error
		if !errors.As(err, &ce) {
			return
		}
		for _, d := range ce.Details() {
			v, err := d.Value()
			if err != nil {
				continue
			}
			if t, ok := v.(D); ok && !yield(t) {
				return
			}
		}
	}
}

// The Retry-After of an answer that is not the server's own (a proxy's or
// a load balancer's 503 or 429, with no Connect or gRPC error in it) is
// dropped by connect-go, which builds the call's error from the HTTP
// status alone. NewClient keeps it: its transport, proxyRetryAfter, hands
// the header to the call's interceptor, keepRetryAfter, through the
// request's context, and the interceptor adds it to the error's metadata,
// where RetryDelay reads it; a stream's errors, which come after its call
// has returned, get it from the stream (retryAfterStream).

// retryAfterSlot is where proxyRetryAfter leaves a refusal's Retry-After
// for the call whose context carries it.
type retryAfterSlot struct{ v atomic.Pointer[string] }

type retryAfterKey struct{}

// proxyRetryAfter is the transport NewClient's calls go through.
type proxyRetryAfter struct{ next http.RoundTripper }

func (t proxyRetryAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(req)
	if err != nil || (res.StatusCode != http.StatusServiceUnavailable && res.StatusCode != http.StatusTooManyRequests) {
		return res, err
	}
	if slot, ok := req.Context().Value(retryAfterKey{}).(*retryAfterSlot); ok {
		if v := res.Header.Get("Retry-After"); v != "" {
			slot.v.Store(&v)
		}
	}
	return res, nil
}

// CloseIdleConnections closes next's idle connections, as
// throttledTransport's does.
func (t proxyRetryAfter) CloseIdleConnections() { closeIdleConnections(t.next) }

// keepRetryAfter is the interceptor of NewClient's calls.
type keepRetryAfter struct{}

func (keepRetryAfter) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		slot := &retryAfterSlot{}
		res, err := next(context.WithValue(ctx, retryAfterKey{}, slot), req)
		return res, slot.keep(err)
	}
}

// WrapStreamingClient keeps a proxy's Retry-After on a stream's errors,
// which its Receive (or Send) returns after the call itself has.
func (keepRetryAfter) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		slot := &retryAfterSlot{}
		return retryAfterStream{next(context.WithValue(ctx, retryAfterKey{}, slot), spec), slot}
	}
}

// keep adds the Retry-After left in the slot, if any, to err's metadata
// when err is a connect error whose answer had none of the server's own.
func (s *retryAfterSlot) keep(err error) error {
	var ce *connect.Error
	if v := s.v.Load(); v != nil && errors.As(err, &ce) && ce.Meta().Get("Retry-After") == "" {
		ce.Meta().Set("Retry-After", *v)
	}
	return err
}

// retryAfterStream is a stream whose errors keep a proxy's Retry-After.
type retryAfterStream struct {
	connect.StreamingClientConn
	slot *retryAfterSlot
}

func (s retryAfterStream) Send(msg any) error { return s.slot.keep(s.StreamingClientConn.Send(msg)) }

func (s retryAfterStream) Receive(msg any) error {
	return s.slot.keep(s.StreamingClientConn.Receive(msg))
}

func (s retryAfterStream) CloseRequest() error {
	return s.slot.keep(s.StreamingClientConn.CloseRequest())
}

func (s retryAfterStream) CloseResponse() error {
	return s.slot.keep(s.StreamingClientConn.CloseResponse())
}

func (keepRetryAfter) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// withProxyRetryAfter is hc, or http.DefaultClient when nil, with its
// transport wrapped in proxyRetryAfter.
func withProxyRetryAfter(hc *http.Client) *http.Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	wrapped := *hc
	wrapped.Transport = proxyRetryAfter{next: next}
	return &wrapped
}
