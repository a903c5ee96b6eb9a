// Package fakeclock holds the clocks tests give to services that take
// their time from an Options.Now function (a whole server takes one in
// server.Config.Now): Clock stands still where set, Shifted runs with the
// real clock, ahead by what the test added.
package fakeclock

import (
	"sync"
	"sync/atomic"
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

// Shifted is the real clock moved ahead by what the test added: a whole
// server can run on it as on the real one, its rate limits refilling as
// usual, while the test moves past an expiry or a closing time instead of
// waiting for it. The zero value is the real clock.
type Shifted struct {
	ahead atomic.Int64 // nanoseconds
}

// Now is the real time plus what Advance added: pass it as the service's
// Now.
func (c *Shifted) Now() time.Time { return time.Now().Add(time.Duration(c.ahead.Load())) }

// Advance moves the clock d ahead (back, when d is negative: a test
// server's clock starts at a fixed instant this way).
func (c *Shifted) Advance(d time.Duration) { c.ahead.Add(int64(d)) }
