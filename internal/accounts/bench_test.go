package accounts_test

import (
	"encoding/binary"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/store"
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
	benchAgainst(b, []int{10, 1000}, func(b *testing.B, existing int, now *time.Time) func() {
		svc := benchService(b, now, nil)
		ctx := as(b.Context(), "lombardia")
		for i := range existing {
			system := fmt.Sprintf("sistema-%d", i/accounts.MaxLiveServiceTokens)
			if _, err := issueToken(ctx, svc, system, accounts.MaxServiceTokenTTL); err != nil {
				b.Fatal(err)
			}
		}
		return func() {
			*now = now.Add(2 * time.Minute)
			if _, err := issueToken(ctx, svc, "protocollo", time.Second); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRevoke revokes a token (Logout) while the revocation list holds
// existing entries of tokens still valid: its cost must not grow with
// them (docs/benchmarks.md, the ratio of existing=10000 to existing=10).
// The entries are written straight to system.db, as a famid before the
// expiry index wrote them, and indexed by the start. Each revocation's
// fsync hides its CPU in ns/op: cpu-ns/op is the process's CPU per
// revocation.
func BenchmarkRevoke(b *testing.B) {
	benchAgainst(b, []int{10, 10000}, func(b *testing.B, existing int, now *time.Time) func() {
		month := now.Add(30 * 24 * time.Hour)
		svc := benchService(b, now, func(st *bolt.Store) { writeRevoked(b, st, existing, month) })
		i := 0
		return func() {
			i++
			logout(b, svc, fmt.Sprintf("bench-%06d", i), now.Add(time.Hour))
		}
	})
}

// writeRevoked writes n entries of the revocation list valid until exp
// straight to st, as a famid before the expiry index wrote them, a
// thousand per transaction.
func writeRevoked(b *testing.B, st store.System, n int, exp time.Time) {
	value := binary.BigEndian.AppendUint64(nil, uint64(exp.Unix()))
	for i := 0; i < n; i += 1000 {
		err := st.SystemUpdate(b.Context(), func(tx store.SystemTx) error {
			for j := i; j < min(i+1000, n); j++ {
				if err := tx.Put("revoked_jti", fmt.Sprintf("existing-%05d", j), value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// benchAgainst runs a sub-benchmark "existing=N" for each of sizes: start
// builds the service with N existing records, its clock at *now, and
// returns the operation timed. Besides the allocations it reports
// cpu-ns/op, the process's CPU per operation, which each operation's
// fsync hides in ns/op.
func benchAgainst(b *testing.B, sizes []int, start func(b *testing.B, existing int, now *time.Time) func()) {
	for _, existing := range sizes {
		b.Run(fmt.Sprintf("existing=%d", existing), func(b *testing.B) {
			now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			op := start(b, existing, &now)
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				op()
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
