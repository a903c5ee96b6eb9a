package server

import (
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// A status should carry one ErrorInfo; of two (a status toStatus did not
// build), the first counts for the code recorded, the REST problem and its
// Retry-After alike, as for the web pages and the SDK. The pipeline
// recorded the last reason, and the problem document named the last.
func TestTheFirstErrorInfoCounts(t *testing.T) {
	st, err := status.New(codes.FailedPrecondition, "refused").WithDetails(
		&errdetails.ErrorInfo{Reason: "FIRST", Domain: errorDomain},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(1500 * time.Millisecond)},
		&errdetails.ErrorInfo{Reason: "SECOND", Domain: errorDomain},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(time.Minute)},
	)
	if err != nil {
		t.Fatal(err)
	}
	if code, reason := outcome(st.Err()); code != "FAILED_PRECONDITION" || reason != "FIRST" {
		t.Errorf("outcome: %s %s, want FAILED_PRECONDITION FIRST", code, reason)
	}
	if p, retryAfter := problemFromStatus(st); p.Reason != "FIRST" || retryAfter != 2 {
		t.Errorf("problem: reason %s, Retry-After %d; want FIRST, 2 (the first RetryInfo, rounded up)", p.Reason, retryAfter)
	}
	if ri := retryInfo(st); ri != 2 {
		t.Errorf("retryInfo: %d, want 2", ri)
	}
}
