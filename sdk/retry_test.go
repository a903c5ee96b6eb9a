package sdk

import (
	"errors"
	"strings"
	"testing"
	"time"

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

// TestRetryAfterValues: a Retry-After is read as RFC 9110 writes it
// (digits, or an HTTP date) and bounded; a sign, a fraction or text is no
// delay, and a value past time.Duration's range is the bound, where it
// read as a negative duration, hence as no wait at all.
func TestRetryAfterValues(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"5", 5 * time.Second},
		{"+5", 0},
		{"-5", 0},
		{"1.5", 0},
		{"soon", 0},
		{"86399", 86399 * time.Second},
		{"86400", maxRetryAfter},
		{"9999999999", maxRetryAfter},
		{"99999999999999999999999", maxRetryAfter},
		{"Tue, 01 Dec 2026 09:00:30 GMT", 30 * time.Second},
		{"Tue, 01 Dec 2026 08:59:00 GMT", 0},
		{"Fri, 01 Dec 2028 09:00:00 GMT", maxRetryAfter},
	} {
		if got := retryAfter(tt.v, now); got != tt.want {
			t.Errorf("Retry-After %q: %v, want %v", tt.v, got, tt.want)
		}
	}
}
