package server_test

import (
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// TestDamagedAccountRecord: one bit flipped on disk in an account record
// of system.db (its display name, so the record still decodes) is
// DATA_LOSS on every surface, for the login and for reading the account,
// and logged naming the record: never a token, never the account as data.
func TestDamagedAccountRecord(t *testing.T) {
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			var log syncbuf.Buffer
			ts := startServer(t, server.Config{Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			ctx := t.Context()
			admin := newSurface(t, ts, kind)
			anon := newSurfaceAs(t, ts, kind, "")
			const password = "correct horse battery staple"
			acc, err := admin.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: lombardia, AccountId: "mrossi", Password: password,
				Account: &famiv1.Account{DisplayName: "MARKER-account", Role: famiv1.Role_ROLE_CONSULTANT}})
			if err != nil {
				t.Fatalf("create account: %v", err)
			}
			bolttest.DamageSystem(t, ts.cfg.DataDir, "MARKER-account")

			res, err := anon.Login(ctx, &famiv1.LoginRequest{Username: "mrossi@lombardia", Password: password})
			wantCode(t, "login with a damaged account", err, codes.DataLoss)
			if res.GetToken() != "" {
				t.Error("login with a damaged account issued a token")
			}
			got, err := admin.GetAccount(ctx, &famiv1.GetAccountRequest{Name: acc.GetName()})
			wantCode(t, "get a damaged account", err, codes.DataLoss)
			if got.GetName() != "" {
				t.Errorf("get a damaged account served %v", got)
			}
			if s := log.String(); !strings.Contains(s, "data loss") || !strings.Contains(s, "accounts/lombardia/mrossi") {
				t.Errorf("the server log does not name the damaged record:\n%s", s)
			}
		})
	}
}
