package accounts_test

import (
	"context"
	"errors"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/principal"
)

// inTheWindow is the feed tokens' service, which creates a feed token as
// mario right after the first revocation of his tokens' records, before
// his credential's change: a create that runs between the two steps.
type inTheWindow struct {
	*meetings.Service
	mario   context.Context
	created *famiv1.CalendarToken
	t       *testing.T
}

func (w *inTheWindow) RevokeTokensOf(ctx context.Context, region, owner string) (int, error) {
	n, err := w.Service.RevokeTokensOf(ctx, region, owner)
	if w.created == nil && err == nil {
		res, err := w.CreateCalendarToken(w.mario, &famiv1.CreateCalendarTokenRequest{Parent: "regions/lombardia", DisplayName: "nel mezzo"})
		if err != nil {
			w.t.Fatalf("the feed token created between the two steps: %v", err)
		}
		w.created = res.GetCalendarToken()
	}
	return n, err
}

// TestFeedTokenCreatedInTheCredentialsEndIsRevoked: a calendar feed
// token created after the revocation of its account's feed tokens and
// before the account's deletion or new password has its record revoked
// too, on a real bbolt store; and a create whose caller's credential ended
// after it was authenticated is refused. Its record was left live, the
// token ended by the generation alone.
func TestFeedTokenCreatedInTheCredentialsEndIsRevoked(t *testing.T) {
	t.Parallel()
	for name, end := range map[string]func(*fixture, context.Context) error{
		"deleted": func(f *fixture, ctx context.Context) error {
			_, err := f.svc.DeleteAccount(ctx, &famiv1.DeleteAccountRequest{Name: "regions/lombardia/accounts/mrossi"})
			return err
		},
		"new password": func(f *fixture, ctx context.Context) error {
			_, err := f.svc.SetAccountPassword(ctx, &famiv1.SetAccountPasswordRequest{Name: "regions/lombardia/accounts/mrossi", Password: "another long password"})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			admin := as(t.Context(), "lombardia")
			if _, err := f.svc.CreateAccount(admin, &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "mrossi", Account: account(famiv1.Role_ROLE_CONSULTANT, ""), Password: password}); err != nil {
				t.Fatal(err)
			}
			login, err := f.svc.Login(t.Context(), &famiv1.LoginRequest{Username: "mrossi@lombardia", Password: password})
			if err != nil {
				t.Fatal(err)
			}
			claims, err := auth.NewVerifier(f.keys, f.svc.Revocations(), func() time.Time { return f.now }).Verify(login.GetToken())
			if err != nil {
				t.Fatal(err)
			}
			mario := principal.With(t.Context(), claims.Principal())
			mtg := meetings.New(f.st, meetings.Options{Now: func() time.Time { return f.now }, Revocations: f.svc.Revocations()})
			window := &inTheWindow{Service: mtg, mario: mario, t: t}
			f.svc.RevokeFeedTokens(window)

			if err := end(f, admin); err != nil {
				t.Fatal(err)
			}
			if window.created == nil {
				t.Fatal("no feed token was created between the two steps")
			}
			list, err := mtg.ListCalendarTokens(admin, &famiv1.ListCalendarTokensRequest{Parent: "regions/lombardia"})
			if err != nil {
				t.Fatal(err)
			}
			for _, ct := range list.GetCalendarTokens() {
				if ct.GetRevokeTime() == nil {
					t.Errorf("%s (%s) is not revoked in its record, want it revoked with its credential", ct.GetName(), ct.GetDisplayName())
				}
			}
			_, err = mtg.CreateCalendarToken(mario, &famiv1.CreateCalendarTokenRequest{Parent: "regions/lombardia", DisplayName: "dopo"})
			if e := (*errs.Error)(nil); !errors.As(err, &e) || e.Reason != errs.InvalidToken {
				t.Errorf("a feed token created after the credential's end, by a call authenticated before: %v, want INVALID_TOKEN", err)
			}
		})
	}
}
