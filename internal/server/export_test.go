package server

import (
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/errs"
)

// HTTPStatus is httpStatus, for the external tests: the HTTP status REST
// answers an error with a gRPC code and an ErrorInfo reason.
var HTTPStatus = httpStatus

// ReasonStatus is the HTTP status REST answers each reason of the
// catalogue with, for the test that checks docs/errors.md against it.
var ReasonStatus = func() map[string]int {
	m := map[string]int{}
	for _, e := range errs.Catalogue() {
		m[string(e.Reason)] = httpStatus(grpcCodes[e.Code], string(e.Reason))
	}
	return m
}()

// GRPCCode is the gRPC code of a domain error code.
func GRPCCode(c errs.Code) codes.Code { return grpcCodes[c] }

// SetAdmissionHold sets how long a call admitted on arrival keeps its slot
// before reaching its handler, so that a test can hold a slot as long as
// it needs.
func SetAdmissionHold(c *Config, d time.Duration) { c.admissionHold = d }

// SetRefusedBodyLimit sets the longest request body a refusal leaves
// net/http to read on HTTP/1.x, keeping the connection (shedder.settle),
// so that a benchmark can compare the choices in one run: 1 closes the
// connection of every refusal with a body, math.MaxInt64 leaves them all
// to net/http, as before.
func SetRefusedBodyLimit(c *Config, n int64) { c.refusedBodyLimit = n }

// SetNoRPCLines sets how many access lines of calls that name no RPC are
// written a minute (defaultNoRPCLines), so that a test sees the bound
// with a few calls.
func SetNoRPCLines(c *Config, n int) { c.noRPCLines = n }

// CountTokenChecks makes the server count the revocation checks of its
// token checks (each verification, each re-check of a stream's), and
// returns the count so far.
func CountTokenChecks(c *Config) func() int64 {
	var n atomic.Int64
	c.wrapRevocations = func(r auth.Revocations) auth.Revocations { return countedRevocations{r, &n} }
	return n.Load
}

type countedRevocations struct {
	auth.Revocations
	n *atomic.Int64
}

func (c countedRevocations) Revoked(jti, subject, region string, generation int64) bool {
	c.n.Add(1)
	return c.Revocations.Revoked(jti, subject, region, generation)
}

// SetOverloadLines sets how many access lines of refusals at the
// concurrency limit each surface writes a minute.
func SetOverloadLines(c *Config, n int) { c.overloadLines = n }

// SetReadHeaderTimeout sets how long every HTTP listener waits for a
// request's headers (defaultReadHeaderTimeout), so that a test sees a
// slow client dropped without waiting 10 s.
func SetReadHeaderTimeout(c *Config, d time.Duration) { c.readHeaderTimeout = d }

// HTTPHandler is the HTTP listener's handler, for benchmarks that call it
// without a connection.
func HTTPHandler(s *Server) http.Handler { return s.http.Handler }

// CgroupMemoryLimit and SetMemoryLimitUnder are cgroupMemoryLimit and
// setMemoryLimit, for the tests that lay cgroup files under a root of
// their own.
var (
	CgroupMemoryLimit   = cgroupMemoryLimit
	SetMemoryLimitUnder = setMemoryLimit
)

// LogLines are the lines of log (a text log) with message msg, for the
// internal and external tests that read the access log.
func LogLines(log, msg string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "msg="+msg+" ") {
			out = append(out, line)
		}
	}
	return out
}
