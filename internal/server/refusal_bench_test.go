package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/server"
)

// BenchmarkRefusal is the refusal path alone: what a call refused at the
// concurrency limit costs, over gRPC and over the HTTP port, against a
// real server whose only slot is held (refused/...), and what the same
// call costs served by a server with free slots (served/...), in the same
// run (docs/benchmarks.md, "Overload (issue 17)": a refusal's cost over a
// served call's, ρ, bounds the goodput at twice the capacity). Each op is
// one authenticated GetPartner, refused with RESOURCE_EXHAUSTED (REST:
// 429) and a Retry-After, or served, checked on every answer.
//
// The clients are written by hand on a kept-alive connection, so that
// what they spend and allocate is small and the same whatever the
// server does: the gRPC one sends a call's HEADERS and DATA frames in
// one write, as grpc-go does, keeping a few calls in flight on its
// connection; the HTTP/1.1 one sends a request and reads its answer.
// allocs/op is then mostly the server's; cpu-ns/op counts the client's
// CPU too, so that refused over served cpu-ns/op is an upper bound of ρ.
func BenchmarkRefusal(b *testing.B) {
	full := server.Config{MaxConcurrentCalls: 1, Logger: benchLogger(b)}
	server.SetAdmissionHold(&full, time.Hour) // the held call keeps its slot
	servers := map[string]*testServer{
		"refused": startServer(b, full),
		"served":  startServer(b, server.Config{Logger: benchLogger(b)}),
	}
	for _, answer := range []string{"refused", "served"} {
		ts := servers[answer]
		name := benchPartner(b, ts)
		if answer == "refused" {
			holdTheSlot(b, ts)
		}
		msg, err := proto.Marshal(&famiv1.GetPartnerRequest{Name: name})
		if err != nil {
			b.Fatal(err)
		}
		grpcStatus := map[string]string{"refused": "8", "served": "0"}[answer]

		b.Run(answer+"/grpc", func(b *testing.B) {
			c := dialH2(b, ts.grpcAddr(), ts.token, msg)
			const inFlight = 8
			b.ReportAllocs()
			sent := 0
			measureCPU(b, func() {
				for b.Loop() {
					c.send(b)
					if sent++; sent > inFlight {
						c.awaitAnswer(b, grpcStatus)
					}
				}
				for range min(sent, inFlight) {
					c.awaitAnswer(b, grpcStatus)
				}
			})
		})

		grpcWeb := make([]byte, 5+len(msg))
		grpcWeb[4] = byte(len(msg))
		copy(grpcWeb[5:], msg)
		requests := []struct {
			surface, request string
			// answered checks an answer's status, headers and body.
			answered func(*http.Response, []byte) bool
		}{
			{"connect", post(famiv1connect.PartnerServiceGetPartnerProcedure, "application/proto", ts.token, msg),
				func(r *http.Response, _ []byte) bool {
					return r.StatusCode == map[string]int{"refused": http.StatusTooManyRequests, "served": http.StatusOK}[answer]
				}},
			{"grpcweb", post(famiv1connect.PartnerServiceGetPartnerProcedure, "application/grpc-web+proto", ts.token, grpcWeb),
				func(r *http.Response, body []byte) bool {
					if answer == "refused" {
						return r.StatusCode == http.StatusOK && r.Header.Get("Grpc-Status") == grpcStatus
					}
					return r.StatusCode == http.StatusOK && bytes.Contains(body, []byte("grpc-status: 0"))
				}},
			{"rest", "GET /v1/" + name + " HTTP/1.1\r\nHost: famid\r\nAuthorization: Bearer " + ts.token + "\r\n\r\n",
				func(r *http.Response, _ []byte) bool {
					if answer == "refused" {
						return r.StatusCode == http.StatusTooManyRequests && r.Header.Get("Retry-After") != ""
					}
					return r.StatusCode == http.StatusOK
				}},
		}
		for _, rq := range requests {
			b.Run(answer+"/"+rq.surface, func(b *testing.B) {
				conn, err := net.Dial("tcp", ts.HTTPAddr())
				if err != nil {
					b.Fatal(err)
				}
				defer conn.Close()
				br := bufio.NewReader(conn)
				request := []byte(rq.request)
				var body bytes.Buffer
				b.ReportAllocs()
				measureCPU(b, func() {
					for b.Loop() {
						if _, err := conn.Write(request); err != nil {
							b.Fatal(err)
						}
						resp, err := http.ReadResponse(br, nil)
						if err != nil {
							b.Fatal(err)
						}
						body.Reset()
						_, err = body.ReadFrom(resp.Body)
						resp.Body.Close()
						if err != nil || !rq.answered(resp, body.Bytes()) || resp.Close {
							b.Fatalf("got %d %v %q (close %t, %v), want it %s on a kept-alive connection", resp.StatusCode, resp.Header, body.Bytes(), resp.Close, err, answer)
						}
					}
				})
			})
		}
	}
}

// measureCPU runs loop, a benchmark's, and reports the process's CPU time
// per op: the server's and the client's (the same on either side of a
// change to the server), robust to the machine's load where ns/op, a
// round trip's time, is not.
func measureCPU(b *testing.B, loop func()) {
	start := cpuTime()
	loop()
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// post is an HTTP/1.1 POST of body to path, with a bearer token.
func post(path, contentType, token string, body []byte) string {
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: famid\r\nContent-Type: %s\r\nConnect-Protocol-Version: 1\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s",
		path, contentType, token, len(body), body)
}

// holdTheSlot takes the only slot of a server limited to one call with a
// gRPC call whose message is never sent (its headers reach the server,
// which admits the call as they arrive), and returns once a probe is
// refused.
func holdTheSlot(b *testing.B, ts *testServer) {
	conn := benchConn(b, ts.grpcAddr())
	ctx, cancel := context.WithCancel(withBearer(context.Background(), ts.token))
	b.Cleanup(cancel)
	if _, err := conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true}, famiv1.PartnerService_CreatePartner_FullMethodName); err != nil {
		b.Fatal(err)
	}
	probe := famiv1.NewPartnerServiceClient(conn)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := probe.ListPartners(withBearer(context.Background(), ts.token), &famiv1.ListPartnersRequest{Parent: lombardia}); err != nil {
			return
		}
	}
	b.Fatal("the held call did not fill the server")
}

// h2Caller makes gRPC GetPartner calls on one HTTP/2 connection, framed by
// hand.
type h2Caller struct {
	conn    net.Conn
	w       *bufio.Writer
	fr      *http2.Framer
	enc     *hpack.Encoder
	dec     *hpack.Decoder
	headers bytes.Buffer
	bearer  string
	msg     []byte
	// next is the next stream's id; window the connection's send window;
	// unacked the bytes received and not yet given back to the server's.
	next    uint32
	window  int64
	unacked uint32
	// status and details are the last headers' grpc-status and whether
	// they carried grpc-status-details-bin (the RetryInfo).
	status  string
	details bool
}

func dialH2(b *testing.B, addr, token string, msg []byte) *h2Caller {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	c := &h2Caller{conn: conn, w: bufio.NewWriter(conn), bearer: "Bearer " + token, next: 1, window: 65535}
	c.fr = http2.NewFramer(c.w, bufio.NewReader(conn))
	c.enc = hpack.NewEncoder(&c.headers)
	c.dec = hpack.NewDecoder(4096, func(f hpack.HeaderField) {
		switch f.Name {
		case "grpc-status":
			c.status = f.Value
		case "grpc-status-details-bin":
			c.details = f.Value != ""
		}
	})
	c.msg = make([]byte, 5+len(msg))
	c.msg[4] = byte(len(msg))
	copy(c.msg[5:], msg)
	if _, err := c.w.WriteString(http2.ClientPreface); err != nil {
		b.Fatal(err)
	}
	if err := c.fr.WriteSettings(); err != nil {
		b.Fatal(err)
	}
	if err := c.w.Flush(); err != nil {
		b.Fatal(err)
	}
	return c
}

// send writes one call, headers and message, in one write.
func (c *h2Caller) send(b *testing.B) {
	for c.window < int64(len(c.msg)) {
		c.read(b)
	}
	c.headers.Reset()
	for _, f := range [][2]string{
		{":method", "POST"}, {":scheme", "http"}, {":path", famiv1.PartnerService_GetPartner_FullMethodName},
		{":authority", "famid"}, {"content-type", "application/grpc"}, {"te", "trailers"},
		{"grpc-timeout", "5S"}, {"authorization", c.bearer},
	} {
		if err := c.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]}); err != nil {
			b.Fatal(err)
		}
	}
	id := c.next
	c.next += 2
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.headers.Bytes(), EndHeaders: true}); err != nil {
		b.Fatal(err)
	}
	if err := c.fr.WriteData(id, true, c.msg); err != nil {
		b.Fatal(err)
	}
	c.window -= int64(len(c.msg))
	if err := c.w.Flush(); err != nil {
		b.Fatal(err)
	}
}

// awaitAnswer reads frames up to a call's end and fails b unless its
// grpc-status is status, with its details (the RetryInfo) if it is an
// error.
func (c *h2Caller) awaitAnswer(b *testing.B, status string) {
	for !c.read(b) {
	}
	if c.status != status || status != "0" && !c.details {
		b.Fatalf("grpc-status %q, details %t; want %s", c.status, c.details, status)
	}
}

// read reads one frame, and says whether it ended a call (its trailers,
// or a trailers-only answer).
func (c *h2Caller) read(b *testing.B) bool {
	f, err := c.fr.ReadFrame()
	if err != nil {
		b.Fatal(err)
	}
	switch f := f.(type) {
	case *http2.HeadersFrame:
		c.status, c.details = "", false
		if _, err := c.dec.Write(f.HeaderBlockFragment()); err != nil {
			b.Fatal(err)
		}
		if !f.HeadersEnded() {
			b.Fatal("an answer's headers in more than one frame")
		}
		return f.StreamEnded()
	case *http2.DataFrame:
		// The connection's receive window is given back as answers are
		// read (each stream's starts afresh).
		if c.unacked += uint32(len(f.Data())); c.unacked >= 1<<14 {
			n := c.unacked
			c.unacked = 0
			c.write(b, func() error { return c.fr.WriteWindowUpdate(0, n) })
		}
	case *http2.WindowUpdateFrame:
		if f.StreamID == 0 {
			c.window += int64(f.Increment)
		}
	case *http2.SettingsFrame:
		if !f.IsAck() {
			c.write(b, c.fr.WriteSettingsAck)
		}
	case *http2.PingFrame:
		if !f.IsAck() {
			c.write(b, func() error { return c.fr.WritePing(true, f.Data) })
		}
	case *http2.GoAwayFrame:
		b.Fatalf("the server went away: %v %s", f.ErrCode, strings.TrimSpace(string(f.DebugData())))
	}
	return false
}

func (c *h2Caller) write(b *testing.B, frame func() error) {
	if err := frame(); err != nil {
		b.Fatal(err)
	}
	if err := c.w.Flush(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRefusedBody measures what a refusal of an HTTP/1.1 request
// with a body costs, client and server, with each answer to its unread
// body (docs/benchmarks.md, "Refusals with a body on HTTP/1.1"), in the
// same run: net/http reads it to keep the connection (keep: every body
// here is under net/http's 256 KiB, the server's rule for a body of known
// length), or the answer closes the connection and the client dials again
// for its next call (close). Each op is a Connect GetPartner whose body is padded to the
// size, sent whole with its headers as a well-behaved client sends it,
// and refused by a server whose only slot is held; the client writes the
// request while it reads the answer, as net/http's Transport does.
//
// Each op that closes leaves a socket in TIME_WAIT: run it with a count
// (-test.benchtime 2000x), not for a time.
func BenchmarkRefusedBody(b *testing.B) {
	limits := []struct {
		name  string
		limit int64
	}{{"keep", math.MaxInt64}, {"close", 1}}
	servers := map[string]*testServer{}
	for _, l := range limits {
		cfg := server.Config{MaxConcurrentCalls: 1, Logger: benchLogger(b)}
		server.SetAdmissionHold(&cfg, time.Hour)
		server.SetRefusedBodyLimit(&cfg, l.limit)
		servers[l.name] = startServer(b, cfg)
		holdTheSlot(b, servers[l.name])
	}
	for _, size := range []int{100, 4 << 10, 16 << 10, 64 << 10, 200 << 10} {
		for _, l := range limits {
			ts := servers[l.name]
			request := []byte(post(famiv1connect.PartnerServiceGetPartnerProcedure, "application/proto", ts.token, make([]byte, size)))
			b.Run(fmt.Sprintf("%dB/%s", size, l.name), func(b *testing.B) {
				var conn net.Conn
				var br *bufio.Reader
				defer func() {
					if conn != nil {
						conn.Close()
					}
				}()
				written := make(chan error, 1)
				closed := 0
				b.ReportAllocs()
				measureCPU(b, func() {
					for b.Loop() {
						if conn == nil {
							var err error
							if conn, err = net.Dial("tcp", ts.HTTPAddr()); err != nil {
								b.Fatal(err)
							}
							br = bufio.NewReader(conn)
						}
						go func(c net.Conn) {
							_, err := c.Write(request)
							written <- err
						}(conn)
						resp, err := http.ReadResponse(br, nil)
						if err != nil {
							b.Fatal(err)
						}
						_, err = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if err != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
							b.Fatalf("got %d %v (%v), want 429 with a Retry-After", resp.StatusCode, resp.Header, err)
						}
						err = <-written
						if resp.Close {
							conn.Close()
							conn = nil
							closed++
						} else if err != nil {
							b.Fatalf("writing the request on a kept-alive connection: %v", err)
						}
					}
				})
				b.ReportMetric(float64(closed)/float64(b.N), "closed/op")
			})
		}
	}
}
