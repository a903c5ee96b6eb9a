package accounts_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// BenchmarkCreateServiceToken creates a service token in a region that
// already holds existing live ones (of other systems, MaxLiveServiceTokens
// at most each): its cost must not grow with them (docs/benchmarks.md, the
// ratio of existing=1000 to existing=10). Each token created lives one
// second and the clock moves two minutes between creates, so the system
// benchmarked holds one live token at a time and the region's others stay
// live. Each create's fsync hides its CPU in ns/op: cpu-ns/op is the
// process's CPU per create.
func BenchmarkCreateServiceToken(b *testing.B) {
	for _, existing := range []int{10, 1000} {
		b.Run(fmt.Sprintf("existing=%d", existing), func(b *testing.B) {
			now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			svc := benchService(b, &now, nil)
			ctx := as(b.Context(), "lombardia")
			for i := range existing {
				system := fmt.Sprintf("sistema-%d", i/accounts.MaxLiveServiceTokens)
				if _, err := issueToken(ctx, svc, system, accounts.MaxServiceTokenTTL); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				now = now.Add(2 * time.Minute)
				if _, err := issueToken(ctx, svc, "protocollo", time.Second); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// benchService starts the service, its clock at *now, on a fresh bbolt
// store of lombardia, on which seed (unless nil) has written first.
func benchService(b *testing.B, now *time.Time, seed func(*bolt.Store)) *accounts.Service {
	b.Helper()
	dir := b.TempDir()
	st := bolttest.Open(b, dir, bolt.Options{Regions: []string{"lombardia"}})
	keys, err := auth.LoadOrCreateKeys(dir)
	if err != nil {
		b.Fatal(err)
	}
	if seed != nil {
		seed(st)
	}
	svc, err := accounts.New(b.Context(), st, st, keys, accounts.Options{Now: func() time.Time { return *now }})
	if err != nil {
		b.Fatal(err)
	}
	return svc
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
