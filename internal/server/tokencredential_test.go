package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
)

// TestCalendarTokenStateFollowsItsCredential: a calendar token whose
// credential ended (its owner's password replaced or account deleted, the
// service token that created it revoked) is refused by the feed, and is
// listed ENDED on every surface, in both orders and under the state
// filter; and it no longer counts toward its owner's limit, so an owner
// who held the most live tokens may create one after a new password. The
// state read the token's revoke and expiry times alone: all of these were
// listed LIVE, and the owner was refused a new token.
func TestCalendarTokenStateFollowsItsCredential(t *testing.T) {
	t.Parallel()
	const (
		live  = famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_LIVE
		ended = famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_ENDED
	)
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		admin := newSurface(t, ts, kind)
		mustOK(admin.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: lombardia, AccountId: "mrossi", Password: "correct horse battery staple",
			Account: &famiv1.Account{DisplayName: "Mario Rossi", Role: famiv1.Role_ROLE_CONSULTANT}}))(t, "the account")
		session := func(password string) surface {
			t.Helper()
			login := mustOK(newSurface(t, ts, kind).Login(ctx, &famiv1.LoginRequest{Username: "mrossi@lombardia", Password: password}))(t, "login")
			return newSurfaceAs(t, ts, kind, login.GetToken())
		}
		mario := session("correct horse battery staple")
		for i := range meetings.MaxLiveTokens {
			mustOK(mario.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia, DisplayName: fmt.Sprint("telefono ", i)}))(t, "a calendar token")
		}
		svc := mustOK(admin.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "siage"}))(t, "the service token")
		mustOK(newSurfaceAs(t, ts, kind, svc.GetToken()).CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia, DisplayName: "siage"}))(t, "the service's calendar token")

		// check lists every token of the region as the admin, and wants
		// those named ended ENDED and the others LIVE.
		check := func(when string, ended map[string]bool) {
			t.Helper()
			for _, order := range []string{"", "create_time", "create_time desc"} {
				for _, filter := range []famiv1.CalendarTokenState{famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_UNSPECIFIED, live, famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_ENDED} {
					res := mustOK(admin.ListCalendarTokens(ctx, &famiv1.ListCalendarTokensRequest{Parent: lombardia, OrderBy: order, State: filter}))(t, "the list")
					n := 0
					for _, ct := range res.GetCalendarTokens() {
						want := live
						if ended[ct.GetDisplayName()] {
							want = famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_ENDED
						}
						if ct.GetState() != want || (filter != 0 && filter != want) {
							t.Errorf("%s, order %q, filter %v: %s is listed %v, want %v", when, order, filter, ct.GetDisplayName(), ct.GetState(), want)
						}
						n++
					}
					all := 0
					for _, e := range []bool{true, false} {
						if filter == 0 || (filter == famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_ENDED) == e {
							all += countOf(ended, e)
						}
					}
					if n != all {
						t.Errorf("%s, order %q, filter %v: %d tokens listed, want %d", when, order, filter, n, all)
					}
				}
			}
		}
		// tokens names the region's tokens, Mario's and the service's,
		// each ended as given.
		tokens := func(mario, siage bool) map[string]bool {
			m := map[string]bool{"siage": siage}
			for i := range meetings.MaxLiveTokens {
				m[fmt.Sprint("telefono ", i)] = mario
			}
			return m
		}
		check("before", tokens(false, false))

		mustOK(admin.SetAccountPassword(ctx, &famiv1.SetAccountPasswordRequest{Name: "regions/lombardia/accounts/mrossi", Password: "another long password"}))(t, "the new password")
		check("after the new password", tokens(true, false))
		// The limit counts only the tokens that work.
		mario = session("another long password")
		mustOK(mario.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia, DisplayName: "nuovo telefono"}))(t, "a calendar token after the new password")
		withNew := tokens(true, false)
		withNew["nuovo telefono"] = false
		check("with a token after the new password", withNew)

		mustOK(admin.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: svc.GetServiceToken().GetName()}))(t, "revoke the service token")
		withNew["siage"] = true
		check("after the service token's revocation", withNew)

		mustOK(admin.DeleteAccount(ctx, &famiv1.DeleteAccountRequest{Name: "regions/lombardia/accounts/mrossi"}))(t, "delete the account")
		withNew["nuovo telefono"] = true
		check("after the account's deletion", withNew)
	})
}

// countOf counts the values of m equal to v.
func countOf(m map[string]bool, v bool) int {
	n := 0
	for _, x := range m {
		if x == v {
			n++
		}
	}
	return n
}

// TestFeedTokenOfAnAccountlessSubjectDiesWithItsToken: a token signed
// (by famictl) for an account: subject that has no account is a machine
// token, not a session: the calendar feed token it creates expires with
// it and dies at its logout. It was taken for a session and outlived it
// by a year.
func TestFeedTokenOfAnAccountlessSubjectDiesWithItsToken(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	spec := auth.TokenSpec{Subject: "account:ghost", Role: principal.Consultant, Region: "lombardia", TTL: 2 * time.Hour}
	ghost := newSurfaceFor(t, ts, "connect", spec)
	res := mustOK(ghost.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia}))(t, "the calendar token")
	if got, limit := res.GetCalendarToken().GetExpireTime().AsTime(), ts.Clock.Now().Add(spec.TTL); got.After(limit) {
		t.Errorf("the feed token expires %v, after the token that created it (%v)", got, limit)
	}
	feed := func() int { t.Helper(); return feedStatus(t, ts, res.GetToken()) }
	if got := feed(); got != http.StatusOK {
		t.Fatalf("feed with a fresh token: HTTP %d, want 200", got)
	}
	mustOK(ghost.Logout(ctx, &famiv1.LogoutRequest{}))(t, "logout")
	if got := feed(); got != http.StatusUnauthorized {
		t.Errorf("feed token of a token logged out: HTTP %d, want 401", got)
	}
}

// feedStatus is the HTTP status of Lombardy's meetings feed asked with
// the calendar token token.
func feedStatus(t *testing.T, ts *testServer, token string) int {
	t.Helper()
	r, err := http.Get(ts.httpURL() + "/v1/regions/lombardia/meetings.ics?token=" + url.QueryEscape(token))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return r.StatusCode
}

// TestDeletedAccountsFeedTokensAreRevoked: deleting an account revokes
// the records of its calendar feed tokens still live, by the admin who
// deleted it, on every surface and on etcd: they are listed with their
// revoke time and ENDED, and the feed refuses them. Another account's
// token, and the token the owner had revoked before, are left as they
// were. The records said nothing of the deletion: the tokens ended by the
// credential's generation alone, with no revoke time.
func TestDeletedAccountsFeedTokensAreRevoked(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		credentialEndRevokesFeedTokens(t, ts, kind, deleteMario)
	})
	t.Run("etcd", func(t *testing.T) {
		t.Parallel()
		c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
		credentialEndRevokesFeedTokens(t, startServer(t, servertest.EtcdConfig(c.Endpoints(), "/deleted/")), "grpc", deleteMario)
	})
}

// TestNewPasswordRevokesFeedTokens is
// TestDeletedAccountsFeedTokensAreRevoked for a new password, which ends
// the account's tokens as its deletion does (ADR 27): the records of its
// feed tokens said nothing of it, and those of an account of generation
// 0 (made before 2026-12-01) would work again if its generation record
// were lost.
func TestNewPasswordRevokesFeedTokens(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		credentialEndRevokesFeedTokens(t, ts, kind, func(t *testing.T, admin surface) {
			mustOK(admin.SetAccountPassword(t.Context(), &famiv1.SetAccountPasswordRequest{Name: "regions/lombardia/accounts/mrossi", Password: "another long password"}))(t, "the new password")
		})
	})
}

// deleteMario deletes the account mrossi of lombardia as admin.
func deleteMario(t *testing.T, admin surface) {
	mustOK(admin.DeleteAccount(t.Context(), &famiv1.DeleteAccountRequest{Name: "regions/lombardia/accounts/mrossi"}))(t, "delete the account")
}

// credentialEndRevokesFeedTokens is TestDeletedAccountsFeedTokensAreRevoked
// on the surface kind of ts, with end ending the credential of mrossi.
func credentialEndRevokesFeedTokens(t *testing.T, ts *testServer, kind string, end func(t *testing.T, admin surface)) {
	ctx := t.Context()
	admin := newSurface(t, ts, kind)
	const password = "correct horse battery staple"
	session := func(user string) surface {
		t.Helper()
		mustOK(admin.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: lombardia, AccountId: user, Password: password,
			Account: &famiv1.Account{DisplayName: user, Role: famiv1.Role_ROLE_CONSULTANT}}))(t, "the account "+user)
		login := mustOK(newSurface(t, ts, kind).Login(ctx, &famiv1.LoginRequest{Username: user + "@lombardia", Password: password}))(t, "login")
		return newSurfaceAs(t, ts, kind, login.GetToken())
	}
	mario, anna := session("mrossi"), session("abianchi")
	feedTokens := map[string]string{}
	for _, label := range []string{"telefono", "ufficio", "vecchio"} {
		res := mustOK(mario.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia, DisplayName: label}))(t, "a calendar token")
		feedTokens[label] = res.GetToken()
	}
	// Up to the limit of live tokens: more than one transaction of
	// revocations.
	for i := range meetings.MaxLiveTokens - 3 {
		mustOK(mario.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia, DisplayName: fmt.Sprint("altro ", i)}))(t, "a calendar token")
	}
	res := mustOK(anna.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia, DisplayName: "anna"}))(t, "anna's calendar token")
	feedTokens["anna"] = res.GetToken()
	var old *famiv1.CalendarToken
	for _, ct := range mustOK(mario.ListCalendarTokens(ctx, &famiv1.ListCalendarTokensRequest{Parent: lombardia}))(t, "mario's tokens").GetCalendarTokens() {
		if ct.GetDisplayName() == "vecchio" {
			old = mustOK(mario.RevokeCalendarToken(ctx, &famiv1.RevokeCalendarTokenRequest{Name: ct.GetName()}))(t, "revoke the old token")
		}
	}

	before := ts.Clock.Now()
	end(t, admin)
	after := ts.Clock.Now()

	listed := mustOK(admin.ListCalendarTokens(ctx, &famiv1.ListCalendarTokensRequest{Parent: lombardia}))(t, "the region's tokens")
	if n, want := len(listed.GetCalendarTokens()), 4+meetings.MaxLiveTokens-3; n != want {
		t.Fatalf("%d tokens listed, want %d", n, want)
	}
	for _, ct := range listed.GetCalendarTokens() {
		label := ct.GetDisplayName()
		switch label {
		case "anna":
			if ct.GetRevokeTime() != nil || ct.GetState() != famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_LIVE {
				t.Errorf("another account's token: revoked at %v by %q, %v; want it live, never revoked", ct.GetRevokeTime(), ct.GetRevokedBy(), ct.GetState())
			}
		case "vecchio":
			if !ct.GetRevokeTime().AsTime().Equal(old.GetRevokeTime().AsTime()) || ct.GetRevokedBy() != old.GetRevokedBy() {
				t.Errorf("the token revoked before: revoked at %v by %q, want %v by %q as before", ct.GetRevokeTime().AsTime(), ct.GetRevokedBy(), old.GetRevokeTime().AsTime(), old.GetRevokedBy())
			}
		default:
			if got := ct.GetRevokeTime(); got == nil || got.AsTime().Before(before) || got.AsTime().After(after) || ct.GetRevokedBy() != adminSubject {
				t.Errorf("%s: revoked at %v by %q, want during the credential's end (%v to %v) by %s", label, got.AsTime(), ct.GetRevokedBy(), before, after, adminSubject)
			}
			if ct.GetState() != famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_ENDED {
				t.Errorf("%s is listed %v, want ENDED", label, ct.GetState())
			}
		}
	}
	for label, token := range feedTokens {
		want := http.StatusUnauthorized
		if label == "anna" {
			want = http.StatusOK
		}
		if got := feedStatus(t, ts, token); got != want {
			t.Errorf("the feed with %s's token: HTTP %d, want %d", label, got, want)
		}
	}
}
