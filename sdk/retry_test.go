package sdk

import (
	"errors"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/raccordo/raccordo/internal/errs"
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

// TestRetryableUnavailableReasons: every reason of the server's catalogue
// that tells a client to come back (503, 429: a restart, SHUTTING_DOWN
// included, a full disk, a limit) is one Retryable accepts, and every
// DATA_LOSS one is not.
func TestRetryableUnavailableReasons(t *testing.T) {
	codeOf := map[string]connect.Code{}
	for c := connect.CodeCanceled; c <= connect.CodeUnauthenticated; c++ {
		codeOf[strings.ToUpper(c.String())] = c
	}
	for _, e := range errs.Catalogue() {
		c, ok := codeOf[string(e.Code.Reason())]
		if !ok {
			t.Fatalf("%s: code %s has no Connect code", e.Reason, e.Code.Reason())
		}
		err := connect.NewError(c, errors.New(string(e.Reason)))
		switch {
		case (e.HTTPStatus == 503 || e.HTTPStatus == 429) && !Retryable(err):
			t.Errorf("%s (%v, %d) is not retried: the server asks the client to come back", e.Reason, c, e.HTTPStatus)
		case c == connect.CodeDataLoss && Retryable(err):
			t.Errorf("%s (%v) is retried: a damaged record stays damaged", e.Reason, c)
		}
	}
}
