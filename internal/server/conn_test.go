package server_test

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/waittest"
)

// h2Conn opens a TCP connection to the gRPC port and sends the HTTP/2
// client preface and an empty SETTINGS frame: a handshake, and no call.
func h2Conn(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Write(append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 0, 0, 0, 4, 0, 0, 0, 0, 0)); err != nil {
		t.Fatal(err)
	}
	return c
}

// served reports whether the server answered on c (its SETTINGS frame)
// within d.
func served(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := c.Read(make([]byte, 9))
	return err == nil
}

// TestGRPCIdleConnectionsAreReaped: a connection that completes the
// handshake and makes no call is closed after the idle timeout (they used
// to stay open for ever: 919 of 1,000 after two minutes).
func TestGRPCIdleConnectionsAreReaped(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{GRPCIdleTimeout: 300 * time.Millisecond})
	c := h2Conn(t, ts.grpcAddr())
	c.SetReadDeadline(time.Now().Add(waittest.Bound))
	// Read until the server closes the connection, acknowledging its
	// SETTINGS and PINGs as a client does: grpc-go closes an idle
	// connection gracefully, with a GOAWAY and a PING, and closes it once
	// the PING is acknowledged, or after 5 s without an answer.
	fr := http2.NewFramer(c, c)
	for {
		f, err := fr.ReadFrame()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("an idle connection was still open after %v", waittest.Bound)
		}
		if err != nil {
			return // closed
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				fr.WritePing(true, f.Data)
			}
		}
	}
}

// TestGRPCConnectionCap: beyond the cap, a connection is not served until
// another closes.
func TestGRPCConnectionCap(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{GRPCMaxConnections: 2})
	first, second := h2Conn(t, ts.grpcAddr()), h2Conn(t, ts.grpcAddr())
	for _, c := range []net.Conn{first, second} {
		if !served(c, waittest.Bound) {
			t.Fatal("a connection within the cap was not served")
		}
	}
	third := h2Conn(t, ts.grpcAddr())
	if served(third, 500*time.Millisecond) {
		t.Fatal("a third connection was served with a cap of two")
	}
	first.Close()
	if !served(third, waittest.Bound) {
		t.Error("the waiting connection was not served once another closed")
	}
}
