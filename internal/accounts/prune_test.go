package accounts_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
)

// TestExpiredRevocationsArePruned: the entry of a revoked service token is
// forgotten once the token has expired (the verifier refuses it anyway),
// at the next start and at the next revocation, while a revoked token
// still within its lifetime stays refused, across a restart on the same
// system.db. The revocation list used to keep every entry for ever.
func TestExpiredRevocationsArePruned(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := as(t.Context(), "lombardia")
	revoked := func(svc *accounts.Service, system string, ttl time.Duration) (token, jti string) {
		t.Helper()
		res, err := svc.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: system, TtlSeconds: int64(ttl / time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: res.GetServiceToken().GetName()}); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.NewVerifier(f.keys, svc.Revocations(), func() time.Time { return f.now }).Verify(res.GetToken()); err == nil {
			t.Fatalf("the revoked token of %s verifies", system)
		}
		return res.GetToken(), res.GetServiceToken().GetName()[len("regions/lombardia/serviceTokens/"):]
	}
	stored := func(jti string) bool {
		t.Helper()
		var v []byte
		err := f.st.SystemView(t.Context(), func(tx store.SystemTx) (err error) {
			v, err = tx.Get("revoked_jti", jti)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return v != nil
	}

	_, short := revoked(f.svc, "breve", time.Hour)
	longToken, long := revoked(f.svc, "lungo", 90*24*time.Hour)
	if !stored(short) || !stored(long) {
		t.Fatalf("revocations not stored: %s %v, %s %v", short, stored(short), long, stored(long))
	}

	// Two hours on, the short token has expired: a start forgets it.
	f.now = f.now.Add(2 * time.Hour)
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	f.st = bolttest.Open(t, f.dir, bolt.Options{Regions: []string{"lombardia", "veneto"}})
	svc := restart(t, f)
	if stored(short) {
		t.Error("the revocation of an expired token survived the start")
	}
	if !stored(long) {
		t.Fatal("the revocation of a token still valid was forgotten")
	}
	if _, err := auth.NewVerifier(f.keys, svc.Revocations(), func() time.Time { return f.now }).Verify(longToken); err == nil {
		t.Error("a revoked token still within its lifetime verifies after a restart")
	}

	// And a revocation forgets the expired ones, without a restart.
	shortToken, short := revoked(svc, "breve-due", time.Hour)
	f.now = f.now.Add(2 * time.Hour)
	revoked(svc, "altro", 90*24*time.Hour)
	if stored(short) {
		t.Error("the revocation of an expired token survived the next revocation")
	}
	if _, err := auth.NewVerifier(f.keys, svc.Revocations(), func() time.Time { return f.now }).Verify(shortToken); err == nil {
		t.Error("a revoked token verifies once its entry is pruned")
	}
	if !stored(long) {
		t.Error("the revocation of a token still valid was forgotten by the next revocation")
	}
}

// TestServiceTokenRecordsExpireThenGo: a service token's record is listed
// with its state, ACTIVE, REVOKED or EXPIRED, and kept for
// accounts.DefaultServiceTokenRetention after the token expired (for audit); then
// it is forgotten, at the next start on the same system.db and, without a
// restart, at the next token issued. The records used to be kept and
// listed for ever, an expired token looking like a valid one.
func TestServiceTokenRecordsExpireThenGo(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := as(t.Context(), "lombardia")
	issue := func(svc *accounts.Service, system string, ttl time.Duration) string {
		t.Helper()
		res, err := svc.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: system, TtlSeconds: int64(ttl / time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		return res.GetServiceToken().GetName()
	}
	listed := func(svc *accounts.Service) map[string]famiv1.ServiceTokenState {
		t.Helper()
		res, err := svc.ListServiceTokens(ctx, &famiv1.ListServiceTokensRequest{Parent: "regions/lombardia", PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]famiv1.ServiceTokenState{}
		for _, st := range res.GetServiceTokens() {
			got[st.GetName()] = st.GetState()
		}
		return got
	}
	check := func(what string, got, want map[string]famiv1.ServiceTokenState) {
		t.Helper()
		if !maps.Equal(got, want) {
			t.Errorf("%s: listed %v, want %v", what, got, want)
		}
	}
	const (
		active  = famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_ACTIVE
		revoked = famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_REVOKED
		expired = famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_EXPIRED
	)

	short, long, gone := issue(f.svc, "breve", time.Hour), issue(f.svc, "lungo", 365*24*time.Hour), issue(f.svc, "revocato", time.Hour)
	st, err := f.svc.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: gone})
	if err != nil {
		t.Fatal(err)
	}
	if st.GetState() != revoked {
		t.Errorf("revoke answered the token %v, want REVOKED", st.GetState())
	}
	check("at issue", listed(f.svc), map[string]famiv1.ServiceTokenState{short: active, long: active, gone: revoked})

	// Two hours on, the short tokens have expired: still listed, for audit.
	f.now = f.now.Add(2 * time.Hour)
	check("two hours on", listed(f.svc), map[string]famiv1.ServiceTokenState{short: expired, long: active, gone: revoked})

	// Past the retention, a start on the same file forgets them.
	f.now = f.now.Add(accounts.DefaultServiceTokenRetention + time.Hour)
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	f.st = bolttest.Open(t, f.dir, bolt.Options{Regions: []string{"lombardia", "veneto"}})
	svc := restart(t, f)
	check("past the retention, after a restart", listed(svc), map[string]famiv1.ServiceTokenState{long: active})

	// And issuing a token forgets the long-expired ones, without a restart.
	brief := issue(svc, "breve-due", time.Hour)
	f.now = f.now.Add(accounts.DefaultServiceTokenRetention + 2*time.Hour)
	check("past the retention, before the next issue", listed(svc), map[string]famiv1.ServiceTokenState{long: active, brief: expired})
	fresh := issue(svc, "nuovo", time.Hour)
	check("after the next issue", listed(svc), map[string]famiv1.ServiceTokenState{long: active, fresh: active})
}

// etcdAccounts starts the accounts on a new etcd cluster, their clock at
// *now, their store's round trips to the cluster counted into trips
// (etcdtest.CountReads).
func etcdAccounts(t testing.TB, now *time.Time, trips *atomic.Int64) (*accounts.Service, *etcd.Store) {
	t.Helper()
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	cli := c.Client(t)
	etcdtest.CountReads(cli, trips)
	st, err := etcd.Open(t.Context(), etcd.Options{Client: cli, Prefix: "/prune/", Regions: []string{"lombardia"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := auth.LoadOrCreateKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := openService(t.Context(), st, st, keys, accounts.Options{Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}

// TestPruneReadsABatchAtOnce: on etcd, a revocation that forgets a batch
// of expired revocations (32) reads their entries in one round trip
// (store.Prefetch), not one each: with 40 expired, a logout takes a few
// round trips, and forgets 32 of them.
func TestPruneReadsABatchAtOnce(t *testing.T) {
	t.Parallel()
	const expiredEntries = 40
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var trips atomic.Int64
	svc, st := etcdAccounts(t, &now, &trips)
	for i := range expiredEntries {
		logout(t, svc, fmt.Sprintf("old-%02d", i), now.Add(time.Hour))
	}
	now = now.Add(2 * time.Hour)
	trips.Store(0)
	logout(t, svc, "fresh", now.Add(time.Hour))
	if got := trips.Load(); got > 4 {
		t.Errorf("a logout forgetting a batch of expired revocations took %d round trips to etcd, want a few, not one an entry", got)
	}
	if jtis, _ := revokedIDs(t, st); len(jtis) != expiredEntries-32+1 {
		t.Errorf("after the logout the list holds %d entries, want %d: the batch of 32 forgotten", len(jtis), expiredEntries-32+1)
	}
}

// BenchmarkPruneOnEtcd is a logout on etcd that forgets a batch of 32
// expired revocations, as each revocation does: trips/op are its round
// trips to the cluster (etcdtest.CountReads). The 32 revocations, made
// before each logout and expired by the clock, are outside the timer; the
// logout's own token lives on, behind the expired ones.
func BenchmarkPruneOnEtcd(b *testing.B) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var trips atomic.Int64
	svc, _ := etcdAccounts(b, &now, &trips)
	var total int64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		for j := range 32 {
			logout(b, svc, fmt.Sprintf("old-%04d-%02d", i, j), now.Add(time.Hour))
		}
		now = now.Add(2 * time.Hour)
		trips.Store(0)
		b.StartTimer()
		logout(b, svc, fmt.Sprintf("kept-%04d", i), now.Add(10*365*24*time.Hour))
		total += trips.Load()
	}
	b.ReportMetric(float64(total)/float64(b.N), "trips/op")
}

// TestPruneKeepsDamagedRevocations: pruning passes over a revocation
// entry that reads damaged (DATA_LOSS), which stays with its index key,
// and counts it in no batch: with 33 damaged entries at the front of the
// expired ones, more than a batch, a revocation still forgets a batch of
// 32 intact ones behind them, and the next one the rest. The damage comes
// after the start, as a failing disk's would (the start stops on it).
func TestPruneKeepsDamagedRevocations(t *testing.T) {
	t.Parallel()
	const damaged, intact = 33, 40
	f := newFixture(t)
	sys := &damagingSystem{System: f.st, damaged: map[string]bool{}}
	svc, err := openService(t.Context(), sys, f.st, f.keys, accounts.Options{Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	for i := range damaged + intact {
		jti := fmt.Sprintf("old-%02d", i)
		logout(t, svc, jti, f.now.Add(time.Hour))
		sys.damaged[jti] = i < damaged
	}
	f.now = f.now.Add(2 * time.Hour)
	for i, want := range []int{damaged + intact - 32 + 1, damaged + 2} {
		logout(t, svc, fmt.Sprintf("new-%d", i), f.now.Add(time.Hour))
		jtis, keys := revokedIDs(t, f.st)
		if len(jtis) != want || len(keys) != want {
			t.Errorf("after revocation %d: %d entries and %d index keys stored, want %d of each", i+1, len(jtis), len(keys), want)
		}
	}
	jtis, _ := revokedIDs(t, f.st)
	for i := range damaged {
		if jti := fmt.Sprintf("old-%02d", i); !slices.Contains(jtis, jti) {
			t.Errorf("the damaged entry %s was forgotten", jti)
		}
	}
}

// damagingSystem is a system store whose revocation entries named in
// damaged read as damaged (DATA_LOSS naming them), as a value that fails
// its checksum does.
type damagingSystem struct {
	store.System
	damaged map[string]bool
}

func (d *damagingSystem) SystemView(ctx context.Context, fn func(store.SystemTx) error) error {
	return d.System.SystemView(ctx, func(tx store.SystemTx) error { return fn(damagingTx{tx, d.damaged}) })
}

func (d *damagingSystem) SystemUpdate(ctx context.Context, fn func(store.SystemTx) error) error {
	return d.System.SystemUpdate(ctx, func(tx store.SystemTx) error { return fn(damagingTx{tx, d.damaged}) })
}

type damagingTx struct {
	store.SystemTx
	damaged map[string]bool
}

func (t damagingTx) Get(bucket, key string) ([]byte, error) {
	if bucket == "revoked_jti" && t.damaged[key] {
		return nil, errs.RecordCorrupt.New("revoked_jti/%s in system.db failed its checksum", key)
	}
	return t.SystemTx.Get(bucket, key)
}
