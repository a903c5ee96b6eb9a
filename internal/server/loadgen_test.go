package server_test

import (
	"strings"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/loadgen"
	"github.com/raccordo/raccordo/internal/server"
)

// TestLoadGeneratorCounts runs famiload's load generator against a server
// whose only slot is held, on every surface: every call it sends is
// refused, and it counts each as a refusal with a Retry-After. Once the
// slot is free, its creates are served and the partners are there.
func TestLoadGeneratorCounts(t *testing.T) {
	t.Parallel()
	cfg := server.Config{MaxConcurrentCalls: 1, MetricsAddr: "127.0.0.1:0"}
	server.SetAdmissionHold(&cfg, time.Hour)
	ts := startServer(t, cfg)
	target := loadgen.Target{GRPCAddr: ts.grpcAddr(), HTTPURL: ts.httpURL(), Tokens: map[string]string{"lombardia": ts.token}, Timeout: 10 * time.Second}
	probe := newSurface(t, ts, "grpc")
	list := func() error {
		_, err := probe.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: lombardia})
		return err
	}
	finish := holdSlot(t, ts, "grpc", list)
	for _, surface := range loadgen.Surfaces {
		r, err := target.Run(t.Context(), loadgen.Load{Surface: surface, Op: loadgen.Create, Regions: []string{"lombardia"},
			Concurrency: 2, Duration: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if r.Sent == 0 || r.Refused != r.Sent-r.Late || r.RefusedRetryAfter != r.Refused || r.OK != 0 || r.Errors != 0 {
			t.Errorf("with the server full: %s", r)
		}
	}
	if err := finish(); err != nil {
		t.Fatal(err)
	}

	r, err := target.Run(t.Context(), loadgen.Load{Surface: loadgen.REST, Op: loadgen.Create, Regions: []string{"lombardia"},
		Rate: 50, Duration: 500 * time.Millisecond, MinServed: 5}) // served, however busy the machine
	if err != nil {
		t.Fatal(err)
	}
	if r.Sent != r.OK+r.Refused+r.Errors+r.Late || r.OK == 0 || r.Errors != 0 {
		t.Errorf("open loop on a free server: %s", r)
	}
	res, err := probe.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: lombardia, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	created := 0
	for _, p := range res.GetPartners() {
		if strings.Contains(p.GetName(), "/partners/load-") {
			created++
		}
	}
	if int64(created) < r.OK {
		t.Errorf("%d partners created, the generator counted %d served", created, r.OK)
	}
}
