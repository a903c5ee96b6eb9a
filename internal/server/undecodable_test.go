package server_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestUndecodableBodyIsCounted: an authenticated caller's request whose
// body does not decode is refused INVALID_ARGUMENT and recorded as every
// refused call is, on every surface: one access line (naming the caller
// but on REST), one pipeline span and the metrics, under its surface. Connect (JSON and
// binary), gRPC-Web and gRPC on either port refused it before the
// pipeline ran (gRPC on its own port with INTERNAL), and recorded
// nothing.
func TestUndecodableBodyIsCounted(t *testing.T) {
	rs := startRecording(t, server.Config{})
	procedure := famiv1.PartnerService_CreatePartner_FullMethodName
	calls := rawCalls(rs.testServer, procedure, "/v1/regions/lombardia/partners")
	for surface, cs := range calls {
		for i, call := range cs {
			since := rs.mark()
			if got := call(t, rs.token); got != codes.InvalidArgument {
				t.Errorf("%s #%d: %v, want INVALID_ARGUMENT", surface, i, got)
			}
			line := rs.recordedOnce(t, since, surface, procedure, surface, "INVALID_ARGUMENT")
			// REST's refusals before the pipeline name no caller
			// (refuseREST).
			if surface != "rest" && line != "" && strings.Contains(line, `principal=""`) {
				t.Errorf("%s #%d: %q names no principal, want the caller", surface, i, line)
			}
		}
	}
	m := scrape(t, rs.metricsURL())
	for surface, cs := range calls {
		wantCounted(t, m, float64(len(cs)), "fami.v1.PartnerService", "CreatePartner", "INVALID_ARGUMENT", surface)
	}
}
