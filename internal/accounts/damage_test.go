package accounts_test

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestDamagedSystemRecords: one bit flipped on disk in an account record
// and in a service token record of system.db makes every call that reads
// them answer DATA_LOSS naming the record: the account neither logs in
// nor is shown, changed, deleted or created anew over the damage, the
// token is neither listed nor revoked. Other accounts are unaffected, and
// a restart on the damaged file still starts.
func TestDamagedSystemRecords(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := as(t.Context(), "lombardia")
	for id, name := range map[string]string{"mrossi": "MARKER-account", "lbianchi": "Lucia Bianchi"} {
		acc := account(famiv1.Role_ROLE_REGION_ADMIN, "")
		acc.DisplayName = name
		if _, err := f.svc.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: id, Account: acc, Password: password}); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := f.svc.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: "protocollo", DisplayName: "MARKER-token"})
	if err != nil {
		t.Fatal(err)
	}
	bolttest.DamageSystem(t, f.dir, "MARKER-account")
	bolttest.DamageSystem(t, f.dir, "MARKER-token")

	const name = "regions/lombardia/accounts/mrossi"
	wantDamaged := func(what, record string, err error) {
		t.Helper()
		bolttest.WantRecordCorrupt(t, what, err)
		if e := errs.As(err); e != nil && !strings.Contains(e.Metadata["record"], record) {
			t.Errorf("%s: the error names %q, want the record %s", what, e.Metadata["record"], record)
		}
	}
	for i, svc := range []*accounts.Service{f.svc, restart(t, f)} {
		t.Logf("service %d", i)
		// The login answers as for an unknown username (an anonymous
		// caller must not learn that mrossi exists); the damage is its
		// hidden cause, which the edge logs.
		_, err := svc.Login(t.Context(), &famiv1.LoginRequest{Username: "mrossi@lombardia", Password: password})
		_, unknown := svc.Login(t.Context(), &famiv1.LoginRequest{Username: "nessuno@lombardia", Password: password})
		if e, u := errs.As(err), errs.As(unknown); e == nil || u == nil || e.Code != u.Code || e.Reason != u.Reason || e.Message != u.Message {
			t.Errorf("Login with a damaged account: %v, want the unknown username's answer %v", err, unknown)
		} else {
			wantDamaged("the cause of the failed login with a damaged account", "accounts/lombardia/mrossi", e.Cause)
		}
		_, err = svc.GetAccount(ctx, &famiv1.GetAccountRequest{Name: name})
		wantDamaged("GetAccount of a damaged account", "accounts/lombardia/mrossi", err)
		_, err = svc.ListAccounts(ctx, &famiv1.ListAccountsRequest{Parent: "regions/lombardia"})
		wantDamaged("ListAccounts past a damaged account", "accounts/lombardia/mrossi", err)
		_, err = svc.SetAccountPassword(ctx, &famiv1.SetAccountPasswordRequest{Name: name, Password: "another long password"})
		wantDamaged("SetAccountPassword of a damaged account", "accounts/lombardia/mrossi", err)
		_, err = svc.DeleteAccount(ctx, &famiv1.DeleteAccountRequest{Name: name})
		wantDamaged("DeleteAccount of a damaged account", "accounts/lombardia/mrossi", err)
		_, err = svc.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "mrossi", Account: account(famiv1.Role_ROLE_CONSULTANT, ""), Password: password})
		wantDamaged("CreateAccount over a damaged account", "accounts/lombardia/mrossi", err)
		_, err = svc.ListServiceTokens(ctx, &famiv1.ListServiceTokensRequest{Parent: "regions/lombardia"})
		wantDamaged("ListServiceTokens past a damaged token", "service_tokens/lombardia/", err)
		_, err = svc.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: tok.GetServiceToken().GetName()})
		wantDamaged("RevokeServiceToken of a damaged token", "service_tokens/lombardia/", err)

		if _, err := svc.Login(t.Context(), &famiv1.LoginRequest{Username: "lbianchi@lombardia", Password: password}); err != nil {
			t.Errorf("Login with an intact account next to a damaged one: %v", err)
		}
	}
}

// restart opens a second service on f's store, as famid does on start.
func restart(t *testing.T, f *fixture) *accounts.Service {
	t.Helper()
	svc, err := openService(t.Context(), f.st, f.st, f.keys, accounts.Options{Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatalf("start on a system file with damaged records: %v", err)
	}
	return svc
}

// TestDamagedRevocationStopsTheStart: a revocation entry of system.db that
// fails its checksum (here its frame mark flipped on disk; the values are
// bare counters, no text to find), or a credential generation that passed
// its checksum but is not 8 bytes (a bug's write, a file edited by hand),
// stops the service's start with the DATA_LOSS naming it, rather than load
// a revocation list missing it and let a revoked token back in (the short
// generation was read as 0 in a transaction, and panicked the start).
func TestDamagedRevocationStopsTheStart(t *testing.T) {
	t.Parallel()
	counter := binary.BigEndian.AppendUint64(nil, 7)
	for _, tt := range []struct {
		name, bucket string
		value        []byte
		damage       bool
		message      string // what the error says of the record, besides its name
	}{
		{"revoked_jti", "revoked_jti", counter, true, ""},
		{"subject_generation", "subject_generation", counter, true, ""},
		{"a 1-byte generation", "subject_generation", []byte{7}, false, "has a value of length 1 where a generation takes 8 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			st, err := bolt.Open(dir, bolt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = st.SystemUpdate(t.Context(), func(tx store.SystemTx) error {
				return tx.Put(tt.bucket, "k", tt.value)
			})
			if cerr := st.Close(); err != nil || cerr != nil {
				t.Fatal(err, cerr)
			}
			if tt.damage {
				bolttest.DamageSystemValue(t, dir, tt.bucket, "k")
			}
			_, err = startOn(t, dir, accounts.Options{})
			bolttest.WantRecordCorrupt(t, "start with "+tt.name, err)
			if err == nil || !strings.Contains(err.Error(), tt.bucket+"/k") {
				t.Errorf("start with %s: %v, want the record %s/k named", tt.name, err, tt.bucket)
			}
			if err == nil || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("start with %s: %v, want it to say the record %s", tt.name, err, tt.message)
			}
		})
	}
}
