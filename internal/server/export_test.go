package server

import "time"

// HTTPStatus is httpStatus, for the external tests: the HTTP status REST
// answers an error with a gRPC code and an ErrorInfo reason.
var HTTPStatus = httpStatus

// ReasonStatus is the reasonStatus table, for the test that checks
// docs/errors.md against it.
var ReasonStatus = reasonStatus

// SetAdmissionHold sets how long a call admitted on arrival keeps its slot
// before reaching its handler, so that a test can hold a slot as long as
// it needs.
func SetAdmissionHold(c *Config, d time.Duration) { c.admissionHold = d }
