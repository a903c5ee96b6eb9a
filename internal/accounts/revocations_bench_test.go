package accounts_test

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
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
			dir := b.TempDir()
			st := bolttest.Open(b, dir, bolt.Options{Regions: []string{"lombardia"}})
			keys, err := auth.LoadOrCreateKeys(dir)
			if err != nil {
				b.Fatal(err)
			}
			now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			month := binary.BigEndian.AppendUint64(nil, uint64(now.Add(30*24*time.Hour).Unix()))
			for i := 0; i < existing; i += 1000 {
				err := st.SystemUpdate(b.Context(), func(tx store.SystemTx) error {
					for j := i; j < min(i+1000, existing); j++ {
						if err := tx.Put("revoked_jti", fmt.Sprintf("existing-%05d", j), month); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			svc, err := accounts.New(b.Context(), st, st, keys, accounts.Options{Now: func() time.Time { return now }})
			if err != nil {
				b.Fatal(err)
			}
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
