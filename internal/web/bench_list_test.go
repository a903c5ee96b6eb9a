package web_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/heaptest"
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
// server's work for the page too, page-B is the page's size, and
// peak-live-B the most heap live above the base while a page is asked
// for, sampled back to back (heaptest) until its answer has been read.
// Each sample costs a collection, so sec/op is not the page's speed. The
// file stands alone, so that the same benchmark runs on the code before
// the list pages were paged (docs/benchmarks.md).
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
	var peak heaptest.Peak
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		peak.Start()
		done := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			for {
				peak.Sample()
				select {
				case <-done:
					return
				default:
				}
			}
		}()
		b.StartTimer()
		get()
		close(done)
		<-sampled
	}
	b.ReportMetric(float64(size), "page-B")
	b.ReportMetric(float64(peak.Max()), "peak-live-B")
}
