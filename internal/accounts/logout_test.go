package accounts_test

import (
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
)

// TestLogoutRevokesOnlyItsToken: Logout revokes the token of its caller
// and no other of the same subject; doing it again is harmless, and the
// revocation outlives a restart of the service.
func TestLogoutRevokesOnlyItsToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	clock := func() time.Time { return f.now }
	spec := auth.TokenSpec{Subject: "account:mrossi", Role: principal.Consultant, Region: "lombardia", TTL: time.Hour}
	session, _, err := f.keys.Sign(spec, f.now)
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := f.keys.Sign(spec, f.now)
	if err != nil {
		t.Fatal(err)
	}
	verifier := auth.NewVerifier(f.keys, f.svc.Revocations(), clock)
	claims, err := verifier.Verify(session)
	if err != nil {
		t.Fatal(err)
	}
	ctx := principal.With(t.Context(), claims.Principal())
	for range 2 {
		if _, err := f.svc.Logout(ctx, &famiv1.LogoutRequest{}); err != nil {
			t.Fatalf("logout: %v", err)
		}
	}
	restarted, err := openService(t.Context(), f.st, f.st, f.keys, accounts.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]*auth.Verifier{"now": verifier, "after a restart": auth.NewVerifier(f.keys, restarted.Revocations(), clock)} {
		if _, err := v.Verify(session); err == nil {
			t.Errorf("%s: the logged-out token still verifies", name)
		}
		if _, err := v.Verify(other); err != nil {
			t.Errorf("%s: another token of the same account: %v, want it valid", name, err)
		}
	}
}
