package server_test

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/server"
)

// A unary gRPC-Web answer over HTTP/1.1 goes out whole, with a
// Content-Length instead of chunks (one write instead of three), and
// carries the same two frames: the message, then the trailers with
// grpc-status 0. (Streams over gRPC-Web still get each message as it is
// sent: TestWatchEverySurface watches over gRPC-Web on HTTP/1.1.)
func TestGRPCWebUnaryAnswerIsWhole(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	name := benchPartner(t, ts)
	msg, err := proto.Marshal(&famiv1.GetPartnerRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	frame := binary.BigEndian.AppendUint32([]byte{0}, uint32(len(msg)))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.httpURL()+famiv1connect.PartnerServiceGetPartnerProcedure, bytes.NewReader(append(frame, msg...)))
	req.Header.Set("Content-Type", "application/grpc-web+proto")
	req.Header.Set("Authorization", "Bearer "+ts.token)
	res, body := fetch(t, newHTTPClient(t), req)
	if res.Proto != "HTTP/1.1" || res.StatusCode != http.StatusOK {
		t.Fatalf("got %s %s, want HTTP/1.1 200", res.Proto, res.Status)
	}
	if res.ContentLength != int64(len(body)) || len(res.TransferEncoding) != 0 {
		t.Errorf("Content-Length %d, Transfer-Encoding %q for a body of %d bytes; want the answer whole, with its length", res.ContentLength, res.TransferEncoding, len(body))
	}
	var frames [][]byte
	var flags []byte
	for len(body) >= 5 {
		n := int(binary.BigEndian.Uint32(body[1:5]))
		if len(body) < 5+n {
			t.Fatalf("frame of %d bytes cut at %d", n, len(body)-5)
		}
		flags, frames, body = append(flags, body[0]), append(frames, body[5:5+n]), body[5+n:]
	}
	if len(frames) != 2 || len(body) != 0 || flags[0] != 0 || flags[1] != 0x80 {
		t.Fatalf("frames with flags %x and %d bytes left over; want a message (0) then trailers (80)", flags, len(body))
	}
	var got famiv1.Partner
	if err := proto.Unmarshal(frames[0], &got); err != nil || got.GetName() != name {
		t.Errorf("message frame: %v, %v; want partner %s", got.GetName(), err, name)
	}
	if trailers := strings.ToLower(string(frames[1])); !strings.Contains(trailers, "grpc-status: 0\r\n") {
		t.Errorf("trailers %q, want grpc-status: 0", trailers)
	}
}

// gRPC over HTTP/1.1 (connect-go's gRPC client with net/http's default
// transport) still gets its status in HTTP trailers: its answer is not
// held back to be written whole as a gRPC-Web answer is.
func TestGRPCOverHTTP1KeepsItsTrailers(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	name := benchPartner(t, ts)
	client := famiv1connect.NewPartnerServiceClient(newHTTPClient(t), ts.httpURL(), bearer(ts.token), connect.WithGRPC())
	p, err := client.GetPartner(t.Context(), &famiv1.GetPartnerRequest{Name: name})
	if err != nil || p.GetName() != name {
		t.Fatalf("GetPartner over gRPC on HTTP/1.1: %v, %v; want partner %s", p.GetName(), err, name)
	}
	if _, err := client.GetPartner(t.Context(), &famiv1.GetPartnerRequest{Name: name + "-none"}); connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("GetPartner of a missing partner over gRPC on HTTP/1.1: %v, want NotFound", err)
	}
}
