package opendata_test

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/heaptest"
	"github.com/raccordo/raccordo/internal/opendata"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the files built now")

// TestFilesUnchanged builds the open data of a varied fixture (every
// three regions, every dataset with rows, awkward texts) and compares each file,
// byte for byte, with testdata/golden, written by the build before the
// datasets were built while their lists are walked: a change to how they
// are built must not change what is published. go test -update rewrites
// the golden files after a deliberate change of the files.
func TestFilesUnchanged(t *testing.T) {
	f := newFixture(t, size{regions: 3, partners: 12, projects: 10, networks: 6, protocols: 8, entries: 4})
	h, _ := f.serve(t, f.src, nil)
	for _, name := range fileNames {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), http.MethodGet, opendata.Prefix+name, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", name, w.Code, w.Body)
		}
		golden := filepath.Join("testdata", "golden", name)
		if *update {
			if err := os.WriteFile(golden, w.Body.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Body.String(); got != string(want) {
			t.Errorf("%s differs from %s (%d bytes, want %d)", name, golden, len(got), len(want))
		}
	}
}

// peakSources samples the heap live as each page of a national list is
// answered: the page in hand and what the build holds of what it read.
type peakSources struct {
	opendata.Sources
	heaptest.Peak
}

func (p *peakSources) ListPartners(ctx context.Context, req *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error) {
	defer p.Sample()
	return p.Sources.Partners.ListPartners(ctx, req)
}

func (p *peakSources) ListProjects(ctx context.Context, req *famiv1.ListProjectsRequest) (*famiv1.ListProjectsResponse, error) {
	defer p.Sample()
	return p.Sources.Projects.ListProjects(ctx, req)
}

func (p *peakSources) ListNetworks(ctx context.Context, req *famiv1.ListNetworksRequest) (*famiv1.ListNetworksResponse, error) {
	defer p.Sample()
	return p.Sources.Networks.ListNetworks(ctx, req)
}

func (p *peakSources) ListProtocols(ctx context.Context, req *famiv1.ListProtocolsRequest) (*famiv1.ListProtocolsResponse, error) {
	defer p.Sample()
	return p.Sources.Protocols.ListProtocols(ctx, req)
}

// BenchmarkBuild builds the open data of every region, each with 200
// partners, 300 projects (monitoring reports on most), 120 networks and
// 120 protocols (real bbolt files, the real services), and reports beside
// -benchmem's figures:
//   - peak-live-B: the most heap live as a page of a national list is
//     answered and as each dataset's files are made: what the build
//     holds of its reads, its rows and the files made so far;
//   - snapshot-B: the heap the built snapshot keeps (every file, plain
//     and gzipped) until the platform changes.
//
// Each page costs a collection, so sec/op is not the build's speed.
//
//	go test -run '^$' -bench BenchmarkBuild -benchmem -count 6 ./internal/opendata/
func BenchmarkBuild(b *testing.B) {
	f := newFixture(b, size{regions: len(aip.RegionIDs()), partners: 200, projects: 300, networks: 120, protocols: 120})
	src := &peakSources{Sources: f.src}
	sampled := f.src
	sampled.Partners, sampled.Projects, sampled.Networks, sampled.Protocols = src, src, src, src
	var snapshot heaptest.Peak
	for b.Loop() {
		b.StopTimer()
		src.Start()
		snapshot.Start()
		b.StartTimer()
		h, _ := f.serve(b, sampled, src.Sample)
		b.StopTimer()
		snapshot.Sample()
		runtime.KeepAlive(h) // with its snapshot, while sampled
		b.StartTimer()
	}
	b.ReportMetric(float64(src.Max()), "peak-live-B")
	b.ReportMetric(float64(snapshot.Max()), "snapshot-B")
}

// countedReports counts the reads of monitoring reports a build makes.
type countedReports struct {
	opendata.Sources
	lists, gets int
}

func (c *countedReports) ListMonitoringReports(ctx context.Context, req *famiv1.ListMonitoringReportsRequest) (*famiv1.ListMonitoringReportsResponse, error) {
	c.lists++
	return c.Sources.Monitoring.ListMonitoringReports(ctx, req)
}

func (c *countedReports) GetMonitoringReport(ctx context.Context, req *famiv1.GetMonitoringReportRequest) (*famiv1.MonitoringReport, error) {
	c.gets++
	return c.Sources.Monitoring.GetMonitoringReport(ctx, req)
}

// TestReportsReadAcrossEachRegionsProjects: the build reads the reports
// of three regions of ten projects each, some under correction, in one
// List a region (the parent regions/{r}/projects/-, a page of up to 1,000
// reports), with the approved revisions a correction keeps in the same
// pages: it read them with a List per project and a Get per report
// under correction (30 and 12). TestFilesUnchanged checks that the files
// are the same.
func TestReportsReadAcrossEachRegionsProjects(t *testing.T) {
	f := newFixture(t, size{regions: 3, partners: 12, projects: 10, networks: 6, protocols: 8, entries: 4})
	src := &countedReports{Sources: f.src}
	counted := f.src
	counted.Monitoring = src
	f.serve(t, counted, nil)
	if src.lists != 3 || src.gets != 0 {
		t.Errorf("the build listed reports %d times and got %d; want one List a region (3) and no Get", src.lists, src.gets)
	}
}
