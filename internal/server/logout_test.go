package server_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestLogoutRevokesTheCallersToken checks, on every surface, that Logout
// ends the session it is called with: the same token is refused at once
// (UNAUTHENTICATED, 401 on REST), a Watch open with it ends, another token
// of the same account still works, and a service token's Logout revokes
// that token alone and shows it revoked in the region's list.
func TestLogoutRevokesTheCallersToken(t *testing.T) {
	t.Parallel()
	const password = "correct horse battery staple"
	ts := startServer(t, server.Config{BookmarkInterval: 100 * time.Millisecond})
	admin := newSurface(t, ts, "grpc")
	for _, kind := range watchSurfaces {
		t.Run(kind, func(t *testing.T) {
			ctx := t.Context()
			user := "mrossi-" + kind
			if _, err := admin.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: lombardia, AccountId: user, Password: password,
				Account: &famiv1.Account{DisplayName: "Mario Rossi", Role: famiv1.Role_ROLE_REGION_ADMIN}}); err != nil {
				t.Fatalf("create account: %v", err)
			}
			anon := newSurfaceAs(t, ts, kind, "")
			login := func() string {
				t.Helper()
				res, err := anon.Login(ctx, &famiv1.LoginRequest{Username: user + "@lombardia", Password: password})
				if err != nil {
					t.Fatalf("login: %v", err)
				}
				return res.GetToken()
			}
			session, other := login(), login()
			s := newSurfaceAs(t, ts, kind, session)

			opened, done := make(chan struct{}), make(chan error, 1)
			go func() { done <- watchToEnd(ctx, t, ts, kind, session, opened) }()
			select {
			case <-opened:
			case err := <-done:
				t.Fatalf("the watch ended before its first response: %v", err)
			}

			if _, err := s.Logout(ctx, &famiv1.LogoutRequest{}); err != nil {
				t.Fatalf("logout: %v", err)
			}
			wantStreamEnd(t, "after logout", done, codes.Unauthenticated)
			_, err := s.WhoAmI(ctx, &famiv1.WhoAmIRequest{})
			checkErr(t, "whoami after logout", err, wantErr{code: codes.Unauthenticated, reason: "INVALID_TOKEN"})
			_, err = s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia})
			checkErr(t, "list after logout", err, wantErr{code: codes.Unauthenticated, reason: "INVALID_TOKEN"})
			_, err = s.Logout(ctx, &famiv1.LogoutRequest{})
			checkErr(t, "logout again", err, wantErr{code: codes.Unauthenticated, reason: "INVALID_TOKEN"})
			if _, err := newSurfaceAs(t, ts, kind, other).ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia}); err != nil {
				t.Errorf("the account's other token after logout: %v, want it still valid", err)
			}

			_, err = anon.Logout(ctx, &famiv1.LogoutRequest{})
			checkErr(t, "anonymous logout", err, wantErr{code: codes.Unauthenticated, reason: "TOKEN_REQUIRED"})

			// A regional system may log its own token out: only that
			// token, and its record says so.
			mine, err := admin.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "siage-" + kind})
			if err != nil {
				t.Fatal(err)
			}
			sibling, err := admin.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "siage-" + kind})
			if err != nil {
				t.Fatal(err)
			}
			system := newSurfaceAs(t, ts, kind, mine.GetToken())
			if _, err := system.Logout(ctx, &famiv1.LogoutRequest{}); err != nil {
				t.Fatalf("service token logout: %v", err)
			}
			_, err = system.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia})
			checkErr(t, "service token after logout", err, wantErr{code: codes.Unauthenticated, reason: "INVALID_TOKEN"})
			if _, err := newSurfaceAs(t, ts, kind, sibling.GetToken()).ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia}); err != nil {
				t.Errorf("another service token of the same system after logout: %v, want it still valid", err)
			}
			list, err := admin.ListServiceTokens(ctx, &famiv1.ListServiceTokensRequest{Parent: lombardia})
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range list.GetServiceTokens() {
				want := famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_ACTIVE
				if st.GetName() == mine.GetServiceToken().GetName() {
					want = famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_REVOKED
				} else if st.GetName() != sibling.GetServiceToken().GetName() {
					continue
				}
				if st.GetState() != want {
					t.Errorf("%s after the logout of %s: got state %s, want %s", st.GetName(), mine.GetServiceToken().GetName(), st.GetState(), want)
				}
			}
		})
	}
}
