package server_test

import (
	"os"
	"testing"

	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/territory"
)

// TestMetricsNameTheRegionsNotServed: a region whose file famid refused
// at start (emptied while it was stopped) is raccordo_store_region_served
// 0 on /metrics, and every other region 1, so that an alert can see it.
// It vanished from the metrics instead, while /readyz stays ready (the
// other regions serve): the start's log line was its only trace.
func TestMetricsNameTheRegionsNotServed(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{MetricsAddr: "127.0.0.1:0"})
	for _, r := range territory.Regions() {
		if got, ok := sample(scrape(t, ts.metricsURL()), "raccordo_store_region_served", `region="`+r.ID+`"`); !ok || got != 1 {
			t.Errorf("region %s served: %v (present %v), want 1", r.ID, got, ok)
		}
	}
	if err := ts.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(bolt.RegionFile(ts.DataDir, "veneto"), 0); err != nil {
		t.Fatal(err)
	}
	ts = ts.restart()
	m := scrape(t, ts.metricsURL())
	for _, r := range territory.Regions() {
		want := 1.0
		if r.ID == "veneto" {
			want = 0
		}
		if got, ok := sample(m, "raccordo_store_region_served", `region="`+r.ID+`"`); !ok || got != want {
			t.Errorf("region %s served, its file damaged: %v (present %v), want %v", r.ID, got, ok, want)
		}
	}
}

// TestMetricsNameTheRegionsNotServedOnEtcd: on etcd, a region whose
// import into the cluster is cut short while famid runs (by another
// famictl) is raccordo_store_region_served 0 from the next scrape, and
// every other region 1. The gauge was the bbolt store's alone: an etcd
// famid had none, and such a region showed only in its calls' errors.
func TestMetricsNameTheRegionsNotServedOnEtcd(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	cfg := servertest.EtcdConfig(c.Endpoints(), "/served/")
	cfg.MetricsAddr = "127.0.0.1:0"
	ts := startServer(t, cfg)
	wantServed := func(when, unserved string) {
		t.Helper()
		m := scrape(t, ts.metricsURL())
		for _, r := range territory.Regions() {
			want := 1.0
			if r.ID == unserved {
				want = 0
			}
			if got, ok := sample(m, "raccordo_store_region_served", `region="`+r.ID+`"`); !ok || got != want {
				t.Errorf("region %s served %s: %v (present %v), want %v", r.ID, when, got, ok, want)
			}
		}
	}
	wantServed("at start", "")
	servertest.CutImport(t, c.Client(t), "/served/", "lombardia")
	wantServed("with its import cut short", "lombardia")
}
