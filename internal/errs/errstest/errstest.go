// Package errstest checks the *errs.Error a domain service returns, for
// the packages' tests.
package errstest

import (
	"slices"
	"testing"

	"github.com/raccordo/raccordo/internal/errs"
)

// Want reports, as what, an error that is not an *errs.Error with code,
// reason and exactly the field violations fields, in order.
func Want(t testing.TB, what string, err error, code errs.Code, reason errs.Reason, fields ...string) {
	t.Helper()
	e := errs.As(err)
	if e == nil {
		t.Errorf("%s: got %v, want %v %s", what, err, code, reason)
		return
	}
	var got []string
	for _, v := range e.Violations {
		got = append(got, v.Field)
	}
	if e.Code != code || e.Reason != reason || !slices.Equal(got, fields) {
		t.Errorf("%s: got %v %s fields %q (%v), want %v %s fields %q", what, e.Code, e.Reason, got, err, code, reason, fields)
	}
}

// WantField stops the test unless err is an *errs.Error, and reports one
// without code and reason or, when field is set, without a violation of
// field (among others).
func WantField(t testing.TB, err error, code errs.Code, reason errs.Reason, field string) {
	t.Helper()
	e := errs.As(err)
	if e == nil {
		t.Fatalf("got %v, want %v %s", err, code, reason)
	}
	if e.Code != code || e.Reason != reason {
		t.Errorf("got %v %s (%v), want %v %s", e.Code, e.Reason, err, code, reason)
	}
	if field != "" && !slices.ContainsFunc(e.Violations, func(v errs.Violation) bool { return v.Field == field }) {
		t.Errorf("violations %v, want one of %s", e.Violations, field)
	}
}
