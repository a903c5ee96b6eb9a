package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

// BenchmarkRESTChanges asks the HTTP handler (in process, no connection)
// for a page of 1,000 changes over REST, a sync catch-up's first page, and
// reports beside the time the process's CPU per call (cpu-ns/op), which
// another process on a shared machine disturbs less than the wall clock.
// The region is written before the server opens it. The benchmark stands
// alone, so that it can be copied onto an older tree for a before/after
// ratio (docs/benchmarks.md).
//
//	go test -run '^$' -bench BenchmarkRESTChanges -benchmem -count 6 ./internal/server/
func BenchmarkRESTChanges(b *testing.B) {
	dir := b.TempDir()
	st, err := bolt.Open(dir, bolt.Options{Regions: []string{"lombardia"}})
	if err != nil {
		b.Fatal(err)
	}
	if err := storetest.BenchCreatesInOneUpdate(st, "lombardia", 1, 1000, false); err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	ts := startServer(b, server.Config{DataDir: dir, Logger: benchLogger(b)})
	h := server.HTTPHandler(ts.Server.Server)
	w := &discardResponse{header: http.Header{}}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		w.serve(b, h, httptest.NewRequest(http.MethodGet, "/v1/regions/lombardia/changes?pageSize=1000", nil), ts.token)
	}
	b.ReportMetric(float64((cpuTime()-cpu)/time.Nanosecond)/float64(b.N), "cpu-ns/op")
}
