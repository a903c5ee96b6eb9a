// Package errs defines the one error type the platform's domain and storage
// layers return. Transports translate it once, at their edge, into a gRPC
// status, a Connect error or an RFC 9457 problem document; any other error
// reaching an edge is internal and its text never leaves the server.
package errs

import (
	"errors"
	"fmt"
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
}

// Error is the platform's error. Reason is a stable UPPER_SNAKE_CASE token
// clients can switch on (google.rpc.ErrorInfo.reason); Message is a sentence
// for people; Violations list the invalid fields of an Invalid error.
type Error struct {
	Code       Code
	Reason     string
	Message    string
	Violations []Violation
	// Metadata adds key/value facts to the ErrorInfo, e.g. the network that
	// still references a partner.
	Metadata map[string]string
	// RetryAfter, in seconds, tells a rate-limited caller when to come back.
	RetryAfter int
}

func (e *Error) Error() string {
	if len(e.Violations) == 0 {
		return e.Message
	}
	msg := e.Message
	for _, v := range e.Violations {
		msg += fmt.Sprintf("; %s: %s", v.Field, v.Description)
	}
	return msg
}

// New returns an error with a code, a reason and a formatted message.
func New(code Code, reason, format string, args ...any) *Error {
	return &Error{Code: code, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// InvalidField returns an Invalid error for a single field.
func InvalidField(field, format string, args ...any) *Error {
	d := fmt.Sprintf(format, args...)
	return &Error{
		Code:       Invalid,
		Reason:     "INVALID_ARGUMENT",
		Message:    "invalid " + field + ": " + d,
		Violations: []Violation{{Field: field, Description: d}},
	}
}

// NotFoundf returns a NotFound error for a resource name.
func NotFoundf(format string, args ...any) *Error {
	return New(NotFound, "NOT_FOUND", format, args...)
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

// Violations collects field violations and turns them into one Invalid error,
// so a caller sees every problem of a request at once.
type Violations []Violation

// Add records a violation of field.
func (v *Violations) Add(field, format string, args ...any) {
	*v = append(*v, Violation{Field: field, Description: fmt.Sprintf(format, args...)})
}

// Err returns nil when nothing was recorded, or an Invalid error listing
// every violation.
func (v Violations) Err() error {
	if len(v) == 0 {
		return nil
	}
	msg := "invalid " + v[0].Field + ": " + v[0].Description
	if len(v) > 1 {
		msg = fmt.Sprintf("%s (and %d more)", msg, len(v)-1)
	}
	return &Error{Code: Invalid, Reason: "INVALID_ARGUMENT", Message: msg, Violations: append([]Violation(nil), v...)}
}
