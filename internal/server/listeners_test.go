package server_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/server"
)

// TestEveryHTTPListenerBounded: the API's, the admin's and the metrics'
// HTTP listeners bound a request's headers alike, from one place: 1.5 MiB
// of headers are read, over 2 MiB are refused with 431, and a client that
// does not finish its headers within the read-header timeout is dropped.
// The admin and metrics listeners refused 1.5 MiB (net/http's 1 MB bound)
// and waited 10 s for headers whatever the server's timeout.
func TestEveryHTTPListenerBounded(t *testing.T) {
	t.Parallel()
	// The sizes are checked on a server with the default read-header
	// timeout and the timeout on one with a short one: under a heavy load
	// writing 1.5 MiB of headers outlasted 200 ms, and the listener rightly
	// dropped the request before it was whole.
	const timeout = 200 * time.Millisecond
	roomy := startServer(t, server.Config{AdminAddr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0"})
	cfg := server.Config{AdminAddr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0"}
	server.SetReadHeaderTimeout(&cfg, timeout)
	tight := startServer(t, cfg)
	for _, l := range []struct {
		name string
		addr func(*testServer) string
		path string
	}{
		{"http", (*testServer).HTTPAddr, "/healthz"},
		{"admin", (*testServer).AdminAddr, "/metrics"},
		{"metrics", (*testServer).MetricsAddr, "/metrics"},
	} {
		t.Run(l.name, func(t *testing.T) {
			for _, tt := range []struct{ header, status int }{
				{3 << 19, http.StatusOK},                                 // 1.5 MiB
				{2<<20 + 64<<10, http.StatusRequestHeaderFieldsTooLarge}, // 2 MiB and 64 KiB
			} {
				if got := getWithHeader(t, l.addr(roomy), l.path, tt.header); got != tt.status {
					t.Errorf("GET %s with %d bytes of headers: HTTP %d, want %d", l.path, tt.header, got, tt.status)
				}
			}
			if d := slowHeaderDropped(t, l.addr(tight), l.path); d > 10*timeout {
				t.Errorf("a request whose headers never end was dropped after %v, want about %v", d, timeout)
			}
		})
	}
}

// getWithHeader sends GET path to addr over HTTP/1.1 with a header of n
// bytes and returns the answer's status. The request is written while
// the answer is read: a listener refusing it stops reading, answers and
// closes the connection half a second later (net/http's
// rstAvoidanceDelay), resetting it for the bytes it did not read, which
// discards its answer if the test has not read it by then; a loaded
// machine may not, so a reset is tried again, twice.
func getWithHeader(t *testing.T, addr, path string, n int) int {
	t.Helper()
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nX-Fill: %s\r\nConnection: close\r\n\r\n", path, addr, strings.Repeat("a", n))
	for try := 1; ; try++ {
		conn := dialRaw(t, addr)
		go io.WriteString(conn, req)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if errors.Is(err, syscall.ECONNRESET) && try < 3 {
			continue
		}
		if err != nil {
			t.Fatalf("GET %s with %d bytes of headers: %v", path, n, err)
		}
		res.Body.Close()
		return res.StatusCode
	}
}

// slowHeaderDropped starts a request to addr whose headers never end and
// returns how long the listener took to close the connection, failing the
// test when it answered instead or had not closed it within 5 s.
func slowHeaderDropped(t *testing.T, addr, path string) time.Duration {
	t.Helper()
	conn := dialRaw(t, addr)
	start := time.Now()
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\n", path, addr); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := conn.Read(make([]byte, 512))
	if n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("a request whose headers never end: read %d bytes, %v; want the connection closed", n, err)
	}
	return time.Since(start)
}

// dialRaw opens a TCP connection to addr, closed when the test ends.
func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	return conn
}
