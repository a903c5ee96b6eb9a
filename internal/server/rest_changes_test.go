package server_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestRESTAnswersAsMarshalled: a REST answer is, byte for byte, the JSON
// protojson writes with the gateway's options for the same answer read
// over gRPC, whatever its size: a page of changes of every type, in pages
// of one, of three and whole, and a single resource. The gateway is handed
// the services' answers without a copy and writes them into a buffer sized
// from their encoding; neither may change a byte of what is served.
func TestRESTAnswersAsMarshalled(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	names := seedEveryType(t, ts)
	rs := newRESTSurface(t, ts, ts.token)
	api := newSurface(t, ts, "grpc")
	same := func(what, path string, query url.Values, want proto.Message) {
		t.Helper()
		res, err := rs.send(ctx, http.MethodGet, path, query, nil)
		if err != nil || res.Status != http.StatusOK {
			t.Fatalf("%s: GET %s: %v, %v", what, path, res, err)
		}
		wantJSON, err := protojson.MarshalOptions{}.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(res.Body, wantJSON) {
			t.Errorf("%s: REST served\n%s\nwant protojson's\n%s", what, res.Body, wantJSON)
		}
	}
	for _, size := range []int32{1, 3, 1000} {
		req := &famiv1.ListChangesRequest{Parent: lombardia, PageSize: size}
		query := url.Values{"pageSize": {strconv.Itoa(int(size))}}
		for page := 0; ; page++ {
			want, err := api.ListChanges(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if size == 1000 && len(want.GetChanges()) < len(names) {
				t.Fatalf("a page of %d changes, want every seeded resource's (%d)", len(want.GetChanges()), len(names))
			}
			same("changes, page "+strconv.Itoa(page)+" of "+strconv.Itoa(int(size)), "/v1/"+lombardia+"/changes", query, want)
			if req.PageToken = want.GetNextPageToken(); req.PageToken == "" || page == 3 {
				break
			}
			query.Set("pageToken", req.PageToken)
		}
	}
	partner, err := api.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: partnerName("udp")})
	if err != nil {
		t.Fatal(err)
	}
	same("a partner", "/v1/"+partnerName("udp"), nil, partner)
}
