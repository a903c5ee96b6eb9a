package server

import (
	"github.com/raccordo/raccordo/internal/errs"
)

// DefaultMaxConcurrentCalls is the default of Config.MaxConcurrentCalls.
const DefaultMaxConcurrentCalls = 256

// shedRetryAfter is the Retry-After, in seconds, of a call refused
// because the server is at its concurrency limit.
const shedRetryAfter = 1

// shedder bounds the unary calls the server works on at once. A call
// beyond the limit is refused at once with RESOURCE_EXHAUSTED and a
// Retry-After rather than queued: under twice its capacity the server
// keeps serving what it can at full speed (queued calls would all miss
// their deadlines together), and the refusal costs next to nothing.
type shedder struct {
	slots chan struct{}
}

func newShedder(limit int) *shedder {
	return &shedder{slots: make(chan struct{}, limit)}
}

// acquire takes a slot or refuses the call; release gives it back.
func (s *shedder) acquire() (release func(), err error) {
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, nil
	default:
		return nil, errs.Overloaded.With(errs.Error{RetryAfter: shedRetryAfter,
			Message: "the server is at capacity; retry in a moment"})
	}
}
