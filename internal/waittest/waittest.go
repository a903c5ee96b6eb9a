// Package waittest waits, in tests, for something another goroutine or
// process does in its own time: a mirror's list, an etcd watch's event, a
// slot given back. The wait is a bound on an event, never the assertion:
// the event usually comes within milliseconds, and the bound only stops a
// test whose event never comes. It is generous because CI runs the race
// detector on two loaded cores, where a scheduling delay of seconds is
// ordinary; how long each wait took is logged, so a slow one shows in a
// test's -v output without failing it.
package waittest

import (
	"errors"
	"testing"
	"time"
)

// Bound is how long a wait lasts before it gives up: as long as
// TestEtcdTwoServers's wait for a revocation to travel, the longest a
// loaded CI machine has been seen to need, with room to spare.
const Bound = 30 * time.Second

// every is how often a condition is checked: often enough that a wait
// ends close to its event, seldom enough to leave the CPU to the event.
const every = 5 * time.Millisecond

// errNotYet is Until's condition while it does not hold.
var errNotYet = errors.New("not yet")

// Until checks ok until it holds, and fails t, naming what, if it does
// not within Bound.
func Until(t testing.TB, what string, ok func() bool) {
	t.Helper()
	if Eventually(t, what, func() error {
		if ok() {
			return nil
		}
		return errNotYet
	}) != nil {
		t.Fatalf("%s: not within %v", what, Bound)
	}
}

// Eventually calls check until it returns nil, for up to Bound, and
// returns its last error if it never did: for a caller that says itself
// what went wrong, or that goes on after it.
func Eventually(t testing.TB, what string, check func() error) error {
	t.Helper()
	return poll(t, Bound, what, check)
}

// Receive waits for a value on ch, and fails t, naming what, if none
// comes within Bound.
func Receive[T any](t testing.TB, what string, ch <-chan T) T {
	t.Helper()
	start := time.Now()
	select {
	case v := <-ch:
		t.Logf("waited %v for %s", time.Since(start).Round(time.Millisecond), what)
		return v
	case <-time.After(Bound):
		t.Fatalf("%s: not within %v", what, Bound)
		panic("unreachable") // Fatalf does not return
	}
}

func poll(t testing.TB, bound time.Duration, what string, check func() error) error {
	t.Helper()
	start := time.Now()
	deadline := start.Add(bound)
	for {
		err := check()
		if err == nil {
			t.Logf("waited %v for %s", time.Since(start).Round(time.Millisecond), what)
			return nil
		}
		if time.Now().After(deadline) {
			t.Logf("gave up on %s after %v: %v", what, time.Since(start).Round(time.Millisecond), err)
			return err
		}
		time.Sleep(every)
	}
}
