package server

import (
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
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

// toConnect keeps a status's code, message and every detail it can read,
// in order, and says its first RetryInfo as Retry-After; a detail of a
// type the server does not know is left out, as connect-go could not
// describe it.
func TestToConnect(t *testing.T) {
	info := &errdetails.ErrorInfo{Reason: "FIRST", Domain: errorDomain}
	retry := &errdetails.RetryInfo{RetryDelay: durationpb.New(1500 * time.Millisecond)}
	bad := &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "name", Description: "required"}}}
	var details []*anypb.Any
	for _, m := range []proto.Message{info, retry, bad} {
		a, err := anypb.New(m)
		if err != nil {
			t.Fatal(err)
		}
		details = append(details, a)
	}
	unknown := &anypb.Any{TypeUrl: "type.googleapis.com/nowhere.Unknown", Value: []byte{8, 1}}
	details = append(details[:1], append([]*anypb.Any{unknown}, details[1:]...)...)
	st := status.FromProto(&spb.Status{Code: int32(codes.Unavailable), Message: "busy", Details: details})

	ce := toConnect(st)
	if ce.Code() != connect.CodeUnavailable || ce.Message() != "busy" {
		t.Errorf("toConnect: %v %q, want unavailable \"busy\"", ce.Code(), ce.Message())
	}
	if got := ce.Meta().Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q, want 2 (the RetryInfo, rounded up)", got)
	}
	want := []proto.Message{info, retry, bad}
	got := ce.Details()
	if len(got) != len(want) {
		t.Fatalf("%d details, want %d: %v", len(got), len(want), got)
	}
	for i, d := range got {
		if m, err := d.Value(); err != nil || !proto.Equal(m, want[i]) {
			t.Errorf("detail %d: %v, %v; want %v", i, m, err, want[i])
		}
	}
}
