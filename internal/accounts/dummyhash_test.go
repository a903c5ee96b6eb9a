package accounts_test

import (
	"runtime"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
)

// fullHashBytes is what one argon2id hash at the full cost allocates: its
// 19 MiB of memory.
const fullHashBytes = 19 << 20

// TestUnknownUsernameCostsOneFullHash: a service at the full cost (famid's
// only one) makes no hash when it starts, and a login with an unknown
// username still checks its password against one hash at the full cost,
// as a wrong password for a real account does: the two take as long. The
// checks are counted, not timed; the start's cost is the memory argon2id
// takes, which TotalAlloc counts whatever the machine's load. It is the
// package's one test not run in parallel: TotalAlloc counts the whole
// process's allocations, and no parallel test runs beside a serial one.
func TestUnknownUsernameCostsOneFullHash(t *testing.T) {
	f := newFixture(t)
	before := totalAlloc()
	svc, err := accounts.New(t.Context(), f.st, f.st, f.keys, accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := totalAlloc() - before; got >= fullHashBytes {
		t.Errorf("New allocated %d bytes, as much as a password hash at the full cost (%d): the start made one", got, fullHashBytes)
	}
	checked := accounts.RecordPasswordChecks(svc)
	ctx := principal.WithClientAddr(as(t.Context(), "lombardia"), "192.0.2.1")
	if _, err := svc.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "mrossi",
		Account: account(famiv1.Role_ROLE_NETWORK_MEMBER, partner), Password: password}); err != nil {
		t.Fatal(err)
	}
	full, err := auth.HashPassword("any")
	if err != nil {
		t.Fatal(err)
	}
	for i, user := range []string{"nessuno@lombardia", "mrossi@lombardia", "qualcuno@lombardia"} {
		if _, err := svc.Login(ctx, &famiv1.LoginRequest{Username: user, Password: "wrong horse battery"}); err == nil {
			t.Fatalf("%s logged in with a wrong password", user)
		}
		got := checked()
		if len(got) != i+1 {
			t.Fatalf("after %d logins, %d password checks, want one each: %q", i+1, len(got), got)
		}
		if cost(got[i]) != cost(full) {
			t.Errorf("%s: checked against a hash at %s, want the full cost %s", user, cost(got[i]), cost(full))
		}
	}
	if got := checked(); got[0] != got[2] {
		t.Errorf("two unknown usernames checked against two dummy hashes (%q, %q), want the one made once", got[0], got[2])
	}
}

// cost is the algorithm and parameters of a PHC hash string: what it costs
// to check a password against it.
func cost(hash string) string {
	parts := strings.Split(hash, "$")
	if len(parts) < 4 {
		return hash
	}
	return strings.Join(parts[:4], "$")
}

func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}
