package sdk

import (
	"errors"
	"iter"
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
// Retry-After on REST), or 0 when it did not say.
func RetryDelay(err error) time.Duration {
	for ri := range details[*errdetails.RetryInfo](err) {
		return ri.GetRetryDelay().AsDuration()
	}
	return 0
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
