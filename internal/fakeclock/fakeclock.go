// Package fakeclock is a settable clock for the tests of services that
// take their time from an Options.Now function.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is a clock that stands still at the time last set, safe for the
// service and the test in other goroutines. The zero value stands at the
// zero time.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now is the time last set: pass it as the service's Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
