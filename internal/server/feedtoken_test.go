package server_test

import (
	"net/http"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestFeedTokenDiesWithItsAccount: a calendar feed token works for its
// owner's account until the account is deleted (or its password replaced),
// then is refused at once, like the account's bearer tokens.
func TestFeedTokenDiesWithItsAccount(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	admin := newSurface(t, ts, "grpc")
	for _, username := range []string{"mrossi", "lbianchi"} {
		if _, err := admin.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: username,
			Password: "correct horse battery staple",
			Account:  &famiv1.Account{DisplayName: username, Role: famiv1.Role_ROLE_CONSULTANT}}); err != nil {
			t.Fatal(err)
		}
	}
	feedToken := func(username, password string) string {
		t.Helper()
		login, err := newSurface(t, ts, "grpc").Login(ctx, &famiv1.LoginRequest{Username: username + "@lombardia", Password: password})
		if err != nil {
			t.Fatal(err)
		}
		res, err := newSurfaceAs(t, ts, "connect", login.GetToken()).CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: "regions/lombardia"})
		if err != nil {
			t.Fatal(err)
		}
		return res.GetToken()
	}
	feed := func(token string) int { t.Helper(); return feedStatus(t, ts, token) }

	deleted, replaced := feedToken("mrossi", "correct horse battery staple"), feedToken("lbianchi", "correct horse battery staple")
	for _, tok := range []string{deleted, replaced} {
		if got := feed(tok); got != http.StatusOK {
			t.Fatalf("feed with a fresh token: HTTP %d, want 200", got)
		}
	}
	if _, err := admin.DeleteAccount(ctx, &famiv1.DeleteAccountRequest{Name: "regions/lombardia/accounts/mrossi"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.SetAccountPassword(ctx, &famiv1.SetAccountPasswordRequest{Name: "regions/lombardia/accounts/lbianchi", Password: "another long password"}); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"deleted account": deleted, "replaced password": replaced} {
		if got := feed(tok); got != http.StatusUnauthorized {
			t.Errorf("feed token of a %s: HTTP %d, want 401", name, got)
		}
	}
	// A token the owner creates after the new password works again.
	if got := feed(feedToken("lbianchi", "another long password")); got != http.StatusOK {
		t.Fatalf("feed with a token issued after the password change: HTTP %d, want 200", got)
	}
}

// TestFeedTokenDiesWithItsServiceToken: a calendar feed token created with
// a service token is refused once that service token is revoked, and never
// outlives its expiry. It used to live on for its own year.
func TestFeedTokenDiesWithItsServiceToken(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	admin := newSurface(t, ts, "grpc")
	svc, err := admin.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "siage", TtlSeconds: 7 * 24 * 3600})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"grpc", "connect", "grpcweb", "rest"} {
		res, err := newSurfaceAs(t, ts, kind, svc.GetToken()).CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia, TtlSeconds: 365 * 24 * 3600})
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if got, limit := res.GetCalendarToken().GetExpireTime().AsTime(), svc.GetServiceToken().GetExpireTime().AsTime(); got.After(limit) {
			t.Errorf("%s: the feed token expires %v, after the service token that created it (%v)", kind, got, limit)
		}
		feed := func() int { t.Helper(); return feedStatus(t, ts, res.GetToken()) }
		if got := feed(); got != http.StatusOK {
			t.Fatalf("%s: feed with a fresh token: HTTP %d, want 200", kind, got)
		}
		defer func() {
			if got := feed(); got != http.StatusUnauthorized {
				t.Errorf("%s: feed token of a revoked service token: HTTP %d, want 401", kind, got)
			}
		}()
	}
	if _, err := admin.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: svc.GetServiceToken().GetName()}); err != nil {
		t.Fatal(err)
	}
}
