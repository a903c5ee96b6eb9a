package web_test

import (
	"fmt"
	"io"
	"net/http"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// manyProtocols creates n protocols r000..r(n-1) of the Bergamo network in
// Lombardia, and Lombardia's admin account.
func manyProtocols(t testing.TB, f *famid, n int) {
	t.Helper()
	udp, cpia := f.bergamoPartners()
	network := f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	protocols := famiv1.NewProtocolServiceClient(f.conn)
	for i := range n {
		_, err := protocols.CreateProtocol(f.admin("lombardia"), &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", ProtocolId: fmt.Sprintf("r%03d", i),
			Protocol: &famiv1.Protocol{Network: network, Title: fmt.Sprintf("Protocollo %d", i), Body: "Art. 1 - Le parti collaborano.", ValidFrom: "2025-01-01",
				Parties: []*famiv1.Party{{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}}}})
		if err != nil {
			t.Fatalf("protocol %d: %v", i, err)
		}
	}
}

// BenchmarkProtocolsPage asks for the protocols page of a region with 2,000
// protocols, famid in the same process: allocs/op and B/op count the
// server's work for the page too. peak-heap-MiB is the most the heap's
// objects grew above where they stood before the loop, sampled every
// millisecond. The file stands alone, so that the same benchmark runs on
// the code before the list pages were paged (docs/benchmarks.md).
func BenchmarkProtocolsPage(b *testing.B) {
	f := startFamid(b)
	manyProtocols(b, f, 2000)
	login, err := famiv1.NewAuthServiceClient(f.conn).Login(b.Context(), &famiv1.LoginRequest{Username: "admin@lombardia", Password: password})
	if err != nil {
		b.Fatal(err)
	}
	get := func() int {
		req, _ := http.NewRequest("GET", f.url("/protocolli"), nil)
		req.Header.Set("Cookie", "raccordo_sessione="+login.GetToken())
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("GET /protocolli: status %d", res.StatusCode)
		}
		return int(n)
	}
	size := get()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() int64 { metrics.Read(sample); return int64(sample[0].Value.Uint64()) }
	var peak atomic.Int64
	start := heap()
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if h := heap() - start; h > peak.Load() {
					peak.Store(h)
				}
			}
		}
	}()
	b.ReportAllocs()
	for b.Loop() {
		get()
	}
	close(done)
	<-sampled
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(size)/1024, "page-KiB")
}
