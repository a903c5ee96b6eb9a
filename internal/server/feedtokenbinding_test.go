package server_test

import (
	"net/http"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
)

// TestSessionsFeedTokenLastsItsYearAcrossFamids: a calendar feed token
// that a login session creates is the account's, on a famid other than
// the one that signed the session, for an account that famid's
// revocation list does not hold (one an earlier version's famid made on
// the shared etcd, with no generation record, ADR 27): it expires after
// its year, not with the session's hour, and outlives the session's
// logout; the account's new password, through the other famid, ends it.
// The feed token was bound to the session when the list in memory did
// not know the account (boundTo asked it, not the store).
func TestSessionsFeedTokenLastsItsYearAcrossFamids(t *testing.T) {
	t.Parallel()
	const password = "correct horse battery staple"
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	a := startServer(t, servertest.EtcdConfig(c.Endpoints(), "/binding/"))
	b := startServer(t, servertest.EtcdConfig(c.Endpoints(), "/binding/"))
	ctx := t.Context()

	// The account as a famid of an earlier version writes it: its record
	// and its password, no generation record.
	earlier, err := etcd.Open(ctx, etcd.Options{Client: c.Client(t), Prefix: "/binding/", Regions: []string{"lombardia"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { earlier.Close() })
	acc, err := proto.Marshal(&famiv1.Account{Name: lombardia + "/accounts/mrossi", DisplayName: "Mario Rossi", Role: famiv1.Role_ROLE_CONSULTANT})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := auth.TestPasswordCost.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	err = earlier.SystemUpdate(ctx, func(tx store.SystemTx) error {
		if err := tx.Put("accounts", "lombardia/mrossi", acc); err != nil {
			return err
		}
		return tx.Put("passwords", "lombardia/mrossi", []byte(hash))
	})
	if err != nil {
		t.Fatal(err)
	}

	login := mustOK(newSurfaceAs(t, a, "grpc", "").Login(ctx, &famiv1.LoginRequest{Username: "mrossi@lombardia", Password: password}))(t, "login through A")
	session := newSurfaceAs(t, b, "connect", login.GetToken())
	const year = 365 * 24 * time.Hour
	before := b.Clock.Now()
	res := mustOK(session.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia, DisplayName: "telefono"}))(t, "the feed token through B")
	after := b.Clock.Now()
	if got := res.GetCalendarToken().GetExpireTime().AsTime(); got.Before(before.Add(year)) || got.After(after.Add(year)) {
		t.Errorf("the session's feed token expires %v, want a year on, %v to %v (the session expires %v)", got, before.Add(year), after.Add(year), login.GetExpireTime().AsTime())
	}
	mustOK(session.Logout(ctx, &famiv1.LogoutRequest{}))(t, "the session's logout")
	if got := feedStatus(t, b, res.GetToken()); got != http.StatusOK {
		t.Errorf("the feed token after its session's logout: HTTP %d, want 200", got)
	}
	mustOK(newSurface(t, a, "grpc").SetAccountPassword(ctx, &famiv1.SetAccountPasswordRequest{Name: lombardia + "/accounts/mrossi", Password: "another long password"}))(t, "the new password through A")
	if got := feedStatus(t, b, res.GetToken()); got != http.StatusUnauthorized {
		t.Errorf("the feed token after the account's new password: HTTP %d, want 401", got)
	}
}
