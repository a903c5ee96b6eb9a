package server

import (
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/internal/errs"
)

// undecoded hands a unary request whose body did not decode from the
// codec that decoded it to the pipeline, which refuses the call as it
// refuses every call it runs: an access line naming the caller, the
// metrics under the call's surface, a span (admit). grpc-go and
// connect-go decode a unary request before any interceptor, and refuse
// one that does not decode without running any: the call went
// unrecorded, and gRPC's own port answered INTERNAL. The codec knows no
// call, only the message it decodes into, which is the request the
// interceptor then gets: so the failure is held under that message
// (hold), the codec reports success, and the pipeline takes the failure
// back before anything reads the request (take).
//
// Only unary requests are held, decoded by the codecs of the unary
// handlers (connectCodecs) and by the gRPC port's codec through
// grpcAuthFirst's decoding: a stream's handler receives its messages
// itself, and refuses one that does not decode (messageRefused).
type undecoded struct {
	held atomic.Int64
	mu   sync.Mutex
	m    map[any]undecodedRequest
}

type undecodedRequest struct {
	err error
	at  time.Time
}

// undecodedCap bounds the failures held at once. A failure the pipeline
// never takes back is one connect-go refused itself after the codec held
// it (a unary gRPC or gRPC-Web request of two messages, the first not
// decoding): past the cap, those older than undecodedAge are dropped.
// Their calls have ended: nothing reads a request body for longer than
// the HTTP listener's ReadTimeout.
const (
	undecodedCap = 1024
	undecodedAge = 5 * time.Minute
)

func newUndecoded() *undecoded { return &undecoded{m: map[any]undecodedRequest{}} }

// hold keeps err, the failure to decode into m, for the pipeline to take,
// and reports whether it did: when it did not (u is nil, the failures
// held are at their cap), the codec returns err, and the call is refused
// unrecorded, as before.
func (u *undecoded) hold(m proto.Message, err error) bool {
	if u == nil {
		return false
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	now := time.Now()
	if len(u.m) >= undecodedCap {
		for k, r := range u.m {
			if now.Sub(r.at) > undecodedAge {
				delete(u.m, k)
			}
		}
		if len(u.m) >= undecodedCap {
			return false
		}
	}
	// Whatever the decoding left in m is dropped: a request never
	// taken back reaches no handler half decoded.
	proto.Reset(m)
	u.m[m] = undecodedRequest{err: err, at: now}
	u.held.Store(int64(len(u.m)))
	return true
}

// take is the refusal of req when its body did not decode (hold), nil
// otherwise. It costs one atomic load while nothing is held.
func (u *undecoded) take(req any) error {
	if u == nil || req == nil || u.held.Load() == 0 {
		return nil
	}
	u.mu.Lock()
	r, ok := u.m[req]
	delete(u.m, req)
	u.held.Store(int64(len(u.m)))
	u.mu.Unlock()
	if !ok {
		return nil
	}
	return undecodable(r.err)
}

// undecodable is the refusal of a request that did not decode, err: an
// INVALID_ARGUMENT naming the field the decoder names (an unknown field,
// a bad enum value), the body otherwise, as REST's (problemFromStatus).
func undecodable(err error) error {
	if e := errs.As(err); e != nil {
		return e // a refusal of check's, naming its field
	}
	return errs.InvalidField(decodeErrorField(err.Error()), "cannot be decoded: %v", err)
}
