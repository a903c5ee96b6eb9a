package loadgen

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

// TestServerCPUStopsAtTheWindowsEnd: the CPU a server spends after a
// load's time, on the calls that will be late, is reported as the drain's,
// not as the load's, on both kinds of loop. The server here is this
// process (Target.ServerPID): its one call waits past the load's end, then
// burns lateWork of CPU before answering, so that the load's own time
// costs it next to nothing.
func TestServerCPUStopsAtTheWindowsEnd(t *testing.T) {
	const (
		window   = 100 * time.Millisecond
		lateWork = 0.4 // CPU seconds
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * window)
		for start := clientCPU(); clientCPU()-start < lateWork; {
		}
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	target := Target{HTTPURL: srv.URL, Tokens: map[string]string{"lombardia": "t"}, Timeout: 10 * time.Second, ServerPID: os.Getpid()}
	for _, load := range []Load{
		{Surface: REST, Op: Create, Regions: []string{"lombardia"}, Concurrency: 1, Duration: window},
		{Surface: REST, Op: Create, Regions: []string{"lombardia"}, Rate: 1, Duration: window},
	} {
		r, err := target.Run(t.Context(), load)
		if err != nil {
			t.Fatal(err)
		}
		if r.Sent != 1 || r.Late != 1 {
			t.Fatalf("%s loop: %d sent, %d late; want the one call late", r.Mode, r.Sent, r.Late)
		}
		if r.ServerCPU >= lateWork/2 || r.ServerDrainCPU < lateWork*0.9 {
			t.Errorf("%s loop: server CPU %.2fs within the load's time and %.2fs draining it, want under %.2fs and at least %.2fs: the late call's work belongs to the drain",
				r.Mode, r.ServerCPU, r.ServerDrainCPU, lateWork/2, lateWork*0.9)
		}
	}
}
