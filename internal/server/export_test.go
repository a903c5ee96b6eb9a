package server

// HTTPStatus is httpStatus, for the external tests: the HTTP status REST
// answers an error with a gRPC code and an ErrorInfo reason.
var HTTPStatus = httpStatus

// ReasonStatus is the reasonStatus table, for the test that checks
// docs/errors.md against it.
var ReasonStatus = reasonStatus
