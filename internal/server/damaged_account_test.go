package server_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// TestDamagedAccountRecord: one bit flipped on disk in an account record
// of system.db (its display name, so the record still decodes) is logged
// naming the record and never gives a token or the account as data. An
// admin reading the account gets DATA_LOSS on every surface; an anonymous
// login gets exactly what an unknown username gets (it used to get
// DATA_LOSS, which told it the username exists).
func TestDamagedAccountRecord(t *testing.T) {
	t.Parallel()
	onEachSurfaceLogged(t, func(t *testing.T, ts *testServer, kind string, log *syncbuf.Buffer) {
		ctx := t.Context()
		admin := newSurface(t, ts, kind)
		anon := newSurfaceAs(t, ts, kind, "")
		const password = "correct horse battery staple"
		acc, err := admin.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: lombardia, AccountId: "mrossi", Password: password,
			Account: &famiv1.Account{DisplayName: "MARKER-account", Role: famiv1.Role_ROLE_CONSULTANT}})
		if err != nil {
			t.Fatalf("create account: %v", err)
		}
		bolttest.DamageSystem(t, ts.DataDir, "MARKER-account")

		res, err := anon.Login(ctx, &famiv1.LoginRequest{Username: "mrossi@lombardia", Password: password})
		if res.GetToken() != "" {
			t.Error("login with a damaged account issued a token")
		}
		// An anonymous caller gets what an unknown username gets:
		// only an existing account has a record to damage.
		_, unknown := anon.Login(ctx, &famiv1.LoginRequest{Username: "nessuno@lombardia", Password: password})
		wantCode(t, "login with an unknown username", unknown, codes.Unauthenticated)
		got, _ := asCallError(err)
		want, _ := asCallError(unknown)
		if got == nil || want == nil || got.Code != want.Code || got.HTTPStatus != want.HTTPStatus || got.Message != want.Message || got.Reason != want.Reason {
			t.Errorf("login with a damaged account: %v, want the unknown username's answer %v", err, unknown)
		}
		if s := log.String(); !strings.Contains(s, "data loss") || !strings.Contains(s, "Login") || !strings.Contains(s, "accounts/lombardia/mrossi") {
			t.Errorf("the server log does not name the damaged record behind the failed login:\n%s", s)
		}
		read, err := admin.GetAccount(ctx, &famiv1.GetAccountRequest{Name: acc.GetName()})
		wantCode(t, "get a damaged account", err, codes.DataLoss)
		if read.GetName() != "" {
			t.Errorf("get a damaged account served %v", read)
		}
		if s := log.String(); !strings.Contains(s, "data loss") || !strings.Contains(s, "accounts/lombardia/mrossi") {
			t.Errorf("the server log does not name the damaged record:\n%s", s)
		}
	})
}
