package errs_test

import (
	"maps"
	"math"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/internal/errs"
)

// TestViolationsAreBounded checks that a request with a huge number of
// invalid fields gets an error of bounded size: the first MaxViolations
// listed, the rest counted.
func TestViolationsAreBounded(t *testing.T) {
	const n = 200_000
	var v errs.Violations
	for range n {
		v.Add("network.members[0].partner", "is required")
	}
	if got := v.Len(); got != n {
		t.Errorf("Len: got %d, want %d", got, n)
	}
	e := errs.As(v.Err())
	if e == nil {
		t.Fatal("Err: got nil, want an *errs.Error")
	}
	if got := len(e.Violations); got != errs.MaxViolations {
		t.Errorf("listed violations: got %d, want %d", got, errs.MaxViolations)
	}
	if got, want := e.MoreViolations, n-errs.MaxViolations; got != want {
		t.Errorf("MoreViolations: got %d, want %d", got, want)
	}
	if want := "(and 199999 more)"; !strings.Contains(e.Message, want) {
		t.Errorf("message %q does not say %q", e.Message, want)
	}
	msg := e.Error()
	if !strings.HasSuffix(msg, "; and 199950 more") {
		t.Errorf("Error() = %.100q..., want it to end with the count of unlisted violations", msg)
	}
	if len(msg) > 100*errs.MaxViolations {
		t.Errorf("Error() is %d bytes long, want it bounded by the listed violations", len(msg))
	}
}

// TestErrorTextIsLinear checks that Error() allocates a constant number of
// times whatever the number of violations (it used to append in a loop,
// quadratic in time and allocations).
func TestErrorTextIsLinear(t *testing.T) {
	e := &errs.Error{Code: errs.Invalid, Message: "invalid request"}
	for range 5000 {
		e.Violations = append(e.Violations, errs.Violation{Field: "names[0]", Description: "is not a support entry"})
	}
	if allocs := testing.AllocsPerRun(5, func() { _ = e.Error() }); allocs > 10 {
		t.Errorf("Error() with 5000 violations: %.0f allocations, want a few", allocs)
	}
}

// TestAddFrom checks that merging a validator's error keeps the bound.
func TestAddFrom(t *testing.T) {
	var inner errs.Violations
	for range 2 * errs.MaxViolations {
		inner.Add("id", "is not a valid id")
	}
	var v errs.Violations
	v.Add("display_name", "is required")
	v.AddFrom(inner.Err())
	if got, want := v.Len(), 2*errs.MaxViolations+1; got != want {
		t.Errorf("Len: got %d, want %d", got, want)
	}
	if got := len(v.List()); got != errs.MaxViolations {
		t.Errorf("listed: got %d, want %d", got, errs.MaxViolations)
	}
}

func TestClipAndIndexed(t *testing.T) {
	if got := errs.Clip(strings.Repeat("a", 81), errs.MaxEcho); got != strings.Repeat("a", 80)+"..." {
		t.Errorf("Clip(81 a) = %q", got)
	}
	if got := errs.Clip(strings.Repeat("a", 80), errs.MaxEcho); got != strings.Repeat("a", 80) {
		t.Errorf("Clip(80 a) = %q", got)
	}
	if got := errs.Clip("short", errs.MaxEcho); got != "short" {
		t.Errorf("Clip(short) = %q", got)
	}
	if got := errs.Clip(strings.Repeat("a", 41), 40); got != strings.Repeat("a", 40)+"..." {
		t.Errorf("Clip(41 a, 40) = %q", got)
	}
	// "è" is two bytes, the 80th and 81st: the cut goes before it.
	if got := errs.Clip(strings.Repeat("a", 79)+"è", errs.MaxEcho); got != strings.Repeat("a", 79)+"..." {
		t.Errorf("Clip(79 a, è) = %q, want the è left out whole", got)
	}
	if got := errs.Clip(strings.Repeat("è", 41), 40); got != strings.Repeat("è", 20)+"..." {
		t.Errorf("Clip(41 è, 40) = %q", got)
	}
	if got := errs.Indexed("parties", 2); got != "parties[2]" {
		t.Errorf("Indexed = %q", got)
	}
	for path, want := range map[string]int{"names[0]": 0, "names[12]": 12, "names[-1]": -1, "names[+1]": -1, "names[01]": -1, "names[1].x": -1, "names": -1, "other[1]": -1, "names[1]]": -1, "names[]": -1} {
		i, ok := errs.IndexIn(path, "names")
		if ok != (want >= 0) || ok && i != want {
			t.Errorf("IndexIn(%q) = %d, %v; want %d", path, i, ok, want)
		}
	}
}

// TestFail: an error that kept a check from being made is what Err
// returns, before any violation, and it counts in Len; only the first is
// kept.
func TestFail(t *testing.T) {
	var v errs.Violations
	v.Add("a", "is required")
	loss := errs.RecordCorrupt.New("damaged")
	v.Fail(loss)
	v.Fail(errs.NotFound.New("later"))
	v.Add("b", "is required")
	if err := v.Err(); err != loss {
		t.Errorf("Err: got %v, want the first failure %v", err, loss)
	}
	if got := v.Len(); got != 3 {
		t.Errorf("Len: got %d, want 3 (two violations and the failure)", got)
	}
	var only errs.Violations
	only.Fail(loss)
	if only.Len() != 1 || only.Err() != loss {
		t.Errorf("a failure alone: got Len %d, Err %v", only.Len(), only.Err())
	}
}

// TestNaming: an error given the request field that named what it refuses
// keeps its code and reason, names the field in a violation, and calls the
// field invalid only when its code is INVALID_ARGUMENT.
func TestNaming(t *testing.T) {
	for _, tc := range []struct {
		err  *errs.Error
		want string
	}{
		{errs.NotFound.New("regions/lombardia/partners/zz not found"), "names[1]: regions/lombardia/partners/zz not found"},
		{errs.Invalid.New("is not a partner"), "invalid names[1]: is not a partner"},
		{errs.NotOwnEntry.New("not yours"), "names[1]: not yours"},
	} {
		got := tc.err.Naming("names[1]")
		if got.Message != tc.want {
			t.Errorf("%s: message %q, want %q", tc.err.Reason, got.Message, tc.want)
		}
		if got.Code != tc.err.Code || got.Reason != tc.err.Reason {
			t.Errorf("%s: named as %v %s", tc.err.Reason, got.Code, got.Reason)
		}
		if len(got.Violations) != 1 || got.Violations[0].Field != "names[1]" || got.Violations[0].Description != tc.err.Message {
			t.Errorf("%s: violations %+v", tc.err.Reason, got.Violations)
		}
	}
	if e := errs.NotFound.New("x"); e.Naming("").Message != "x" {
		t.Error("an empty field changed the message")
	}
}

// TestAtLimit: a resource at one of its limits is a state the request
// cannot change (FAILED_PRECONDITION, LIMIT_REACHED), naming no field of
// the request, with the limit in the metadata for a client to word it.
func TestAtLimit(t *testing.T) {
	e := errs.AtLimit("regions/lombardia/projects/p", "extensions", 50, "%s holds %d", "p", 50)
	if e.Code != errs.FailedPrecondition || e.Reason != "LIMIT_REACHED" || e.Message != "p holds 50" || len(e.Violations) != 0 {
		t.Errorf("got %s %s %q %v, want FAILED_PRECONDITION LIMIT_REACHED, the message and no violation", e.Code, e.Reason, e.Message, e.Violations)
	}
	want := map[string]string{"resource": "regions/lombardia/projects/p", "items": "extensions", "limit": "50"}
	if !maps.Equal(e.Metadata, want) {
		t.Errorf("metadata %v, want %v", e.Metadata, want)
	}
}

// TestAtLimitPastAnInt32: a limit past 2^31 (a region's money, 10^17
// cents) is said whole, on every platform. With an int limit this test
// did not compile for GOARCH=386 (go vet), nor did internal/monitoring
// (.ci/run's 32-bit build).
func TestAtLimitPastAnInt32(t *testing.T) {
	e := errs.AtLimit("regions/molise", "paid_cents", 1e17, "past it")
	if got := e.Metadata["limit"]; got != "100000000000000000" {
		t.Errorf("limit %q, want 100000000000000000", got)
	}
}

// TestNumbersInMessages: a whole number sent as a double comes back in a
// message as the integer it is, whatever builds the message; other
// numbers and explicit formats are fmt's.
func TestNumbersInMessages(t *testing.T) {
	for _, tc := range []struct {
		format string
		arg    any
		want   string
	}{
		{"%v", 2147483647.0, "2147483647"},
		{"%g", 1e12, "1000000000000"},
		{"%v", -3.0, "-3"},
		{"%v", 4.5, "4.5"},
		{"%v", 1e-7, "1e-07"},
		{"%v", 1e21, "1e+21"},
		{"%v", math.NaN(), "NaN"},
		{"%v", math.Inf(1), "+Inf"},
		{"%.2f", 2.0, "2.00"},
		{"%6v", 7.0, "     7"}, // a width is kept
		{"%d", 42, "42"},
	} {
		if got := errs.Sprintf(tc.format, tc.arg); got != tc.want {
			t.Errorf("Sprintf(%q, %v) = %q, want %q", tc.format, tc.arg, got, tc.want)
		}
	}
	var v errs.Violations
	v.Add("t1", "%v is not a score on the 1 to %d scale", 2147483647.0, 5)
	if e := errs.As(v.Err()); e == nil || e.Violations[0].Description != "2147483647 is not a score on the 1 to 5 scale" {
		t.Errorf("a violation's description: %v", v.Err())
	}
	if e := errs.InvalidField("x", "%v", 3.0); e.Message != "invalid x: 3" {
		t.Errorf("InvalidField's message: %q", e.Message)
	}
	if e := errs.Invalid.New("%v", 3.0); e.Message != "3" {
		t.Errorf("Reason.New's message: %q", e.Message)
	}
}

// TestTokensAtLimit: an owner's live tokens at their limit keep their
// older reason and code (TOO_MANY_TOKENS, FAILED_PRECONDITION), which
// clients switch on, with AtLimit's metadata.
func TestTokensAtLimit(t *testing.T) {
	e := errs.TokensAtLimit("acct:lombardia:anna", "calendarTokens", 20, "%s holds %d", "anna", 20)
	if e.Code != errs.FailedPrecondition || e.Reason != errs.TooManyTokens || e.Message != "anna holds 20" || len(e.Violations) != 0 {
		t.Errorf("got %s %s %q %v, want FAILED_PRECONDITION TOO_MANY_TOKENS, the message and no violation", e.Code, e.Reason, e.Message, e.Violations)
	}
	want := map[string]string{"resource": "acct:lombardia:anna", "items": "calendarTokens", "limit": "20"}
	if !maps.Equal(e.Metadata, want) {
		t.Errorf("metadata %v, want %v", e.Metadata, want)
	}
}

// TestStateFaultsAreFailedPrecondition: violations that all carry one
// catalogue reason of code FAILED_PRECONDITION (an archived network named,
// ARCHIVED) make that reason's error, naming their fields; one fault of
// the request's own among them makes the error INVALID_ARGUMENT, the
// state's violations listed with their reason.
func TestStateFaultsAreFailedPrecondition(t *testing.T) {
	var state errs.Violations
	state.AddReason("meeting.networks[0]", string(errs.Archived), "network x is archived")
	state.AddReason("meeting.networks[1]", string(errs.Archived), "network y is archived")
	e := errs.As(state.Err())
	if e == nil || e.Code != errs.FailedPrecondition || e.Reason != errs.Archived || len(e.Violations) != 2 || strings.HasPrefix(e.Message, "invalid") {
		t.Errorf("archived references only: %+v, want FAILED_PRECONDITION ARCHIVED naming both fields, not called invalid", e)
	}
	mixed := state
	mixed.Add("meeting.title", "is required")
	if e := errs.As(mixed.Err()); e == nil || e.Code != errs.Invalid || len(e.Violations) != 3 || e.Violations[0].Reason != string(errs.Archived) {
		t.Errorf("archived references and a missing title: %+v, want INVALID_ARGUMENT listing all three, the archived with their reason", e)
	}
	var text errs.Violations
	text.AddReason("meeting.title", errs.TextTooLong, "is too long")
	if e := errs.As(text.Err()); e == nil || e.Code != errs.Invalid {
		t.Errorf("a violation whose reason is no catalogue reason: %+v, want INVALID_ARGUMENT", e)
	}
}
