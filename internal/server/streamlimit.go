package server

import (
	"sync"

	"github.com/raccordo/raccordo/internal/errs"
)

// Defaults of the stream limits (Config.MaxStreams and
// Config.MaxStreamsPerPrincipal). A regional system needs one watch per
// region it mirrors; thousands of idle streams slow every write's fan-out.
const (
	DefaultMaxStreams             = 512
	DefaultMaxStreamsPerPrincipal = 8
)

// streamRetryAfter is the Retry-After, in seconds, of a refused stream.
const streamRetryAfter = 5

// streamSlots counts the open streams, in total and per principal, and
// refuses a stream beyond either limit.
type streamSlots struct {
	max, perPrincipal int

	mu    sync.Mutex
	total int
	by    map[string]int
}

func newStreamSlots(max, perPrincipal int) *streamSlots {
	return &streamSlots{max: max, perPrincipal: perPrincipal, by: map[string]int{}}
}

// acquire takes a slot for subject, or returns errs.ResourceExhausted with
// a Retry-After. The caller calls release once the stream ends.
func (s *streamSlots) acquire(subject string) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.total >= s.max:
		return nil, errs.TooManyStreams.With(errs.Error{RetryAfter: streamRetryAfter,
			Message: "the server has as many open streams as it serves; retry later"})
	case s.by[subject] >= s.perPrincipal:
		return nil, errs.TooManyStreams.With(errs.Error{RetryAfter: streamRetryAfter,
			Message: "this caller already has as many open streams as it may; close one or retry later"})
	}
	s.total++
	s.by[subject]++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.total--
			if s.by[subject]--; s.by[subject] <= 0 {
				delete(s.by, subject) // the map holds only open streams
			}
		})
	}, nil
}
