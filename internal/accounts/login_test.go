package accounts_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/fakeclock"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// owner is the login name of newService's account.
const owner = "owner@lombardia"

// startOn starts the AuthService on the data dir dir as famid does: on
// its bbolt store (with lombardia) and its signing keys.
func startOn(t *testing.T, dir string, opts accounts.Options) (*accounts.Service, error) {
	t.Helper()
	st := bolttest.Open(t, dir, bolt.Options{Regions: []string{"lombardia"}})
	keys, err := auth.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	return openService(t.Context(), st, st, keys, opts)
}

// newService opens the AuthService on a fresh data dir with one account,
// "owner", in lombardia. Its clock stands still, so the login limits
// refill nothing while a test spends them: a password check takes long
// under -race on a loaded machine, and on the real clock the client's
// budget (one attempt back every 15 s) grew again during a test's
// twenty slow failures.
func newService(t *testing.T) *accounts.Service {
	t.Helper()
	var clock fakeclock.Clock
	clock.Set(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	s, err := startOn(t, t.TempDir(), accounts.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	admin := principal.With(t.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"})
	if _, err := s.CreateAccount(admin, &famiv1.CreateAccountRequest{
		Parent: "regions/lombardia", AccountId: "owner", Password: password,
		Account: &famiv1.Account{DisplayName: "Owner", Role: famiv1.Role_ROLE_CONSULTANT},
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

// login tries a password for username from a client address.
func login(s *accounts.Service, addr, username, pw string) error {
	ctx := principal.WithClientAddr(context.Background(), addr)
	_, err := s.Login(ctx, &famiv1.LoginRequest{Username: username, Password: pw})
	return err
}

// TestRefusedAttemptsSpendNoUsernameBudget: an attacker whose address is
// already over its limit keeps trying the victim's username; those
// refusals used to spend the victim's budget (five of them locked the
// account), now they spend nothing.
func TestRefusedAttemptsSpendNoUsernameBudget(t *testing.T) {
	t.Parallel()
	s := newService(t)
	const attacker = "203.0.113.7"
	// Spend the attacker address's budget on usernames that do not exist.
	for i := 0; ; i++ {
		err := login(s, attacker, fmt.Sprintf("nobody%d", i), "wrong password!")
		if errs.CodeOf(err) == errs.ResourceExhausted {
			break
		}
		if i > 100 {
			t.Fatal("the per-address limit never refused")
		}
	}
	for range 10 {
		if err := login(s, attacker, owner, "wrong password!"); errs.CodeOf(err) != errs.ResourceExhausted {
			t.Fatalf("attacker over its address limit: got %v, want RESOURCE_EXHAUSTED", err)
		}
	}
	// The owner, from an address never seen, is not locked out.
	if err := login(s, "198.51.100.20", owner, password); err != nil {
		t.Errorf("owner after refused attempts on their username: %v, want a token", err)
	}
}

// TestUsernameLockSparesKnownPath: failures from many addresses lock a
// username for unknown paths, but its owner still logs in from where they
// logged in before.
func TestUsernameLockSparesKnownPath(t *testing.T) {
	t.Parallel()
	s := newService(t)
	const home = "198.51.100.20"
	if err := login(s, home, owner, password); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		login(s, fmt.Sprintf("203.0.113.%d", i), owner, "wrong password!")
	}
	if err := login(s, "192.0.2.99", owner, password); errs.CodeOf(err) != errs.ResourceExhausted {
		t.Errorf("right password from an unknown address during the lock: got %v, want RESOURCE_EXHAUSTED", err)
	}
	if err := login(s, home, owner, password); err != nil {
		t.Errorf("owner from their known address during the lock: %v, want a token", err)
	}
	// The known path is no bypass of the password.
	if err := login(s, home, owner, "wrong password!"); errs.CodeOf(err) != errs.Unauthenticated {
		t.Errorf("wrong password from the known path: got %v, want UNAUTHENTICATED", err)
	}
}

// TestClientLimitCountsAnIPv6Slash64: the per-client limit counts an IPv6
// client by its /64, which one line or host holds whole: twenty failures
// from twenty addresses of one /64 spend its budget, and the next, from
// yet another address of it, is refused, while another /64 and an IPv4
// client still try. Each address had a budget of its own, and a client
// with a /64 could try usernames without end.
func TestClientLimitCountsAnIPv6Slash64(t *testing.T) {
	t.Parallel()
	s := newService(t)
	for i := range 20 {
		err := login(s, fmt.Sprintf("2001:db8:0:1::%x", i+1), fmt.Sprintf("nobody%d@lombardia", i), "wrong password!")
		if errs.CodeOf(err) != errs.Unauthenticated {
			t.Fatalf("failure %d of the /64: got %v, want UNAUTHENTICATED", i+1, err)
		}
	}
	for _, addr := range []string{"2001:db8:0:1:ffff::7", "2001:db8:0:1::ffff:1"} {
		if err := login(s, addr, "another@lombardia", "wrong password!"); errs.CodeOf(err) != errs.ResourceExhausted {
			t.Errorf("from %s, in a /64 over its limit: got %v, want RESOURCE_EXHAUSTED", addr, err)
		}
	}
	for _, addr := range []string{"2001:db8:0:2::1", "192.0.2.1", "::ffff:192.0.2.2"} {
		if err := login(s, addr, owner, password); err != nil {
			t.Errorf("from %s, outside that /64: %v, want a token", addr, err)
		}
	}
}

// TestLoginWithTheLongestUsername: an account whose username is as long
// as CreateAccount allows (64 characters) logs in as name@region, also
// with spaces around it. The login name was bounded at 64 characters,
// the username's own bound, and was refused as too long.
func TestLoginWithTheLongestUsername(t *testing.T) {
	t.Parallel()
	s := newService(t)
	long := "m" + strings.Repeat("r", 62) + "i"
	admin := principal.With(t.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"})
	if _, err := s.CreateAccount(admin, &famiv1.CreateAccountRequest{
		Parent: "regions/lombardia", AccountId: long, Password: password,
		Account: &famiv1.Account{DisplayName: "Long", Role: famiv1.Role_ROLE_CONSULTANT},
	}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{long + "@lombardia", "  " + long + "@lombardia  "} {
		if err := login(s, "192.0.2.1", name, password); err != nil {
			t.Errorf("login as %q: %v, want a token", name, err)
		}
	}
}
