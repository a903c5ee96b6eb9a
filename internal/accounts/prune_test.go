package accounts_test

import (
	"maps"
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
// system.db. The revocation list used to keep every entry for ever.
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

// TestServiceTokenRecordsExpireThenGo: a service token's record is listed
// with its state, ACTIVE, REVOKED or EXPIRED, and kept for
// accounts.DefaultServiceTokenRetention after the token expired (for audit); then
// it is forgotten, at the next start on the same system.db and, without a
// restart, at the next token issued. The records used to be kept and
// listed for ever, an expired token looking like a valid one.
func TestServiceTokenRecordsExpireThenGo(t *testing.T) {
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
