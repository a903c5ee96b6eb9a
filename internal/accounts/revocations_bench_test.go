package accounts_test

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
)

// BenchmarkRevoke revokes a token (Logout) while the revocation list holds
// existing entries of tokens still valid: its cost must not grow with
// them (docs/benchmarks.md, the ratio of existing=10000 to existing=10).
// The entries are written straight to system.db, as a famid before the
// expiry index wrote them, and indexed by the start. Each revocation's
// fsync hides its CPU in ns/op: cpu-ns/op is the process's CPU per
// revocation.
func BenchmarkRevoke(b *testing.B) {
	for _, existing := range []int{10, 10000} {
		b.Run(fmt.Sprintf("existing=%d", existing), func(b *testing.B) {
			now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			svc := benchService(b, &now, func(st *bolt.Store) { writeRevoked(b, st, existing, now.Add(30*24*time.Hour)) })
			b.ReportAllocs()
			cpu, i := cpuTime(), 0
			for b.Loop() {
				i++
				logout(b, svc, fmt.Sprintf("bench-%06d", i), now.Add(time.Hour))
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
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
