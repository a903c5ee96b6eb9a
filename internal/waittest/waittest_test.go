package waittest

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// logged keeps what a wait logs, to check that it says how long it took.
type logged struct {
	testing.TB
	lines []string
}

func (l *logged) Helper() {}

func (l *logged) Logf(format string, args ...any) {
	l.lines = append(l.lines, format)
	l.TB.Logf(format, args...)
}

// A condition that comes true ends the wait and the time it took is
// logged; one that never does ends it after the bound with its last error.
func TestPoll(t *testing.T) {
	l := &logged{TB: t}
	calls := 0
	if err := poll(l, time.Minute, "the third call", func() error {
		if calls++; calls < 3 {
			return errNotYet
		}
		return nil
	}); err != nil || calls != 3 {
		t.Errorf("a condition true at the third call: %v after %d calls", err, calls)
	}
	if len(l.lines) != 1 || !strings.HasPrefix(l.lines[0], "waited") {
		t.Errorf("logged %q, want how long the wait took", l.lines)
	}

	last := errors.New("still not")
	start := time.Now()
	if err := poll(l, 50*time.Millisecond, "nothing", func() error { return last }); err != last {
		t.Errorf("a condition never true: got %v, want its last error", err)
	}
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Errorf("gave up after %v, before the bound", waited)
	}
}

// Receive returns the value that comes on its channel.
func TestReceive(t *testing.T) {
	ch := make(chan int, 1)
	go func() { ch <- 7 }()
	if got := Receive(t, "a value", ch); got != 7 {
		t.Errorf("received %d, want 7", got)
	}
}
