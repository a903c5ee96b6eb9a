package server_test

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestTokensCappedPerOwner: one owner holds at most a cap of live
// calendar feed tokens, and one system of live service tokens, in a
// region; the next is refused with FAILED_PRECONDITION, TOO_MANY_TOKENS,
// naming what to revoke, while another owner is not held back, and
// revoking one makes room again.
func TestTokensCappedPerOwner(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		as := func(subject string) surface {
			return newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: subject, Role: principal.Consultant, Region: "lombardia"})
		}
		anna, bruno := as("acct:lombardia:anna"), as("acct:lombardia:bruno")
		var first *famiv1.CalendarToken
		for i := range meetings.MaxLiveTokens {
			res, err := anna.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia, DisplayName: fmt.Sprint("telefono ", i)})
			if err != nil {
				t.Fatalf("calendar token %d: %v", i, err)
			}
			if i == 0 {
				first = res.GetCalendarToken()
			}
		}
		_, err := anna.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia})
		checkErr(t, "a calendar token past the cap", err, wantErr{codes.FailedPrecondition, "TOO_MANY_TOKENS", nil})
		wantMessageNames(t, err, "RevokeCalendarToken")
		wantLimit(t, "a calendar token past the cap", err, "acct:lombardia:anna", "calendarTokens", meetings.MaxLiveTokens)
		if _, err := bruno.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia}); err != nil {
			t.Errorf("another user's calendar token: %v", err)
		}
		if _, err := anna.RevokeCalendarToken(ctx, &famiv1.RevokeCalendarTokenRequest{Name: first.GetName()}); err != nil {
			t.Fatal(err)
		}
		if _, err := anna.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia}); err != nil {
			t.Errorf("a calendar token after revoking one: %v", err)
		}

		admin := newSurface(t, ts, kind)
		var firstService *famiv1.ServiceToken
		for i := range accounts.MaxLiveServiceTokens {
			res, err := admin.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "siage"})
			if err != nil {
				t.Fatalf("service token %d: %v", i, err)
			}
			if i == 0 {
				firstService = res.GetServiceToken()
			}
		}
		_, err = admin.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "siage"})
		checkErr(t, "a service token past the cap", err, wantErr{codes.FailedPrecondition, "TOO_MANY_TOKENS", nil})
		wantMessageNames(t, err, "RevokeServiceToken")
		wantLimit(t, "a service token past the cap", err, firstService.GetSubject(), "serviceTokens", accounts.MaxLiveServiceTokens)
		if _, err := admin.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "protocollo"}); err != nil {
			t.Errorf("another system's service token: %v", err)
		}
		if _, err := admin.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: firstService.GetName()}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "siage"}); err != nil {
			t.Errorf("a service token after revoking one: %v", err)
		}
	})
}

// wantMessageNames checks that err's message names what to do.
func wantMessageNames(t *testing.T, err error, what string) {
	t.Helper()
	if ce, ok := asCallError(err); !ok || !strings.Contains(ce.Message, what) {
		t.Errorf("%v: want a message naming %s", err, what)
	}
}
