package accounts_test

import (
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestExpiredRevocationsArePruned: the entry of a revoked service token is
// forgotten once the token has expired (the verifier refuses it anyway),
// at the next start and at the next revocation, while a revoked token
// still within its lifetime stays refused, across a restart on the same
// system.db. The
// revocation list used to keep every entry for ever.
func TestExpiredRevocationsArePruned(t *testing.T) {
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
