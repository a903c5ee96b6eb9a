package accounts_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/errs/errstest"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// openService is accounts.New for a test: at auth.TestPasswordCost unless
// opts gives a cost, as servertest opens its servers. The tests create
// accounts and log in by the dozen, and a login with an unknown username
// checks a dummy hash at the same cost: at argon2id's real cost (19 MiB,
// two passes) under -race, the hashes were most of the package's CPU.
func openService(ctx context.Context, sys store.System, regions store.Store, keys *auth.KeySet, opts accounts.Options) (*accounts.Service, error) {
	if opts.PasswordCost == (auth.PasswordCost{}) {
		opts.PasswordCost = auth.TestPasswordCost
	}
	return accounts.New(ctx, sys, regions, keys, opts)
}

// fixture is the service over a real bbolt store in a temporary directory,
// with Lombardia's partner regions/lombardia/partners/comune-milano.
type fixture struct {
	dir  string // the store's data dir
	st   *bolt.Store
	svc  *accounts.Service
	keys *auth.KeySet
	now  time.Time
}

const (
	partner  = "regions/lombardia/partners/comune-milano"
	password = "correct horse battery"
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	s := bolttest.Open(t, dir, bolt.Options{Regions: []string{"lombardia", "veneto"}})
	keys, err := auth.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Update(t.Context(), "lombardia", store.Mutation{Principal: "test"}, func(tx store.WriteTx) (proto.Message, error) {
		p := &famiv1.Partner{Name: partner, DisplayName: "Comune di Milano", Kind: famiv1.PartnerKind_PARTNER_KIND_MUNICIPALITY}
		return p, tx.Put(p)
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir, st: s, keys: keys, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	f.svc, err = openService(t.Context(), s, s, keys, accounts.Options{Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// as returns ctx acting as a region admin of region.
func as(ctx context.Context, region string) context.Context {
	return principal.With(ctx, principal.Principal{Subject: "test:admin:" + region, Role: principal.RegionAdmin, Region: region})
}

func account(role famiv1.Role, partner string) *famiv1.Account {
	return &famiv1.Account{DisplayName: "Maria Rossi", Email: "m.rossi@example.it", Role: role, Partner: partner}
}

func TestCreateAccountRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := as(t.Context(), "lombardia")
	if _, err := f.svc.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "taken", Account: account(famiv1.Role_ROLE_CONSULTANT, ""), Password: password}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		req     *famiv1.CreateAccountRequest
		code    errs.Code
		reason  errs.Reason
		field   string
		partner string
	}{
		{name: "a region admin", req: &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "a.admin", Account: account(famiv1.Role_ROLE_REGION_ADMIN, ""), Password: password}},
		{name: "a network member of a partner of the region", partner: partner,
			req: &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "member-1", Account: account(famiv1.Role_ROLE_NETWORK_MEMBER, partner), Password: password}},
		{name: "a username with capitals", code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "account_id",
			req: &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "MRossi", Account: account(famiv1.Role_ROLE_CONSULTANT, ""), Password: password}},
		{name: "a username of two letters", code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "account_id",
			req: &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "mr", Account: account(famiv1.Role_ROLE_CONSULTANT, ""), Password: password}},
		{name: "a password of eleven characters", code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "password",
			req: &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "short-pw", Account: account(famiv1.Role_ROLE_CONSULTANT, ""), Password: "elevenchars"}},
		{name: "a password of 129 characters", code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "password",
			req: &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "long-pw", Account: account(famiv1.Role_ROLE_CONSULTANT, ""), Password: strings.Repeat("x", 129)}},
		{name: "no display name", code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "account.display_name",
			req: &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "no-name", Account: &famiv1.Account{Role: famiv1.Role_ROLE_CONSULTANT}, Password: password}},
		{name: "a ministry account", code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "account.role",
			req: &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "ministry", Account: account(famiv1.Role_ROLE_MINISTRY, ""), Password: password}},
		{name: "a regional system as an account", code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "account.role",
			req: &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "system", Account: account(famiv1.Role_ROLE_REGIONAL_SYSTEM, ""), Password: password}},
		{name: "a consultant with a partner", code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "account.partner",
			req: &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "consultant", Account: account(famiv1.Role_ROLE_CONSULTANT, partner), Password: password}},
		{name: "a network member without a partner", code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "account.partner",
			req: &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "member-2", Account: account(famiv1.Role_ROLE_NETWORK_MEMBER, ""), Password: password}},
		{name: "a network member of another region's partner", code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "account.partner",
			req: &famiv1.CreateAccountRequest{Parent: "regions/veneto", AccountId: "member-3", Account: account(famiv1.Role_ROLE_NETWORK_MEMBER, partner), Password: password}},
		{name: "a network member of a partner that does not exist", code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "account.partner",
			req: &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "member-4", Account: account(famiv1.Role_ROLE_NETWORK_MEMBER, "regions/lombardia/partners/nessuno"), Password: password}},
		{name: "a region that does not exist", code: errs.NotFound, reason: "NOT_FOUND",
			req: &famiv1.CreateAccountRequest{Parent: "regions/atlantide", AccountId: "nowhere", Account: account(famiv1.Role_ROLE_CONSULTANT, ""), Password: password}},
		{name: "a username taken in the region", code: errs.AlreadyExists, reason: "USERNAME_TAKEN", field: "account_id",
			req: &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "taken", Account: account(famiv1.Role_ROLE_CONSULTANT, ""), Password: password}},
		// Usernames are scoped to their region (ADR 14): another region's
		// namesake is no clash, and nothing tells Veneto that it exists.
		{name: "a username taken in another region",
			req: &famiv1.CreateAccountRequest{Parent: "regions/veneto", AccountId: "taken", Account: account(famiv1.Role_ROLE_CONSULTANT, ""), Password: password}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			acc, err := f.svc.CreateAccount(ctx, tt.req)
			if tt.reason != "" {
				errstest.WantField(t, err, tt.code, tt.reason, tt.field)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.req.GetParent() + "/accounts/" + tt.req.GetAccountId()
			if acc.GetName() != want || acc.GetRole() != tt.req.GetAccount().GetRole() || acc.GetPartner() != tt.partner || acc.GetEtag() == "" {
				t.Errorf("created %v, want %s with its role and partner %q and an etag", acc, want, tt.partner)
			}
			got, err := f.svc.GetAccount(ctx, &famiv1.GetAccountRequest{Name: want})
			if err != nil || !proto.Equal(got, acc) {
				t.Errorf("GetAccount: %v, %v; want what CreateAccount returned", got, err)
			}
		})
	}
}

// TestNetworkMemberOfADamagedPartner: a network member's partner whose
// stored record fails its checksum is refused with the store's DATA_LOSS,
// not told that the partner does not exist, and no account is created.
func TestNetworkMemberOfADamagedPartner(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	damaged := &famiv1.Partner{Name: "regions/lombardia/partners/guasto", DisplayName: "MARKER-partner", Kind: famiv1.PartnerKind_PARTNER_KIND_MUNICIPALITY}
	if _, err := f.st.Update(t.Context(), "lombardia", store.Mutation{Principal: "test"}, func(tx store.WriteTx) (proto.Message, error) {
		return damaged, tx.Put(damaged)
	}); err != nil {
		t.Fatal(err)
	}
	bolttest.Damage(t, f.dir, "lombardia", "MARKER-partner")
	ctx := as(t.Context(), "lombardia")
	name := "regions/lombardia/accounts/member-5"
	_, err := f.svc.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "member-5", Account: account(famiv1.Role_ROLE_NETWORK_MEMBER, damaged.GetName()), Password: password})
	bolttest.WantRecordCorrupt(t, "a network member of a damaged partner", err)
	if _, err := f.svc.GetAccount(ctx, &famiv1.GetAccountRequest{Name: name}); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("GetAccount %s: got %v, want NOT_FOUND: a refused create wrote", name, err)
	}
}

// TestNoMinistryAccountFromAnyone: neither of the callers the rights table
// lets create accounts can create a ministry account, and both are told
// so once, the same way.
func TestNoMinistryAccountFromAnyone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, p := range []principal.Principal{
		{Subject: "test:admin:lombardia", Role: principal.RegionAdmin, Region: "lombardia"},
		{Subject: "test:ministry", Role: principal.Ministry},
	} {
		_, err := f.svc.CreateAccount(principal.With(t.Context(), p), &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "ministero",
			Account: account(famiv1.Role_ROLE_MINISTRY, ""), Password: password})
		errstest.Want(t, string(p.Role), err, errs.Invalid, "INVALID_ARGUMENT", "account.role")
	}
}

func TestAccountsStayInTheirRegion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := as(t.Context(), "lombardia")
	for _, id := range []string{"anna", "bruno", "carla"} {
		if _, err := f.svc.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: id, Account: account(famiv1.Role_ROLE_CONSULTANT, ""), Password: password}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: "regions/veneto", AccountId: "beppe", Account: account(famiv1.Role_ROLE_CONSULTANT, ""), Password: password}); err != nil {
		t.Fatal(err)
	}

	_, err := f.svc.GetAccount(ctx, &famiv1.GetAccountRequest{Name: "regions/veneto/accounts/anna"})
	errstest.WantField(t, err, errs.NotFound, "NOT_FOUND", "")

	var names []string
	req := &famiv1.ListAccountsRequest{Parent: "regions/lombardia", PageSize: 2}
	for pages := 0; ; pages++ {
		if pages == 3 {
			t.Fatal("ListAccounts does not end")
		}
		res, err := f.svc.ListAccounts(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range res.GetAccounts() {
			names = append(names, a.GetName())
		}
		if req.PageToken = res.GetNextPageToken(); req.PageToken == "" {
			break
		}
	}
	want := []string{"regions/lombardia/accounts/anna", "regions/lombardia/accounts/bruno", "regions/lombardia/accounts/carla"}
	if !slices.Equal(names, want) {
		t.Errorf("ListAccounts in pages of 2: %v, want %v", names, want)
	}
	_, err = f.svc.ListAccounts(ctx, &famiv1.ListAccountsRequest{Parent: "regions/lombardia", PageToken: "not a token"})
	errstest.WantField(t, err, errs.Invalid, "INVALID_ARGUMENT", "page_token")
}

func TestLoginRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := as(t.Context(), "lombardia")
	if _, err := f.svc.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "mrossi", Account: account(famiv1.Role_ROLE_NETWORK_MEMBER, partner), Password: password}); err != nil {
		t.Fatal(err)
	}
	verifier := auth.NewVerifier(f.keys, f.svc.Revocations(), func() time.Time { return f.now })
	login := func(user, pw string) (string, error) {
		res, err := f.svc.Login(principal.WithClientAddr(t.Context(), "192.0.2.1"), &famiv1.LoginRequest{Username: user, Password: pw})
		return res.GetToken(), err
	}

	token, err := login("mrossi@lombardia", password)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := verifier.Verify(token)
	if err != nil {
		t.Fatalf("the login token does not verify: %v", err)
	}
	if p := claims.Principal(); p.Subject != "account:mrossi" || p.Role != principal.NetworkMember || p.Region != "lombardia" || p.Partner != partner {
		t.Errorf("login principal %+v, want account:mrossi, a network member of lombardia for %s", p, partner)
	}

	for _, tt := range []struct{ name, user, pw string }{
		{"a wrong password", "mrossi@lombardia", "wrong horse battery"},
		{"an unknown username", "nessuno@lombardia", password},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := login(tt.user, tt.pw)
			errstest.WantField(t, err, errs.Unauthenticated, "LOGIN_FAILED", "")
		})
	}
	_, err = login("", "")
	errstest.WantField(t, err, errs.Invalid, "INVALID_ARGUMENT", "username")

	// A new password ends the tokens issued before it.
	if _, err := f.svc.SetAccountPassword(ctx, &famiv1.SetAccountPasswordRequest{Name: "regions/lombardia/accounts/mrossi", Password: "short"}); err == nil {
		t.Error("SetAccountPassword accepted a five-character password")
	}
	if _, err := f.svc.SetAccountPassword(ctx, &famiv1.SetAccountPasswordRequest{Name: "regions/lombardia/accounts/mrossi", Password: "a brand new passphrase"}); err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(token); err == nil {
		t.Error("a token issued before the password changed still verifies")
	}
	if _, err := login("mrossi@lombardia", password); err == nil {
		t.Error("the old password still logs in")
	}
	if token, err = login("mrossi@lombardia", "a brand new passphrase"); err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(token); err != nil {
		t.Errorf("a token issued after the change does not verify: %v", err)
	}

	// A deleted account's tokens end with it.
	if _, err := f.svc.DeleteAccount(ctx, &famiv1.DeleteAccountRequest{Name: "regions/lombardia/accounts/mrossi"}); err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(token); err == nil {
		t.Error("a deleted account's token still verifies")
	}
	_, err = login("mrossi@lombardia", "a brand new passphrase")
	errstest.WantField(t, err, errs.Unauthenticated, "LOGIN_FAILED", "")
}

func TestLoginFailuresAreLimitedPerUsername(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var err error
	for i := range 6 {
		// Each attempt from another address: the username's limit decides.
		ctx := principal.WithClientAddr(t.Context(), "192.0.2."+string(rune('1'+i)))
		_, err = f.svc.Login(ctx, &famiv1.LoginRequest{Username: "mrossi", Password: "wrong horse battery"})
		if i < 5 {
			errstest.WantField(t, err, errs.Unauthenticated, "LOGIN_FAILED", "")
		}
	}
	errstest.WantField(t, err, errs.ResourceExhausted, "TOO_MANY_LOGIN_FAILURES", "")
	if e := errs.As(err); e == nil || e.RetryAfter <= 0 {
		t.Errorf("the sixth failure has no Retry-After: %v", err)
	}
	// A minute later the username may try again.
	f.now = f.now.Add(time.Minute + time.Second)
	_, err = f.svc.Login(principal.WithClientAddr(t.Context(), "192.0.2.9"), &famiv1.LoginRequest{Username: "mrossi", Password: "wrong horse battery"})
	errstest.WantField(t, err, errs.Unauthenticated, "LOGIN_FAILED", "")
}

func TestServiceTokenRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := as(t.Context(), "lombardia")
	verifier := auth.NewVerifier(f.keys, f.svc.Revocations(), func() time.Time { return f.now })
	for _, tt := range []struct {
		name  string
		req   *famiv1.CreateServiceTokenRequest
		field string
	}{
		{"a system id with capitals", &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: "Protocollo"}, "system_id"},
		{"a negative lifetime", &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: "protocollo", TtlSeconds: -1}, "ttl_seconds"},
		{"a lifetime beyond a year", &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: "protocollo", TtlSeconds: int64(accounts.MaxServiceTokenTTL/time.Second) + 1}, "ttl_seconds"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.CreateServiceToken(ctx, tt.req)
			errstest.WantField(t, err, errs.Invalid, "INVALID_ARGUMENT", tt.field)
		})
	}

	res, err := f.svc.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: "protocollo", DisplayName: "Protocollo informatico"})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := verifier.Verify(res.GetToken())
	if err != nil {
		t.Fatal(err)
	}
	if p := claims.Principal(); p.Subject != "system:protocollo" || p.Role != principal.RegionalSystem || p.Region != "lombardia" {
		t.Errorf("service token principal %+v, want system:protocollo, a regional system of lombardia", p)
	}
	if got, want := claims.ExpiresAt.Sub(f.now), accounts.DefaultServiceTokenTTL; got != want {
		t.Errorf("service token lives %v, want the default %v", got, want)
	}
	if _, err := f.svc.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: res.GetServiceToken().GetName()}); err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(res.GetToken()); err == nil {
		t.Error("a revoked service token still verifies")
	}
}
