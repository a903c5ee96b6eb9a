// Package errs defines the one error type the platform's domain and storage
// layers return. Transports translate it once, at their edge, into a gRPC
// status, a Connect error or an RFC 9457 problem document; any other error
// reaching an edge is internal and its text never leaves the server.
package errs

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Code classifies an error for every transport. The values mirror the gRPC
// codes a caller will see.
type Code int

const (
	// Internal is the zero value: an error without a code is a bug.
	Internal Code = iota
	// Invalid means the request itself is wrong (INVALID_ARGUMENT).
	Invalid
	// NotFound means the named resource does not exist or is not visible.
	NotFound
	// AlreadyExists means the chosen id is taken.
	AlreadyExists
	// Conflict means a concurrent change happened: the etag or content hash
	// the caller sent is stale (ABORTED).
	Conflict
	// FailedPrecondition means the state of the system forbids the request.
	FailedPrecondition
	// PermissionDenied means the caller may not do this.
	PermissionDenied
	// Unauthenticated means the caller's credentials are missing or invalid.
	Unauthenticated
	// ResourceExhausted means a limit or rate was exceeded.
	ResourceExhausted
	// Unavailable means the server cannot serve the request now.
	Unavailable
	// DataLoss means stored data is damaged: a record failed its checksum
	// or a region's file is unreadable. It is never served as data.
	DataLoss
)

// String returns the code's name as the gRPC code it maps to.
func (c Code) String() string {
	switch c {
	case Invalid:
		return "INVALID_ARGUMENT"
	case NotFound:
		return "NOT_FOUND"
	case AlreadyExists:
		return "ALREADY_EXISTS"
	case Conflict:
		return "ABORTED"
	case FailedPrecondition:
		return "FAILED_PRECONDITION"
	case PermissionDenied:
		return "PERMISSION_DENIED"
	case Unauthenticated:
		return "UNAUTHENTICATED"
	case ResourceExhausted:
		return "RESOURCE_EXHAUSTED"
	case Unavailable:
		return "UNAVAILABLE"
	case DataLoss:
		return "DATA_LOSS"
	default:
		return "INTERNAL"
	}
}

// Violation names one invalid field of a request and says what is wrong.
// Field is a dotted path in the request's proto field names, e.g.
// "partner.fiscal_code" or "network.members[1].partner".
type Violation struct {
	Field       string
	Description string
	// Reason is the kind of fault, a stable token (see the Text*
	// constants), when the field's rules are not the only ones that
	// judged it: a client (the web's forms) can then say what is wrong in
	// its own words instead of repeating the field's rule. It becomes the
	// FieldViolation's reason in google.rpc.BadRequest.
	Reason string
}

// The reasons of the faults of any text field (check.Text).
const (
	TextTooLong            = "TEXT_TOO_LONG"
	TextInvalidCharacter   = "TEXT_INVALID_CHARACTER"
	TextInvisibleCharacter = "TEXT_INVISIBLE_CHARACTER"
	// NameWithoutLetters is a name of accents alone (check.Name), which a
	// client may tell from a text that breaks no rule of texts.
	NameWithoutLetters = "NAME_WITHOUT_LETTERS"
)

// RequestIDReused is the reason of a request_id already used for another
// request (store.ReplayRequest): no field of the request is wrong, it was
// sent before with other values (a browser's back button gives a form back
// with its request_id), and a client (the web's forms) says so instead of
// marking a field.
const RequestIDReused = "REQUEST_ID_REUSED"

// IDReserved is the reason of a valid client-chosen id that no new resource
// may take (aip.ReservedID): a word the web application's addresses put
// where an id stands, "nuovo", "nuova" or "calendario".
const IDReserved = "ID_RESERVED"

// QuarterNotStarted is the reason of a quarter named for a new monitoring
// report that has not begun yet: the id is well formed and inside the
// project's span, and a client may say that it must wait for the
// quarter's first day rather than repeat the field's rule.
const QuarterNotStarted = "QUARTER_NOT_STARTED"

// DayLimit is the reason of a support entry's duration that is a valid
// number of minutes but would take its consultant's day past the most
// one day may hold, alone or with the day's other entries: a client (the
// web's forms) says that instead of repeating the field's rule of steps.
const DayLimit = "DAY_LIMIT"

// Error is the platform's error. Reason is the stable token clients can
// switch on, from the catalogue (reasons.go); Message is a sentence for
// people; Violations list the invalid fields of an Invalid error. Build one
// from its reason (NotOwnEntry.New, MeetingHeld.With, Code.New), which
// gives it its code.
type Error struct {
	Code       Code
	Reason     Reason
	Message    string
	Violations []Violation
	// MoreViolations counts the violations found beyond MaxViolations and
	// not listed, so a hostile request cannot make the answer (or the work
	// of building it) grow with its size.
	MoreViolations int
	// Metadata adds key/value facts to the ErrorInfo, e.g. the network that
	// still references a partner.
	Metadata map[string]string
	// RetryAfter, in seconds, tells a rate-limited caller when to come back.
	RetryAfter int
	// Cause is what went wrong behind an answer that must not say it (a
	// login on a damaged account answers as any failed login, so that an
	// anonymous caller cannot learn the username exists): the edges log
	// it, and never send it.
	Cause error
}

// Error returns the message followed by the listed violations. It is
// built in one pass: grpc-go and the logs call it on every failed call.
func (e *Error) Error() string {
	if len(e.Violations) == 0 {
		return e.Message
	}
	n := len(e.Message) + len("; and  more") + 20
	for _, v := range e.Violations {
		n += len("; : ") + len(v.Field) + len(v.Description)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(e.Message)
	for _, v := range e.Violations {
		b.WriteString("; ")
		b.WriteString(v.Field)
		b.WriteString(": ")
		b.WriteString(v.Description)
	}
	if e.MoreViolations > 0 {
		b.WriteString("; and ")
		b.WriteString(strconv.Itoa(e.MoreViolations))
		b.WriteString(" more")
	}
	return b.String()
}

// Sprintf formats a message as fmt.Sprintf does, except that a float64
// argument holding a whole number is written as an integer by %v and %g
// (2147483647, not 2.147483647e+09; 1000000000000, not 1e+12): a client
// reads back the number it sent, as it would write it. Every message this
// package builds goes through it, and so does every message the other
// packages format for an answer (TestMessagesFormatThroughSprintf).
func Sprintf(format string, args ...any) string {
	var plain []any // a copy, made only when a float is found
	for i, a := range args {
		if x, ok := a.(float64); ok {
			if plain == nil {
				plain = append([]any(nil), args...)
			}
			plain[i] = number(x)
		}
	}
	if plain == nil {
		return fmt.Sprintf(format, args...)
	}
	return fmt.Sprintf(format, plain...)
}

// number is a float64 in a message (see Sprintf).
type number float64

// maxPlain bounds the whole numbers written out in full: from 1e21 on,
// strconv's shortest form is the exponent one anyway.
const maxPlain = 1e21

func (n number) Format(f fmt.State, verb rune) {
	x := float64(n)
	_, precise := f.Precision()
	if (verb == 'v' || verb == 'g') && !precise && x == math.Trunc(x) && math.Abs(x) < maxPlain {
		fmt.Fprintf(f, fmt.FormatString(f, 's'), strconv.FormatFloat(x, 'f', -1, 64)) // keeps a width
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), x)
}

// InvalidField returns an Invalid error for a single field.
func InvalidField(field, format string, args ...any) *Error {
	d := Sprintf(format, args...)
	return Invalid.With(Error{
		Message:    "invalid " + field + ": " + d,
		Violations: []Violation{{Field: field, Description: d}},
	})
}

// AtLimit returns the refusal of a call that would add to resource one
// more of its items (its field, "extensions") when it already holds limit
// of them, or raise the sum of its amounts (the field, "paid_cents") past
// limit (LIMIT_REACHED). The request is well formed and what refuses it is
// what is stored beside it, so it is a state the caller must know of
// (AIP-193's FAILED_PRECONDITION), not an invalid field: no change to the
// request adds one more item, while a lower amount may pass. The metadata
// says which limit, for a client to word it, and the message, formatted
// from format and args, says what to do instead (for a sum: lower which
// amounts, by how much). The limit is an int64: a region's money
// (check.MaxRegionCents, 10^17 cents) is one, past an int on 32-bit
// platforms.
func AtLimit(resource, items string, limit int64, format string, args ...any) *Error {
	return LimitReached.With(Error{
		Message:  Sprintf(format, args...),
		Metadata: map[string]string{"resource": resource, "items": items, "limit": strconv.FormatInt(limit, 10)},
	})
}

// TokensAtLimit is AtLimit for an owner's live tokens (items, their
// collection) under TOO_MANY_TOKENS, the reason they were refused with
// before LIMIT_REACHED, which clients switch on (ADR 0024): the same code
// and the same metadata, so a client words the limit as it does the
// others.
func TokensAtLimit(owner, items string, limit int64, format string, args ...any) *Error {
	return TooManyTokens.With(*AtLimit(owner, items, limit, format, args...))
}

// Naming is a copy of e that names field, the request field that named
// what e refuses, when field is not empty: the caller of a batch learns
// which of its names failed (google.rpc.BadRequest), whatever e's code.
// Its message calls the field invalid only when e's code says so: a name
// that is well formed but names nothing is "names[1]: ... not found".
func (e *Error) Naming(field string) *Error {
	named := *e
	if field != "" {
		named.Violations = []Violation{{Field: field, Description: e.Message}}
		named.Message = field + ": " + e.Message
		if e.Code == Invalid {
			named.Message = "invalid " + named.Message
		}
	}
	return &named
}

// Advise is err with advice, what to do, at the end of its message when
// err is an invalid request (Invalid, its field violations kept), for a
// call that checks values the caller cannot change in that call (an
// approval, the report it approves): the fields say what is wrong, the
// advice where to fix it. Any other error is returned as it is.
func Advise(err error, advice string) error {
	e := As(err)
	if e == nil || e.Code != Invalid {
		return err
	}
	advised := *e
	advised.Message += ": " + advice
	return &advised
}

// NotFoundf returns a NotFound error for a resource name.
func NotFoundf(format string, args ...any) *Error {
	return NotFound.New(format, args...)
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// CodeOf returns err's code: Internal for an error that is not an *Error.
func CodeOf(err error) Code {
	if e := As(err); e != nil {
		return e.Code
	}
	return Internal
}

// MaxViolations is how many violations an error lists; the rest are only
// counted. A caller learns what to fix first without the server spending
// work (or the answer growing) in proportion to a hostile request.
const MaxViolations = 50

// Violations collects field violations and turns them into one Invalid error,
// so a caller sees the problems of a request at once (the first
// MaxViolations of them, and how many more there are). The zero value is
// ready to use.
type Violations struct {
	list []Violation
	more int
	// failed is the first error met while checking that is no fault of
	// the request (see Fail).
	failed error
	// known are the violations left out (see Except), by field and
	// description.
	known map[[2]string]bool
}

// Except makes v leave out the violations listed in known, each one a
// field with its description: an update is not refused for what the
// stored resource already had (resource.Validate). They are left out as
// they are recorded, not filtered from the error afterwards, so that a
// check made only when nothing was recorded before it (v.Len()) is still
// made.
func (v *Violations) Except(known []Violation) {
	if v.known == nil {
		v.known = make(map[[2]string]bool, len(known))
	}
	for _, x := range known {
		v.known[[2]string{x.Field, x.Description}] = true
	}
}

// excepted reports whether a violation of field with description d is
// one Except left out.
func (v *Violations) excepted(field, d string) bool {
	return v.known[[2]string{field, d}]
}

// Fail records an error that kept a check from being made, such as a
// store that could not read a referenced resource (a damaged record is
// DATA_LOSS, not "does not exist"). Err then returns it rather than the
// violations: the request could not be judged. Only the first is kept.
func (v *Violations) Fail(err error) {
	if v.failed == nil {
		v.failed = err
	}
}

// Add records a violation of field. Beyond MaxViolations it only counts,
// without formatting the description.
func (v *Violations) Add(field, format string, args ...any) {
	if len(v.list) >= MaxViolations && v.known == nil {
		v.more++
		return
	}
	v.add(Violation{Field: field, Description: Sprintf(format, args...)})
}

// add records x, unless Except left it out.
func (v *Violations) add(x Violation) {
	switch {
	case v.excepted(x.Field, x.Description):
	case len(v.list) >= MaxViolations:
		v.more++
	default:
		v.list = append(v.list, x)
	}
}

// AddReason is Add for a fault of a kind a client may tell apart (see
// Violation.Reason).
func (v *Violations) AddReason(field, reason, format string, args ...any) {
	n := len(v.list)
	v.Add(field, format, args...)
	if len(v.list) > n { // listed, not only counted
		v.list[n].Reason = reason
	}
}

// AddFrom records the violations of err, an *Error (other errors are
// recorded as nothing: callers pass the result of a field validator).
func (v *Violations) AddFrom(err error) {
	e := As(err)
	if e == nil {
		return
	}
	for _, x := range e.Violations {
		v.add(x)
	}
	v.more += e.MoreViolations
}

// Len is the number of violations recorded, listed or only counted.
//
// A failure (Fail) counts as one, so that a caller that goes on only
// when nothing was recorded stops on it too.
func (v *Violations) Len() int {
	n := len(v.list) + v.more
	if v.failed != nil {
		n++
	}
	return n
}

// List returns the listed violations (at most MaxViolations).
func (v *Violations) List() []Violation { return v.list }

// Err returns nil when nothing was recorded, the failure if one was
// (Fail), or else an error listing the violations: Invalid, unless every
// one is a fault of the state, not of the request (stateFault), such as a
// reference to an archived network (ARCHIVED). The request is then well
// formed and what refuses it is what is stored, so it is that reason's
// FAILED_PRECONDITION (AIP-193), naming the fields still. A request with
// faults of its own is Invalid, its state faults listed beside them with
// their reason: the caller fixes the request first.
func (v *Violations) Err() error {
	if v.failed != nil {
		return v.failed
	}
	if v.Len() == 0 {
		return nil
	}
	first := v.list[0].Field + ": " + v.list[0].Description
	reason, state := v.stateFault()
	if !state {
		first = "invalid " + first
	}
	if n := v.Len(); n > 1 {
		first = fmt.Sprintf("%s (and %d more)", first, n-1)
	}
	e := Error{Message: first, Violations: append([]Violation(nil), v.list...), MoreViolations: v.more}
	if state {
		return reason.With(e)
	}
	return Invalid.With(e)
}

// stateFault reports whether every violation recorded has one reason, a
// reason of the catalogue whose code is FailedPrecondition, and returns
// it. Violations only counted (beyond MaxViolations) have reasons nobody
// kept, so they make the error Invalid.
func (v *Violations) stateFault() (Reason, bool) {
	if v.more > 0 || len(v.list) == 0 {
		return "", false
	}
	r := Reason(v.list[0].Reason)
	if e, ok := byReason[r]; !ok || e.Code != FailedPrecondition {
		return "", false
	}
	for _, x := range v.list[1:] {
		if Reason(x.Reason) != r {
			return "", false
		}
	}
	return r, true
}

// Indexed is the path of the i-th element of a repeated field, for a
// violation: "parties[2]".
func Indexed(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}

// IndexIn is Indexed's inverse: i when path is Indexed(field, i), false
// for any other path (a caller learns which element a violation names).
func IndexIn(path, field string) (int, bool) {
	rest, ok := strings.CutPrefix(path, field+"[")
	if !ok {
		return 0, false
	}
	rest, ok = strings.CutSuffix(rest, "]")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(rest)
	return i, err == nil && i >= 0 && Indexed(field, i) == path
}

// MaxEcho is how many bytes of a client's value an error message echoes
// (Clip): enough to recognise a name, too few to flood a log or a page.
const MaxEcho = 80

// Clip shortens hostile input to at most its first n bytes, marked "...",
// before it is echoed in an error message. Every message clips with it,
// most with MaxEcho; a package whose values are short may pass a limit of
// its own. The cut falls between characters: half of one is invalid
// UTF-8 (%q prints it as an escape, "\xc3"; %s as it is), and a message
// or a violation holding invalid UTF-8 cannot be marshalled into a
// google.rpc.Status, so a gRPC client gets the code without its details
// (ErrorInfo, BadRequest).
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut > n-utf8.UTFMax+1 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
