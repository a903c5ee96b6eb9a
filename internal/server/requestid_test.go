package server_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestRequestIDReusedByAnotherMethod: a request id reused for a call of
// another method is a different request, refused naming request_id, even
// when the two requests hold the same fields, as :submit's and :approve's
// do, or :openForSignature's and a Delete's. The reuse was taken for a
// retry: the approval was answered with the submission's result, the
// report left SUBMITTED with a success, and the delete failed INTERNAL on
// the protocol the opening had answered.
func TestRequestIDReusedByAnotherMethod(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		names := seedEveryType(t, ts)
		admin := newSurface(t, ts, kind)
		report := names["fami.v1.MonitoringReport"]
		if _, err := admin.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: report, RequestId: "report-1"}); err != nil {
			t.Fatal(err)
		}
		_, err := admin.ApproveMonitoringReport(ctx, &famiv1.ApproveMonitoringReportRequest{Name: report, RequestId: "report-1"})
		checkErr(t, "an approval under the submission's request id", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"request_id"}})
		if got, err := admin.GetMonitoringReport(ctx, &famiv1.GetMonitoringReportRequest{Name: report}); err != nil ||
			got.GetState() != famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED {
			t.Errorf("the report after the refused approval: got %v, %v; want it SUBMITTED", got, err)
		}

		protocol := names["fami.v1.Protocol"]
		if _, err := admin.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: protocol, RequestId: "protocol-1"}); err != nil {
			t.Fatal(err)
		}
		_, err = admin.DeleteProtocol(ctx, &famiv1.DeleteProtocolRequest{Name: protocol, RequestId: "protocol-1"})
		checkErr(t, "a delete under the opening's request id", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"request_id"}})
	})
}
