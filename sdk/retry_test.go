package sdk

import (
	"testing"

	"connectrpc.com/connect"
)

// TestEveryCodeIsDecided: the retry rule names every code, so a code
// added later is a decision, not a default.
func TestEveryCodeIsDecided(t *testing.T) {
	for c := connect.CodeCanceled; c <= connect.CodeUnauthenticated; c++ {
		if _, ok := transient[c]; !ok {
			t.Errorf("code %v has no retry decision", c)
		}
	}
}
