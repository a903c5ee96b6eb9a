package server_test

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// wantCode checks that err is a refusal with code, whatever its reason.
func wantCode(t *testing.T, step string, err error, code codes.Code) {
	t.Helper()
	e, ok := asCallError(err)
	if !ok {
		t.Errorf("%s: got %v, want %s", step, err, upperSnake(code))
		return
	}
	if e.Code != code {
		t.Errorf("%s: got %v, want %s", step, e, upperSnake(code))
	}
}

// TestAccountsAndLogin follows people's accounts over every surface, each
// against its own server (failed logins are limited per client address,
// and every client here is 127.0.0.1): a region admin creates them, their
// owners log in, failures are answered alike and rate-limited, and
// deleting an account or replacing its password voids its tokens at once.
func TestAccountsAndLogin(t *testing.T) {
	t.Parallel()
	const (
		password    = "correct horse battery staple"
		newPassword = "tr0ub4dor&3 is not a passphrase"
	)
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		admin := newSurface(t, ts, kind)
		anon := newSurfaceAs(t, ts, kind, "")
		ministry := newSurfaceFor(t, ts, kind, ministrySpec)

		partner, err := admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "udp-milano", Partner: &famiv1.Partner{
			DisplayName: "Ufficio di Piano di Milano", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}})
		if err != nil {
			t.Fatalf("create partner: %v", err)
		}
		// Usernames differ per surface, as the limiter counts per
		// username.
		consultant, member, locked := "mrossi-"+kind, "lbianchi-"+kind, "gverdi-"+kind
		account := func(id, display string, role famiv1.Role, partner string) *famiv1.CreateAccountRequest {
			return &famiv1.CreateAccountRequest{Parent: lombardia, AccountId: id, Password: password,
				Account: &famiv1.Account{DisplayName: display, Role: role, Partner: partner}}
		}
		// login logs in as user of lombardia.
		login := func(user, pw string) (*famiv1.LoginResponse, error) {
			return anon.Login(ctx, &famiv1.LoginRequest{Username: user + "@lombardia", Password: pw})
		}
		// as returns a client sending token, and checks that it may
		// read its region.
		as := func(t *testing.T, step, token string) surface {
			t.Helper()
			s := newSurfaceAs(t, ts, kind, token)
			if _, err := s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia}); err != nil {
				t.Fatalf("%s: the token cannot list its region's partners: %v", step, err)
			}
			return s
		}

		t.Run("create", func(t *testing.T) {
			for _, c := range []struct {
				req  *famiv1.CreateAccountRequest
				role famiv1.Role
			}{
				{account(consultant, "Mario Rossi", famiv1.Role_ROLE_CONSULTANT, ""), famiv1.Role_ROLE_CONSULTANT},
				{account(member, "Laura Bianchi", famiv1.Role_ROLE_NETWORK_MEMBER, partner.GetName()), famiv1.Role_ROLE_NETWORK_MEMBER},
				{account(locked, "Giuseppe Verdi", famiv1.Role_ROLE_CONSULTANT, ""), famiv1.Role_ROLE_CONSULTANT},
			} {
				got, err := admin.CreateAccount(ctx, c.req)
				if err != nil {
					t.Fatalf("create account %s: %v", c.req.GetAccountId(), err)
				}
				if got.GetName() != lombardia+"/accounts/"+c.req.GetAccountId() || got.GetRole() != c.role ||
					got.GetPartner() != c.req.GetAccount().GetPartner() || got.GetDisplayName() != c.req.GetAccount().GetDisplayName() ||
					got.GetEtag() == "" || got.GetCreateTime() == nil {
					t.Errorf("create account %s: got %s, want it named under %s with the role, partner and display name asked", c.req.GetAccountId(), brief(got), lombardia)
				}
			}
		})

		t.Run("network_member_needs_a_partner_of_its_region", func(t *testing.T) {
			for name, p := range map[string]string{
				"no partner":         "",
				"missing partner":    lombardia + "/partners/nessuno",
				"partner of veneto":  "regions/veneto/partners/udp-milano",
				"not a partner name": "udp-milano",
				"a project's name":   lombardia + "/projects/udp-milano",
			} {
				_, err := admin.CreateAccount(ctx, account("member-"+kind, "Rete", famiv1.Role_ROLE_NETWORK_MEMBER, p))
				checkErr(t, name, err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"account.partner"}})
			}
		})

		var consultantToken string
		t.Run("login_and_whoami", func(t *testing.T) {
			for _, c := range []struct {
				user, display, partner string
				role                   famiv1.Role
			}{
				{consultant, "Mario Rossi", "", famiv1.Role_ROLE_CONSULTANT},
				{member, "Laura Bianchi", partner.GetName(), famiv1.Role_ROLE_NETWORK_MEMBER},
			} {
				res, err := login(c.user, password)
				if err != nil {
					t.Fatalf("login %s: %v", c.user, err)
				}
				if res.GetToken() == "" || res.GetExpireTime() == nil {
					t.Errorf("login %s: got %s, want a token and its expiry", c.user, brief(res))
				}
				if c.user == consultant {
					consultantToken = res.GetToken()
				}
				who, err := as(t, "login "+c.user, res.GetToken()).WhoAmI(ctx, &famiv1.WhoAmIRequest{})
				if err != nil {
					t.Fatalf("whoami as %s: %v", c.user, err)
				}
				want := &famiv1.WhoAmIResponse{Subject: "account:" + c.user, Role: c.role, Region: lombardia, Partner: c.partner,
					DisplayName: c.display, ExpireTime: res.GetExpireTime()}
				if got, want := brief(who), brief(want); got != want {
					t.Errorf("whoami as %s: got %s, want %s", c.user, got, want)
				}
			}
		})

		t.Run("wrong_password_and_unknown_username_answer_alike", func(t *testing.T) {
			_, wrong := login(consultant, "not the password at all")
			_, unknown := login("nessuno-"+kind, password)
			checkErr(t, "wrong password", wrong, wantErr{codes.Unauthenticated, "LOGIN_FAILED", nil})
			checkErr(t, "unknown username", unknown, wantErr{codes.Unauthenticated, "LOGIN_FAILED", nil})
			if w, u := errorOf(wrong), errorOf(unknown); !reflect.DeepEqual(w, u) {
				t.Errorf("got %+v for a wrong password and %+v for an unknown username, want the same answer", w, u)
			}
		})

		t.Run("five_failures_block_the_username", func(t *testing.T) {
			for i := range 5 {
				_, err := login(locked, "wrong password number "+strconv.Itoa(i))
				checkErr(t, "failure "+strconv.Itoa(i+1), err, wantErr{codes.Unauthenticated, "LOGIN_FAILED", nil})
			}
			// Even the right password now waits.
			_, err := login(locked, password)
			checkErr(t, "sixth attempt with the right password", err, wantErr{codes.ResourceExhausted, "TOO_MANY_LOGIN_FAILURES", nil})
			if e, ok := asCallError(err); ok && (e.RetryAfter <= 0 || e.RetryAfter > time.Minute) {
				t.Errorf("sixth attempt: got a retry delay of %v, want one up to a minute (RetryInfo, or Retry-After on REST)", e.RetryAfter)
			}
			// The limit is the username's: another person logs in.
			if _, err := login(member, password); err != nil {
				t.Errorf("login %s after %s was blocked: %v", member, locked, err)
			}
		})

		t.Run("only_admins_create_accounts_in_their_region", func(t *testing.T) {
			_, err := admin.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: "regions/veneto", AccountId: "veneto-" + kind, Password: password,
				Account: &famiv1.Account{DisplayName: "Veneto", Role: famiv1.Role_ROLE_CONSULTANT}})
			wantCode(t, "lombardia's admin creates an account in veneto", err, codes.PermissionDenied)
			if consultantToken == "" {
				t.Fatal("no consultant token: login failed")
			}
			_, err = newSurfaceAs(t, ts, kind, consultantToken).CreateAccount(ctx, account("consulente-"+kind, "Consulente", famiv1.Role_ROLE_CONSULTANT, ""))
			wantCode(t, "a consultant creates an account", err, codes.PermissionDenied)
			for region, want := range map[string]int{lombardia: 3, "regions/veneto": 0} {
				res, err := ministry.ListAccounts(ctx, &famiv1.ListAccountsRequest{Parent: region})
				if err != nil {
					t.Fatalf("list accounts of %s: %v", region, err)
				}
				if got := names(res.GetAccounts()); len(got) != want {
					t.Errorf("accounts of %s after the refusals: got %q, want %d", region, got, want)
				}
			}
		})

		t.Run("invalid_accounts", func(t *testing.T) {
			short := account("breve-"+kind, "Breve", famiv1.Role_ROLE_CONSULTANT, "")
			short.Password = "elevenchars"
			_, err := admin.CreateAccount(ctx, short)
			checkErr(t, "password of 11 characters", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"password"}})
			_, err = admin.CreateAccount(ctx, account(consultant, "Mario Rossi bis", famiv1.Role_ROLE_CONSULTANT, ""))
			checkErr(t, "existing username", err, wantErr{codes.AlreadyExists, "USERNAME_TAKEN", []string{"account_id"}})
			// A username taken in another region is no clash: see
			// TestUsernamesScopedToTheirRegion.
		})

		t.Run("deleting_an_account_voids_its_tokens", func(t *testing.T) {
			res, err := login(member, password)
			if err != nil {
				t.Fatalf("login %s: %v", member, err)
			}
			s := as(t, "before the delete", res.GetToken())
			if _, err := admin.DeleteAccount(ctx, &famiv1.DeleteAccountRequest{Name: lombardia + "/accounts/" + member}); err != nil {
				t.Fatalf("delete account: %v", err)
			}
			_, err = s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia})
			checkErr(t, "the deleted account's token", err, wantErr{codes.Unauthenticated, "INVALID_TOKEN", nil})
			_, err = s.WhoAmI(ctx, &famiv1.WhoAmIRequest{})
			checkErr(t, "whoami with the deleted account's token", err, wantErr{codes.Unauthenticated, "INVALID_TOKEN", nil})
			_, err = login(member, password)
			checkErr(t, "login to the deleted account", err, wantErr{codes.Unauthenticated, "LOGIN_FAILED", nil})
			_, err = admin.GetAccount(ctx, &famiv1.GetAccountRequest{Name: lombardia + "/accounts/" + member})
			checkErr(t, "get the deleted account", err, wantErr{codes.NotFound, "NOT_FOUND", nil})
		})

		t.Run("a_new_password_voids_older_tokens", func(t *testing.T) {
			res, err := login(consultant, password)
			if err != nil {
				t.Fatalf("login %s: %v", consultant, err)
			}
			s := as(t, "before the change", res.GetToken())
			name := lombardia + "/accounts/" + consultant
			if _, err := admin.SetAccountPassword(ctx, &famiv1.SetAccountPasswordRequest{Name: name, Password: "short"}); err == nil {
				t.Fatal("set a password of 5 characters: got OK, want INVALID_ARGUMENT")
			} else {
				checkErr(t, "set a password of 5 characters", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"password"}})
			}
			if _, err := admin.SetAccountPassword(ctx, &famiv1.SetAccountPasswordRequest{Name: name, Password: newPassword}); err != nil {
				t.Fatalf("set password: %v", err)
			}
			_, err = s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia})
			checkErr(t, "the token from before the change", err, wantErr{codes.Unauthenticated, "INVALID_TOKEN", nil})
			_, err = login(consultant, password)
			checkErr(t, "login with the old password", err, wantErr{codes.Unauthenticated, "LOGIN_FAILED", nil})
		})

		// A login right after a password change must give a working
		// token. The server's clock is this process's: an attempt
		// that starts and ends within one second has the change and
		// the login in the same second, where a revocation kept to the
		// second cannot tell the new token from the older ones. An
		// attempt that spans a second boundary may miss that, so a
		// success there is repeated.
		t.Run("a_login_right_after_a_password_change_works", func(t *testing.T) {
			name := lombardia + "/accounts/" + consultant
			for attempt := range 5 {
				pw := newPassword + string(rune('a'+attempt))
				start := ts.Clock.Now()
				if _, err := admin.SetAccountPassword(ctx, &famiv1.SetAccountPasswordRequest{Name: name, Password: pw}); err != nil {
					t.Fatalf("set password: %v", err)
				}
				res, err := login(consultant, pw)
				if err != nil {
					t.Fatalf("login with the new password: %v", err)
				}
				_, err = newSurfaceAs(t, ts, kind, res.GetToken()).ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia})
				if err != nil {
					t.Fatalf("the token from a login right after the password change is refused: %v", err)
				}
				if ts.Clock.Now().Unix() == start.Unix() {
					return
				}
			}
			t.Log("every attempt spanned a second boundary: inconclusive")
		})
	})
}

// errorOf is the *callError in err, or err itself.
func errorOf(err error) any {
	if e, ok := asCallError(err); ok {
		return *e
	}
	return err
}

// TestServiceTokenTTL: a service token lives between one second and a
// year (ttl_seconds, 0 for the 90-day default); anything else is refused
// naming ttl_seconds, including values whose nanoseconds overflow int64.
func TestServiceTokenTTL(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	const maxTTL = 366 * 24 * 60 * 60
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			s := newSurface(t, ts, kind)
			for _, ttl := range []int64{0, 1, maxTTL} {
				res, err := s.CreateServiceToken(t.Context(), &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "siage", TtlSeconds: ttl})
				if err != nil {
					t.Errorf("ttl_seconds %d: got %v, want OK", ttl, err)
					continue
				}
				want := time.Duration(ttl) * time.Second
				if ttl == 0 {
					want = 90 * 24 * time.Hour
				}
				st := res.GetServiceToken()
				if got := st.GetExpireTime().AsTime().Sub(st.GetCreateTime().AsTime()); got < want-time.Second || got > want {
					t.Errorf("ttl_seconds %d: got a token living %v, want %v", ttl, got, want)
				}
			}
			// 9223372037 s and 18446744074 s overflow time.Duration: the
			// first wraps to a negative duration, the second to 0.29 s.
			for _, ttl := range []int64{-1, maxTTL + 1, 9223372037, 18446744074} {
				res, err := s.CreateServiceToken(t.Context(), &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "siage", TtlSeconds: ttl})
				if err == nil {
					st := res.GetServiceToken()
					t.Errorf("ttl_seconds %d: got a token living %v, want INVALID_ARGUMENT", ttl, st.GetExpireTime().AsTime().Sub(st.GetCreateTime().AsTime()))
					continue
				}
				checkErr(t, "ttl_seconds "+strconv.FormatInt(ttl, 10), err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"ttl_seconds"}})
			}
		})
	}
}

// TestLoginLimitUnderConcurrency: the five failures a username is allowed
// are five whether the guesses come one after the other or all at once.
func TestLoginLimitUnderConcurrency(t *testing.T) {
	t.Parallel()
	const guesses = 12
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	s := newSurface(t, ts, "grpc")
	if _, err := s.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: lombardia, AccountId: "mrossi", Password: "correct horse battery staple",
		Account: &famiv1.Account{DisplayName: "Mario Rossi", Role: famiv1.Role_ROLE_CONSULTANT}}); err != nil {
		t.Fatalf("create account: %v", err)
	}
	anon := newSurfaceAs(t, ts, "grpc", "")
	errc := make(chan error, guesses)
	var wg sync.WaitGroup
	for i := range guesses {
		wg.Go(func() {
			_, err := anon.Login(ctx, &famiv1.LoginRequest{Username: "mrossi@lombardia", Password: "guess number " + strconv.Itoa(i)})
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	checked := 0
	for err := range errc {
		e, ok := asCallError(err)
		switch {
		case !ok:
			t.Errorf("got %v, want LOGIN_FAILED or RESOURCE_EXHAUSTED", err)
		case e.Reason == "LOGIN_FAILED":
			checked++
		case e.Code != codes.ResourceExhausted:
			t.Errorf("got %v, want LOGIN_FAILED or RESOURCE_EXHAUSTED", e)
		}
	}
	if checked > 5 {
		t.Errorf("%d concurrent guesses were checked against the password, want at most 5 before the username is blocked", checked)
	}
}

// TestLoginNameInAnyCase: usernames and region ids are lowercase, so a
// login name typed with capitals (a phone capitalises the first letter) or
// pasted with spaces around it names the same account and logs in; it was
// refused as a wrong username. Its variants count as one username in the
// login limits: five failures of gverdi@lombardia block GVerdi@Lombardia
// too, the right password included. A character that only lowercases to
// a letter of the username (the Kelvin sign) names no account.
func TestLoginNameInAnyCase(t *testing.T) {
	t.Parallel()
	const password = "correct horse battery staple"
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		admin := newSurface(t, ts, kind)
		anon := newSurfaceAs(t, ts, kind, "")
		for _, id := range []string{"mrossi", "gverdi", "kbianchi"} {
			if _, err := admin.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: lombardia, AccountId: id, Password: password,
				Account: &famiv1.Account{DisplayName: id, Role: famiv1.Role_ROLE_CONSULTANT}}); err != nil {
				t.Fatalf("create account %s: %v", id, err)
			}
		}
		for _, name := range []string{"Mrossi@lombardia", "MRossi@Lombardia", "MROSSI@LOMBARDIA", " mrossi@lombardia", "mrossi@lombardia  "} {
			res, err := anon.Login(ctx, &famiv1.LoginRequest{Username: name, Password: password})
			if err != nil {
				t.Errorf("login as %q: %v", name, err)
				continue
			}
			who, err := newSurfaceAs(t, ts, kind, res.GetToken()).WhoAmI(ctx, &famiv1.WhoAmIRequest{})
			if err != nil || who.GetSubject() != "account:mrossi" || who.GetRegion() != lombardia {
				t.Errorf("login as %q: the token is %s of %s (%v), want account:mrossi of %s", name, who.GetSubject(), who.GetRegion(), err, lombardia)
			}
		}
		_, err := anon.Login(ctx, &famiv1.LoginRequest{Username: "\u212Abianchi@lombardia", Password: password})
		checkErr(t, "login with the Kelvin sign for k", err, wantErr{codes.Unauthenticated, "LOGIN_FAILED", nil})

		for i := range 5 {
			_, err := anon.Login(ctx, &famiv1.LoginRequest{Username: "gverdi@lombardia", Password: "guess " + strconv.Itoa(i)})
			checkErr(t, "a wrong password", err, wantErr{codes.Unauthenticated, "LOGIN_FAILED", nil})
		}
		for _, pw := range []string{"guess 5", password} {
			_, err := anon.Login(ctx, &famiv1.LoginRequest{Username: "GVerdi@Lombardia", Password: pw})
			checkErr(t, "GVerdi@Lombardia after five failures of gverdi@lombardia", err,
				wantErr{codes.ResourceExhausted, "TOO_MANY_LOGIN_FAILURES", nil})
		}
	})
}

// TestUsernamesScopedToTheirRegion: usernames are per region, so a region
// admin learns nothing of another region's: every call Veneto's admin can
// make with a username Lombardia has answers exactly as with one nobody
// has (the username aside), and an mrossi of each region logs in as
// mrossi@{region} into their own account only.
func TestUsernamesScopedToTheirRegion(t *testing.T) {
	t.Parallel()
	const (
		veneto          = "regions/veneto"
		lombardiaSecret = "correct horse battery staple"
		venetoSecret    = "a different long passphrase"
	)
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		lombardiaAdmin := newSurface(t, ts, kind)
		venetoAdmin := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:veneto-admin", Role: principal.RegionAdmin, Region: "veneto"})
		anon := newSurfaceAs(t, ts, kind, "")
		taken, free := "mrossi-"+kind, "nessuno-"+kind
		consultant := func(parent, id, pw string) *famiv1.CreateAccountRequest {
			return &famiv1.CreateAccountRequest{Parent: parent, AccountId: id, Password: pw,
				Account: &famiv1.Account{DisplayName: "Mario Rossi", Role: famiv1.Role_ROLE_CONSULTANT}}
		}
		if _, err := lombardiaAdmin.CreateAccount(ctx, consultant(lombardia, taken, lombardiaSecret)); err != nil {
			t.Fatalf("create %s in lombardia: %v", taken, err)
		}

		// probe makes every call Veneto's admin has that names user,
		// and describes the answers with the username blanked out.
		probe := func(user string) []string {
			var out []string
			add := func(call string, res any, err error) {
				desc := fmt.Sprintf("%s: OK", call)
				if err != nil {
					desc = fmt.Sprintf("%s: %+v", call, errorOf(err))
				} else if acc, ok := res.(*famiv1.Account); ok {
					desc += " " + acc.GetName()
				}
				out = append(out, strings.ReplaceAll(desc, user, "{username}"))
			}
			for _, parent := range []string{veneto, lombardia} {
				name := parent + "/accounts/" + user
				acc, err := venetoAdmin.GetAccount(ctx, &famiv1.GetAccountRequest{Name: name})
				add("get "+name, acc, err)
				_, err = venetoAdmin.SetAccountPassword(ctx, &famiv1.SetAccountPasswordRequest{Name: name, Password: venetoSecret})
				add("set password "+name, nil, err)
				_, err = venetoAdmin.DeleteAccount(ctx, &famiv1.DeleteAccountRequest{Name: name})
				add("delete "+name, nil, err)
			}
			_, err := anon.Login(ctx, &famiv1.LoginRequest{Username: user + "@lombardia", Password: venetoSecret})
			add("login", nil, err)
			acc, err := venetoAdmin.CreateAccount(ctx, consultant(veneto, user, venetoSecret))
			add("create", acc, err)
			list, err := venetoAdmin.ListAccounts(ctx, &famiv1.ListAccountsRequest{Parent: veneto})
			add(fmt.Sprintf("list has it: %t", slices.Contains(names(list.GetAccounts()), veneto+"/accounts/"+user)), nil, err)
			return out
		}
		if got, want := probe(taken), probe(free); !reflect.DeepEqual(got, want) {
			t.Errorf("Veneto's admin tells a username Lombardia has from one nobody has:\n taken: %q\n  free: %q", got, want)
		}

		// Each mrossi logs in to their own account only.
		tokens := map[string]string{}
		for region, secret := range map[string]string{"lombardia": lombardiaSecret, "veneto": venetoSecret} {
			res, err := anon.Login(ctx, &famiv1.LoginRequest{Username: taken + "@" + region, Password: secret})
			if err != nil {
				t.Fatalf("login %s@%s: %v", taken, region, err)
			}
			tokens[region] = res.GetToken()
			who, err := newSurfaceAs(t, ts, kind, res.GetToken()).WhoAmI(ctx, &famiv1.WhoAmIRequest{})
			if err != nil {
				t.Fatalf("whoami as %s@%s: %v", taken, region, err)
			}
			if who.GetSubject() != "account:"+taken || who.GetRegion() != "regions/"+region {
				t.Errorf("whoami as %s@%s: got %s, want its own subject and region", taken, region, brief(who))
			}
		}
		_, err := anon.Login(ctx, &famiv1.LoginRequest{Username: taken + "@lombardia", Password: venetoSecret})
		checkErr(t, "lombardia's account with veneto's password", err, wantErr{codes.Unauthenticated, "LOGIN_FAILED", nil})
		_, err = anon.Login(ctx, &famiv1.LoginRequest{Username: taken, Password: lombardiaSecret})
		checkErr(t, "a username without its region", err, wantErr{codes.Unauthenticated, "LOGIN_FAILED", nil})

		// Deleting Veneto's mrossi leaves Lombardia's and its token be.
		if _, err := venetoAdmin.DeleteAccount(ctx, &famiv1.DeleteAccountRequest{Name: veneto + "/accounts/" + taken}); err != nil {
			t.Fatalf("delete veneto's %s: %v", taken, err)
		}
		if _, err := newSurfaceAs(t, ts, kind, tokens["lombardia"]).ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia}); err != nil {
			t.Errorf("lombardia's token after veneto's namesake was deleted: %v, want it valid", err)
		}
		_, err = newSurfaceAs(t, ts, kind, tokens["veneto"]).WhoAmI(ctx, &famiv1.WhoAmIRequest{})
		checkErr(t, "the deleted veneto account's token", err, wantErr{codes.Unauthenticated, "INVALID_TOKEN", nil})
	})
}

// TestDeletedPartnerIDIsRetired: a deleted partner's id is not given out
// again, so its staff's accounts, which still name it, never act for a new
// partner created under that id. The new partner used to inherit them: the
// old staff's tokens named it, and read and signed as its staff.
func TestDeletedPartnerIDIsRetired(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		admin := newSurface(t, ts, kind)
		create := func(display string) error {
			_, err := admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "assoc", Partner: &famiv1.Partner{
				DisplayName: display, Kind: famiv1.PartnerKind_PARTNER_KIND_MIGRANT_ASSOCIATION}})
			return err
		}
		if err := create("Associazione Ponti"); err != nil {
			t.Fatal(err)
		}
		const password = "correct horse battery staple"
		if _, err := admin.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: lombardia, AccountId: "staff-" + kind, Password: password,
			Account: &famiv1.Account{DisplayName: "Staff", Role: famiv1.Role_ROLE_NETWORK_MEMBER, Partner: lombardia + "/partners/assoc"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: lombardia + "/partners/assoc"}); err != nil {
			t.Fatal(err)
		}
		checkErr(t, "a new partner under the deleted one's id", create("Un'altra organizzazione"), wantErr{codes.AlreadyExists, "ALREADY_EXISTS", []string{"partner_id"}})
		res, err := newSurfaceAs(t, ts, kind, "").Login(ctx, &famiv1.LoginRequest{Username: "staff-" + kind + "@lombardia", Password: password})
		if err != nil {
			t.Fatal(err)
		}
		staff := newSurfaceAs(t, ts, kind, res.GetToken())
		_, err = staff.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: lombardia + "/partners/assoc"})
		checkErr(t, "the old staff's partner", err, wantErr{codes.NotFound, "NOT_FOUND", nil})
	})
}

// TestMinistryListsAccountsOfRegionsOnly: the ministry, which keeps the
// accounts of every region, is answered NOT_FOUND when it lists those of a
// region that does not exist, or of regions/-, which ListAccounts does not
// take, as by every List of a region; an empty list would say the region
// exists and has no accounts.
func TestMinistryListsAccountsOfRegionsOnly(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		for _, parent := range []string{"regions/atlantide", "regions/-", "regions/LOMBARDIA"} {
			_, err := ministry.ListAccounts(t.Context(), &famiv1.ListAccountsRequest{Parent: parent})
			checkErr(t, "the accounts of "+parent, err, wantErr{codes.NotFound, "NOT_FOUND", nil})
		}
	})
}
