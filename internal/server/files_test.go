package server_test

import (
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/server"
)

// TestDownloadsAreAdmittedAsTheirRPC checks that a file over plain HTTP
// gets its RPC's admission: the unary request deadline for the CSV export
// and the calendar feed (as over Connect), none for the backup (a server
// stream, as over gRPC). A request timeout of a nanosecond has passed
// before any service reads the store, so every unary call fails with
// DEADLINE_EXCEEDED whatever its surface.
func TestDownloadsAreAdmittedAsTheirRPC(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{RequestTimeout: time.Nanosecond})
	ctx := t.Context()

	sup := famiv1connect.NewSupportServiceClient(newHTTPClient(t), ts.httpURL(), bearer(ts.token))
	_, err := sup.ExportSupportEntries(ctx, &famiv1.ExportSupportEntriesRequest{Parent: "regions/lombardia"})
	if got := connect.CodeOf(err); got != connect.CodeDeadlineExceeded {
		t.Fatalf("ExportSupportEntries over Connect: %v (code %v), want DEADLINE_EXCEEDED", err, got)
	}

	rs := newRESTSurface(t, ts, ts.token)
	for _, path := range []string{
		"/v1/regions/lombardia/supportEntries:export",
		"/v1/regions/lombardia/meetings.ics",
	} {
		res, err := rs.send(ctx, http.MethodGet, path, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ce *callError
		if !errors.As(problemError(http.MethodGet, path, res), &ce) || ce.Code != codes.DeadlineExceeded || ce.HTTPStatus != http.StatusGatewayTimeout {
			t.Errorf("GET %s: status %d, %s; want 504 DEADLINE_EXCEEDED", path, res.Status, res.Body)
		}
	}

	res, err := rs.send(ctx, http.MethodGet, "/v1/regions/lombardia:backup", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusOK || len(res.Body) == 0 || res.Header.Get("X-Raccordo-Revision") == "" {
		t.Errorf("GET /v1/regions/lombardia:backup: status %d, %d bytes, revision %q; want the file", res.Status, len(res.Body), res.Header.Get("X-Raccordo-Revision"))
	}
	withToken := withBearer(ctx, ts.token)
	stream, err := famiv1.NewAdminServiceClient(dialGRPC(t, ts, "")).BackupRegion(withToken, &famiv1.BackupRegionRequest{Name: "regions/lombardia"})
	if err != nil {
		t.Fatal(err)
	}
	var size int
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("BackupRegion over gRPC: %v", err)
		}
		size += len(m.GetData())
	}
	if size != len(res.Body) {
		t.Errorf("BackupRegion over gRPC sent %d bytes, REST %d", size, len(res.Body))
	}
}
