package server

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
)

// TestTapYieldsBeforeRefusing: the gRPC tap gives the processor to the
// calls already admitted before it refuses one (so refusing cannot starve
// them, docs/benchmarks.md "Overload (issue 17)"), and does not when it
// admits a call.
func TestTapYieldsBeforeRefusing(t *testing.T) {
	s := newShedder(1, time.Hour, newMetrics(), slog.New(slog.DiscardHandler))
	const method = "/fami.v1.PartnerService/GetPartner"
	s.unary = map[string]bool{method: true}
	yields := 0
	s.yield = func() { yields++ }
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if _, err := s.tap(ctx, &tap.Info{FullMethodName: method}); err != nil || yields != 0 {
		t.Fatalf("first call: %v, %d yields; want it admitted without yielding", err, yields)
	}
	_, err := s.tap(t.Context(), &tap.Info{FullMethodName: method})
	if status.Code(err) != codes.ResourceExhausted || yields != 1 {
		t.Errorf("second call: %v, %d yields; want RESOURCE_EXHAUSTED after one yield", err, yields)
	}
}
