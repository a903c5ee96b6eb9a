package sdk_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"connectrpc.com/connect"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/sdk"
)

// TestRetryDelayOfAProxy: a proxy or load balancer in front of famid that
// answers 503 or 429 with a Retry-After header (a deploy, its own rate
// limit) and no Connect error body is waited for as it asks, in seconds
// or as an HTTP date, on every protocol the clients speak; RetryDelay read
// only the server's RetryInfo detail, so it was 0 and a Mirror came back
// at its own backoff. A stream (a watch) keeps it too: it was lost there.
func TestRetryDelayOfAProxy(t *testing.T) {
	in90s := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		name, header string
		status       int
		min, max     time.Duration
	}{
		{"seconds", "7", http.StatusServiceUnavailable, 7 * time.Second, 7 * time.Second},
		{"date", in90s, http.StatusTooManyRequests, 80 * time.Second, 90 * time.Second},
		{"none", "", http.StatusServiceUnavailable, 0, 0},
		{"garbage", "soon", http.StatusServiceUnavailable, 0, 0},
		{"negative", "-5", http.StatusServiceUnavailable, 0, 0},
	} {
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tc.header != "" {
				w.Header().Set("Retry-After", tc.header)
			}
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(tc.status)
			w.Write([]byte("<html>Service Unavailable</html>"))
		}))
		for _, proto := range []struct {
			name string
			opts []connect.ClientOption
		}{{"connect", nil}, {"grpc", []connect.ClientOption{connect.WithGRPC()}}, {"grpcweb", []connect.ClientOption{connect.WithGRPCWeb()}}} {
			c := sdk.NewClient(proxy.Client(), proxy.URL, "", proto.opts...)
			_, err := c.Regions.ListRegions(context.Background(), &famiv1.ListRegionsRequest{})
			if err == nil {
				t.Fatalf("%s %s: the proxy's %d answered no error", tc.name, proto.name, tc.status)
			}
			if !sdk.Retryable(err) {
				t.Errorf("%s %s: %v is not retryable", tc.name, proto.name, err)
			}
			if d := sdk.RetryDelay(err); d < tc.min || d > tc.max {
				t.Errorf("%s %s: RetryDelay %v with Retry-After %q, want %v to %v", tc.name, proto.name, d, tc.header, tc.min, tc.max)
			}
			// A stream's error comes from Receive, after the call returned:
			// its Retry-After was lost (a Mirror's watch then came back at
			// its own backoff).
			stream, err := c.Sync.Watch(context.Background(), &famiv1.WatchRequest{Parent: "regions/lombardia"})
			if err == nil {
				for stream.Receive() {
				}
				err = stream.Err()
				stream.Close()
			}
			if err == nil {
				t.Fatalf("%s %s: the proxy's %d answered a watch with no error", tc.name, proto.name, tc.status)
			}
			if d := sdk.RetryDelay(err); d < tc.min || d > tc.max {
				t.Errorf("%s %s watch: RetryDelay %v with Retry-After %q, want %v to %v", tc.name, proto.name, d, tc.header, tc.min, tc.max)
			}
		}
		proxy.Close()
	}
}
